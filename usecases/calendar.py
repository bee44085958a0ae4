"""Every open deadline as one iCalendar file.

The deadlines come from the audit log: each mandate's stream folded into its state (the
current step's deadline, and the planned deadlines of the steps after it).
"""

from __future__ import annotations

from pydantic import ValidationError

from delivery.notices import CalendarEvent, calendar, open_deadlines
from domain.events import event_of
from domain.state import MandateState, fold
from store.audit import AuditStore, StoredEvent
from usecases.engine import Engine


def states_from(events: list[StoredEvent]) -> list[MandateState]:
    """The state of every mandate stream in ``events`` (streams of other kinds are skipped)."""
    streams: dict[str, list[StoredEvent]] = {}
    for event in events:
        streams.setdefault(event.stream_id, []).append(event)
    states = []
    for stored in streams.values():
        if stored[0].type != "MandateStarted":
            continue  # e.g. a followed paragraph, or a delivery's attempts
        try:
            read = (event_of(e.stream_id, e.type, e.payload, e.occurred_at) for e in stored)
            states.append(fold(e for e in read if e is not None))
        except (ValidationError, KeyError):
            continue  # a stream this build cannot read is left out, not guessed at
    return states


async def open_deadlines_calendar(
    engine: Engine, party: str | None = None
) -> tuple[str, list[CalendarEvent]]:
    """The iCalendar text of every open deadline (of one party, approver, assignee or
    coordinator), and the deadlines it holds."""
    store = AuditStore(await engine.pool())
    events = open_deadlines(states_from([e async for e in store.iterate_all()]), party)
    return calendar(events), events
