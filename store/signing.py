"""Signatures of the audit log's commits: Ed25519, made by the process that appends.

A commit is what one call of an append function writes (migration 007): the events of one
append, or of one group of the group commit (``store/audit.py``). The process that appends
signs the content hashes of the commit's events, in order (``commit_message``), once per
commit, with a private key the database never sees; the append function stores the
signature, its key's id and the positions the commit took, in the transaction that writes
the events. A content hash covers its event's stream and version, so a signature binds
exactly the events its signer wrote: an event written by anyone else lies in no validly
signed commit, and ``mandates audit verify`` names it (``CommitCoverage``, below).

Keys are PEM files: a private key in PKCS#8 (``openssl genpkey -algorithm ed25519``), public
keys as SubjectPublicKeyInfo (``openssl pkey -pubout``), several in one file while keys are
rotated. A key's id comes from its public key (the first 16 hex digits of the SHA-256 of its
32 raw bytes), so a verifier finds the key of a signature without being told.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.errors import DomainError

SIGNATURE_BYTES = 64
_PUBLIC_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class SigningKeyInvalid(DomainError):
    """A signing or public key file is missing, unreadable, too open, or not an Ed25519 key."""

    code = "signing_key_invalid"


def key_id(public_key: Ed25519PublicKey) -> str:
    """The id a key's signatures are stored under."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def commit_message(signer_key_id: str, content_hashes: Sequence[str]) -> bytes:
    """What a commit's signature is over: its key's id, its number of events and the SHA-256
    of their content hashes in position order (each 64 hex digits, so simply concatenated)."""
    digest = hashlib.sha256("".join(content_hashes).encode("ascii")).hexdigest()
    return f"mandates-audit-commit-v1|{signer_key_id}|{len(content_hashes)}|{digest}".encode()


class Signer:
    """Signs commits with one Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    def sign(self, content_hashes: Sequence[str]) -> bytes:
        """The signature of a commit of events with these content hashes, in order."""
        return self._key.sign(commit_message(self.key_id, content_hashes))

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_pem(self) -> bytes:
        return public_pem(self.public_key)


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return public_key.public_bytes(serialization.Encoding.PEM, spki)


Check = Literal["valid", "invalid", "unknown-key"]


class PublicKeys:
    """The public keys a verifier accepts, by key id (any of them may have signed a commit)."""

    def __init__(self, keys: Iterable[Ed25519PublicKey] = (), source: str = "") -> None:
        self._keys = {key_id(k): k for k in keys}
        self.source = source
        """Where the keys come from (a file), for messages; empty when no key was given."""

    @classmethod
    def of(cls, *signers: Signer) -> PublicKeys:
        return cls([s.public_key for s in signers], source="the signers' keys")

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def check(self, signer_key_id: str, signature: bytes, content_hashes: Sequence[str]) -> Check:
        key = self._keys.get(signer_key_id)
        if key is None:
            return "unknown-key"
        try:
            key.verify(signature, commit_message(signer_key_id, content_hashes))
        except InvalidSignature:
            return "invalid"
        return "valid"


# --- key files -------------------------------------------------------------------


def load_signer(path: Path) -> Signer:
    """The private key in ``path`` (PEM, PKCS#8, readable by its owner only).

    Raises:
        SigningKeyInvalid: one line naming the file and what is wrong with it.
    """
    try:
        if path.stat().st_mode & 0o077:
            raise SigningKeyInvalid(f"audit signing key {path} is readable by others: chmod 600 {path}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyInvalid(f"audit signing key {path} is missing") from None
    except OSError as exc:
        raise SigningKeyInvalid(f"cannot read audit signing key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SigningKeyInvalid(f"audit signing key {path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyInvalid(f"audit signing key {path} is not an Ed25519 key")
    return Signer(key)


def load_or_create_signer(private_path: Path, public_path: Path) -> Signer:
    """The dev stack's key pair: the private key in ``private_path``, made (mode 0600) when
    missing, and its public key written to ``public_path`` when that is missing.

    Creation is atomic (a fully written file is linked into place), so processes starting
    together agree on one key.
    """
    if not private_path.exists():
        _create(private_path, Signer.generate().private_pem(), 0o600)
    signer = load_signer(private_path)
    if not public_path.exists():
        _create(public_path, signer.public_pem(), 0o644)
    return signer


def _create(path: Path, content: bytes, mode: int) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.chmod(temporary, mode)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    except OSError as exc:
        raise SigningKeyInvalid(f"cannot create {path}: {exc.strerror or exc}") from None


def load_public_keys(path: Path) -> PublicKeys:
    """Every public key in ``path`` (PEM blocks, one per key).

    Raises:
        SigningKeyInvalid: the file is missing or unreadable, or holds no Ed25519 public key.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyInvalid(f"audit public key file {path} is missing") from None
    except OSError as exc:
        raise SigningKeyInvalid(f"cannot read audit public key file {path}: {exc.strerror or exc}") from None
    keys = []
    for number, block in enumerate(_PUBLIC_PEM.findall(data), start=1):
        try:
            key = serialization.load_pem_public_key(block)
        except (ValueError, UnsupportedAlgorithm):
            raise SigningKeyInvalid(f"{path}: public key {number} is not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyInvalid(f"{path}: public key {number} is not an Ed25519 key")
        keys.append(key)
    if not keys:
        raise SigningKeyInvalid(f"audit public key file {path} holds no PEM public key")
    return PublicKeys(keys, source=str(path))


# --- which events valid signatures cover ---------------------------------------------

Uncovered = Literal["unsigned", "bad-signature", "unknown-key"]


@dataclass(frozen=True, slots=True)
class CommitSignature:
    """A stored signature: the positions its commit took, and by which key."""

    last_position: int
    key_id: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """The first events that no valid signature covers: from ``position`` to ``last_position``
    (a whole commit whose signature fails, or one unsigned event)."""

    position: int
    last_position: int
    reason: Uncovered
    detail: str


@dataclass
class _Commit:
    first: int
    signature: CommitSignature
    hashes: list[str] = field(default_factory=list)
    broken: str | None = None  # why its events cannot be the ones signed


class CommitCoverage:
    """Walks the log's events in position order with the signatures that start at them and
    counts the events covered by valid signatures.

    An event is covered when it lies in exactly one commit (a signature's positions), every
    position of that commit holds an event, and the signature verifies over their content
    hashes as they are now. Events before ``signed_from`` (written before signing existed)
    may be unsigned; any other event no valid signature covers is a gap, and the first one is
    kept with the reason.
    """

    def __init__(self, keys: PublicKeys, signed_from: int) -> None:
        self.keys = keys
        self.signed_from = signed_from
        self.signed = 0
        self.signed_by: dict[str, int] = {}
        self.before_signing = 0
        self.first_gap: CoverageGap | None = None
        self._open: _Commit | None = None

    def event(self, position: int, content_hash: str | None, signature: CommitSignature | None) -> None:
        """The next event; ``content_hash`` None when it cannot be computed (a malformed payload)."""
        commit = self._open
        if commit is not None and signature is not None:
            self._close(commit, f"position {position} starts another commit inside it")
        elif commit is not None and position > commit.signature.last_position:
            self._close(commit, f"positions {commit.first + len(commit.hashes)}..{position - 1} are missing")
            commit = None
        if signature is not None:
            commit = self._open = _Commit(position, signature)
        elif commit is None:
            if position < self.signed_from:
                self.before_signing += 1
            else:
                self._gap(position, position, "unsigned", "no signature covers the event")
            return
        expected = commit.first + len(commit.hashes)
        if position != expected and commit.broken is None:
            commit.broken = f"position {expected} is missing"
        if content_hash is None and commit.broken is None:
            commit.broken = f"the payload at position {position} cannot be read"
        commit.hashes.append(content_hash or "")
        if position >= commit.signature.last_position:
            self._close(commit)

    def finish(self) -> None:
        """After the last event: a commit still open lost its last events."""
        if self._open is not None:
            commit = self._open
            end = commit.first + len(commit.hashes) - 1
            self._close(commit, f"the log ends at position {end}")

    def _close(self, commit: _Commit, cut_short: str | None = None) -> None:
        self._open = None
        signed = commit.signature
        last = signed.last_position
        span = f"positions {commit.first}..{last}" if last > commit.first else f"position {commit.first}"
        broken = cut_short or commit.broken
        if broken is not None:
            self._gap(commit.first, last, "bad-signature", f"the signed commit of {span} is broken: {broken}")
            return
        outcome = self.keys.check(signed.key_id, signed.signature, commit.hashes)
        if outcome == "valid":
            self.signed += len(commit.hashes)
            self.signed_by[signed.key_id] = self.signed_by.get(signed.key_id, 0) + len(commit.hashes)
        elif outcome == "unknown-key":
            known = (
                f"is not among the public keys of {self.keys.source}"
                if self.keys.source
                else "is unknown: no public key was given"
            )
            self._gap(
                commit.first,
                last,
                "unknown-key",
                f"the commit of {span} is signed with key {signed.key_id}, which {known}",
            )
        else:
            self._gap(
                commit.first,
                last,
                "bad-signature",
                f"the signature of the commit of {span} (key {signed.key_id}) does not verify",
            )

    def _gap(self, position: int, last: int, reason: Uncovered, detail: str) -> None:
        if self.first_gap is None:
            self.first_gap = CoverageGap(position, last, reason, detail)
