"""The rebuild (projections/projector.py) folds the whole log in memory and writes each row
once: it must leave exactly the rows the live projector leaves, batch by batch."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal

import asyncpg
import pytest

from domain import events as ev
from domain.events import DOMAIN_EVENT_TYPES, FOLLOWED
from projections import READ_MODEL_TABLES, ProjectionInconsistent, Projector
from projections.fold import EVENT_READERS, ReadModelFold
from projections.projector import rebuild_read_models
from store.audit import AuditStore, NewEvent
from store.read_models import TABLES, truncate
from tests.support.read_models import checkpoint, read_log, snapshot
from tests.support.stories import (
    T0,
    Story,
    append_batches,
    append_followed,
    followed_payload,
    interleaved,
    new_events,
    seeded_stories,
)


async def write_a_varied_log(store: AuditStore) -> None:
    """Thirty mandates with every domain event type, interleaved; followed paragraphs (one
    named by another stream); events the domain would not decide; events of types the read
    models do not know, on a mandate and on another stream."""
    stories = seeded_stories(30, seed=41)
    assert {e.type for s in stories for e in s.events} == DOMAIN_EVENT_TYPES - {FOLLOWED}
    batches = interleaved(stories)
    await append_batches(store, batches[: len(batches) // 2])
    for paragraph in (31, 32):
        await append_followed(store, "gen", paragraph, T0)
    await store.append(
        "resolution-gen",
        0,
        [
            NewEvent(
                type="ResolutionImported", actor="importer", occurred_at=T0, payload={}, idempotency_key="r1"
            ),
            NewEvent(
                type="MandateFollowed",
                actor="importer",
                occurred_at=T0 + timedelta(minutes=1),
                payload=followed_payload("gen", 33, text="Invites the Conference ..."),
                idempotency_key="r2",
            ),
        ],
    )
    await append_batches(store, batches[len(batches) // 2 :])
    await append_followed(store, "gen", 34, T0 + timedelta(days=400))
    consulting = [
        s for s in stories[1:] if any(step.type == "consultation" for step in s.state.steps.values())
    ]
    await append_what_the_domain_would_not_decide(store, consulting[0], consulting[1])
    story = stories[0]
    await store.append(
        story.mandate_id,
        story.state.version,
        [
            NewEvent(
                type="NotificationDelivered",
                actor="mailer",
                occurred_at=T0 + timedelta(days=401),
                payload={"to": "someone"},
                idempotency_key=f"{story.mandate_id}:delivered",
            )
        ],
    )


async def append_what_the_domain_would_not_decide(store: AuditStore, story: Story, other: Story) -> None:
    """Events the statements handle although the domain does not decide them: an answer from a
    party never consulted; a step overdue and completed before its deadline; a consultation
    opened again without one of its parties (whose row goes)."""
    steps = story.state.steps.values()
    consultation = next(s.step_id for s in steps if s.type == "consultation")
    task = next(s.step_id for s in steps if s.type != "consultation")
    at = story.now + timedelta(days=1)
    deadline = at + timedelta(days=10)
    events: list[ev.MandateEvent] = [
        ev.ResponseReceived(
            at=at, step_id=consultation, party="Never consulted", text="?", confidential=False
        ),
        ev.StepStarted(at=at, step_id=task, deadline=deadline, attempt=2),
        ev.StepOverdue(at=at + timedelta(days=1), step_id=task, deadline=deadline, recipients=[]),
        ev.StepCompleted(at=at + timedelta(days=2), step_id=task),
    ]
    version = story.state.version
    await store.append(story.mandate_id, version, new_events(story.mandate_id, version + 1, events))

    step = next(s for s in other.state.steps.values() if s.type == "consultation")
    assert len(step.parties) > 1
    at = other.now + timedelta(days=1)
    opened = ev.ConsultationOpened(
        at=at, step_id=step.step_id, parties=list(step.parties)[1:], deadline=at + timedelta(days=30),
        closes_at=at + timedelta(days=30), confidential=False,
    )  # fmt: skip
    version = other.state.version
    await store.append(other.mandate_id, version, new_events(other.mandate_id, version + 1, [opened]))


async def live_rows(pool: asyncpg.Pool) -> dict[str, list[tuple]]:
    await Projector(pool, batch_size=64).catch_up()
    return await snapshot(pool)


async def test_a_rebuild_leaves_the_rows_the_live_projector_leaves(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    assert live["rm_mandates"] and live["rm_approvals"] and live["rm_costs"]
    head, _ = await audit_store.head()
    seen: list[int] = []
    assert await Projector(pool).rebuild(progress=seen.append) == head
    assert await snapshot(pool) == live
    assert await checkpoint(pool) == head
    assert seen[-1] == head


@pytest.mark.parametrize(("page_size", "hold"), [(1, 1), (37, 4), (200, 12)])
async def test_rows_written_out_and_taken_back_mid_rebuild_end_the_same(
    pool: asyncpg.Pool, audit_store: AuditStore, page_size: int, hold: int
) -> None:
    """With few mandates held, rows are written early and taken back out when a later event
    of their mandate comes; the tables end as the live projector leaves them."""
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    async with pool.acquire() as conn, conn.transaction():
        await truncate(conn)
        replayed, position = await rebuild_read_models(conn, page_size=page_size, hold=hold)
    head, _ = await audit_store.head()
    assert (replayed, position) == (head, head)
    assert await snapshot(pool) == live


async def test_a_cancelled_rebuild_leaves_the_read_models_as_they_were(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    before = await checkpoint(pool)

    def cancel_after_the_first_page(replayed: int) -> None:
        rebuilding.cancel()

    rebuilding = asyncio.create_task(Projector(pool).rebuild(progress=cancel_after_the_first_page))
    with pytest.raises(asyncio.CancelledError):
        await rebuilding
    assert await snapshot(pool) == live
    assert await checkpoint(pool) == before


async def test_a_rebuild_that_fails_midway_leaves_the_read_models_as_they_were(
    pool: asyncpg.Pool, audit_store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fold fails while the next page is being read: the read ends, then all rolls back."""
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    real_apply = ReadModelFold.apply
    applied = 0

    def apply_then_fail(fold: ReadModelFold, *row: object) -> bool:
        nonlocal applied
        applied += 1
        if applied == 150:
            raise ProjectionInconsistent("made to fail")
        return real_apply(fold, *row)  # type: ignore[arg-type]

    monkeypatch.setattr(ReadModelFold, "apply", apply_then_fail)
    async with pool.acquire() as conn:
        with pytest.raises(ProjectionInconsistent, match="made to fail"):
            async with conn.transaction():
                await truncate(conn)
                await rebuild_read_models(conn, page_size=100)
        assert await conn.fetchval("SELECT 1") == 1  # the connection is usable
    assert await snapshot(pool) == live


async def test_each_table_has_the_columns_its_rows_are_written_in(pool: asyncpg.Pool) -> None:
    assert set(TABLES) == set(READ_MODEL_TABLES)
    for table, columns in TABLES.items():
        names = await pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
            " ORDER BY ordinal_position",
            table,
        )
        assert list(columns) == [r["column_name"] for r in names], table


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
