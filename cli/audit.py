"""``mandates audit``: the tamper-evident audit log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import typer

from cli.output import fail, print_json, table
from config.audit_keys import audit_public_keys
from config.database import connect, create_pool
from config.settings import Settings
from domain.progress_report import describe_event
from store.audit import AuditStore, StoredEvent
from store.checkpoints import (
    Checkpoint,
    append_checkpoint,
    load_key,
    load_or_create_key,
    read_checkpoints,
    take_checkpoint,
)
from store.signing import PublicKeys
from store.verify import Verification, verify_log

app = typer.Typer(help="Inspect and verify the audit event log.")

CHECKPOINTS = typer.Option(
    None, "--checkpoints", help="Checkpoint file (default: <data folder>/checkpoints/audit.jsonl)."
)
KEY = typer.Option(None, "--key-file", help="Checkpoint key (default: <data folder>/checkpoint.key).")


def _paths(settings: Settings, checkpoints: Path | None, key_file: Path | None) -> tuple[Path, Path]:
    return checkpoints or settings.checkpoint_file, key_file or settings.checkpoint_key_file


async def _verify(settings: Settings, checkpoints: list[Checkpoint], keys: PublicKeys) -> Verification:
    conn = await connect(settings.database_url)
    try:
        return await verify_log(conn, checkpoints, public_keys=keys)
    finally:
        await conn.close()


@app.command()
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    checkpoints: Path | None = CHECKPOINTS,
    key_file: Path | None = KEY,
) -> None:
    """Recompute the hash chain, check the signature of every commit (public keys:
    MANDATES_AUDIT_PUBLIC_KEY_FILE) and the signed checkpoints; exit 1 and name the first bad
    position if anything breaks."""
    settings = Settings.load()
    checkpoint_file, key_path = _paths(settings, checkpoints, key_file)
    signed: list[Checkpoint] = []
    if checkpoint_file.exists():
        signed = read_checkpoints(checkpoint_file, load_key(key_path))
    elif checkpoints is not None:
        typer.echo(f"error: no checkpoint file {checkpoint_file}", err=True)
        raise typer.Exit(1)
    elif key_file is not None:
        load_key(key_file)  # says so when it is missing
    result = asyncio.run(_verify(settings, signed, audit_public_keys(settings)))
    if as_json:
        print_json(result.as_dict())
    else:
        typer.echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def checkpoint(checkpoints: Path | None = CHECKPOINTS, key_file: Path | None = KEY) -> None:
    """Sign the log's current head and append it to the checkpoint file (outside the database)."""
    settings = Settings.load()
    checkpoint_file, key_path = _paths(settings, checkpoints, key_file)
    key = load_or_create_key(key_path)

    async def take() -> Checkpoint:
        conn = await connect(settings.database_url)
        try:
            return await take_checkpoint(conn, key, datetime.now(UTC))
        finally:
            await conn.close()

    signed = asyncio.run(take())
    append_checkpoint(checkpoint_file, signed)
    typer.echo(f"checkpoint at position {signed.position} appended to {checkpoint_file}")


def _public_payload(payload: dict) -> dict:
    """The payload as the audit log holds it, with confidential response text withheld."""
    if payload.get("confidential") and "text" in payload:
        return {**payload, "text": "[confidential]"}
    return payload


@app.command("log")
def log_(
    mandate_id: str = typer.Argument(..., metavar="ID", help="The mandate id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every audit event of one mandate, in order, with its position and hash."""
    settings = Settings.load()

    async def read() -> list[StoredEvent]:
        pool = await create_pool(settings.database_url, max_size=1)
        try:
            return await AuditStore(pool).read_stream(mandate_id)
        finally:
            await pool.close()

    events = asyncio.run(read())
    if not events:
        fail(f"no audit events for {mandate_id!r} (see `mandates list`)")
    if as_json:
        print_json([
            {
                "position": e.position, "version": e.version, "type": e.type, "actor": e.actor,
                "occurred_at": e.occurred_at.isoformat(), "recorded_at": e.recorded_at.isoformat(),
                "payload": _public_payload(e.payload), "idempotency_key": e.idempotency_key,
                "prev_hash": e.prev_hash, "hash": e.hash,
            }
            for e in events
        ])  # fmt: skip
        return
    rows = [
        (e.position, e.version, e.occurred_at.strftime("%Y-%m-%d %H:%M"), e.type, e.actor,
         describe_event(e.type, e.payload), e.hash[:12])
        for e in events
    ]  # fmt: skip
    typer.echo(table(["pos", "ver", "at (UTC)", "event", "actor", "what", "hash"], rows))
