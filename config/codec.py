"""The payload codec: AES-256-GCM over every payload before it leaves the process.

Workflow inputs, results, update arguments, activity inputs, queries, memo,
summaries and (through the failure converter) failure messages and stack traces
reach the Temporal server as ``binary/encrypted`` payloads. Search attributes
and workflow ids are not payloads and stay readable: they must never carry
anything confidential (``workflows/search_attributes.py``).

An encrypted payload is the serialized original payload, sealed with the
active key: ``data = nonce (12 bytes) || ciphertext+tag``; its metadata names
the key (``encryption-key-id``), which is also bound into the tag as associated
data, so a payload re-labelled with another key id fails to open. Old keys
still decrypt: rotate by adding a key and making it active, keeping the old ones
as long as histories written with them are kept. Payloads without the
``binary/encrypted`` encoding pass through unchanged (histories recorded before
encryption was turned on still replay).

Keys come from ``MANDATES_CODEC_KEYS`` ("kid1:base64key,kid2:base64key") and
``MANDATES_CODEC_KEY_ID`` (the active one). With neither set, the embedded dev
stack's key file ``<data folder>/codec-keys`` (mode 0600, created once) is used,
so the dev stack and the tests encrypt too.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from domain.errors import DomainError

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
CIPHER_METADATA = "encryption-cipher"
CIPHER = b"AES-256-GCM"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_FILE = "codec-keys"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CodecKeysInvalid(DomainError):
    """A codec key setting or key file cannot be used."""

    code = "codec_keys_invalid"


class PayloadUndecryptable(DomainError):
    """A payload names a key this process does not hold, or fails authentication."""

    code = "payload_undecryptable"


def parse_keys(text: str) -> dict[str, bytes]:
    """``"kid1:base64key,kid2:base64key"`` as ``{kid: key}`` (never echoing key material).

    Raises:
        ValueError: a malformed entry, a repeated id, or a key that is not 32 bytes.
    """
    keys: dict[str, bytes] = {}
    entries = [e.strip() for e in re.split(r"[,\n]", text) if e.strip()]
    if not entries:
        raise ValueError("no keys given")
    for number, entry in enumerate(entries, start=1):
        kid, sep, encoded = entry.partition(":")
        kid = kid.strip()
        if not sep or not _KEY_ID.match(kid):
            raise ValueError(f"entry {number} is not 'kid:base64key' (kid: letters, digits, . _ -)")
        if kid in keys:
            raise ValueError(f"key id {kid!r} appears twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            raise ValueError(f"the key of {kid!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"the key of {kid!r} is {len(key)} bytes, not {KEY_BYTES} (AES-256)")
        keys[kid] = key
    return keys


def format_keys(keys: Mapping[str, bytes]) -> str:
    """The ``MANDATES_CODEC_KEYS`` form of ``keys``."""
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in keys.items())


@dataclass(frozen=True)
class KeyRing:
    """The keys this process may decrypt with, and the one it encrypts with."""

    keys: Mapping[str, bytes] = field(repr=False)
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"no key with id {self.active!r}")

    @classmethod
    def generate(cls, kid: str | None = None) -> KeyRing:
        """A ring with one fresh random key."""
        kid = kid or f"k-{secrets.token_hex(4)}"
        return cls({kid: secrets.token_bytes(KEY_BYTES)}, kid)

    def with_new_active(self, kid: str | None = None) -> KeyRing:
        """This ring plus a fresh key that becomes the active one (a rotation)."""
        fresh = KeyRing.generate(kid)
        return KeyRing({**self.keys, **fresh.keys}, fresh.active)


REFUSED_PAYLOAD = Payload(
    metadata={"encoding": b"json/plain"}, data=b'{"refused": "a payload that is not encrypted"}'
)
"""What an unencrypted payload decodes to in a strict codec: a value no message of the
engine accepts, so the signal carrying it is dropped and the update refused."""


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM payload codec with key ids (see the module docstring).

    ``strict`` (the engine's clients and workers): a payload that arrives unencrypted was
    not written by the engine (every payload it writes is encrypted), so it is read as
    ``REFUSED_PAYLOAD`` and counted in ``refused``; the codec server is not strict, so
    the Web UI still shows such a payload for what it is.
    """

    def __init__(self, ring: KeyRing, *, strict: bool = False) -> None:
        super().__init__()
        self._ring = ring
        self._ciphers = {kid: AESGCM(key) for kid, key in ring.keys.items()}
        self._strict = strict
        self.refused = 0

    @property
    def active_key_id(self) -> str:
        return self._ring.active

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return self.encode_sync(payloads)

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return self.decode_sync(payloads)

    def encode_sync(self, payloads: Iterable[Payload]) -> list[Payload]:
        kid = self._ring.active
        cipher = self._ciphers[kid]
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), _associated(kid))
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID_METADATA: kid.encode(), CIPHER_METADATA: CIPHER},
                    data=nonce + sealed,
                )
            )
        return out

    def decode_sync(self, payloads: Iterable[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                if self._strict:
                    self.refused += 1
                    out.append(REFUSED_PAYLOAD)
                else:
                    out.append(payload)
                continue
            kid = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
            cipher = self._ciphers.get(kid)
            if cipher is None:
                raise PayloadUndecryptable(f"payload encrypted with key id {kid!r}, which this process lacks")
            data = payload.data
            try:
                plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _associated(kid))
            except InvalidTag:
                raise PayloadUndecryptable(
                    f"payload under key id {kid!r} fails authentication (tampered or wrong key)"
                ) from None
            out.append(Payload.FromString(plain))
        return out


def _associated(kid: str) -> bytes:
    return b"mandates-payload-v1|" + kid.encode()


# --- where the keys come from ---------------------------------------------------


def load_key_ring(
    keys_text: str | None,
    key_id: str | None,
    path: Path,
    *,
    may_create: bool,
    variable: str = "MANDATES_CODEC_KEYS",
) -> KeyRing:
    """The key ring of ``MANDATES_CODEC_KEYS`` (``keys_text``, with ``key_id`` active), or of
    the dev key file ``path`` (``Settings.key_ring`` passes the settings' values).

    With no keys given, the file is read, and created (mode 0600) when ``may_create``
    (the embedded dev stack). A real Temporal server with neither is an error: a key
    made up on one machine would leave the others unable to read anything.

    Raises:
        CodecKeysInvalid: one line naming the variable or file to fix.
    """
    if keys_text is not None:
        keys = parse_keys(keys_text)  # validated by Settings
        return KeyRing(keys, key_id or next(iter(keys)))
    if not path.exists() and not may_create:
        raise CodecKeysInvalid(
            f"invalid setting {variable}: required with TEMPORAL_ADDRESS; there is no dev key file {path}"
        )
    text = load_or_create_secret(path, lambda: format_keys(KeyRing.generate().keys).replace(",", "\n"))
    try:
        keys = parse_keys(text)
    except ValueError as exc:
        raise CodecKeysInvalid(f"codec key file {path}: {exc}") from None
    return KeyRing(keys, list(keys)[-1])  # the last line is the active key


def load_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """The text of a secret file, created once with mode 0600 by ``make()`` when missing.

    Creation is atomic (a fully written temporary file is linked into place), so a
    worker and a CLI starting together agree on one secret.

    Raises:
        CodecKeysInvalid: the file is readable by others, or cannot be read or written.
    """
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(fd, "w") as out:
                    out.write(make() + "\n")
                os.chmod(temporary, 0o600)
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    pass  # another process made it first: use theirs
            finally:
                os.unlink(temporary)
        mode = path.stat().st_mode
        if mode & 0o077:
            raise CodecKeysInvalid(f"secret file {path} is readable by others: chmod 600 {path}")
        return path.read_text()
    except OSError as exc:
        raise CodecKeysInvalid(f"cannot read or create {path}: {exc.strerror or exc}") from None
