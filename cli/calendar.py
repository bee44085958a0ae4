"""``mandates calendar``: every open deadline, or the review calendar, as one iCalendar file."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.output import echo, fail, run
from usecases import reviews
from usecases.calendar import open_deadlines_calendar
from usecases.files import write_whole


def calendar_command(
    out: Path = typer.Option(..., "--out", help="The .ics file to write."),
    party: str | None = typer.Option(
        None, "--party", help="Only the deadlines of this party, approver, assignee or coordinator."
    ),
    review_calendar: bool = typer.Option(
        False, "--reviews", help="The review calendar of the mechanisms instead of the deadlines."
    ),
    state: str | None = typer.Option(None, "--state", help="With --reviews: only this State's reviews."),
) -> None:
    """Export all open deadlines (or, with --reviews, the review calendar: confidential reviews left
    out) as one calendar (.ics) file."""
    if not review_calendar and state is not None:
        fail("--state goes with --reviews", code=2)
    if review_calendar and party is not None:
        fail("--party goes with the deadlines, not --reviews", code=2)
    if review_calendar:
        exported = run(lambda engine: reviews.reviews_calendar(engine, state=state))
        text, count = exported.text, exported.entries
        what = "review stage" if count == 1 else "review stages"
        hidden = f" ({exported.hidden} confidential left out)" if exported.hidden else ""
        summary = f"{count} {what}{f' of {state}' if state else ''}{hidden}"
    else:
        text, events = run(lambda engine: open_deadlines_calendar(engine, party))
        whose = f" for {party}" if party else ""
        summary = f"{len(events)} open deadline{'s' if len(events) != 1 else ''}{whose}"
    try:
        write_whole(out, text.encode("utf-8"))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    echo(f"{summary} written to {out}")
