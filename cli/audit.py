"""``mandates audit``: the tamper-evident audit log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import typer

from cli.output import print_json
from config.database import connect
from config.settings import Settings
from store.checkpoints import (
    Checkpoint,
    append_checkpoint,
    load_or_create_key,
    read_checkpoints,
    take_checkpoint,
)
from store.verify import Verification, verify_log

app = typer.Typer(help="Inspect and verify the audit event log.")

CHECKPOINTS = typer.Option(
    None, "--checkpoints", help="Checkpoint file (default: <data folder>/checkpoints/audit.jsonl)."
)
KEY = typer.Option(None, "--key-file", help="Checkpoint key (default: <data folder>/checkpoint.key).")


def _paths(settings: Settings, checkpoints: Path | None, key_file: Path | None) -> tuple[Path, Path]:
    return (
        checkpoints or settings.data_path / "checkpoints" / "audit.jsonl",
        key_file or settings.data_path / "checkpoint.key",
    )


async def _verify(settings: Settings, checkpoints: list[Checkpoint]) -> Verification:
    conn = await connect(settings.database_url)
    try:
        return await verify_log(conn, checkpoints)
    finally:
        await conn.close()


@app.command()
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    checkpoints: Path | None = CHECKPOINTS,
    key_file: Path | None = KEY,
) -> None:
    """Recompute the hash chain and check the signed checkpoints; exit 1 and name the
    first bad position if anything breaks."""
    settings = Settings.load()
    checkpoint_file, key_path = _paths(settings, checkpoints, key_file)
    signed: list[Checkpoint] = []
    if checkpoint_file.exists():
        signed = read_checkpoints(checkpoint_file, load_or_create_key(key_path))
    elif checkpoints is not None:
        typer.echo(f"error: no checkpoint file {checkpoint_file}", err=True)
        raise typer.Exit(1)
    result = asyncio.run(_verify(settings, signed))
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        against = f", {result.checkpoints} signed checkpoint(s) hold" if signed else ""
        typer.echo(f"ok: {result.checked} events verified, head at position {result.head_position}{against}")
    else:
        typer.echo(
            f"broken at position {result.first_bad_position} ({result.reason}): {result.detail}; "
            f"{result.checked} events verified before it"
        )
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
