"""``mandates projections``: the read models kept from the audit log."""

from __future__ import annotations

import typer

from cli.output import commands, echo, print_json, run
from usecases.reading import projection_status, rebuild_projections

app = commands(help="Read models kept from the audit log: rebuild them, or see how far they are.")


@app.command()
def rebuild() -> None:
    """Drop every read model and rebuild it from the whole audit log, in one transaction."""
    replayed, status = run(rebuild_projections)
    echo(f"rebuilt: {replayed} events replayed; read models at position {status.position}")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How far the read models are: the position applied, the log's head, and the gap."""
    result = run(projection_status)
    if as_json:
        print_json(result.as_dict())
        return
    when = f", last moved {result.updated_at:%Y-%m-%d %H:%M:%S %Z}" if result.updated_at else ""
    state = "up to date" if result.behind == 0 else f"{result.behind} behind"
    echo(f"{result.name}: at position {result.position} of {result.head} ({state}{when})")
