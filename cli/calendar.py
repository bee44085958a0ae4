"""``mandates calendar``: every open deadline as one iCalendar file.

The deadlines come from the audit log: each mandate's stream folded into its state (the
current step's deadline, and the planned deadlines of the steps after it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from pydantic import ValidationError

from config.database import create_pool
from config.settings import Settings
from domain.events import from_payload
from domain.notices import calendar, open_deadlines
from domain.state import MandateState, fold
from store.audit import AuditStore, StoredEvent


def states_from(events: list[StoredEvent]) -> list[MandateState]:
    """The state of every mandate stream in ``events`` (streams of other kinds are skipped)."""
    streams: dict[str, list[StoredEvent]] = {}
    for event in events:
        streams.setdefault(event.stream_id, []).append(event)
    states = []
    for stored in streams.values():
        if stored[0].type != "MandateStarted":
            continue  # e.g. a delivery's attempts
        try:
            states.append(fold(from_payload(e.type, e.payload) for e in stored))
        except (ValidationError, KeyError):
            continue  # a stream this build cannot read is left out, not guessed at
    return states


async def read_states(settings: Settings) -> list[MandateState]:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        store = AuditStore(pool)
        return states_from([e async for e in store.iterate_all()])
    finally:
        await pool.close()


def calendar_command(
    out: Path = typer.Option(..., "--out", help="The .ics file to write."),
    party: str | None = typer.Option(
        None, "--party", help="Only the deadlines of this party, approver, assignee or coordinator."
    ),
) -> None:
    """Export all open deadlines as one calendar (.ics) file."""
    states = asyncio.run(read_states(Settings.load()))
    events = open_deadlines(states, party)
    out.write_text(calendar(events), encoding="utf-8", newline="")
    whose = f" for {party}" if party else ""
    typer.echo(f"{len(events)} open deadline{'s' if len(events) != 1 else ''}{whose} written to {out}")
