"""The audit activity (activities/audit.py): appends idempotent by version, other events refused."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.audit import AppendEventsInput, AuditActivities
from store.audit import AuditStore
from tests.support.events import STREAM, reminder, response


async def test_an_append_is_idempotent_by_version_and_refuses_other_events(pool: asyncpg.Pool) -> None:
    audit = AuditActivities(AuditStore(pool))
    env = ActivityEnvironment()
    batch = AppendEventsInput(stream_id=STREAM, expected_version=0, events=[response("ours"), reminder(14)])

    first = await env.run(audit.append_mandate_events, batch)
    again = await env.run(audit.append_mandate_events, batch)

    assert first.version == again.version == 2
    stored = await AuditStore(pool).read_stream(STREAM)
    assert [(s.version, s.type, s.actor) for s in stored] == [
        (1, "ResponseReceived", "Austria"),
        (2, "ReminderDue", "mandate-engine"),
    ]
    assert stored[0].payload["confidential"] is True
    with pytest.raises(ApplicationError) as behind:
        await env.run(
            audit.append_mandate_events,
            AppendEventsInput(stream_id=STREAM, expected_version=5, events=[reminder(3)]),
        )
    assert behind.value.type == "version_conflict" and behind.value.non_retryable
    with pytest.raises(ApplicationError) as other:
        await env.run(
            audit.append_mandate_events,
            AppendEventsInput(stream_id=STREAM, expected_version=1, events=[reminder(3)]),
        )
    assert other.value.type == "idempotency_conflict" and other.value.non_retryable
    assert len(await AuditStore(pool).read_stream(STREAM)) == 2
