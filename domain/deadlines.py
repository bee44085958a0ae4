"""Deadline arithmetic: when the current step's next reminder, overdue notice,
escalation or consultation closing falls.

For the active step with deadline D, set at S (step start or last extension),
under the plan's ``DeadlinePolicy``:

- a reminder ``d`` days before D for each offset d (default 14, 3, 1) whose time
  D - d lies after S, once per deadline;
- the step falls overdue at D;
- while overdue, an escalation to the coordinator every ``escalation_every_days``
  (at D + 7, D + 14, ... by default);
- a consultation closes at its ``closes_at`` (D + grace days); nothing of the
  consultation falls at or after that instant except the closing itself.

Extending the deadline resets all of this from the new D and S.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.plan import DeadlinePolicy
from domain.state import MandateState, StepState


class AlarmKind(StrEnum):
    CLOSE = "close"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"


_ORDER = {AlarmKind.CLOSE: 0, AlarmKind.REMINDER: 1, AlarmKind.OVERDUE: 2, AlarmKind.ESCALATION: 3}


class Alarm(BaseModel):
    """A moment the engine must act on a step, and what it must do then."""

    model_config = ConfigDict(frozen=True)

    step_id: str
    kind: AlarmKind
    at: AwareDatetime
    days_before: int | None = None
    escalation: int | None = None

    def summary(self) -> str:
        """A short public label for the Temporal timer that waits for this alarm."""
        match self.kind:
            case AlarmKind.REMINDER:
                return f"{self.step_id}: reminder {self.days_before}d before deadline"
            case AlarmKind.OVERDUE:
                return f"{self.step_id}: deadline"
            case AlarmKind.ESCALATION:
                return f"{self.step_id}: escalation {self.escalation}"
            case AlarmKind.CLOSE:
                return f"{self.step_id}: consultation closes"


def step_alarms(step: StepState, policy: DeadlinePolicy) -> list[Alarm]:
    """The step's alarms still to come, soonest first (escalations: only the next one)."""
    if step.deadline is None or step.deadline_set_at is None:
        return []
    deadline, set_at = step.deadline, step.deadline_set_at
    closes_at = step.closes_at if step.type == "consultation" else None
    alarms: list[Alarm] = []
    for days in policy.reminder_days:
        at = deadline - timedelta(days=days)
        if at > set_at and days not in step.reminders_sent:
            alarms.append(Alarm(step_id=step.step_id, kind=AlarmKind.REMINDER, at=at, days_before=days))
    if not step.overdue:
        alarms.append(Alarm(step_id=step.step_id, kind=AlarmKind.OVERDUE, at=deadline))
    else:
        n = step.escalations + 1
        at = deadline + timedelta(days=policy.escalation_every_days * n)
        alarms.append(Alarm(step_id=step.step_id, kind=AlarmKind.ESCALATION, at=at, escalation=n))
    if closes_at is not None:
        alarms = [a for a in alarms if a.at < closes_at]
        alarms.append(Alarm(step_id=step.step_id, kind=AlarmKind.CLOSE, at=closes_at))
    return sorted(alarms, key=lambda a: (a.at, _ORDER[a.kind]))


def next_alarm(state: MandateState) -> Alarm | None:
    """The soonest alarm of the mandate's active step, if any."""
    step = state.active_step()
    if step is None or state.mandate is None:
        return None
    alarms = step_alarms(step, state.mandate.plan.deadlines)
    return alarms[0] if alarms else None


def escalation_time(deadline: datetime, policy: DeadlinePolicy, escalation: int) -> datetime:
    """When escalation number ``escalation`` (1, 2, ...) of a deadline falls."""
    return deadline + timedelta(days=policy.escalation_every_days * escalation)
