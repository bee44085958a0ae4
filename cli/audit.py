"""``mandates audit``: the tamper-evident audit log."""

from __future__ import annotations

import asyncio

import typer

from cli.output import print_json
from config.database import connect
from config.settings import Settings
from store.verify import Verification, verify_log

app = typer.Typer(help="Inspect and verify the audit event log.")


async def _verify(settings: Settings) -> Verification:
    conn = await connect(settings.database_url)
    try:
        return await verify_log(conn)
    finally:
        await conn.close()


@app.command()
def verify(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Recompute the hash chain; exit 1 and name the first bad position if it breaks."""
    result = asyncio.run(_verify(Settings.load()))
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        typer.echo(f"ok: {result.checked} events verified, head at position {result.head_position}")
    else:
        typer.echo(
            f"broken at position {result.first_bad_position} ({result.reason}): {result.detail}; "
            f"{result.checked} events verified before it"
        )
    if not result.ok:
        raise typer.Exit(1)
