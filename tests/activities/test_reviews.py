"""The calendar's activity appends exactly the staged batch its hash names, at the version the
import was compared with, once; anything else is refused for good and writes nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.reviews import ReviewActivities, ReviewImport
from domain.reviews import REVIEW_STREAM, events_json, parse_reviews_csv, plan_changes
from store import reviews as staging
from store.audit import AuditStore
from tests.support.reviews import calendar_csv

AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


async def staged(pool: asyncpg.Pool, by: str = "coordinator") -> tuple[str, int]:
    rows = parse_reviews_csv(calendar_csv(), "calendar.csv")
    events = plan_changes(rows, {}, by=by, at=AT, source="calendar.csv").events
    text = events_json(events).decode()
    batch = hashlib.sha256(text.encode()).hexdigest()
    await staging.stage_batch(pool, batch, text)
    return batch, len(events)


async def refused(activity: ReviewActivities, request: ReviewImport) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activity.append_review_batch, request)
    assert caught.value.non_retryable
    return caught.value


async def test_the_staged_batch_is_appended_once(pool: asyncpg.Pool) -> None:
    activity = ReviewActivities(AuditStore(pool), pool)
    batch, count = await staged(pool)
    request = ReviewImport(
        batch=batch, events=count, expected_version=0, by="coordinator", source="calendar.csv"
    )
    result = await ActivityEnvironment().run(activity.append_review_batch, request)
    assert (result.version, result.first_position, result.last_position) == (42, 1, 42)
    again = await ActivityEnvironment().run(activity.append_review_batch, request)  # a retry
    assert again == result
    stored = await AuditStore(pool).read_stream(REVIEW_STREAM)
    assert len(stored) == 42 and {s.actor for s in stored} == {"coordinator"}
    assert {s.correlation_id for s in stored} == {f"reviews-import:{batch[:16]}"}


async def test_a_batch_that_is_not_what_was_signed_is_refused(pool: asyncpg.Pool) -> None:
    activity = ReviewActivities(AuditStore(pool), pool)
    batch, count = await staged(pool)
    base = {"batch": batch, "events": count, "expected_version": 0, "by": "coordinator"}
    missing = await refused(activity, ReviewImport(**{**base, "batch": "0" * 64}))
    assert missing.type == "batch_missing"
    assert (await refused(activity, ReviewImport(**{**base, "events": count - 1}))).type == "batch_altered"
    assert (await refused(activity, ReviewImport(**{**base, "by": "someone.else"}))).type == "batch_altered"
    # another text under the hash: as many events, all the caller's, one stage's dates moved
    text = await staging.staged_batch(pool, batch)
    assert text is not None and '"end":"2027-01-23"' in text
    await pool.execute("DELETE FROM review_import_batches")
    await staging.stage_batch(pool, batch, text.replace('"end":"2027-01-23"', '"end":"2027-01-24"', 1))
    assert (await refused(activity, ReviewImport(**base))).type == "batch_altered"
    assert await pool.fetchval("SELECT count(*) FROM audit_events") == 0


async def test_a_calendar_that_moved_is_a_version_conflict(pool: asyncpg.Pool) -> None:
    activity = ReviewActivities(AuditStore(pool), pool)
    batch, count = await staged(pool)
    request = ReviewImport(batch=batch, events=count, expected_version=3, by="coordinator")
    assert (await refused(activity, request)).type == "version_conflict"
    assert await pool.fetchval("SELECT count(*) FROM audit_events") == 0
