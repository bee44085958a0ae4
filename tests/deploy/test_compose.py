"""The compose file is valid Compose and wired to the settings the code reads."""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return YAML(typ="safe").load(COMPOSE.read_text())


def test_compose_file_validates_against_the_compose_specification() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_the_worker_needs_is_defined_and_awaited(compose: dict) -> None:
    services = compose["services"]
    assert {"postgresql", "temporal-schema", "temporal", "temporal-ui", "worker"} <= set(services)
    assert set(services["worker"]["depends_on"]) == {"postgresql", "temporal"}
    assert services["worker"]["build"] == "."
    for name, service in services.items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name} image is not pinned"


def test_engine_services_set_only_settings_the_code_reads(compose: dict) -> None:
    read_by_code = {
        info.validation_alias.choices[0] for info in Settings.model_fields.values() if info.validation_alias
    }
    engine = {n: s for n, s in compose["services"].items() if s["image"].startswith("mandates-worker")}
    assert set(engine) == {"worker", "dispatcher", "web"}
    for name, service in engine.items():
        assert set(service["environment"]) <= read_by_code, (name, set(service["environment"]) - read_by_code)
    env = compose["services"]["worker"]["environment"]
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "@postgresql:5432/mandates" in env["DATABASE_URL"]


def test_no_credentials_are_written_in_the_file(compose: dict) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|PWD", key):
                assert str(value).startswith("${"), f"{name}: {key} is written in the file"
            for secret in re.findall(r"://[^:/@]+:([^@]+)@", str(value)):
                assert secret.startswith("${"), f"{name}: {key} carries a password"
    text = COMPOSE.read_text()
    example = (ROOT / ".env.example").read_text()
    for variable in re.findall(r"(?<!\$)\$\{([A-Z_]+)", text):
        assert variable in example, f"{variable} is not documented in .env.example"


def test_published_ports_bind_to_loopback(compose: dict) -> None:
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), port


def test_the_console_runs_as_replicas_behind_the_load_balancer_it_trusts(compose: dict) -> None:
    services = compose["services"]
    web, lb = services["web"], services["console-lb"]
    assert web["deploy"]["replicas"] >= 2 and "ports" not in web  # reached through the balancer only
    assert web["command"] == ["python", "-m", "web"]
    address = lb["networks"]["default"]["ipv4_address"]
    assert web["environment"]["MANDATES_WEB_TRUSTED_PROXIES"] == address
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    conf = (ROOT / "deploy" / "nginx" / "console.conf").read_text()
    port = web["environment"]["MANDATES_WEB_PORT"]
    assert f"server web:{port} resolve;" in conf and "proxy_pass http://console;" in conf
    assert 'proxy_set_header X-Remote-User "";' in conf  # a browser never names who signed in
    mount = "./deploy/nginx/console.conf:/etc/nginx/conf.d/default.conf:ro"
    assert mount in lb["volumes"]
    for name in ("web", "dispatcher"):  # the links the e-mails carry open on the console
        assert services[name]["environment"]["MANDATES_WEB_SECRET"].startswith("${MANDATES_WEB_SECRET")
        assert services[name]["environment"]["MANDATES_WEB_URL"].startswith("${MANDATES_WEB_URL")


def test_the_worker_checks_every_caller_and_seals_its_messages(compose: dict) -> None:
    worker = compose["services"]["worker"]
    assert worker["environment"]["MANDATES_IDENTITIES"] == "/run/secrets/identities"
    assert "identities" in worker["secrets"] and "MANDATES_INSECURE" not in worker["environment"]
    assert worker["environment"]["MANDATES_WORKER_KEYS"].startswith("${MANDATES_WORKER_KEYS:?")
    assert compose["secrets"]["identities"]["file"] == "./deploy/secrets/identities.json"
