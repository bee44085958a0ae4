"""``mandates calendar``: every open deadline as one iCalendar file."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.output import echo, fail, run
from usecases.calendar import open_deadlines_calendar
from usecases.files import write_whole


def calendar_command(
    out: Path = typer.Option(..., "--out", help="The .ics file to write."),
    party: str | None = typer.Option(
        None, "--party", help="Only the deadlines of this party, approver, assignee or coordinator."
    ),
) -> None:
    """Export all open deadlines as one calendar (.ics) file."""
    text, events = run(lambda engine: open_deadlines_calendar(engine, party))
    try:
        write_whole(out, text.encode("utf-8"))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    whose = f" for {party}" if party else ""
    echo(f"{len(events)} open deadline{'s' if len(events) != 1 else ''}{whose} written to {out}")
