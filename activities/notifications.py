"""The outbox activity: turn reminders, overdue notices and escalations into outbox rows.

One row per recipient, keyed ``<mandate-id>:<event version>:<recipient>``, so a
retried or replayed enqueue writes nothing twice. Payloads carry public facts
only (deadlines, step titles), never response text.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from activities.audit import UNRECORDABLE_ERRORS, idempotency_key, unrecordable
from domain import events as ev
from store.notifications import Notification, NotificationKind, NotificationOutbox


class NotifyInput(BaseModel):
    """Put the notifications of some recorded events in the outbox."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    resolution_symbol: str
    paragraph: int
    step_titles: dict[str, str]
    events: list[ev.RecordedEvent]
    attempts: dict[str, int] = {}  # the round each step is in (a party's answer link names it)


class NotifyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    enqueued: int  # rows written now (0 when a retry found them all there)


def notifications_for(request: NotifyInput) -> list[Notification]:
    """The outbox rows the request's events call for (other events call for none)."""
    rows: list[Notification] = []
    for recorded in request.events:
        event = recorded.event
        match event:
            case ev.ReminderDue():
                kind, due_at, recipients = NotificationKind.REMINDER, event.scheduled_for, event.recipients
                extra = {"days_before": event.days_before}
            case ev.StepOverdue():
                kind, due_at, recipients = NotificationKind.OVERDUE, event.deadline, event.recipients
                extra = {}
            case ev.Escalated():
                kind, due_at, recipients = NotificationKind.ESCALATION, event.scheduled_for, [event.recipient]
                extra = {"escalation": event.escalation}
            case ev.ConsultationOpened():
                kind, due_at, recipients = NotificationKind.REQUEST, event.at, event.parties
                extra = {"closes_at": event.closes_at.isoformat()}
            case ev.ApprovalRequested():
                kind, due_at, recipients = NotificationKind.REQUEST, event.at, event.approvers
                extra = {}
            case _:
                continue
        payload = {
            "resolution_symbol": request.resolution_symbol,
            "paragraph": request.paragraph,
            "step_title": request.step_titles.get(event.step_id, event.step_id),
            "deadline": event.deadline.isoformat(),
            "event_version": recorded.version,
            **({"attempt": request.attempts[event.step_id]} if event.step_id in request.attempts else {}),
            **extra,
        }
        key = idempotency_key(request.mandate_id, recorded.version)
        rows.extend(
            Notification(
                mandate_id=request.mandate_id,
                step_id=event.step_id,
                kind=kind,
                recipient=recipient,
                due_at=due_at,
                idempotency_key=f"{key}:{recipient}",
                payload=payload,
            )
            for recipient in recipients
        )
    return rows


class NotificationActivities:
    """Activities that write the notifications outbox, built once with the worker's outbox."""

    def __init__(self, outbox: NotificationOutbox) -> None:
        self._outbox = outbox

    @activity.defn(name="enqueue_notifications")
    async def enqueue_notifications(self, request: NotifyInput) -> NotifyResult:
        """Insert the rows for the request's events whose keys are new (``unrecordable``,
        not retried, when the database refuses their data)."""
        try:
            return NotifyResult(enqueued=await self._outbox.enqueue(notifications_for(request)))
        except UNRECORDABLE_ERRORS as err:
            raise unrecordable(err, "outbox") from None
