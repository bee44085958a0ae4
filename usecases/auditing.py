"""The tamper-evident audit log: verify it, sign its head, read one mandate's events.

The checkpoint key and file live outside the database (the data folder, or the paths
given); a checkpoint is the log's head signed with that key, so ``verify`` also catches
a truncated tail or a whole chain recomputed by someone who owns the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.audit_keys import audit_public_keys
from store.audit import AuditStore, StoredEvent
from store.checkpoints import (
    Checkpoint,
    append_checkpoint,
    load_key,
    load_or_create_key,
    read_checkpoints,
    take_checkpoint,
)
from store.verify import Verification, verify_log
from usecases.engine import Engine
from usecases.errors import NotFound, Refused


def _paths(engine: Engine, checkpoints: Path | None, key_file: Path | None) -> tuple[Path, Path]:
    settings = engine.settings
    return checkpoints or settings.checkpoint_file, key_file or settings.checkpoint_key_file


async def verify(
    engine: Engine, *, checkpoints: Path | None = None, key_file: Path | None = None
) -> Verification:
    """Recompute the hash chain, check every commit's signature (the public keys of
    ``MANDATES_AUDIT_PUBLIC_KEY_FILE``) and hold the log against the signed checkpoints.
    A key file that is missing is said, never made."""
    checkpoint_file, key_path = _paths(engine, checkpoints, key_file)
    signed: list[Checkpoint] = []
    if checkpoint_file.exists():
        signed = read_checkpoints(checkpoint_file, load_key(key_path))
    elif checkpoints is not None:
        raise Refused(f"no checkpoint file {checkpoint_file}")
    elif key_file is not None:
        load_key(key_file)  # says so when it is missing
    keys = audit_public_keys(engine.settings)
    async with (await engine.pool()).acquire() as conn:
        return await verify_log(conn, signed, public_keys=keys)


def recent_checkpoints(engine: Engine, limit: int = 20) -> list[Checkpoint]:
    """The latest signed checkpoints, newest first, each signature checked (none: no file)."""
    checkpoint_file, key_path = _paths(engine, None, None)
    if not checkpoint_file.exists():
        return []
    return read_checkpoints(checkpoint_file, load_key(key_path))[-limit:][::-1]


async def checkpoint(
    engine: Engine, *, checkpoints: Path | None = None, key_file: Path | None = None
) -> tuple[Checkpoint, Path]:
    """Sign the log's current head and append it to the checkpoint file."""
    checkpoint_file, key_path = _paths(engine, checkpoints, key_file)
    key = load_or_create_key(key_path)
    async with (await engine.pool()).acquire() as conn:
        signed = await take_checkpoint(conn, key, engine.now())
    append_checkpoint(checkpoint_file, signed)
    return signed, checkpoint_file


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the audit log holds it, with confidential response text withheld."""
    if payload.get("confidential") and "text" in payload:
        return {**payload, "text": "[confidential]"}
    return payload


async def mandate_log(engine: Engine, mandate_id: str) -> list[StoredEvent]:
    """Every audit event of one mandate, in order (confidential response text withheld)."""
    events = await AuditStore(await engine.pool()).read_stream(mandate_id)
    if not events:
        raise NotFound(f"no audit events for {mandate_id!r} (see `mandates list`)")
    return [e.model_copy(update={"payload": public_payload(e.payload)}) for e in events]
