"""A mandate's state: the one fold of its events.

Everything that reads a mandate's history reads it through this fold: the workflows
(to decide what a command leads to), the read models (``projections``: the rows are a
mapping of the state), the rebuild, and the progress report (``reports``). A change to
what an event means is made here, once.

``evolve(state, event)`` returns a new state and never changes the one it is given;
``fold(events)`` folds a whole stream. ``apply(state, event)`` is the step both are
made of: it changes a state the caller owns, for loops that fold many events into a
state of their own (the projection). Where the event's audit position is known (the
projection and the report know it, a workflow does not), it is passed as ``position``
and kept with what it caused, so that every figure can be traced back to the log.

The state holds no response text (that lives in the audit log only), so it can be
shown and queried freely.
"""

from __future__ import annotations

import copy
import decimal
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from domain import events as ev
from domain.mandate import Mandate
from domain.plan import ApprovalStep, ConsultationStep

EXACT = decimal.Context(prec=decimal.MAX_PREC)
"""Sums of efforts and costs are exact (the default context rounds to 28 digits)."""


class MandateStatus(StrEnum):
    NOT_STARTED = "not_started"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    FOLLOWED = "followed"


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"


class PartyStatus(StrEnum):
    AWAITING = "awaiting"
    ANSWERED = "answered"


DeadlineStatus = Literal["open", "met", "missed", "extended", "cancelled"]
ClosedBy = Literal["completed", "returned", "extended", "withdrawn"]


class Answer(BaseModel):
    """When a party last answered a consultation (its revision: 0 for a first answer), and
    where the log says so."""

    at: AwareDatetime
    ref: int | None = None
    revision: int = 0


class ApprovalGiven(BaseModel):
    """One approval of the current round of an approval step."""

    by: str
    comment: str = ""
    at: AwareDatetime
    ref: int | None = None


class Return(BaseModel):
    """A rejection that sent the work back from an approval step."""

    comment: str
    at: AwareDatetime
    ref: int | None = None


class DeadlineRecord(BaseModel):
    """One deadline a step was given, and what became of it."""

    step_id: str
    attempt: int
    deadline: AwareDatetime
    set_at: AwareDatetime
    set_ref: int | None = None
    previous: AwareDatetime | None = None
    reason: str | None = None
    set_by: str | None = None
    status: DeadlineStatus = "open"
    overdue: bool = False
    closed_at: AwareDatetime | None = None
    closed_ref: int | None = None
    closed_by: ClosedBy | None = None
    extended_to: AwareDatetime | None = None
    extension_reason: str | None = None  # why it was extended, when it was
    refs: list[int] = Field(default_factory=list)  # where it was set, fell overdue and was closed

    def close(self, at: datetime, ref: int | None, by: ClosedBy) -> None:
        """Close the deadline: met, or missed when it fell overdue or closes after it
        (extended and withdrawn deadlines are neither)."""
        match by:
            case "extended":
                self.status = "extended"
            case "withdrawn":
                self.status = "cancelled"
            case _:
                self.status = "missed" if self.overdue or at > self.deadline else "met"
        self.closed_at = at
        self.closed_ref = ref
        self.closed_by = by
        if ref is not None:
            self.refs.append(ref)


class CostRecord(BaseModel):
    """The effort and cost of one completed task or report (one that gave either: a cost of
    0 is none, and its currency means nothing)."""

    step_id: str
    at: AwareDatetime
    by: str
    effort_days: Decimal
    cost: Decimal
    currency: str
    ref: int | None = None


class StepState(BaseModel):
    """Where one step of the plan stands."""

    step_id: str
    type: Literal["consultation", "approval", "task", "report"]
    status: StepStatus = StepStatus.PENDING
    attempt: int = 0
    planned_due: AwareDatetime
    deadline: AwareDatetime | None = None
    deadline_set_at: AwareDatetime | None = None
    planned_moved_at: AwareDatetime | None = None  # when an extension last moved ``planned_due``
    extensions: int = 0
    # days-before offsets already sent for this deadline
    reminders_sent: list[int] = Field(default_factory=list)
    overdue: bool = False
    escalations: int = 0
    # consultation
    consulted: list[str] = Field(default_factory=list)  # the parties asked when it last opened
    # those asked, and any other party that answered
    parties: dict[str, PartyStatus] = Field(default_factory=dict)
    answers: dict[str, Answer] = Field(default_factory=dict)
    closes_at: AwareDatetime | None = None
    confidential: bool = False
    non_respondents: list[str] = Field(default_factory=list)
    closed_reason: str | None = None
    opened_ref: int | None = None
    closed_ref: int | None = None
    # approval
    approvers: list[str] = Field(default_factory=list)
    rule: str | None = None
    approvals: list[str] = Field(default_factory=list)  # who approved in the current round
    approval_details: list[ApprovalGiven] = Field(default_factory=list)
    rejections: int = 0
    returns: list[Return] = Field(default_factory=list)
    rework_comment: str | None = None
    # task / report / any step
    outcome: str | None = None
    completed_at: AwareDatetime | None = None
    refs: list[int] = Field(default_factory=list)  # where it last started, and was completed

    def awaiting(self) -> list[str]:
        """Consulted parties that have not answered yet, in the order they were consulted."""
        return [p for p, s in self.parties.items() if s is PartyStatus.AWAITING]

    def answered(self) -> list[str]:
        return [p for p, s in self.parties.items() if s is PartyStatus.ANSWERED]


class MandateState(BaseModel):
    """Everything the engine knows about one mandate, as the fold of its events.

    ``version`` is the number of events folded: the audit stream's version.
    A paragraph the engine only follows (``MandateFollowed``) has ``followed`` and no plan.
    """

    mandate_id: str | None = None
    mandate: Mandate | None = None
    followed: ev.MandateFollowed | None = None
    status: MandateStatus = MandateStatus.NOT_STARTED
    version: int = 0
    current_step: str | None = None
    steps: dict[str, StepState] = Field(default_factory=dict)
    effort_days: Decimal = Decimal(0)
    costs: dict[str, Decimal] = Field(default_factory=dict)  # currency -> total (currencies with a cost only)
    cost_lines: list[CostRecord] = Field(default_factory=list)
    deadlines: list[DeadlineRecord] = Field(default_factory=list)
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    withdrawal_reason: str | None = None
    # where it started (or was followed), completed or was withdrawn
    status_refs: list[int] = Field(default_factory=list)
    first_position: int | None = None
    last_position: int | None = None
    last_event_at: AwareDatetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is MandateStatus.ACTIVE

    def step(self, step_id: str) -> StepState:
        return self.steps[step_id]

    def active_step(self) -> StepState | None:
        """The step under way, if the mandate is active and a step is running."""
        if not self.is_active or self.current_step is None:
            return None
        step = self.steps[self.current_step]
        return step if step.status is StepStatus.ACTIVE else None

    def awaiting(self) -> list[str]:
        """Who the current step waits on: parties yet to answer, approvers yet to approve,
        or the assignee of a task or report."""
        step = self.active_step()
        if step is None or self.mandate is None:
            return []
        planned = self.mandate.plan.step(step.step_id)
        if isinstance(planned, ConsultationStep):
            return step.awaiting()
        if isinstance(planned, ApprovalStep):
            return [a for a in planned.approvers if a not in step.approvals]
        return [planned.assignee]

    def stopped_step(self) -> StepState | None:
        """The step a withdrawn mandate stopped at (the one under way when it was withdrawn)."""
        if self.status is not MandateStatus.WITHDRAWN:
            return None
        return next((s for s in self.steps.values() if s.status is StepStatus.ACTIVE), None)

    def next_deadline(self) -> datetime | None:
        step = self.active_step()
        return step.deadline if step is not None else None

    def open_deadlines(self, step_id: str | None = None) -> list[DeadlineRecord]:
        return [d for d in self.deadlines if d.status == "open" and step_id in (None, d.step_id)]


def copy_of(state: MandateState) -> MandateState:
    """A copy to change, sharing the mandate (frozen, and by far the largest part: its plan
    names every consulted party) and the followed paragraph (frozen) rather than copying them."""
    keep = {id(x): x for x in (state.mandate, state.followed) if x is not None}
    return copy.deepcopy(state, keep)


def evolve(state: MandateState, event: ev.MandateEvent, position: int | None = None) -> MandateState:
    """The state after ``event``; ``state`` itself is left unchanged."""
    new = copy_of(state)
    apply(new, event, position)
    return new


def fold(events: Iterable[ev.MandateEvent], state: MandateState | None = None) -> MandateState:
    """The state a stream of events leads to (from ``state``, or from nothing)."""
    new = copy_of(state or MandateState())
    for event in events:
        apply(new, event)
    return new


def fold_recorded(
    events: Iterable[tuple[int, ev.MandateEvent]], state: MandateState | None = None
) -> MandateState:
    """``fold`` of events with their audit positions: ``(position, event)`` pairs."""
    new = copy_of(state or MandateState())
    for position, event in events:
        apply(new, event, position)
    return new


def _refs(position: int | None) -> list[int]:
    return [position] if position is not None else []


def apply(s: MandateState, e: ev.MandateEvent, position: int | None = None) -> None:
    """Fold one event into ``s``, which the caller owns (see ``evolve`` and ``fold``)."""
    s.version += 1
    if position is not None:
        if s.first_position is None:
            s.first_position = position
        s.last_position = position
    s.last_event_at = e.at
    match e:
        case ev.MandateStarted():
            s.mandate = e.mandate
            s.mandate_id = e.mandate.id
            s.status = MandateStatus.ACTIVE
            s.current_step = None
            s.started_at = e.at
            s.status_refs = _refs(position)
            s.steps = {
                step.id: StepState(
                    step_id=step.id,
                    type=step.type,
                    planned_due=step.due_at(e.at),
                    approvers=list(step.approvers) if isinstance(step, ApprovalStep) else [],
                    rule=step.rule if isinstance(step, ApprovalStep) else None,
                )
                for step in e.mandate.plan.steps
            }
        case ev.MandateFollowed():
            s.followed = e
            s.mandate_id = e.mandate_id
            s.status = MandateStatus.FOLLOWED
            if not s.status_refs:
                s.status_refs = _refs(position)
        case ev.StepStarted():
            step = s.steps.get(e.step_id)
            s.current_step = e.step_id
            if step is not None:
                step.status = StepStatus.ACTIVE
                step.attempt = e.attempt
                step.deadline = e.deadline
                step.deadline_set_at = e.at
                step.reminders_sent = []
                step.overdue = False
                step.escalations = 0
                step.approvals = []
                step.approval_details = []
                step.outcome = None
                step.completed_at = None
                step.refs = _refs(position)
            s.deadlines.append(
                DeadlineRecord(
                    step_id=e.step_id,
                    attempt=e.attempt,
                    deadline=e.deadline,
                    set_at=e.at,
                    set_ref=position,
                    refs=_refs(position),
                )
            )
        case ev.ConsultationOpened():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.consulted = list(e.parties)
                step.parties = dict.fromkeys(e.parties, PartyStatus.AWAITING)
                step.answers = {}
                step.closes_at = e.closes_at
                step.confidential = e.confidential
                step.non_respondents = []
                step.closed_reason = None
                step.opened_ref = position
                step.closed_ref = None
        case ev.ResponseReceived():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.parties[e.party] = PartyStatus.ANSWERED
                step.answers[e.party] = Answer(at=e.at, ref=position, revision=e.revision)
        case ev.ReminderDue():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.reminders_sent.append(e.days_before)
        case ev.DeadlineExtended():
            step = s.steps.get(e.step_id)
            attempt = step.attempt if step is not None else 0
            if step is not None:
                step.deadline = e.until
                step.deadline_set_at = e.at
                step.extensions += 1
                step.reminders_sent = []
                step.overdue = False
                step.escalations = 0
                if e.closes_at is not None:
                    step.closes_at = e.closes_at
            for step_id, due in e.later.items():
                if step_id in s.steps:
                    s.steps[step_id].planned_due = due
                    s.steps[step_id].planned_moved_at = e.at
            for record in s.open_deadlines(e.step_id):
                record.close(e.at, position, "extended")
                record.extended_to = e.until
                record.extension_reason = e.reason
            s.deadlines.append(
                DeadlineRecord(
                    step_id=e.step_id,
                    attempt=attempt,
                    deadline=e.until,
                    set_at=e.at,
                    set_ref=position,
                    previous=e.previous,
                    reason=e.reason,
                    set_by=e.by,
                    refs=_refs(position),
                )
            )
        case ev.StepOverdue():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.overdue = True
            for record in s.open_deadlines(e.step_id):
                record.overdue = True
                record.refs.extend(_refs(position))
        case ev.Escalated():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.escalations = e.escalation
        case ev.ApprovalRequested():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.approvers = list(e.approvers)
                step.rule = e.rule
                step.approvals = []
                step.approval_details = []
        case ev.Approved():
            step = s.steps.get(e.step_id)
            if step is not None and e.by not in step.approvals:
                step.approvals.append(e.by)
                step.approval_details.append(ApprovalGiven(by=e.by, comment=e.comment, at=e.at, ref=position))
        case ev.Rejected():
            s.current_step = None
            ids = list(s.steps)
            if e.step_id in s.steps:
                step = s.steps[e.step_id]
                step.rejections += 1
                step.returns.append(Return(comment=e.comment, at=e.at, ref=position))
                if e.go_to in s.steps:
                    for step_id in ids[ids.index(e.go_to) : ids.index(e.step_id) + 1]:
                        s.steps[step_id].status = StepStatus.PENDING
            if e.go_to in s.steps:
                s.steps[e.go_to].rework_comment = e.comment
            for record in s.open_deadlines(e.step_id):
                record.close(e.at, position, "returned")
        case ev.TaskCompleted():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.outcome = e.outcome
            if e.effort_days or e.cost:  # (neither given: nothing to count)
                s.effort_days = EXACT.add(s.effort_days, e.effort_days)
                if e.cost:
                    s.costs[e.currency] = EXACT.add(s.costs.get(e.currency, Decimal(0)), e.cost)
                s.cost_lines.append(
                    CostRecord(
                        step_id=e.step_id,
                        at=e.at,
                        by=e.by,
                        effort_days=e.effort_days,
                        cost=e.cost,
                        currency=e.currency,
                        ref=position,
                    )
                )
        case ev.StepCompleted():
            step = s.steps.get(e.step_id)
            s.current_step = None
            if step is not None:
                step.status = StepStatus.COMPLETED
                step.completed_at = e.at
                if e.outcome:
                    step.outcome = e.outcome
                step.refs.extend(_refs(position))
            for record in s.open_deadlines(e.step_id):
                record.close(e.at, position, "completed")
        case ev.ConsultationClosed():
            step = s.steps.get(e.step_id)
            if step is not None:
                step.non_respondents = list(e.non_respondents)
                step.closed_reason = e.reason
                step.closed_ref = position
        case ev.MandateCompleted():
            s.status = MandateStatus.COMPLETED
            s.ended_at = e.at
            s.status_refs.extend(_refs(position))
        case ev.MandateWithdrawn():
            s.status = MandateStatus.WITHDRAWN
            s.current_step = None  # (the step it stopped at stays active: ``stopped_step``)
            s.ended_at = e.at
            s.withdrawal_reason = e.reason
            s.status_refs.extend(_refs(position))
            for record in s.open_deadlines():
                record.close(e.at, position, "withdrawn")


def progress_line(state: MandateState) -> str:
    """One public line on where the mandate stands, for the Web UI's current details.

    E.g. ``"para 3 · information collection · step 1 of 3: request-information ·
    2 of 3 responses · due 2027-01-15"``; when it has ended, how and when (a withdrawn
    mandate: where it stopped and why), since Temporal shows it as any completed workflow.
    """
    mandate = state.mandate
    if mandate is None:
        return "not started"
    head = f"para {mandate.paragraph} · {mandate.kinds_label()}"
    if not state.is_active:
        ended = f" on {state.ended_at.date().isoformat()}" if state.ended_at is not None else ""
        line = f"{head} · {state.status.value}{ended}"
        stopped = state.stopped_step()
        if stopped is not None:
            index = mandate.plan.index(stopped.step_id) + 1
            line += f" at step {index} of {len(mandate.plan.steps)}: {stopped.step_id}"
        if state.withdrawal_reason:
            line += f" · {state.withdrawal_reason}"
        return line
    step = state.active_step()
    if step is None or step.deadline is None:
        return f"{head} · between steps"
    planned = mandate.plan.step(step.step_id)
    position = f"step {mandate.plan.index(step.step_id) + 1} of {len(mandate.plan.steps)}"
    if isinstance(planned, ConsultationStep):
        progress = f"{len(step.answered())} of {len(step.parties)} responses"
    elif isinstance(planned, ApprovalStep):
        needed = 1 if planned.rule == "any" else len(planned.approvers)
        progress = f"{len(step.approvals)} of {needed} approvals"
    else:
        progress = planned.title
    overdue = " · overdue" if step.overdue else ""
    due = step.deadline.date().isoformat()
    return f"{head} · {position}: {step.step_id} · {progress} · due {due}{overdue}"
