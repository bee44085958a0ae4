"""The messages that cross a workflow's boundary: one model per message.

Workflow inputs and results, update requests and results, and the signals between
a mandate and its consultations (the activities' inputs are defined with the
activities). New fields get defaults, so running mandates keep deserialising what
they were started with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.decide import (
    Approve,
    CompleteTask,
    ExtendDeadline,
    RecordResponse,
    Reject,
    Text,
    Who,
    Withdraw,
)
from domain.events import RecordedEvent
from domain.mandate import Mandate
from domain.state import MandateState, MandateStatus


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Sealed(_Message):
    """A message the engine's workflows send each other: ``seal`` is set by the sender's
    worker and checked by the receiver's (``workflows.sealing``)."""

    seal: str | None = None


# --- workflow inputs and results ----------------------------------------------


HISTORY_LIMIT = 4_000
"""Events a workflow run may hold before it continues as new (where it safely can: between
steps for a mandate, between commands for a consultation). Far below Temporal's limits
(a warning at 10,240 events, termination at 51,200); explicit because a server may never
suggest continuing as new. ``start_mandate`` gives every new mandate this limit in its
input; runs whose input has none (begun before it existed) go on as they always did."""

HistoryLimit = Annotated[int, Field(ge=100)] | None


class MandateInput(_Sealed):
    """Starts ``MandateWorkflow``; ``carried`` is set only by continue-as-new."""

    mandate: Mandate
    carried: MandateState | None = None
    history_limit: HistoryLimit = None


class MandateResult(_Message):
    mandate_id: str
    status: MandateStatus
    version: int


class ConsultationInput(_Sealed):
    """Starts ``ConsultationWorkflow`` with the mandate's state at hand-over."""

    state: MandateState
    step_id: str
    history_limit: HistoryLimit = None


class ConsultationResult(_Message):
    step_id: str
    version: int  # the mandate stream's version when the consultation handed back
    stopped: bool = False  # the mandate asked it to stop (withdrawal)
    events: list[RecordedEvent] = []  # what this run recorded (also signalled as it went)


class ConsultationProgress(_Sealed):
    """Signal from a consultation to its mandate: events it has just recorded."""

    events: list[RecordedEvent]


class ForwardedCommand(_Sealed):
    """Signal from a mandate to its running consultation: a command it validated."""

    command: Annotated[RecordResponse | ExtendDeadline, Field(discriminator="type")]
    causation_id: str | None = None


class ForwardRefused(_Sealed):
    """Signal from a consultation to its mandate: a forwarded command it had to refuse."""

    causation_id: str
    code: str
    message: str


class StopConsultation(_Sealed):
    """Signal from a mandate to its running consultation: hand back, record nothing more."""

    reason: Literal["withdrawal"] = "withdrawal"


# --- updates ------------------------------------------------------------------


class RespondRequest(_Message):
    """A consulted party's answer. ``step_id`` defaults to the current consultation."""

    party: Who
    text: Text
    step_id: str | None = None

    def to_command(self) -> RecordResponse:
        return RecordResponse(party=self.party, text=self.text, step_id=self.step_id)


class ApproveRequest(_Message):
    by: Who
    comment: str = ""
    step_id: str | None = None

    def to_command(self) -> Approve:
        return Approve(by=self.by, comment=self.comment, step_id=self.step_id)


class RejectRequest(_Message):
    by: Who
    comment: Text
    step_id: str | None = None

    def to_command(self) -> Reject:
        return Reject(by=self.by, comment=self.comment, step_id=self.step_id)


class CompleteTaskRequest(_Message):
    by: Who
    outcome: Text
    effort_days: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    cost: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    step_id: str | None = None

    def to_command(self) -> CompleteTask:
        return CompleteTask(
            by=self.by,
            outcome=self.outcome,
            effort_days=self.effort_days,
            cost=self.cost,
            currency=self.currency,
            step_id=self.step_id,
        )


class ExtendDeadlineRequest(_Message):
    by: Who
    until: AwareDatetime
    reason: Text
    step_id: str | None = None

    def to_command(self) -> ExtendDeadline:
        return ExtendDeadline(until=self.until, reason=self.reason, by=self.by, step_id=self.step_id)


class WithdrawRequest(_Message):
    by: Who
    reason: Text

    def to_command(self) -> Withdraw:
        return Withdraw(reason=self.reason, by=self.by)


class UpdateResult(_Message):
    """What an accepted update led to."""

    version: int
    status: MandateStatus
    current_step: str | None
    events: list[str]  # the types of the events it recorded, in order
