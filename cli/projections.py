"""``mandates projections``: the read models kept from the audit log."""

from __future__ import annotations

import asyncio

import typer

from cli.output import print_json
from config.database import create_pool
from config.settings import Settings
from projections import CheckpointStatus, Projector

app = typer.Typer(help="Read models kept from the audit log: rebuild them, or see how far they are.")


async def _rebuild() -> tuple[int, CheckpointStatus]:
    pool = await create_pool(Settings.load().database_url, min_size=1, max_size=2)
    try:
        projector = Projector(pool)
        replayed = await projector.rebuild()
        return replayed, await projector.status()
    finally:
        await pool.close()


async def _status() -> CheckpointStatus:
    pool = await create_pool(Settings.load().database_url, min_size=1, max_size=2)
    try:
        return await Projector(pool).status()
    finally:
        await pool.close()


@app.command()
def rebuild() -> None:
    """Drop every read model and rebuild it from the whole audit log, in one transaction."""
    replayed, status = asyncio.run(_rebuild())
    typer.echo(f"rebuilt: {replayed} events replayed; read models at position {status.position}")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How far the read models are: the position applied, the log's head, and the gap."""
    result = asyncio.run(_status())
    if as_json:
        print_json(result.as_dict())
        return
    when = f", last moved {result.updated_at:%Y-%m-%d %H:%M:%S %Z}" if result.updated_at else ""
    state = "up to date" if result.behind == 0 else f"{result.behind} behind"
    typer.echo(f"{result.name}: at position {result.position} of {result.head} ({state}{when})")
