"""Deadline arithmetic: which alarm comes next for the step under way."""

from datetime import UTC, datetime, timedelta

from domain.deadlines import AlarmKind, next_alarm, step_alarms
from domain.decide import (
    ConsultationDeadlinePassed,
    DeadlineReached,
    EscalationDue,
    ExtendDeadline,
    ReminderFired,
    StartMandate,
    command_for,
    decide,
)
from domain.plan import DeadlinePolicy, validate_plan
from domain.state import MandateState, fold
from domain.vocabulary import MandateKind
from tests.support.mandates import make_mandate

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def started(*steps: dict, **deadlines: object) -> MandateState:
    plan = validate_plan({"steps": list(steps), "deadlines": deadlines})
    mandate = make_mandate(
        "cosp-7",
        plan,
        paragraph=1,
        kinds=[MandateKind.REPORTING],
        reports_to=None,
        coordinator="coordinator",
        title="",
    )
    return fold(decide(MandateState(), StartMandate(mandate=mandate), T0))


def fire_alarms(
    state: MandateState, until: datetime
) -> tuple[list[tuple[AlarmKind, timedelta]], MandateState]:
    """Fire every alarm up to ``until``: (kind, offset from T0) of each, and the state after."""
    fired = []
    while (alarm := next_alarm(state)) is not None and alarm.at <= until:
        fired.append((alarm.kind, alarm.at - T0))
        state = fold(decide(state, command_for(alarm), alarm.at), state)
    return fired, state


def run_alarms(state: MandateState, until: datetime) -> list[tuple[AlarmKind, timedelta]]:
    return fire_alarms(state, until)[0]


TASK = {"type": "task", "id": "compile", "title": "Compile", "due_in_days": 30}
CONSULT = {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
           "parties": ["Austria"], "grace_days": 10}  # fmt: skip


def test_a_task_gets_reminders_then_overdue_then_weekly_escalations() -> None:
    state = started(TASK)

    assert run_alarms(state, T0 + 60 * DAY) == [
        (AlarmKind.REMINDER, 16 * DAY),
        (AlarmKind.REMINDER, 27 * DAY),
        (AlarmKind.REMINDER, 29 * DAY),
        (AlarmKind.OVERDUE, 30 * DAY),
        (AlarmKind.ESCALATION, 37 * DAY),
        (AlarmKind.ESCALATION, 44 * DAY),
        (AlarmKind.ESCALATION, 51 * DAY),
        (AlarmKind.ESCALATION, 58 * DAY),
    ]


def test_a_consultation_escalates_only_until_it_closes() -> None:
    state = started(CONSULT)

    assert run_alarms(state, T0 + 90 * DAY) == [
        (AlarmKind.REMINDER, 16 * DAY),
        (AlarmKind.REMINDER, 27 * DAY),
        (AlarmKind.REMINDER, 29 * DAY),
        (AlarmKind.OVERDUE, 30 * DAY),
        (AlarmKind.ESCALATION, 37 * DAY),
        (AlarmKind.CLOSE, 40 * DAY),
    ]


def test_a_consultation_without_grace_closes_at_its_deadline_without_an_overdue_notice() -> None:
    state = started(dict(CONSULT, grace_days=0))

    assert run_alarms(state, T0 + 90 * DAY)[-2:] == [
        (AlarmKind.REMINDER, 29 * DAY),
        (AlarmKind.CLOSE, 30 * DAY),
    ]


def test_reminders_already_past_when_the_step_starts_are_not_sent() -> None:
    state = started(dict(TASK, due_in_days=5))

    assert run_alarms(state, T0 + 5 * DAY) == [
        (AlarmKind.REMINDER, 2 * DAY),
        (AlarmKind.REMINDER, 4 * DAY),
        (AlarmKind.OVERDUE, 5 * DAY),
    ]


def test_offsets_and_escalation_interval_come_from_the_plan() -> None:
    state = started(TASK, reminder_days=[10], escalation_every_days=3)

    assert run_alarms(state, T0 + 37 * DAY) == [
        (AlarmKind.REMINDER, 20 * DAY),
        (AlarmKind.OVERDUE, 30 * DAY),
        (AlarmKind.ESCALATION, 33 * DAY),
        (AlarmKind.ESCALATION, 36 * DAY),
    ]


def test_extending_reschedules_every_alarm_from_the_new_deadline() -> None:
    fired, state = fire_alarms(started(TASK), T0 + 31 * DAY)
    assert fired[-1] == (AlarmKind.OVERDUE, 30 * DAY)

    state = fold(decide(state, ExtendDeadline(until=T0 + 50 * DAY, reason="r", by="c"), T0 + 32 * DAY), state)

    assert run_alarms(state, T0 + 57 * DAY) == [
        (AlarmKind.REMINDER, 36 * DAY),
        (AlarmKind.REMINDER, 47 * DAY),
        (AlarmKind.REMINDER, 49 * DAY),
        (AlarmKind.OVERDUE, 50 * DAY),
        (AlarmKind.ESCALATION, 57 * DAY),
    ]


def test_alarms_map_to_their_commands_and_carry_public_summaries() -> None:
    state = started(CONSULT)
    step = state.step("consult")
    alarms = step_alarms(step, DeadlinePolicy())

    assert [type(command_for(a)) for a in alarms] == [
        ReminderFired, ReminderFired, ReminderFired, DeadlineReached, ConsultationDeadlinePassed,
    ]  # fmt: skip
    assert alarms[0].summary() == "consult: reminder 14d before deadline"
    assert alarms[-1].summary() == "consult: consultation closes"
    assert command_for(alarms[0]) == ReminderFired(step_id="consult", days_before=14)
    assert isinstance(EscalationDue(step_id="consult", escalation=1), EscalationDue)
