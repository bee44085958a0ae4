"""The activities on their own: idempotent appends and outbox writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import build_activities
from activities.audit import AppendEventsInput, AuditActivities
from activities.notifications import NotificationActivities, NotifyInput, notifications_for
from domain import events as ev
from store.audit import AuditStore
from store.notifications import NotificationKind, NotificationOutbox
from store.signing import PublicKeys, Signer
from store.verify import verify_log

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
STREAM = "mandate-cosp-7-para-3"


def reminder(days_before: int) -> ev.ReminderDue:
    deadline = T0 + 30 * DAY
    return ev.ReminderDue(
        step_id="consult",
        recipients=["Austria", "Mexico"],
        deadline=deadline,
        days_before=days_before,
        scheduled_for=deadline - days_before * DAY,
        at=deadline - days_before * DAY,
    )


def response(text: str) -> ev.ResponseReceived:
    return ev.ResponseReceived(step_id="consult", party="Austria", text=text, confidential=True, at=T0)


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


async def test_outbox_rows_are_written_once_per_recipient(pool: asyncpg.Pool) -> None:
    outbox = NotificationActivities(NotificationOutbox(pool))
    request = NotifyInput(
        mandate_id=STREAM,
        resolution_symbol="7/6",
        paragraph=3,
        step_titles={"consult": "Consult"},
        events=[
            ev.RecordedEvent(version=4, event=reminder(14)),
            ev.RecordedEvent(version=5, event=response("not a notification")),
        ],
    )

    first = await ActivityEnvironment().run(outbox.enqueue_notifications, request)
    again = await ActivityEnvironment().run(outbox.enqueue_notifications, request)

    assert (first.enqueued, again.enqueued) == (2, 0)
    rows = await NotificationOutbox(pool).for_mandate(STREAM)
    assert [(r.kind, r.recipient, r.due_at, r.idempotency_key) for r in rows] == [
        (NotificationKind.REMINDER, "Austria", T0 + 16 * DAY, f"{STREAM}:4:Austria"),
        (NotificationKind.REMINDER, "Mexico", T0 + 16 * DAY, f"{STREAM}:4:Mexico"),
    ]
    assert rows[0].payload == {
        "resolution_symbol": "7/6",
        "paragraph": 3,
        "step_title": "Consult",
        "deadline": (T0 + 30 * DAY).isoformat(),
        "event_version": 4,
        "days_before": 14,
    }
    assert await NotificationOutbox(pool).unsent(T0 + 20 * DAY) == rows
    assert await NotificationOutbox(pool).unsent(T0) == []


def test_only_reminders_overdue_notices_and_escalations_make_notifications() -> None:
    escalated = ev.Escalated(
        step_id="consult",
        recipient="coordinator",
        deadline=T0,
        escalation=2,
        scheduled_for=T0 + 14 * DAY,
        at=T0 + 14 * DAY,
    )
    overdue = ev.StepOverdue(step_id="consult", deadline=T0, recipients=["Mexico"], at=T0)
    rows = notifications_for(
        NotifyInput(
            mandate_id=STREAM,
            resolution_symbol="7/6",
            paragraph=3,
            step_titles={},
            events=[
                ev.RecordedEvent(version=7, event=overdue),
                ev.RecordedEvent(version=8, event=escalated),
                ev.RecordedEvent(version=9, event=response("secret")),
            ],
        )
    )

    assert [(r.kind, r.recipient, r.due_at) for r in rows] == [
        (NotificationKind.OVERDUE, "Mexico", T0),
        (NotificationKind.ESCALATION, "coordinator", T0 + 14 * DAY),
    ]
    assert rows[1].payload["escalation"] == 2 and rows[1].payload["step_title"] == "consult"


async def test_the_worker_signs_its_appends_with_its_key(pool: asyncpg.Pool) -> None:
    signer = Signer.generate()
    append, _ = build_activities(pool, signer)
    batch = AppendEventsInput(stream_id=STREAM, expected_version=0, events=[response("ours"), reminder(14)])
    await ActivityEnvironment().run(append, batch)
    rows = await pool.fetch("SELECT first_position, last_position, key_id FROM audit_signatures")
    assert [tuple(r.values()) for r in rows] == [(1, 2, signer.key_id)]
    async with pool.acquire() as conn:
        assert (await verify_log(conn, public_keys=PublicKeys.of(signer))).signed == 2


def test_the_worker_gets_both_activities(pool: asyncpg.Pool) -> None:
    names = [fn.__temporal_activity_definition.name for fn in build_activities(pool)]  # type: ignore[attr-defined]

    assert names == ["append_mandate_events", "enqueue_notifications"]
