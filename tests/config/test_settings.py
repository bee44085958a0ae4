"""Settings: defaults point at the embedded stack; a bad value is one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, SettingsInvalid


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))  # (no dev stack's passwords)
    for name in (
        "TEMPORAL_ADDRESS",
        "DATABASE_URL",
        "DATABASE_ADMIN_URL",
        "MANDATES_PG_PORT",
        "MANDATES_TEMPORAL_PORT",
        "MANDATES_UI_PORT",
        "LOG_FORMAT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_point_at_the_embedded_stack_on_loopback() -> None:
    s = Settings.load()
    assert s.uses_embedded_postgres and s.uses_embedded_temporal
    assert s.temporal_address == "127.0.0.1:7233"
    assert s.database_url == "postgresql://mandates_app@127.0.0.1:55432/mandates"
    assert s.database_admin_url == "postgresql://postgres@127.0.0.1:55432/mandates"
    assert s.temporal_ui_url == "http://127.0.0.1:8233"


def test_the_embedded_urls_carry_the_dev_stacks_passwords(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name, secret in (
        ("postgres-admin-password", "admin/secret"),
        ("postgres-app-password", "app-secret"),
    ):
        (data / name).write_text(secret + "\n")
        (data / name).chmod(0o600)
    s = Settings.load()
    assert s.database_url == "postgresql://mandates_app:app-secret@127.0.0.1:55432/mandates"
    assert s.database_admin_url == "postgresql://postgres:admin%2Fsecret@127.0.0.1:55432/mandates"

    (data / "postgres-app-password").chmod(0o644)
    with pytest.raises(SettingsInvalid, match="readable by others: chmod 600"):
        _ = Settings.load().database_url


def test_real_servers_replace_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:secret@db:5432/mandates")
    s = Settings.load()
    assert not s.uses_embedded_postgres and not s.uses_embedded_temporal
    assert s.temporal_address == "temporal.example:7233"
    assert s.database_admin_url == s.database_url == "postgresql://app:secret@db:5432/mandates"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MANDATES_PG_PORT", "not-a-port"), ("MANDATES_UI_PORT", "70000"), ("LOG_FORMAT", "xml")],
)
def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsInvalid) as raised:
        Settings.load()
    message = str(raised.value)
    assert message.startswith(f"invalid setting {variable}: ") and "\n" not in message


def test_a_default_currency_is_a_three_letter_code(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load().currency is None  # (none: a cost names its currency)
    monkeypatch.setenv("MANDATES_CURRENCY", " eur ")
    assert Settings.load().currency == "EUR"
    monkeypatch.setenv("MANDATES_CURRENCY", "euro")
    with pytest.raises(SettingsInvalid) as raised:
        Settings.load()
    assert str(raised.value) == (
        "invalid setting MANDATES_CURRENCY: 'EURO' is not a three-letter currency code (e.g. USD, EUR)"
    )
