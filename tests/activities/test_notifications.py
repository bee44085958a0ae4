"""The notification activity (activities/notifications.py): outbox rows written once per
recipient, for requests, reminders, overdue notices and escalations (never for an answer)."""

from __future__ import annotations

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities, NotifyInput, notifications_for
from domain import events as ev
from store.notifications import NotificationKind, NotificationOutbox
from tests.support.events import DAY, STREAM, T0, reminder, response


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


def test_reminders_overdue_notices_and_escalations_make_notifications_and_answers_none() -> None:
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


def test_a_request_tells_each_party_or_approver_and_names_the_round() -> None:
    opened = ev.ConsultationOpened(
        step_id="consult", parties=["Austria", "GRECO"], deadline=T0 + 30 * DAY,
        closes_at=T0 + 40 * DAY, confidential=False, at=T0,
    )  # fmt: skip
    asked = ev.ApprovalRequested(
        step_id="approve", approvers=["chief"], rule="all", deadline=T0 + 50 * DAY, at=T0 + 41 * DAY
    )
    rows = notifications_for(
        NotifyInput(
            mandate_id=STREAM,
            resolution_symbol="7/6",
            paragraph=3,
            step_titles={"consult": "Consult"},
            events=[ev.RecordedEvent(version=3, event=opened), ev.RecordedEvent(version=9, event=asked)],
            attempts={"consult": 2, "approve": 1},
        )
    )

    assert [(r.kind, r.recipient, r.due_at) for r in rows] == [
        (NotificationKind.REQUEST, "Austria", T0),
        (NotificationKind.REQUEST, "GRECO", T0),
        (NotificationKind.REQUEST, "chief", T0 + 41 * DAY),
    ]
    assert rows[0].payload["attempt"] == 2 and rows[2].payload["attempt"] == 1  # (the answer link's round)
    assert rows[0].payload["closes_at"] == (T0 + 40 * DAY).isoformat()
