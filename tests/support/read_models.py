"""Reading the read models and the log back, and a varied log to read, for the projection tests."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from domain import events as ev
from domain.events import DOMAIN_EVENT_TYPES, FOLLOWED
from projections import READ_MODEL_TABLES
from store.audit import AuditStore, NewEvent, StoredEvent
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


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[tuple]]:
    """Every row of every read model, sorted, by table."""
    rows = {}
    for table in READ_MODEL_TABLES:
        records = await pool.fetch(f"SELECT * FROM {table}")
        rows[table] = sorted(tuple(r.values()) for r in records)
    return rows


async def checkpoint(pool: asyncpg.Pool) -> int:
    """How far the read models' projector has applied the log."""
    return int(await pool.fetchval("SELECT position FROM projection_checkpoints WHERE name = 'read_models'"))


async def read_log(store: AuditStore) -> list[StoredEvent]:
    """The whole audit log, in order."""
    return [e async for e in store.iterate_all()]


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
