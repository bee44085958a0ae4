"""The dev stack (devstack/stack.py): its parts and status rows, and `mandates dev up --detach |
status | down` end to end, as processes, on free ports."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import psutil
import pytest

from config.settings import Settings
from devstack.processes import free_port
from devstack.stack import PARTS, DevStack
from tests.support.cli import MANDATES

pytestmark = pytest.mark.devstack


def run(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MANDATES, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    external = {"DATABASE_URL", "DATABASE_ADMIN_URL", "TEMPORAL_ADDRESS"}
    env = {k: v for k, v in os.environ.items() if k not in external}
    env.update(
        MANDATES_DATA_DIR=str(tmp_path / "data"),
        MANDATES_PG_PORT=str(free_port()),
        MANDATES_TEMPORAL_PORT=str(free_port()),
        MANDATES_UI_PORT=str(free_port()),
        MANDATES_SMTP_PORT=str(free_port()),
        MANDATES_CODEC_PORT=str(free_port()),
        MANDATES_WEB_PORT=str(free_port()),
        MANDATES_TASK_QUEUE=f"devstack-test-{tmp_path.name}",
    )
    yield env
    run(env, "dev", "down", timeout=60)


def status(env: dict[str, str]) -> dict[str, dict]:
    result = run(env, "dev", "status", "--json", timeout=30)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_up_status_down(stack_env: dict[str, str]) -> None:
    up = run(stack_env, "dev", "up", "--detach")
    assert up.returncode == 0, up.stdout + up.stderr
    ui = f"http://127.0.0.1:{stack_env['MANDATES_UI_PORT']}"
    assert f"Temporal Web UI: {ui}" in up.stdout

    parts = status(stack_env)
    assert {"postgres", "temporal", "web-ui", "worker"} <= set(parts)
    assert {name for name, row in parts.items() if row["state"] != "up"} == set()
    with urllib.request.urlopen(ui, timeout=10) as response:
        assert response.status == 200
    pids = {name: row["pid"] for name, row in parts.items()}
    data = Path(stack_env["MANDATES_DATA_DIR"])
    assert (data / "temporal.db").exists() and (data / "logs" / "worker.log").exists()

    again = run(stack_env, "dev", "up", "--detach")
    assert again.returncode == 0
    assert again.stdout.count("already running") == len(PARTS)
    assert {name: row["pid"] for name, row in status(stack_env).items()} == pids

    down = run(stack_env, "dev", "down", timeout=60)
    assert down.returncode == 0
    assert down.stdout.strip() == "stopped: " + ", ".join(reversed(PARTS))
    assert all(row["state"] == "down" for row in status(stack_env).values())
    assert not any(psutil.pid_exists(pid) for pid in set(pids.values()))
    assert run(stack_env, "dev", "down", timeout=60).stdout.strip() == "nothing was running"


def test_a_busy_port_is_one_line_and_starts_nothing(stack_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(stack_env["MANDATES_PG_PORT"])))
        busy.listen()
        result = run(stack_env, "dev", "up", "--detach", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "is busy" in result.stderr and "MANDATES_PG_PORT" in result.stderr
    assert "Traceback" not in result.stderr
    assert all(row["state"] == "down" for row in status(stack_env).values())


def test_an_unreachable_database_url_is_one_line(stack_env: dict[str, str]) -> None:
    env = dict(stack_env, DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    result = run(env, "dev", "up", "--detach", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach Postgres at postgresql://nobody@")
    assert "Traceback" not in result.stderr


def test_the_stack_has_a_mail_sink_and_a_dispatcher(tmp_path: Path) -> None:
    assert PARTS.index("mail") < PARTS.index("worker") < PARTS.index("dispatcher")
    port = free_port()
    rows = {r.name: r for r in DevStack(Settings(data_dir=tmp_path, smtp_port=port)).status()}
    assert (rows["mail"].state, rows["mail"].address) == ("down", f"127.0.0.1:{port}")
    assert rows["dispatcher"].state == "down"
    external = DevStack(Settings(data_dir=tmp_path, smtp_host_override="smtp.example.org", smtp_port=587))
    rows = {r.name: r for r in external.status()}
    assert (rows["mail"].state, rows["mail"].address) == ("external", "smtp.example.org:587")
    assert rows["dispatcher"].address == "smtp smtp.example.org:587"
