"""The review calendar's projection: followed batch by batch (any batch size), rebuilt, or folded
in memory from the audit records, the calendar is the same; answers and imports interleave with
the mandates' events, a revision replaces what an answer gave, and the checkpoint moves with the
rows."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from domain import events as ev
from domain.calendar import ReviewCalendar
from domain.decide import RecordResponse, StartMandate, decide
from domain.reviews import REVIEW_STREAM, Review, parse_reviews_csv, plan_changes, review_payload
from domain.state import fold
from projections.reviews import ReviewsProjector
from store import reviews as tables
from store.audit import AuditStore, NewEvent
from tests.support import cosp7
from tests.support.mandates import make_mandate
from tests.support.questionnaires import GRECO, OECD, good_answers, questionnaire_plan
from tests.support.reviews import calendar_csv, changed_csv

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


async def append_import(store: AuditStore, data: bytes, current: dict) -> None:  # type: ignore[type-arg]
    outcome = plan_changes(parse_reviews_csv(data, "x.csv"), current, by="coordinator", at=T0, source="x.csv")
    version = await store.stream_version(REVIEW_STREAM)
    events = []
    for n, event in enumerate(outcome.events, start=1):
        event_type, payload = review_payload(event)
        events.append(NewEvent(type=event_type, actor="coordinator", occurred_at=T0, payload=payload,
                               idempotency_key=f"{REVIEW_STREAM}:{version + n}"))  # fmt: skip
    await store.append(REVIEW_STREAM, version, events)


async def append_mandate(
    store: AuditStore, mandate_id: str, events: list[ev.MandateEvent], after: int
) -> None:
    new = []
    for n, event in enumerate(events, start=1):
        event_type, payload = ev.to_payload(event)
        new.append(NewEvent(type=event_type, actor=event.actor, occurred_at=event.at, payload=payload,
                            idempotency_key=f"{mandate_id}:{after + n}"))  # fmt: skip
    await store.append(mandate_id, after, new)


async def a_log(pool: asyncpg.Pool) -> AuditStore:
    """The reference resolution's mandates, a calendar imported and changed, and a questionnaire
    answered by two secretariats, one of them twice."""
    store = AuditStore(pool)
    await cosp7.append(pool, cosp7.build())
    await append_import(store, calendar_csv(), {})
    calendar = ReviewCalendar().fold([r async for r in store.iterate_all()])
    current = {
        k: Review(**s.model_dump(include=set(Review.model_fields))) for k, s in calendar.stages.items()
    }
    mandate = make_mandate("projected-questionnaire", questionnaire_plan())
    started = decide(fold([]), StartMandate(mandate=mandate), T0)
    await append_mandate(store, mandate.id, started, 0)
    state = fold(started)
    greco = decide(state, RecordResponse(party=GRECO, text="x", answers=good_answers()), T0)
    await append_mandate(store, mandate.id, greco, state.version)
    await append_import(store, changed_csv(), current)
    state = fold(greco, state)
    revised = good_answers(cost="61000 EUR", schedule=good_answers()["schedule"][:1])
    again = decide(state, RecordResponse(party=GRECO, text="y", answers=revised, revise=True), T0)
    await append_mandate(store, mandate.id, again, state.version)
    state = fold(again, state)
    oecd = decide(state, RecordResponse(party=OECD, text="z", answers=good_answers(cost="70000 EUR")), T0)
    await append_mandate(store, mandate.id, oecd, state.version)
    return store


async def snapshot(pool: asyncpg.Pool) -> tuple:  # type: ignore[type-arg]
    stages = sorted((s.model_dump() for s in await tables.stages(pool)), key=lambda s: s["key"])
    costs = [c.model_dump() for c in await tables.costs(pool)]
    names = sorted(tuple(r) for r in await pool.fetch("SELECT name_key, display FROM rm_review_names"))
    forms = await pool.fetchval("SELECT count(*) FROM rm_review_forms")
    return stages, costs, names, forms


@pytest.mark.parametrize("scan", [1, 7, 20_000])
async def test_followed_in_any_batches_rebuilt_or_folded_the_calendar_is_the_same(
    pool: asyncpg.Pool, scan: int
) -> None:
    store = await a_log(pool)
    projector = ReviewsProjector(pool, scan=scan)
    head = (await store.head())[0]
    assert await projector.catch_up() == head
    assert (await projector.status()).behind == 0
    live = await snapshot(pool)

    folded = ReviewCalendar().fold([r async for r in store.iterate_all()])
    assert [s["key"] for s in live[0]] == sorted(folded.stages)
    assert live[0] == sorted((s.model_dump() for s in folded.stages.values()), key=lambda s: s["key"])
    # 42 imported; GRECO's answer takes over its Austria visit and France report (the same stages);
    # the changes withdraw Sweden's and add Uruguay's; GRECO's revision drops its France report;
    # the OECD's answer adds its own two stages
    assert len(live[0]) == 42 - 1 + 2
    greco = [s for s in live[0] if s["source"].endswith(GRECO)]
    assert [(s["state"], s["end"].isoformat()) for s in greco] == [("Austria", "2027-01-26")]
    assert [(c["mechanism"], str(c["amount"])) for c in live[1]] == [(GRECO, "61000"), (OECD, "70000")]
    assert live[3] == 1

    assert await projector.rebuild() > 0
    assert await snapshot(pool) == live


async def test_a_projector_of_another_shape_rebuilds_and_nothing_half_applied_stays(
    pool: asyncpg.Pool,
) -> None:
    store = await a_log(pool)
    projector = ReviewsProjector(pool)
    await projector.catch_up()
    live = await snapshot(pool)
    await pool.execute("UPDATE projection_checkpoints SET schema = 0 WHERE name = 'reviews'")
    await pool.execute("DELETE FROM rm_reviews WHERE state_key = 'mexico'")
    assert await projector.apply_batch() > 0  # finds another shape: rebuilds
    assert await snapshot(pool) == live
    assert (await projector.status()).position == (await store.head())[0]
