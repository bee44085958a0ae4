"""Signed checkpoints of the audit log, kept outside the database.

A checkpoint is the log's head (position and hash) at a moment, signed with
HMAC-SHA256 under a key the database never sees. Verifying the log against the
last checkpoint detects what the chain alone cannot: a truncated tail (with the
head row rewritten to match) or a whole chain recomputed from a forged point.
The checkpoint file is JSON lines, one checkpoint a line, appended to.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import structlog

from domain.errors import DomainError
from domain.values import moment
from store.chain import timestamp_text

log = structlog.get_logger("checkpoints")


class CheckpointInvalid(DomainError):
    """A checkpoint file is unreadable, or a checkpoint's signature does not verify."""

    code = "checkpoint_invalid"


@dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: str
    taken_at: str
    mac: str

    @staticmethod
    def message(position: int, head_hash: str, taken_at: str) -> bytes:
        return f"mandates-audit-checkpoint|{position}|{head_hash}|{taken_at}".encode()

    @classmethod
    def sign(cls, key: bytes, position: int, head_hash: str, taken_at: datetime) -> Checkpoint:
        at = timestamp_text(taken_at)
        mac = hmac.new(key, cls.message(position, head_hash, at), hashlib.sha256).hexdigest()
        return cls(position, head_hash, at, mac)

    def verifies(self, key: bytes) -> bool:
        expected = hmac.new(key, self.message(self.position, self.hash, self.taken_at), hashlib.sha256)
        return hmac.compare_digest(expected.hexdigest(), self.mac)


def load_key(path: Path) -> bytes:
    """The checkpoint key in ``path`` (base64); never made up (to verify, it must be the one
    the checkpoints were signed with)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CheckpointInvalid(f"checkpoint key file {path} is missing") from None
    except OSError as exc:
        raise CheckpointInvalid(f"cannot read checkpoint key file {path}: {exc.strerror or exc}") from None
    try:
        return base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise CheckpointInvalid(f"checkpoint key file {path} is not base64") from None


def load_or_create_key(path: Path) -> bytes:
    """The checkpoint key in ``path`` (base64), created with mode 0600 when missing."""
    if path.exists():
        return load_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(base64.b64encode(key).decode() + "\n")
    return key


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(checkpoint), sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())


def read_checkpoints(path: Path, key: bytes) -> list[Checkpoint]:
    """Every checkpoint in the file, each signature verified."""
    checkpoints = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CheckpointInvalid(f"cannot read checkpoint file {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoint = Checkpoint(**json.loads(line))
        except (ValueError, TypeError):
            raise CheckpointInvalid(f"{path}:{number}: not a checkpoint") from None
        if not checkpoint.verifies(key):
            raise CheckpointInvalid(f"{path}:{number}: the signature does not verify")
        checkpoints.append(checkpoint)
    return checkpoints


async def take_checkpoint(conn: asyncpg.Connection, key: bytes, now: datetime) -> Checkpoint:
    """Sign the log's current head."""
    head = await conn.fetchrow("SELECT position, hash FROM audit_head")
    return Checkpoint.sign(key, int(head["position"]), str(head["hash"]), now)


@dataclass(frozen=True)
class CheckpointMismatch:
    position: int
    reason: str
    detail: str


async def check_against(conn: asyncpg.Connection, checkpoint: Checkpoint) -> CheckpointMismatch | None:
    """Whether the log still holds, at the checkpoint's position, the hash it had."""
    if checkpoint.position == 0:
        return None
    stored = await conn.fetchval("SELECT hash FROM audit_events WHERE position = $1", checkpoint.position)
    if stored is None:
        last = await conn.fetchval("SELECT coalesce(max(position), 0) FROM audit_events")
        return CheckpointMismatch(
            last + 1,
            "truncated",
            f"the checkpoint of {_when(checkpoint.taken_at)} records position {checkpoint.position}, "
            f"but the log ends at {last}",
        )
    if stored != checkpoint.hash:
        return CheckpointMismatch(
            checkpoint.position,
            "rewritten",
            f"the hash at position {checkpoint.position} differs from the one signed "
            f"at {_when(checkpoint.taken_at)}",
        )
    return None


def _when(taken_at: str) -> str:
    """A checkpoint's time as messages print it (to the minute)."""
    try:
        return moment(datetime.fromisoformat(taken_at))
    except ValueError:
        return taken_at


def _last_position(file: Path, key: bytes) -> int:
    signed = read_checkpoints(file, key) if file.exists() else []
    return signed[-1].position if signed else -1


@contextlib.asynccontextmanager
async def checkpoints_running(
    pool: asyncpg.Pool, file: Path, key_file: Path, interval: float
) -> AsyncIterator[None]:
    """Sign the log's head into ``file`` every ``interval`` seconds while the block runs,
    whenever the head has moved (nothing when ``interval`` is 0)."""
    if interval <= 0:
        yield
        return
    key = load_or_create_key(key_file)
    stop = asyncio.Event()

    async def loop() -> None:
        last = _last_position(file, key)
        while not stop.is_set():
            try:
                async with pool.acquire() as conn:
                    checkpoint = await take_checkpoint(conn, key, datetime.now(UTC))
                if checkpoint.position != last:
                    append_checkpoint(file, checkpoint)
                    last = checkpoint.position
                    log.info("audit checkpoint", position=checkpoint.position)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("audit checkpoint failed; will retry", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    task = asyncio.create_task(loop(), name="audit-checkpoints")
    try:
        yield
    finally:
        stop.set()
        await task
