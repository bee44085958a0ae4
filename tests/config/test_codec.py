"""The payload codec: round trip, key rotation, tamper detection, keys from settings or the dev file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from config.client import build_data_converter, data_converter
from config.codec import (
    ENCODING,
    KEY_ID_METADATA,
    CodecKeysInvalid,
    EncryptionCodec,
    KeyRing,
    PayloadUndecryptable,
    format_keys,
)
from config.settings import Settings, SettingsInvalid

SECRET = "the delegation's position on article 12"


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_a_payload_round_trips_and_its_ciphertext_hides_the_text() -> None:
    codec = EncryptionCodec(KeyRing.generate("k1"))

    [sealed] = await codec.encode([plain(SECRET)])
    [opened] = await codec.decode([sealed])

    assert opened == plain(SECRET)
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID_METADATA] == b"k1"
    assert SECRET.encode() not in sealed.SerializeToString()
    [again] = await codec.encode([plain(SECRET)])
    assert again.data != sealed.data  # a fresh nonce each time


async def test_old_keys_still_decrypt_after_a_rotation() -> None:
    old = KeyRing.generate("2026-01")
    [sealed_before] = await EncryptionCodec(old).encode([plain(SECRET)])

    rotated = old.with_new_active("2026-07")
    codec = EncryptionCodec(rotated)
    [sealed_after] = await codec.encode([plain(SECRET)])

    assert sealed_after.metadata[KEY_ID_METADATA] == b"2026-07"
    assert await codec.decode([sealed_before, sealed_after]) == [plain(SECRET), plain(SECRET)]
    with pytest.raises(PayloadUndecryptable, match="'2026-07'"):
        await EncryptionCodec(old).decode([sealed_after])  # a process that lacks the new key


@pytest.mark.parametrize("where", ["ciphertext", "nonce", "key id"])
async def test_a_tampered_payload_is_refused(where: str) -> None:
    ring = KeyRing({"a": b"\x01" * 32, "b": b"\x02" * 32}, "a")
    codec = EncryptionCodec(ring)
    [sealed] = await codec.encode([plain(SECRET)])
    forged = Payload()
    forged.CopyFrom(sealed)
    if where == "ciphertext":
        forged.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    elif where == "nonce":
        forged.data = bytes([sealed.data[0] ^ 1]) + sealed.data[1:]
    else:  # relabelled with another key this process holds: the key id is bound into the tag
        forged.metadata[KEY_ID_METADATA] = b"b"

    with pytest.raises(PayloadUndecryptable, match="fails authentication"):
        await codec.decode([forged])


async def test_payloads_that_were_never_encrypted_pass_through() -> None:
    codec = EncryptionCodec(KeyRing.generate())
    assert await codec.decode([plain("recorded before encryption")]) == [plain("recorded before encryption")]


async def test_the_data_converter_encrypts_values_and_failure_messages() -> None:
    converter = build_data_converter(KeyRing.generate())

    [payload] = await converter.encode([{"text": SECRET}])
    assert payload.metadata["encoding"] == ENCODING
    assert await converter.decode([payload]) == [{"text": SECRET}]

    failure = Failure()
    await converter.encode_failure(ApplicationError(SECRET, type="not_an_approver"), failure)
    assert failure.message == "Encoded failure" and not failure.stack_trace
    assert SECRET.encode() not in failure.SerializeToString()
    assert failure.application_failure_info.type == "not_an_approver"  # types stay readable
    error = await converter.decode_failure(failure)
    assert isinstance(error, ApplicationError) and error.message == SECRET


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings(MANDATES_DATA_DIR=str(tmp_path / "data"), **env)  # type: ignore[arg-type]


def test_the_dev_stack_makes_one_private_key_file_and_keeps_it(tmp_path: Path) -> None:
    s = settings(tmp_path)

    first = s.key_ring()
    second = s.key_ring()

    assert first == second
    assert stat.S_IMODE(s.codec_keys_path.stat().st_mode) == 0o600
    assert data_converter(s).payload_codec is not None


def test_the_configured_keys_replace_the_dev_file(tmp_path: Path) -> None:
    ring = KeyRing({"old": b"\x03" * 32, "new": b"\x04" * 32}, "new")
    s = settings(tmp_path, MANDATES_CODEC_KEYS=format_keys(ring.keys), MANDATES_CODEC_KEY_ID="new")

    assert s.key_ring() == ring
    assert not s.codec_keys_path.exists()


def test_a_real_temporal_server_needs_configured_keys(tmp_path: Path) -> None:
    s = settings(tmp_path, TEMPORAL_ADDRESS="temporal.example:7233")
    with pytest.raises(CodecKeysInvalid) as raised:
        s.key_ring()
    assert str(raised.value).startswith("invalid setting MANDATES_CODEC_KEYS: required with TEMPORAL_ADDRESS")
    assert not s.codec_keys_path.exists()


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    s = settings(tmp_path)
    s.key_ring()
    s.codec_keys_path.chmod(0o644)
    with pytest.raises(CodecKeysInvalid, match="chmod 600"):
        s.key_ring()


KEY = base64.b64encode(b"\x05" * 32).decode()


@pytest.mark.parametrize(
    ("env", "variable", "reason"),
    [
        ({"MANDATES_CODEC_KEY_ID": "k9"}, "MANDATES_CODEC_KEY_ID", "no key with id 'k9'"),
        (
            {"MANDATES_CODEC_KEYS": f"k1:{KEY}", "MANDATES_CODEC_KEY_ID": "k2"},
            "MANDATES_CODEC_KEY_ID",
            "'k2'",
        ),
        ({"MANDATES_CODEC_KEYS": f"k1:{KEY},k2:{KEY}"}, "MANDATES_CODEC_KEY_ID", "holds 2 keys"),
        ({"MANDATES_CODEC_KEYS": "k1:c2hvcnQ="}, "MANDATES_CODEC_KEYS", "5 bytes, not 32"),
        ({"MANDATES_CODEC_KEYS": KEY}, "MANDATES_CODEC_KEYS", "not 'kid:base64key'"),
        ({"TEMPORAL_TLS_CLIENT_CERT_PATH": "/no/such/cert.pem"}, "TEMPORAL_TLS_CLIENT_CERT_PATH", "file"),
        ({"TEMPORAL_TLS_CLIENT_CERT_PATH": __file__}, "TEMPORAL_TLS_CLIENT_KEY_PATH", "required"),
        ({"TEMPORAL_TLS_CLIENT_KEY_PATH": __file__}, "TEMPORAL_TLS_CLIENT_KEY_PATH", "CERT_PATH too"),
        ({"DATABASE_URL": "postgresql://a@db/m?sslmode=strict"}, "DATABASE_URL", "sslmode='strict'"),
        ({"MANDATES_CODEC_TOKEN": "short"}, "MANDATES_CODEC_TOKEN", "too short"),
        ({"MANDATES_IDENTITIES": "/no/such/identities.json"}, "MANDATES_IDENTITIES", "file"),
        ({"MANDATES_METRICS_PORT": "0"}, "MANDATES_METRICS_PORT", "greater than or equal to 1"),
    ],
)
def test_a_bad_security_setting_is_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str, reason: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsInvalid) as raised:
        Settings.load()
    message = str(raised.value)
    assert message.startswith(f"invalid setting {variable}: ") and "\n" not in message
    assert reason in message
    assert KEY not in message  # never echoes key material
