"""Where the audit signing keys come from: the dev stack's pair under the data folder, made on
first use, or the files the settings name, never made up."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.audit_keys import audit_public_keys, audit_signer
from config.settings import Settings, SettingsInvalid
from store.signing import Signer, SigningKeyInvalid


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MANDATES_AUDIT_SIGNING_KEY_FILE", "MANDATES_AUDIT_PUBLIC_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_the_dev_stack_signs_with_a_pair_made_once_that_verify_then_reads(data_folder: Path) -> None:
    assert audit_public_keys(Settings.load()).key_ids == []  # verify makes nothing
    assert not data_folder.exists()
    signer = audit_signer(Settings.load())
    assert (data_folder / "audit-signing.key").stat().st_mode & 0o777 == 0o600
    assert audit_signer(Settings.load()).key_id == signer.key_id
    assert audit_public_keys(Settings.load()).key_ids == [signer.key_id]


def test_the_configured_files_are_used_and_no_dev_key_is_made(
    tmp_path: Path, data_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    production, other = Signer.generate(), Signer.generate()
    private, public = tmp_path / "signing.pem", tmp_path / "public.pem"
    private.write_bytes(production.private_pem())
    private.chmod(0o600)
    public.write_bytes(other.public_pem() + production.public_pem())
    monkeypatch.setenv("MANDATES_AUDIT_SIGNING_KEY_FILE", str(private))
    monkeypatch.setenv("MANDATES_AUDIT_PUBLIC_KEY_FILE", str(public))
    settings = Settings.load()
    assert audit_signer(settings).key_id == production.key_id
    assert audit_public_keys(settings).key_ids == [other.key_id, production.key_id]
    assert not data_folder.exists()

    private.chmod(0o644)
    with pytest.raises(SigningKeyInvalid, match="readable by others"):
        audit_signer(settings)


@pytest.mark.parametrize("variable", ["MANDATES_AUDIT_SIGNING_KEY_FILE", "MANDATES_AUDIT_PUBLIC_KEY_FILE"])
def test_a_key_file_that_is_not_there_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsInvalid, match=f"invalid setting {variable}: "):
        Settings.load()
