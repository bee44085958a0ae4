"""The read-model fold of the rebuild (projections/fold.py): events read from their stored
text as the domain reads them, and a version skipped stops it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from domain import events as ev
from domain.events import DOMAIN_EVENT_TYPES
from projections import ProjectionInconsistent
from projections.fold import EVENT_READERS, ReadModelFold
from store.audit import AuditStore
from tests.support.read_models import read_log, write_a_varied_log
from tests.support.stories import (
    T0,
    seeded_stories,
)


async def test_events_are_read_from_their_text_as_the_domain_reads_them(audit_store: AuditStore) -> None:
    await write_a_varied_log(audit_store)
    assert set(EVENT_READERS) == DOMAIN_EVENT_TYPES
    for stored in await read_log(audit_store):
        if stored.type in DOMAIN_EVENT_TYPES:
            text = json.dumps(stored.payload)
            read = EVENT_READERS[stored.type](stored.stream_id, text, stored.occurred_at)
            assert read == ev.event_of(stored.stream_id, stored.type, stored.payload, stored.occurred_at)


def test_the_readers_keep_the_cases_where_reading_text_directly_differs() -> None:
    # a Decimal written as a JSON number: json.loads makes it a float first
    task = '{"at": "2027-01-04T09:00:00Z", "step_id": "s", "outcome": "o", "effort_days": 1e2,'
    task += ' "cost": 2.50, "currency": "USD", "by": "j.doe"}'
    read = EVENT_READERS["TaskCompleted"]("s", task, T0)
    live = ev.from_payload("TaskCompleted", json.loads(task))
    assert (
        (str(read.effort_days), str(read.cost)) == (str(live.effort_days), str(live.cost)) == ("100.0", "2.5")
    )
    assert read.effort_days == Decimal(100)
    # a payload holding a type of its own: from_payload goes by the stored type
    overdue = '{"type": "Escalated", "at": "2027-01-04T09:00:00Z", "step_id": "s",'
    overdue += ' "deadline": "2027-01-05T00:00:00Z", "recipients": ["coordinator"]}'
    expected = ev.from_payload("StepOverdue", json.loads(overdue))
    assert EVENT_READERS["StepOverdue"]("s", overdue, T0) == expected
    # and a payload the domain refuses is refused
    with pytest.raises(ValueError):
        EVENT_READERS["StepOverdue"]("s", '{"at": "not a time", "step_id": "s"}', T0)


def test_an_event_that_skips_a_version_stops_the_rebuild() -> None:
    stories = seeded_stories(1, seed=3)
    first, second = stories[0].events[:2]
    fold = ReadModelFold()
    mandate_id = stories[0].mandate_id

    def apply(position: int, version: int, event: ev.MandateEvent) -> bool:
        event_type, payload = ev.to_payload(event)
        return fold.apply(position, mandate_id, version, event_type, event.at, json.dumps(payload))

    assert apply(1, 1, first)
    assert not fold.apply(
        2, "another-stream", 1, second.type, second.at, json.dumps(ev.to_payload(second)[1])
    )
    with pytest.raises(ProjectionInconsistent, match="read model holds version 1"):
        apply(3, 3, second)
