"""Events of one mandate's consultation, as the activities receive them."""

from __future__ import annotations

from datetime import timedelta

from domain import events as ev
from tests.support.mandates import T0

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
