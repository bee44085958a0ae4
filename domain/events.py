"""Domain events: one frozen model for every transition of a mandate.

Each event names what happened, to which step, and when (``at``, passed in by
whoever decided it). ``to_payload``/``from_payload`` turn events into the
audit store's ``(type, payload)`` and back.

Confidentiality: a ``ResponseReceived`` for a confidential consultation keeps
its text (the audit store is the secure store) and says ``confidential: true``
so that reports can count responses without printing them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.mandate import Mandate

ENGINE = "mandate-engine"
"""The actor of events no person caused (timers, hand-over between steps)."""


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime

    @property
    def actor(self) -> str:
        """Who caused the event: the person or party, or the engine itself."""
        for name in ("by", "party"):
            value = getattr(self, name, None)
            if isinstance(value, str):
                return value
        return ENGINE


class MandateStarted(_Event):
    type: Literal["MandateStarted"] = "MandateStarted"
    mandate: Mandate  # with its plan resolved: every deadline absolute


class StepStarted(_Event):
    type: Literal["StepStarted"] = "StepStarted"
    step_id: str
    deadline: AwareDatetime
    attempt: int = 1


class ConsultationOpened(_Event):
    type: Literal["ConsultationOpened"] = "ConsultationOpened"
    step_id: str
    parties: list[str]
    deadline: AwareDatetime
    closes_at: AwareDatetime
    confidential: bool


class ResponseReceived(_Event):
    type: Literal["ResponseReceived"] = "ResponseReceived"
    step_id: str
    party: str
    text: str
    confidential: bool


class ReminderDue(_Event):
    type: Literal["ReminderDue"] = "ReminderDue"
    step_id: str
    recipients: list[str]
    deadline: AwareDatetime
    days_before: int
    scheduled_for: AwareDatetime


class DeadlineExtended(_Event):
    type: Literal["DeadlineExtended"] = "DeadlineExtended"
    step_id: str
    previous: AwareDatetime
    until: AwareDatetime
    closes_at: AwareDatetime | None = None  # a consultation's new closing time
    reason: str
    by: str


class StepOverdue(_Event):
    type: Literal["StepOverdue"] = "StepOverdue"
    step_id: str
    deadline: AwareDatetime
    recipients: list[str]


class Escalated(_Event):
    type: Literal["Escalated"] = "Escalated"
    step_id: str
    recipient: str
    deadline: AwareDatetime
    escalation: int  # 1 for the first escalation of this deadline
    scheduled_for: AwareDatetime


class ApprovalRequested(_Event):
    type: Literal["ApprovalRequested"] = "ApprovalRequested"
    step_id: str
    approvers: list[str]
    rule: Literal["all", "any"]
    deadline: AwareDatetime


class Approved(_Event):
    type: Literal["Approved"] = "Approved"
    step_id: str
    by: str
    comment: str = ""


class Rejected(_Event):
    type: Literal["Rejected"] = "Rejected"
    step_id: str
    by: str
    comment: str
    go_to: str


class TaskCompleted(_Event):
    type: Literal["TaskCompleted"] = "TaskCompleted"
    step_id: str
    outcome: str
    effort_days: Decimal
    cost: Decimal
    currency: str
    by: str


class StepCompleted(_Event):
    type: Literal["StepCompleted"] = "StepCompleted"
    step_id: str
    outcome: str = ""


class ConsultationClosed(_Event):
    type: Literal["ConsultationClosed"] = "ConsultationClosed"
    step_id: str
    respondents: list[str]
    non_respondents: list[str]
    reason: Literal["all_answered", "deadline"]


class MandateCompleted(_Event):
    type: Literal["MandateCompleted"] = "MandateCompleted"


class MandateWithdrawn(_Event):
    type: Literal["MandateWithdrawn"] = "MandateWithdrawn"
    reason: str
    by: str


MandateEvent = Annotated[
    MandateStarted
    | StepStarted
    | ConsultationOpened
    | ResponseReceived
    | ReminderDue
    | DeadlineExtended
    | StepOverdue
    | Escalated
    | ApprovalRequested
    | Approved
    | Rejected
    | TaskCompleted
    | StepCompleted
    | ConsultationClosed
    | MandateCompleted
    | MandateWithdrawn,
    Field(discriminator="type"),
]


class RecordedEvent(BaseModel):
    """An event and the version it has in its mandate's audit stream."""

    model_config = ConfigDict(frozen=True)

    version: int
    event: MandateEvent


_ADAPTER: TypeAdapter[MandateEvent] = TypeAdapter(MandateEvent)
NOTIFYING = ("ReminderDue", "StepOverdue", "Escalated")
"""Event types that also put notifications in the outbox."""


def to_payload(event: MandateEvent) -> tuple[str, dict[str, Any]]:
    """The audit store's ``(type, payload)`` for an event; the payload is plain JSON."""
    payload = event.model_dump(mode="json", exclude={"type"})
    return event.type, payload


def from_payload(event_type: str, payload: dict[str, Any]) -> MandateEvent:
    """The event an audit record holds (inverse of ``to_payload``)."""
    return _ADAPTER.validate_python({**payload, "type": event_type})
