"""Commands and ``decide``: what a command leads to, or why it is refused.

``decide(state, command, now)`` is pure: it reads the state, returns the events
the command causes (possibly several: an approval that completes a step also
starts the next one) and never changes ``state``. A refused command raises a
``DomainError`` subclass whose ``code`` is stable and whose message is one
line with nothing confidential in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from domain import events as ev
from domain.deadlines import Alarm, AlarmKind, escalation_time
from domain.errors import DomainError
from domain.forms import AnswersInvalid, validate_answers
from domain.mandate import Mandate
from domain.plan import ApprovalStep, ConsultationStep, ReportStep, StepId, start_of_day
from domain.state import MandateState, MandateStatus, StepState, StepStatus, evolve
from domain.values import Amount, Comment, Deadline, Name, Text, listing, matching_name, moment

# --- refusals ---------------------------------------------------------------


class MandateNotActive(DomainError):
    code = "mandate_not_active"


class MandateAlreadyStarted(DomainError):
    code = "mandate_already_started"


class StepNotPending(DomainError):
    code = "step_not_pending"


class NotAnApprover(DomainError):
    code = "not_an_approver"


class AlreadyApproved(DomainError):
    code = "already_approved"


class UnknownParty(DomainError):
    code = "unknown_party"


class AlreadyResponded(DomainError):
    code = "already_responded"


class ConsultationClosed(DomainError):
    code = "consultation_closed"


class DeadlineNotLater(DomainError):
    code = "deadline_not_later"


class AlarmNotDue(DomainError):
    """A timer-driven command that no longer applies (the state moved on)."""

    code = "alarm_not_due"


REFUSALS: tuple[type[DomainError], ...] = (
    MandateNotActive,
    MandateAlreadyStarted,
    StepNotPending,
    NotAnApprover,
    AlreadyApproved,
    UnknownParty,
    AlreadyResponded,
    ConsultationClosed,
    DeadlineNotLater,
    AlarmNotDue,
    AnswersInvalid,
)

# --- commands ---------------------------------------------------------------

# What a person gives a command is refused here when it cannot be stored or computed with
# (domain.values): one line, before anything is decided or recorded.
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartMandate(_Command):
    type: Literal["StartMandate"] = "StartMandate"
    mandate: Mandate


class RecordResponse(_Command):
    """A consulted party's answer (``step_id``: the consultation; default the current step).

    ``answers``: its answers to the step's form (question and table ids to values), checked
    against the form (``domain.forms.validate_answers``) and recorded canonical."""

    type: Literal["RecordResponse"] = "RecordResponse"
    party: Name
    text: Text
    step_id: StepId | None = None
    revise: bool = False  # replace the party's earlier answer (refused without it)
    attachments: list[ev.Attachment] = []
    by: Name | None = None  # who records it on the party's behalf (a coordinator), if not the party
    answers: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _without_absent_answers(self, handler: SerializerFunctionWrapHandler) -> Any:
        return without_absent_answers(handler(self))


def without_absent_answers(data: Any) -> Any:
    """A serialised answer without an ``answers`` key when it has none: as messages were
    before forms existed (so that a caller's signature over them is the same either way)."""
    if isinstance(data, dict) and data.get("answers", ...) is None:
        del data["answers"]
    return data


class Approve(_Command):
    type: Literal["Approve"] = "Approve"
    by: Name
    comment: Comment = ""
    step_id: StepId | None = None


class Reject(_Command):
    type: Literal["Reject"] = "Reject"
    by: Name
    comment: Text
    step_id: StepId | None = None


class CompleteTask(_Command):
    """A task or report is done: what came of it, and the effort and cost it took."""

    type: Literal["CompleteTask"] = "CompleteTask"
    by: Name
    outcome: Text
    effort_days: Amount = Decimal(0)
    cost: Amount = Decimal(0)
    currency: Currency = "USD"
    step_id: StepId | None = None


class ExtendDeadline(_Command):
    """The current step's deadline moves later. ``move_later_steps``: the later steps' planned
    deadlines move with it (the workflows ask for it; extensions decided before they did
    moved nothing, and must replay so)."""

    type: Literal["ExtendDeadline"] = "ExtendDeadline"
    until: Deadline
    reason: Text
    by: Name
    step_id: StepId | None = None
    move_later_steps: bool = False


class Withdraw(_Command):
    type: Literal["Withdraw"] = "Withdraw"
    reason: Text
    by: Name


class ReminderFired(_Command):
    type: Literal["ReminderFired"] = "ReminderFired"
    step_id: str
    days_before: int


class DeadlineReached(_Command):
    type: Literal["DeadlineReached"] = "DeadlineReached"
    step_id: str


class EscalationDue(_Command):
    type: Literal["EscalationDue"] = "EscalationDue"
    step_id: str
    escalation: int


class ConsultationDeadlinePassed(_Command):
    type: Literal["ConsultationDeadlinePassed"] = "ConsultationDeadlinePassed"
    step_id: str


Command = Annotated[
    StartMandate
    | RecordResponse
    | Approve
    | Reject
    | CompleteTask
    | ExtendDeadline
    | Withdraw
    | ReminderFired
    | DeadlineReached
    | EscalationDue
    | ConsultationDeadlinePassed,
    Field(discriminator="type"),
]


def command_for(alarm: Alarm) -> Command:
    """The timer-driven command an alarm stands for."""
    match alarm.kind:
        case AlarmKind.REMINDER:
            assert alarm.days_before is not None
            return ReminderFired(step_id=alarm.step_id, days_before=alarm.days_before)
        case AlarmKind.OVERDUE:
            return DeadlineReached(step_id=alarm.step_id)
        case AlarmKind.ESCALATION:
            assert alarm.escalation is not None
            return EscalationDue(step_id=alarm.step_id, escalation=alarm.escalation)
        case AlarmKind.CLOSE:
            return ConsultationDeadlinePassed(step_id=alarm.step_id)


# --- decide -----------------------------------------------------------------


class _Batch:
    """Events decided so far, and the state they lead to."""

    def __init__(self, state: MandateState) -> None:
        self.state = state
        self.events: list[ev.MandateEvent] = []

    def add(self, event: ev.MandateEvent) -> None:
        self.events.append(event)
        self.state = evolve(self.state, event)

    @property
    def mandate(self) -> Mandate:
        assert self.state.mandate is not None
        return self.state.mandate


def decide(state: MandateState, command: Command, now: datetime) -> list[ev.MandateEvent]:
    """The events ``command`` causes at ``now``.

    Raises:
        DomainError: a subclass saying why the command is refused.
    """
    if isinstance(command, StartMandate):
        return _start(state, command.mandate, now)
    if not state.is_active:
        raise MandateNotActive(f"the mandate is {state.status.value}")
    batch = _Batch(state)
    match command:
        case RecordResponse():
            _respond(batch, command, now)
        case Approve():
            _approve(batch, command, now)
        case Reject():
            _reject(batch, command, now)
        case CompleteTask():
            _complete(batch, command, now)
        case ExtendDeadline():
            _extend(batch, command, now)
        case Withdraw():
            batch.add(ev.MandateWithdrawn(reason=command.reason, by=command.by, at=now))
        case ReminderFired() | DeadlineReached() | EscalationDue() | ConsultationDeadlinePassed():
            _alarm(batch, command, now)
        case _:
            raise TypeError(f"not a mandate command: {command!r}")
    return batch.events


def _start(state: MandateState, mandate: Mandate, now: datetime) -> list[ev.MandateEvent]:
    if state.status is not MandateStatus.NOT_STARTED:
        raise MandateAlreadyStarted(f"mandate {state.mandate_id} has already started")
    resolved = mandate.model_copy(update={"plan": mandate.plan.resolve(now)})
    batch = _Batch(state)
    batch.add(ev.MandateStarted(mandate=resolved, at=now))
    _start_step(batch, resolved.plan.steps[0].id, now)
    return batch.events


def _start_step(batch: _Batch, step_id: str, now: datetime) -> None:
    mandate = batch.mandate
    planned = mandate.plan.step(step_id)
    step = batch.state.steps[step_id]
    deadline = step.planned_due
    if deadline <= now:
        deadline = now + timedelta(days=mandate.plan.deadlines.late_start_days)
    batch.add(ev.StepStarted(step_id=step_id, deadline=deadline, attempt=step.attempt + 1, at=now))
    if isinstance(planned, ConsultationStep):
        batch.add(
            ev.ConsultationOpened(
                step_id=step_id,
                parties=list(planned.parties),
                deadline=deadline,
                closes_at=deadline + timedelta(days=planned.grace_days),
                confidential=planned.confidential or mandate.confidential,
                at=now,
            )
        )
    elif isinstance(planned, ApprovalStep):
        batch.add(
            ev.ApprovalRequested(
                step_id=step_id,
                approvers=list(planned.approvers),
                rule=planned.rule,
                deadline=deadline,
                at=now,
            )
        )


def _finish_step(batch: _Batch, step_id: str, outcome: str, now: datetime) -> None:
    """Complete the step, then start the next one or complete the mandate."""
    batch.add(ev.StepCompleted(step_id=step_id, outcome=outcome, at=now))
    ids = batch.mandate.plan.step_ids()
    position = ids.index(step_id)
    if position + 1 < len(ids):
        _start_step(batch, ids[position + 1], now)
    else:
        batch.add(ev.MandateCompleted(at=now))


def _a(noun: str) -> str:
    """The noun with its indefinite article: "an approval", "a task"."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _where(state: MandateState) -> str:
    """Where the mandate stands, for a refusal: its current step and what kind it is."""
    current = state.active_step()
    if current is None:
        return "no step of this mandate is under way"
    return f"the current step is {current.step_id!r} ({_a(current.type)})"


def _current(state: MandateState, step_id: str | None, types: tuple[str, ...]) -> StepState:
    """The step a person's command acts on: the current one, of one of ``types`` (and the
    step the person named, when they named one)."""
    current = state.active_step()
    wanted = " or ".join(types)
    if step_id is not None:
        if step_id not in state.steps:
            raise StepNotPending(f"there is no step {step_id!r} in this mandate's plan; {_where(state)}")
        if current is None or current.step_id != step_id:
            step = state.steps[step_id]
            if step.type == "consultation" and step.status is StepStatus.COMPLETED:
                raise ConsultationClosed(f"consultation {step_id!r} is closed; {_where(state)}")
            raise StepNotPending(
                f"step {step_id!r} is not the current step (it is {step.status.value}); {_where(state)}"
            )
    if current is None:
        raise StepNotPending("no step of this mandate is under way")
    if current.type not in types:
        raise StepNotPending(f"the current step {current.step_id!r} is {_a(current.type)}, not {_a(wanted)}")
    return current


def _approvers(batch: _Batch, step: StepState, by: str) -> tuple[ApprovalStep, str]:
    """The approval step's plan, and the approver ``by`` names (matched as ``matching_name``)."""
    planned = batch.mandate.plan.step(step.step_id)
    assert isinstance(planned, ApprovalStep)
    approver = matching_name(by, planned.approvers)
    if approver is None:
        raise NotAnApprover(
            f"{by!r} is not an approver of step {step.step_id!r} (approvers: {listing(planned.approvers)})"
        )
    return planned, approver


def _approve(batch: _Batch, cmd: Approve, now: datetime) -> None:
    step = _current(batch.state, cmd.step_id, ("approval",))
    planned, by = _approvers(batch, step, cmd.by)
    if by in step.approvals:
        raise AlreadyApproved(f"{by!r} has already approved step {step.step_id!r}")
    batch.add(ev.Approved(step_id=step.step_id, by=by, comment=cmd.comment, at=now))
    approvals = set(batch.state.steps[step.step_id].approvals)
    if planned.rule == "any" or approvals >= set(planned.approvers):
        _finish_step(batch, step.step_id, "approved", now)


def _reject(batch: _Batch, cmd: Reject, now: datetime) -> None:
    step = _current(batch.state, cmd.step_id, ("approval",))
    planned, by = _approvers(batch, step, cmd.by)
    ids = batch.mandate.plan.step_ids()
    position = ids.index(step.step_id)
    go_to = planned.on_reject_go_to or ids[max(position - 1, 0)]
    batch.add(ev.Rejected(step_id=step.step_id, by=by, comment=cmd.comment, go_to=go_to, at=now))
    _start_step(batch, go_to, now)


def _complete(batch: _Batch, cmd: CompleteTask, now: datetime) -> None:
    step = _current(batch.state, cmd.step_id, ("task", "report"))
    batch.add(
        ev.TaskCompleted(
            step_id=step.step_id,
            outcome=cmd.outcome,
            effort_days=cmd.effort_days,
            cost=cmd.cost,
            currency=cmd.currency,
            by=cmd.by,
            at=now,
        )
    )
    _finish_step(batch, step.step_id, cmd.outcome, now)


def consulted_party(step: StepState, party: str) -> str | None:
    """The party of the consultation ``party`` names (``matching_name``), or None."""
    return matching_name(party, step.parties)


def _respond(batch: _Batch, cmd: RecordResponse, now: datetime) -> None:
    step = _current(batch.state, cmd.step_id, ("consultation",))
    party = consulted_party(step, cmd.party)
    if party is None:
        raise UnknownParty(
            f"{cmd.party!r} is not consulted in step {step.step_id!r} (consulted: {listing(step.consulted)})"
        )
    earlier = step.answers.get(party) if party not in step.awaiting() else None
    if party not in step.awaiting() and not cmd.revise:
        when = f" at {moment(earlier.at)}" if earlier is not None else ""
        raise AlreadyResponded(
            f"{party!r} has already answered step {step.step_id!r}{when}; "
            "send the new answer as a revision to replace it"
        )
    answers = None
    if cmd.answers is not None:
        planned = batch.mandate.plan.step(step.step_id)
        form = planned.form if isinstance(planned, ConsultationStep) else None
        if form is None:
            raise AnswersInvalid([f"step {step.step_id!r} has no questionnaire to answer"])
        answers = validate_answers(form, cmd.answers, party=cmd.party)
    batch.add(
        ev.ResponseReceived(
            step_id=step.step_id,
            party=party,
            text=cmd.text,
            confidential=step.confidential,
            revision=earlier.revision + 1 if earlier is not None else 0,
            attachments=list(cmd.attachments),
            by=cmd.by,
            answers=answers,
            at=now,
        )
    )
    if not batch.state.steps[step.step_id].awaiting():
        _close(batch, step.step_id, "all_answered", now)


def _close(batch: _Batch, step_id: str, reason: Literal["all_answered", "deadline"], now: datetime) -> None:
    step = batch.state.steps[step_id]
    respondents, missing = step.answered(), step.awaiting()
    batch.add(
        ev.ConsultationClosed(
            step_id=step_id,
            respondents=respondents,
            non_respondents=missing,
            reason=reason,
            at=now,
        )
    )
    outcome = f"{len(respondents)} of {len(step.parties)} parties responded"
    _finish_step(batch, step_id, outcome, now)


def _extend(batch: _Batch, cmd: ExtendDeadline, now: datetime) -> None:
    step = _current(batch.state, cmd.step_id, ("consultation", "approval", "task", "report"))
    assert step.deadline is not None
    if cmd.until <= step.deadline:
        raise DeadlineNotLater(
            f"{moment(cmd.until)} is not later than the deadline of step "
            f"{step.step_id!r} ({moment(step.deadline)})"
        )
    if cmd.until <= now:
        raise DeadlineNotLater(f"{moment(cmd.until)} is in the past")
    closes_at = None
    planned = batch.mandate.plan.step(step.step_id)
    if isinstance(planned, ConsultationStep):
        try:
            closes_at = cmd.until + timedelta(days=planned.grace_days)
        except OverflowError:
            raise DeadlineNotLater(f"{moment(cmd.until)} is too far in the future") from None
    later = _later_steps(batch, step, cmd.until) if cmd.move_later_steps else {}
    batch.add(
        ev.DeadlineExtended(
            step_id=step.step_id,
            previous=step.deadline,
            until=cmd.until,
            closes_at=closes_at,
            reason=cmd.reason,
            by=cmd.by,
            later=later,
            at=now,
        )
    )


def _later_steps(batch: _Batch, step: StepState, until: datetime) -> dict[str, datetime]:
    """The planned deadlines of the steps after ``step``, moved by as much as its deadline
    moves to ``until``, and never before it; the plan's rules still hold: a report stays
    before its session (ending its day before, at the latest) and no step falls before an
    earlier one. Only those that move are given."""
    assert step.deadline is not None
    shift = until - step.deadline
    plan = batch.mandate.plan
    ids = plan.step_ids()[plan.index(step.step_id) + 1 :]
    moved: dict[str, datetime] = {}
    ceiling: datetime | None = None
    for step_id in reversed(ids):  # (from the last: a report bound to its session bounds those before)
        planned, state = plan.step(step_id), batch.state.steps[step_id]
        due = max(state.planned_due + shift, until)
        if isinstance(planned, ReportStep) and planned.session_date is not None:
            session_eve = start_of_day(planned.session_date) - timedelta(minutes=1)
            due = min(due, max(session_eve, state.planned_due))
        if ceiling is not None:
            due = min(due, ceiling)
        ceiling = due
        if due != state.planned_due:
            moved[step_id] = due
    return dict(reversed(moved.items()))


def _alarm(
    batch: _Batch,
    cmd: ReminderFired | DeadlineReached | EscalationDue | ConsultationDeadlinePassed,
    now: datetime,
) -> None:
    step = batch.state.active_step()
    if step is None or step.step_id != cmd.step_id or step.deadline is None:
        raise AlarmNotDue(f"step {cmd.step_id!r} is not under way")
    deadline = step.deadline
    match cmd:
        case ReminderFired():
            if cmd.days_before in step.reminders_sent:
                raise AlarmNotDue(f"the {cmd.days_before}-day reminder was already sent")
            batch.add(
                ev.ReminderDue(
                    step_id=step.step_id,
                    recipients=batch.state.awaiting(),
                    deadline=deadline,
                    days_before=cmd.days_before,
                    scheduled_for=deadline - timedelta(days=cmd.days_before),
                    at=now,
                )
            )
        case DeadlineReached():
            if step.overdue:
                raise AlarmNotDue(f"step {step.step_id!r} is already overdue")
            batch.add(
                ev.StepOverdue(
                    step_id=step.step_id,
                    deadline=deadline,
                    recipients=batch.state.awaiting(),
                    at=now,
                )
            )
        case EscalationDue():
            if not step.overdue or cmd.escalation != step.escalations + 1:
                raise AlarmNotDue(f"escalation {cmd.escalation} of {step.step_id!r} is not due")
            batch.add(
                ev.Escalated(
                    step_id=step.step_id,
                    recipient=batch.mandate.coordinator,
                    deadline=deadline,
                    escalation=cmd.escalation,
                    scheduled_for=escalation_time(deadline, batch.mandate.plan.deadlines, cmd.escalation),
                    at=now,
                )
            )
        case ConsultationDeadlinePassed():
            if step.type != "consultation":
                raise AlarmNotDue(f"step {step.step_id!r} is not a consultation")
            _close(batch, step.step_id, "deadline", now)
