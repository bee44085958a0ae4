"""Consultations: reminders to exactly the parties that have not answered, at the right
simulated times; overdue; escalation to the coordinator; closing with the non-respondents;
deadline extension moving the reminders."""

from __future__ import annotations

from datetime import timedelta

from domain import events as ev
from domain.plan import validate_plan
from domain.state import MandateStatus, PartyStatus
from store.notifications import NotificationKind
from tests.support.mandates import COORDINATOR, make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import (
    assert_replays,
    checked_log,
    child_started,
    record_histories,
    start,
    state_of,
    types,
    until,
)
from workflows.consultation import ConsultationWorkflow
from workflows.mandate import MandateWorkflow
from workflows.messages import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    RespondRequest,
)
from workflows.starter import consultation_handle

DAY = timedelta(days=1)
PARTIES = ["Austria", "Mexico", "OECD Working Group on Bribery", "Council of Europe (GRECO)"]
SILENT = PARTIES[2:]


def consultation_plan(grace_days: int = 10) -> object:
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "request-information", "title": "Request information",
                 "due_in_days": 30, "grace_days": grace_days, "parties": PARTIES},
                {"type": "approval", "id": "approve-sharing", "title": "Approve what may be shared",
                 "due_in_days": 60, "approvers": ["chief.of.section"], "rule": "any"},
            ]
        }
    )  # fmt: skip


async def test_two_parties_never_answer(engine: Engine) -> None:
    mandate = make_mandate("consultation-silent-parties", consultation_plan(), confidential=True)
    handle = await start(engine, mandate)
    started = (await state_of(handle)).step("request-information")
    deadline = started.deadline
    assert deadline is not None

    await handle.execute_update(
        MandateWorkflow.respond, RespondRequest(party="Austria", text="our costs: 12")
    )
    child = consultation_handle(engine.client, handle.id, "request-information")
    answered = await child.execute_update(
        ConsultationWorkflow.respond, RespondRequest(party="Mexico", text="our costs: 7")
    )
    assert answered.events == ["ResponseReceived"]
    await engine.env.sleep(41 * DAY)
    state = await until(handle, lambda s: s.current_step == "approve-sharing")
    consult = state.step("request-information")
    assert consult.non_respondents == SILENT
    assert consult.parties == {
        "Austria": PartyStatus.ANSWERED,
        "Mexico": PartyStatus.ANSWERED,
        SILENT[0]: PartyStatus.AWAITING,
        SILENT[1]: PartyStatus.AWAITING,
    }
    await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="chief.of.section"))
    result = await handle.result()

    assert result.status is MandateStatus.COMPLETED
    events = await checked_log(engine, handle)
    assert types(events) == [
        "MandateStarted", "StepStarted", "ConsultationOpened",
        "ResponseReceived", "ResponseReceived",
        "ReminderDue", "ReminderDue", "ReminderDue",
        "StepOverdue", "Escalated",
        "ConsultationClosed", "StepCompleted",
        "StepStarted", "ApprovalRequested", "Approved", "StepCompleted", "MandateCompleted",
    ]  # fmt: skip
    reminders = [e for e in events if isinstance(e, ev.ReminderDue)]
    assert [(r.days_before, r.recipients) for r in reminders] == [(d, SILENT) for d in (14, 3, 1)]
    for reminder in reminders:
        assert reminder.scheduled_for == deadline - reminder.days_before * DAY
        assert timedelta(0) <= reminder.at - reminder.scheduled_for < timedelta(seconds=5)
    (overdue,) = [e for e in events if isinstance(e, ev.StepOverdue)]
    assert overdue.recipients == SILENT and overdue.deadline == deadline
    (escalated,) = [e for e in events if isinstance(e, ev.Escalated)]
    assert escalated.recipient == COORDINATOR and escalated.scheduled_for == deadline + 7 * DAY
    (closed,) = [e for e in events if isinstance(e, ev.ConsultationClosed)]
    assert closed.reason == "deadline" and closed.non_respondents == SILENT
    assert timedelta(0) <= closed.at - (deadline + 10 * DAY) < timedelta(seconds=5)
    responses = [e for e in events if isinstance(e, ev.ResponseReceived)]
    assert [(r.party, r.confidential) for r in responses] == [("Austria", True), ("Mexico", True)]

    every = await engine.outbox.for_mandate(handle.id)
    requests = [r for r in every if r.kind is NotificationKind.REQUEST]
    (opened,) = [e for e in events if isinstance(e, ev.ConsultationOpened)]
    (asked,) = [e for e in events if isinstance(e, ev.ApprovalRequested)]
    assert [(r.step_id, r.recipient, r.due_at, r.payload["attempt"]) for r in requests] == [
        *[("request-information", party, opened.at, 1) for party in opened.parties],
        ("approve-sharing", "chief.of.section", asked.at, 1),
    ]  # each party asked as the consultation opens, the approver as the approval is asked for
    rows = [r for r in every if r.kind is not NotificationKind.REQUEST]
    assert [(r.kind, r.recipient, r.due_at) for r in rows] == [
        (NotificationKind.REMINDER, SILENT[0], deadline - 14 * DAY),
        (NotificationKind.REMINDER, SILENT[1], deadline - 14 * DAY),
        (NotificationKind.REMINDER, SILENT[0], deadline - 3 * DAY),
        (NotificationKind.REMINDER, SILENT[1], deadline - 3 * DAY),
        (NotificationKind.REMINDER, SILENT[0], deadline - 1 * DAY),
        (NotificationKind.REMINDER, SILENT[1], deadline - 1 * DAY),
        (NotificationKind.OVERDUE, SILENT[0], deadline),
        (NotificationKind.OVERDUE, SILENT[1], deadline),
        (NotificationKind.ESCALATION, COORDINATOR, deadline + 7 * DAY),
    ]
    assert all(r.step_id == "request-information" and r.sent_at is None and r.attempts == 0 for r in rows)
    assert rows[0].payload["days_before"] == 14 and rows[0].payload["step_title"] == "Request information"
    assert all("costs" not in str(r.payload) for r in rows)
    await record_histories(engine, handle, "consultation-two-silent-parties")


async def test_extending_a_consultation_deadline_moves_its_reminders(engine: Engine) -> None:
    plan = validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                 "grace_days": 5, "parties": ["Austria", "Mexico"]},
                {"type": "task", "id": "compile", "title": "Compile", "due_in_days": 90},
            ]
        }
    )  # fmt: skip
    handle = await start(engine, make_mandate("consultation-extension", plan))
    first_deadline = (await state_of(handle)).step("consult").deadline
    assert first_deadline is not None
    compile_planned = (await state_of(handle)).step("compile").planned_due

    await engine.env.sleep(20 * DAY)
    await handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Austria", text="yes"))
    new_deadline = first_deadline + 20 * DAY
    extended = await handle.execute_update(
        MandateWorkflow.extend_deadline,
        ExtendDeadlineRequest(by="coordinator", until=new_deadline, reason="regional holidays"),
    )
    assert extended.events == ["DeadlineExtended"]
    moved = await until(handle, lambda s: s.step("consult").extensions == 1)
    assert moved.step("compile").planned_due == compile_planned + 20 * DAY  # (the later step moves too)
    await engine.env.sleep(36 * DAY)
    state = await until(handle, lambda s: s.current_step == "compile")
    compile_deadline = state.step("compile").deadline
    assert compile_deadline is not None
    await handle.execute_update(
        MandateWorkflow.extend_deadline,
        ExtendDeadlineRequest(by="coordinator", until=compile_deadline + 7 * DAY, reason="more input"),
    )
    await handle.execute_update(
        MandateWorkflow.complete_task,
        CompleteTaskRequest(by="j.doe", outcome="compiled", effort_days=3, cost=450, currency="EUR"),
    )
    await handle.result()

    events = await checked_log(engine, handle)
    assert types(events) == [
        "MandateStarted", "StepStarted", "ConsultationOpened",
        "ReminderDue", "ResponseReceived", "DeadlineExtended",
        "ReminderDue", "ReminderDue", "ReminderDue", "StepOverdue",
        "ConsultationClosed", "StepCompleted", "StepStarted",
        "DeadlineExtended", "TaskCompleted", "StepCompleted", "MandateCompleted",
    ]  # fmt: skip
    every = await engine.outbox.for_mandate(handle.id)
    assert [r.recipient for r in every if r.kind is NotificationKind.REQUEST] == ["Austria", "Mexico"]
    rows = [r for r in every if r.kind is not NotificationKind.REQUEST]
    assert [(r.kind, r.recipient, r.due_at) for r in rows] == [
        (NotificationKind.REMINDER, "Austria", first_deadline - 14 * DAY),
        (NotificationKind.REMINDER, "Mexico", first_deadline - 14 * DAY),
        (NotificationKind.REMINDER, "Mexico", new_deadline - 14 * DAY),
        (NotificationKind.REMINDER, "Mexico", new_deadline - 3 * DAY),
        (NotificationKind.REMINDER, "Mexico", new_deadline - 1 * DAY),
        (NotificationKind.OVERDUE, "Mexico", new_deadline),
    ]
    (closed,) = [e for e in events if isinstance(e, ev.ConsultationClosed)]
    assert closed.non_respondents == ["Mexico"]
    assert timedelta(0) <= closed.at - (new_deadline + 5 * DAY) < timedelta(seconds=5)
    final = await state_of(handle)
    assert final.costs == {"EUR": 450} and final.effort_days == 3
    await assert_replays(handle, consultation_handle(engine.client, handle.id, "consult"))
    await record_histories(engine, handle, "consultation-extension")


async def test_an_extension_sent_to_the_consultation_itself_moves_the_later_steps_too(engine: Engine) -> None:
    plan = validate_plan(
        {"steps": [
            {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
             "parties": ["Austria"]},
            {"type": "task", "id": "compile", "title": "Compile", "due_in_days": 40},
        ]}
    )  # fmt: skip
    handle = await start(engine, make_mandate("consultation-direct-extension", plan))
    before = await state_of(handle)
    deadline = before.step("consult").deadline
    assert deadline is not None
    child = consultation_handle(engine.client, handle.id, "consult")
    await child_started(engine.client, child.id)

    await child.execute_update(
        ConsultationWorkflow.extend_deadline,
        ExtendDeadlineRequest(by="coordinator", until=deadline + 10 * DAY, reason="holidays"),
    )

    after = await until(handle, lambda s: s.step("consult").extensions == 1)
    assert after.step("compile").planned_due == before.step("compile").planned_due + 10 * DAY
