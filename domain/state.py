"""A mandate's state: the fold of its events.

``evolve(state, event)`` returns a new state and never changes the one it is
given; ``fold(events)`` folds a whole stream. The state holds no response text
(that lives in the audit store only), so it can be shown and queried freely.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel

from domain import events as ev
from domain.mandate import Mandate
from domain.plan import ApprovalStep, ConsultationStep


class MandateStatus(StrEnum):
    NOT_STARTED = "not_started"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"


class PartyStatus(StrEnum):
    AWAITING = "awaiting"
    ANSWERED = "answered"


class StepState(BaseModel):
    """Where one step of the plan stands."""

    step_id: str
    type: Literal["consultation", "approval", "task", "report"]
    status: StepStatus = StepStatus.PENDING
    attempt: int = 0
    planned_due: AwareDatetime
    deadline: AwareDatetime | None = None
    deadline_set_at: AwareDatetime | None = None
    extensions: int = 0
    reminders_sent: list[int] = []  # days-before offsets already sent for this deadline
    overdue: bool = False
    escalations: int = 0
    # consultation
    parties: dict[str, PartyStatus] = {}
    closes_at: AwareDatetime | None = None
    confidential: bool = False
    non_respondents: list[str] = []
    # approval
    approvals: list[str] = []
    rejections: int = 0
    rework_comment: str | None = None
    # task / report / any step
    outcome: str | None = None
    completed_at: AwareDatetime | None = None

    def awaiting(self) -> list[str]:
        """Consulted parties that have not answered yet, in the order they were consulted."""
        return [p for p, s in self.parties.items() if s is PartyStatus.AWAITING]

    def answered(self) -> list[str]:
        return [p for p, s in self.parties.items() if s is PartyStatus.ANSWERED]


class MandateState(BaseModel):
    """Everything the engine knows about one mandate, as the fold of its events.

    ``version`` is the number of events folded: the audit stream's version.
    """

    mandate_id: str | None = None
    mandate: Mandate | None = None
    status: MandateStatus = MandateStatus.NOT_STARTED
    version: int = 0
    current_step: str | None = None
    steps: dict[str, StepState] = {}
    effort_days: Decimal = Decimal(0)
    costs: dict[str, Decimal] = {}  # currency -> total
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    withdrawal_reason: str | None = None

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

    def next_deadline(self) -> datetime | None:
        step = self.active_step()
        return step.deadline if step is not None else None


def _copy(state: MandateState) -> MandateState:
    """A copy to change, sharing the mandate (frozen, and by far the largest part: its plan
    names every consulted party) rather than copying it."""
    keep = {id(state.mandate): state.mandate} if state.mandate is not None else {}
    return copy.deepcopy(state, keep)


def evolve(state: MandateState, event: ev.MandateEvent) -> MandateState:
    """The state after ``event``; ``state`` itself is left unchanged."""
    new = _copy(state)
    new.version += 1
    _apply(new, event)
    return new


def fold(events: Iterable[ev.MandateEvent], state: MandateState | None = None) -> MandateState:
    """The state a stream of events leads to (from ``state``, or from nothing)."""
    new = _copy(state or MandateState())
    for event in events:
        new.version += 1
        _apply(new, event)
    return new


def _apply(s: MandateState, e: ev.MandateEvent) -> None:
    match e:
        case ev.MandateStarted():
            s.mandate = e.mandate
            s.mandate_id = e.mandate.id
            s.status = MandateStatus.ACTIVE
            s.started_at = e.at
            s.steps = {
                step.id: StepState(step_id=step.id, type=step.type, planned_due=step.due_at(e.at))
                for step in e.mandate.plan.steps
            }
        case ev.StepStarted():
            step = s.steps[e.step_id]
            s.current_step = e.step_id
            step.status = StepStatus.ACTIVE
            step.attempt = e.attempt
            step.deadline = e.deadline
            step.deadline_set_at = e.at
            step.reminders_sent = []
            step.overdue = False
            step.escalations = 0
            step.approvals = []
            step.outcome = None
            step.completed_at = None
        case ev.ConsultationOpened():
            step = s.steps[e.step_id]
            step.parties = {p: PartyStatus.AWAITING for p in e.parties}
            step.closes_at = e.closes_at
            step.confidential = e.confidential
            step.non_respondents = []
        case ev.ResponseReceived():
            s.steps[e.step_id].parties[e.party] = PartyStatus.ANSWERED
        case ev.ReminderDue():
            s.steps[e.step_id].reminders_sent.append(e.days_before)
        case ev.DeadlineExtended():
            step = s.steps[e.step_id]
            step.deadline = e.until
            step.deadline_set_at = e.at
            step.extensions += 1
            step.reminders_sent = []
            step.overdue = False
            step.escalations = 0
            if e.closes_at is not None:
                step.closes_at = e.closes_at
        case ev.StepOverdue():
            s.steps[e.step_id].overdue = True
        case ev.Escalated():
            s.steps[e.step_id].escalations = e.escalation
        case ev.ApprovalRequested():
            s.steps[e.step_id].approvals = []
        case ev.Approved():
            s.steps[e.step_id].approvals.append(e.by)
        case ev.Rejected():
            assert s.mandate is not None
            ids = s.mandate.plan.step_ids()
            s.steps[e.step_id].rejections += 1
            for step_id in ids[ids.index(e.go_to) : ids.index(e.step_id) + 1]:
                s.steps[step_id].status = StepStatus.PENDING
            s.steps[e.go_to].rework_comment = e.comment
            s.current_step = None
        case ev.TaskCompleted():
            s.steps[e.step_id].outcome = e.outcome
            s.effort_days += e.effort_days
            s.costs[e.currency] = s.costs.get(e.currency, Decimal(0)) + e.cost
        case ev.StepCompleted():
            step = s.steps[e.step_id]
            step.status = StepStatus.COMPLETED
            step.completed_at = e.at
            if e.outcome:
                step.outcome = e.outcome
            s.current_step = None
        case ev.ConsultationClosed():
            s.steps[e.step_id].non_respondents = list(e.non_respondents)
        case ev.MandateCompleted():
            s.status = MandateStatus.COMPLETED
            s.ended_at = e.at
        case ev.MandateWithdrawn():
            s.status = MandateStatus.WITHDRAWN
            s.ended_at = e.at
            s.withdrawal_reason = e.reason


def progress_line(state: MandateState) -> str:
    """One public line on where the mandate stands, for the Web UI's current details.

    E.g. ``"para 3 · information collection · step 1 of 3: request-information ·
    2 of 3 responses · due 2027-01-15"``.
    """
    mandate = state.mandate
    if mandate is None:
        return "not started"
    head = f"para {mandate.paragraph} · {mandate.kinds_label()}"
    if not state.is_active:
        return f"{head} · {state.status.value}"
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
