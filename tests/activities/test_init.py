"""The activities a worker registers (activities/__init__.py)."""

from __future__ import annotations

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities import build_activities
from activities.audit import AppendEventsInput
from store.signing import PublicKeys, Signer
from store.verify import verify_log
from tests.support.events import STREAM, reminder, response


def test_the_worker_gets_every_activity(pool: asyncpg.Pool) -> None:
    names = [fn.__temporal_activity_definition.name for fn in build_activities(pool)]  # type: ignore[attr-defined]

    assert names == ["append_mandate_events", "enqueue_notifications", "append_review_batch"]


async def test_the_worker_signs_its_appends_with_its_key(pool: asyncpg.Pool) -> None:
    signer = Signer.generate()
    append, *_ = build_activities(pool, signer)
    batch = AppendEventsInput(stream_id=STREAM, expected_version=0, events=[response("ours"), reminder(14)])
    await ActivityEnvironment().run(append, batch)
    rows = await pool.fetch("SELECT first_position, last_position, key_id FROM audit_signatures")
    assert [tuple(r.values()) for r in rows] == [(1, 2, signer.key_id)]
    async with pool.acquire() as conn:
        assert (await verify_log(conn, public_keys=PublicKeys.of(signer))).signed == 2
