"""The messages that cross a workflow's boundary: one model per message.

Workflow inputs and results, update requests and results, and the signals between
a mandate and its consultations (the activities' inputs are defined with the
activities). New fields get defaults, so running mandates keep deserialising what
they were started with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from domain.decide import (
    Approve,
    CompleteTask,
    Currency,
    ExtendDeadline,
    RecordResponse,
    Reject,
    Withdraw,
    without_absent_answers,
)
from domain.events import Attachment, RecordedEvent
from domain.mandate import Mandate
from domain.plan import StepId
from domain.state import MandateState, MandateStatus
from domain.values import Amount, Comment, Deadline, Name, Text


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
    """How a mandate ended: its status (``withdrawn`` is a status of its own, though Temporal
    shows every mandate that ended as Completed) and one line on it (``progress_line``)."""

    mandate_id: str
    status: MandateStatus
    version: int
    summary: str = ""


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
    """Signal from a consultation to its mandate: events it has just recorded, and the update
    or forwarded command (``causation_id``) they answer, if any."""

    events: list[RecordedEvent]
    causation_id: str | None = None


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


# The requests hold what a person sent, under the rules of domain.values: a request that
# breaks one is refused before its update is accepted (the SDK rejects an update whose
# argument does not validate), so nothing that cannot be recorded reaches the activities.


class RespondRequest(_Message):
    """A consulted party's answer. ``step_id`` defaults to the current consultation.
    ``answers``: its answers to the step's form (``domain.forms``), if any."""

    party: Name
    text: Text
    step_id: StepId | None = None
    revise: bool = False
    attachments: list[Attachment] = []
    by: Name | None = None  # who records it on the party's behalf (a coordinator), if not the party
    answers: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _without_absent_answers(self, handler: SerializerFunctionWrapHandler) -> Any:
        return without_absent_answers(handler(self))

    def to_command(self) -> RecordResponse:
        return RecordResponse(
            party=self.party,
            text=self.text,
            step_id=self.step_id,
            revise=self.revise,
            attachments=self.attachments,
            by=self.by,
            answers=self.answers,
        )


class ApproveRequest(_Message):
    by: Name
    comment: Comment = ""
    step_id: StepId | None = None

    def to_command(self) -> Approve:
        return Approve(by=self.by, comment=self.comment, step_id=self.step_id)


class RejectRequest(_Message):
    by: Name
    comment: Text
    step_id: StepId | None = None

    def to_command(self) -> Reject:
        return Reject(by=self.by, comment=self.comment, step_id=self.step_id)


class CompleteTaskRequest(_Message):
    by: Name
    outcome: Text
    effort_days: Amount = Decimal(0)
    cost: Amount = Decimal(0)
    currency: Currency = "USD"
    step_id: StepId | None = None

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
    by: Name
    until: Deadline
    reason: Text
    step_id: StepId | None = None

    def to_command(self) -> ExtendDeadline:
        return ExtendDeadline(until=self.until, reason=self.reason, by=self.by, step_id=self.step_id)


class WithdrawRequest(_Message):
    by: Name
    reason: Text

    def to_command(self) -> Withdraw:
        return Withdraw(reason=self.reason, by=self.by)


class UpdateResult(_Message):
    """What an accepted update led to."""

    version: int
    status: MandateStatus
    current_step: str | None
    events: list[str]  # the types of the events it recorded, in order
