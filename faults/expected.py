"""What each mandate's audit stream must hold: the events ``domain.decide`` gives for the same
commands, people's and timers', in the order they fell.

The people's commands are the updates that were accepted (the harness keeps each one and
when it was answered). The timers' commands are those the workflows would give: the next
alarm of the active step (``domain.deadlines.next_alarm``) and a first reminder owed at once
(``workflows.recorder.missed_first_reminder``), each when it falls due. Both are decided in
time order, from the mandate's start to the end of the run; a person's command is dated by
the event it caused when there is one (else when it was answered) and a timer's by the event
it caused when there is one (a timer fires late while the server or the worker is down; that
is not a fault), else by its due time: so a command the log lacks, or a timer that never
fired, still shows up as missing.

Events are compared by their ``signature``: type, step, who, and what was decided
(respondents, closing reason, outcome), not by the moments they were recorded at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain import events as ev
from domain.deadlines import Alarm, AlarmKind, next_alarm
from domain.decide import (
    Approve,
    CompleteTask,
    RecordResponse,
    StartMandate,
    command_for,
    decide,
)
from domain.errors import DomainError
from domain.mandate import Mandate
from domain.state import MandateState, fold
from workflows.recorder import missed_first_reminder

Signature = tuple[Any, ...]
TIMER_EVENTS = ("ReminderDue", "StepOverdue", "Escalated")


@dataclass
class Prediction:
    """What decide gives for a mandate's commands, and the commands it refused."""

    events: list[ev.MandateEvent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # people's commands decide refuses: none expected


def _caused_at(log: Sequence[ev.MandateEvent]) -> dict[Signature, datetime]:
    """When each command the log shows was decided, by the command's key."""
    at: dict[Signature, datetime] = {}
    for event in log:
        match event:
            case ev.ResponseReceived():
                at.setdefault(("respond", event.step_id, event.party), event.at)
            case ev.Approved():
                at.setdefault(("approve", event.step_id, event.by), event.at)
            case ev.TaskCompleted():
                at.setdefault(("complete", event.step_id), event.at)
            case ev.StepOverdue():
                at.setdefault(("overdue", event.step_id, event.deadline), event.at)
            case ev.ConsultationClosed() if event.reason == "deadline":
                at.setdefault(("close", event.step_id), event.at)
            case ev.ReminderDue():
                at.setdefault(("reminder", event.step_id, event.days_before, event.deadline), event.at)
            case ev.Escalated():
                at.setdefault(("escalation", event.step_id, event.escalation, event.deadline), event.at)
    return at


def _command_key(command: Any, state: MandateState) -> Signature:
    step = state.active_step()
    step_id = command.step_id or (step.step_id if step else None)
    match command:
        case RecordResponse():
            return ("respond", step_id, command.party)
        case Approve():
            return ("approve", step_id, command.by)
        case CompleteTask():
            return ("complete", step_id)
    return (type(command).__name__,)


def _alarm_key(alarm: Alarm, state: MandateState) -> Signature:
    deadline = state.steps[alarm.step_id].deadline
    match alarm.kind:
        case AlarmKind.OVERDUE:
            return ("overdue", alarm.step_id, deadline)
        case AlarmKind.CLOSE:
            return ("close", alarm.step_id)
        case AlarmKind.REMINDER:
            return ("reminder", alarm.step_id, alarm.days_before, deadline)
        case AlarmKind.ESCALATION:
            return ("escalation", alarm.step_id, alarm.escalation, deadline)


def predict(
    mandate: Mandate,
    log: Sequence[ev.MandateEvent],
    accepted: Sequence[tuple[Any, datetime]],
    horizon: datetime,
) -> Prediction:
    """Decide the mandate's commands in time order, up to ``horizon`` (the end of the run)."""
    caused = _caused_at(log)
    started = log[0].at if log and isinstance(log[0], ev.MandateStarted) else horizon
    prediction = Prediction()
    state = MandateState()
    now = started

    def do(command: Any, at: datetime) -> None:
        nonlocal state, now
        new = decide(state, command, at)
        state = fold(new, state)
        prediction.events.extend(new)
        now = max(now, at)

    do(StartMandate(mandate=mandate), started)
    people = list(accepted)
    while state.is_active:
        alarm = missed_first_reminder(state, now) or next_alarm(state)
        alarm_at = caused.get(_alarm_key(alarm, state), alarm.at) if alarm is not None else None
        person = None
        if people:
            # The next person's command: the earliest, dated by the event it caused.
            timed = [(caused.get(_command_key(c, state), when), i) for i, (c, when) in enumerate(people)]
            person_at, index = min(timed)
            person = people[index]
        if alarm is not None and alarm_at is not None and (person is None or alarm_at <= person_at):
            if alarm_at > horizon:
                break
            do(command_for(alarm), max(alarm_at, now))
            continue
        if person is None:
            break
        people.pop(index)
        try:
            do(person[0], max(person_at, now))
        except DomainError as err:
            prediction.refused.append(f"{type(person[0]).__name__}: {err.code}")
    return prediction


def signature(event: ev.MandateEvent) -> Signature:
    """What an event says, without the times at which it happened to be recorded."""
    match event:
        case ev.MandateStarted():
            return (event.type, event.mandate.id)
        case ev.ResponseReceived():
            return (event.type, event.step_id, event.party, event.text)
        case ev.ConsultationClosed():
            return (
                event.type,
                event.step_id,
                event.reason,
                tuple(event.respondents),
                tuple(event.non_respondents),
            )
        case ev.StepOverdue():
            return (event.type, event.step_id, event.deadline.isoformat(), tuple(event.recipients))
        case ev.ReminderDue():
            return (event.type, event.step_id, event.days_before, event.deadline.isoformat())
        case ev.Approved():
            return (event.type, event.step_id, event.by)
        case ev.TaskCompleted():
            return (event.type, event.step_id, event.by, event.outcome, str(event.cost))
        case ev.StepCompleted():
            return (event.type, event.step_id, event.outcome)
        case ev.StepStarted():
            return (event.type, event.step_id, event.attempt)
        case ev.Escalated() | ev.ApprovalRequested() | ev.ConsultationOpened():
            return (event.type, event.step_id)
        case _:
            return (event.type,)


def difference(expected: Sequence[Signature], actual: Sequence[Signature]) -> tuple[list, list]:
    """(missing, extra): what ``actual`` lacks and what it holds beyond ``expected``, as multisets."""
    pending = list(actual)
    missing = []
    for item in expected:
        if item in pending:
            pending.remove(item)
        else:
            missing.append(item)
    return missing, pending
