"""The mandate workflow (workflows/mandate.py): approvals, rework, withdrawal, refusals and
duplicate starts; retries and replays never duplicate or lose an event, and a carried state
resumes a mandate; the full life of each default plan, against the real audit store; with a
small history limit, the mandate and its consultation continue as new and lose no update
(``test_history_limits.py`` is the soak of the same, for ``make faults``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.audit import AppendEventsInput, AppendEventsResult, AuditActivities
from activities.notifications import NotificationActivities, NotifyInput, NotifyResult
from domain import events as ev
from domain.default_plans import default_plan
from domain.plan import ApprovalStep, ConsultationStep, validate_plan
from domain.state import MandateStatus, StepStatus, fold
from domain.vocabulary import MandateKind
from store.audit import AuditStore
from store.notifications import NotificationKind, NotificationOutbox
from tests.support.history import Calls, Log, answer_all, chain, children, count, send, start_with_limit
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import (
    audit_log,
    checked_log,
    drive_to_completion,
    record_histories,
    start,
    state_of,
    types,
    until,
)
from workflows.consultation import REFUSED_SIGNAL, ConsultationWorkflow
from workflows.mandate import MandateWorkflow
from workflows.messages import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    ForwardRefused,
    MandateInput,
    RejectRequest,
    RespondRequest,
    WithdrawRequest,
)
from workflows.starter import consultation_handle, mandate_handle, start_mandate

DAY = timedelta(days=1)

REWORK_PLAN = validate_plan(
    {
        "steps": [
            {"type": "consultation", "id": "consult-partners", "title": "Consult partners",
             "due_in_days": 30, "parties": ["OECD Working Group on Bribery", "OAS (MESICIC)"]},
            {"type": "task", "id": "draft-mou", "title": "Draft the MoU", "due_in_days": 60},
            {"type": "approval", "id": "legal-approval", "title": "Legal approval", "due_in_days": 75,
             "approvers": ["legal-affairs", "chief.of.section"], "rule": "all",
             "on_reject_go_to": "consult-partners"},
        ]
    }
)  # fmt: skip


async def respond_all(handle: object, parties: list[str]) -> None:
    for party in parties:
        await handle.execute_update(  # type: ignore[attr-defined]
            MandateWorkflow.respond, RespondRequest(party=party, text="agreed")
        )


async def refusal(call: object) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await call  # type: ignore[misc]
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_rejection_sends_the_mandate_back_to_the_named_step(engine: Engine) -> None:
    handle = await start(engine, make_mandate("decisions-rework", REWORK_PLAN))
    partners = ["OECD Working Group on Bribery", "OAS (MESICIC)"]
    await respond_all(handle, partners)
    draft = CompleteTaskRequest(by="j.doe", outcome="draft v1", effort_days=2, cost=800)
    await handle.execute_update(MandateWorkflow.complete_task, draft)
    await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="chief.of.section"))

    rejected = await handle.execute_update(
        MandateWorkflow.reject, RejectRequest(by="legal-affairs", comment="ask about data protection")
    )

    assert rejected.events == ["Rejected", "StepStarted", "ConsultationOpened"]
    state = await until(handle, lambda s: s.current_step == "consult-partners")
    consult = state.step("consult-partners")
    assert consult.attempt == 2 and consult.rework_comment == "ask about data protection"
    assert state.step("legal-approval").status is StepStatus.PENDING
    await respond_all(handle, partners)
    await handle.execute_update(MandateWorkflow.complete_task, draft.model_copy(update={"outcome": "v2"}))
    await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="legal-affairs"))
    done = await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="chief.of.section"))
    assert done.events == ["Approved", "StepCompleted", "MandateCompleted"]
    assert (await handle.result()).status is MandateStatus.COMPLETED

    events = await checked_log(engine, handle)
    consultation = [
        "StepStarted", "ConsultationOpened", "ResponseReceived", "ResponseReceived",
        "ConsultationClosed", "StepCompleted",
    ]  # fmt: skip
    assert types(events) == [
        "MandateStarted", *consultation,
        "StepStarted", "TaskCompleted", "StepCompleted",
        "StepStarted", "ApprovalRequested", "Approved", "Rejected",
        *consultation,
        "StepStarted", "TaskCompleted", "StepCompleted",
        "StepStarted", "ApprovalRequested", "Approved", "Approved", "StepCompleted",
        "MandateCompleted",
    ]  # fmt: skip
    (rejection,) = [e for e in events if isinstance(e, ev.Rejected)]
    assert rejection.go_to == "consult-partners" and rejection.by == "legal-affairs"
    assert (await state_of(handle)).costs == {"USD": 1600}
    await record_histories(engine, handle, "decisions-rework")


async def test_withdrawal_during_a_consultation(engine: Engine) -> None:
    handle = await start(engine, make_mandate("decisions-withdrawal", REWORK_PLAN))
    await handle.execute_update(
        MandateWorkflow.respond, RespondRequest(party="OAS (MESICIC)", text="interested")
    )

    withdrawn = await handle.execute_update(
        MandateWorkflow.withdraw, WithdrawRequest(by="coordinator", reason="superseded by resolution 8/2")
    )

    assert withdrawn.events == ["MandateWithdrawn"] and withdrawn.status is MandateStatus.WITHDRAWN
    result = await handle.result()
    assert result.status is MandateStatus.WITHDRAWN
    child = consultation_handle(engine.client, handle.id, "consult-partners")
    assert (await child.result()).stopped is True
    events = await checked_log(engine, handle)
    assert types(events) == [
        "MandateStarted", "StepStarted", "ConsultationOpened", "ResponseReceived", "MandateWithdrawn",
    ]  # fmt: skip
    state = await state_of(handle)
    assert state.withdrawal_reason == "superseded by resolution 8/2"
    notified = await engine.outbox.for_mandate(handle.id)
    assert {(r.kind, r.step_id) for r in notified} == {(NotificationKind.REQUEST, "consult-partners")}
    await record_histories(engine, handle, "decisions-withdrawal")


async def test_extending_a_task_moves_the_later_steps_planned_deadlines(engine: Engine) -> None:
    plan = validate_plan(
        {"steps": [
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 20},
            {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 30,
             "approvers": ["chief.of.section"]},
        ]}
    )  # fmt: skip
    handle = await start(engine, make_mandate("decisions-extension", plan))
    before = await state_of(handle)
    assert before.step("draft").deadline is not None

    await handle.execute_update(
        MandateWorkflow.extend_deadline,
        ExtendDeadlineRequest(
            by="coordinator", until=before.step("draft").deadline + 15 * DAY, reason="late"
        ),
    )

    after = await checked_log(engine, handle)
    (extended,) = [e for e in after if isinstance(e, ev.DeadlineExtended)]
    assert extended.later == {"approve": before.step("approve").planned_due + 15 * DAY}
    assert (await state_of(handle)).step("approve").planned_due == before.step(
        "approve"
    ).planned_due + 15 * DAY


async def test_refused_requests_get_the_reason_and_never_enter_the_history(engine: Engine) -> None:
    handle = await start(engine, make_mandate("decisions-refusals", REWORK_PLAN))
    child = consultation_handle(engine.client, handle.id, "consult-partners")

    unknown = await refusal(
        handle.execute_update(MandateWorkflow.respond, RespondRequest(party="France", text="x"))
    )
    assert unknown.type == "unknown_party"
    assert unknown.message == (
        "'France' is not consulted in step 'consult-partners' "
        "(consulted: OECD Working Group on Bribery, OAS (MESICIC))"
    )
    not_pending = await refusal(
        handle.execute_update(
            MandateWorkflow.approve, ApproveRequest(by="legal-affairs", step_id="legal-approval")
        )
    )
    assert not_pending.type == "step_not_pending" and not_pending.non_retryable
    await until(handle, lambda s: s.version == 3)
    unknown_to_child = await refusal(
        child.execute_update(ConsultationWorkflow.respond, RespondRequest(party="France", text="x"))
    )
    assert unknown_to_child.type == "unknown_party"

    await respond_all(handle, ["OECD Working Group on Bribery", "OAS (MESICIC)"])
    closed = await refusal(
        handle.execute_update(
            MandateWorkflow.respond,
            RespondRequest(party="OAS (MESICIC)", text="again", step_id="consult-partners"),
        )
    )
    assert closed.type == "consultation_closed"
    await handle.execute_update(MandateWorkflow.complete_task, CompleteTaskRequest(by="j.doe", outcome="v1"))
    not_an_approver = await refusal(
        handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="intern"))
    )
    assert not_an_approver.type == "not_an_approver"
    assert "intern" in not_an_approver.message
    await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="legal-affairs"))
    twice = await refusal(handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="legal-affairs")))
    assert twice.type == "already_approved"

    history = await handle.fetch_history()
    accepted = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted) == 4  # two responses, the task, one approval: no refused request
    events = await checked_log(engine, handle)
    assert types(events)[-2:] == ["ApprovalRequested", "Approved"]


async def test_a_mandate_is_started_once_even_after_it_ends(engine: Engine) -> None:
    mandate = make_mandate("decisions-start-once", REWORK_PLAN)
    first = await start_mandate(engine.client, mandate, engine.task_queue)
    again = await start_mandate(engine.client, mandate, engine.task_queue)

    assert first.status == "started" and first.workflow_id == mandate.id
    assert again.status == "already_running" and again.run_id == first.run_id
    handle = engine.client.get_workflow_handle_for(MandateWorkflow.run, mandate.id)
    await until(handle, lambda s: s.version > 0)
    await handle.execute_update(MandateWorkflow.withdraw, WithdrawRequest(by="c", reason="duplicate"))
    await handle.result()
    after = await start_mandate(engine.client, mandate, engine.task_queue)
    assert after.status == "already_closed" and after.run_id == first.run_id
    events = await checked_log(engine, handle)
    assert types(events).count("MandateStarted") == 1
    described = await engine.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=engine.client.namespace, execution=WorkflowExecution(workflow_id=mandate.id)
        )
    )
    [summary] = await engine.client.data_converter.decode(  # summaries are encrypted too
        [described.execution_config.user_metadata.summary], [str]
    )
    assert summary == "7/6 para 3 · information collection · enhancing synergies"


PLAN = validate_plan(
    {
        "steps": [
            {"type": "task", "id": "compile", "title": "Compile", "due_in_days": 20},
            {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 30,
             "approvers": ["chief.of.section"]},
        ]
    }
)  # fmt: skip


class AuditThatLosesItsFirstReply(AuditActivities):
    """The real append, but the first attempt of each batch fails after it has written."""

    def __init__(self, real: AuditActivities) -> None:
        self.__dict__.update(real.__dict__)
        self.lost = 0

    @activity.defn(name="append_mandate_events")
    async def append_mandate_events(self, request: AppendEventsInput) -> AppendEventsResult:
        result = await super().append_mandate_events(request)
        if activity.info().attempt == 1:
            self.lost += 1
            raise RuntimeError("the connection dropped after the commit")
        return result


async def test_an_append_retried_after_it_wrote_still_records_each_event_once(
    engine_factory: Any, pool: Any
) -> None:
    flaky = AuditThatLosesItsFirstReply(AuditActivities(AuditStore(pool)))
    outbox = NotificationActivities(NotificationOutbox(pool))
    async with engine_factory([flaky.append_mandate_events, outbox.enqueue_notifications]) as engine:
        handle = await start(engine, make_mandate("durability-retry", PLAN))
        await handle.execute_update(
            MandateWorkflow.complete_task, CompleteTaskRequest(by="j.doe", outcome="compiled")
        )
        await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="chief.of.section"))
        result = await handle.result()

        events = await checked_log(engine, handle)
    assert flaky.lost == 3  # three batches: the start, the task, the approval
    assert types(events) == [
        "MandateStarted", "StepStarted",
        "TaskCompleted", "StepCompleted", "StepStarted", "ApprovalRequested",
        "Approved", "StepCompleted", "MandateCompleted",
    ]  # fmt: skip
    assert result.version == len(events)


async def test_a_mandate_resumes_from_a_carried_state(engine: Engine) -> None:
    mandate = make_mandate("durability-carried", PLAN)
    first = await start(engine, mandate)
    await first.execute_update(MandateWorkflow.complete_task, CompleteTaskRequest(by="j.doe", outcome="x"))
    await first.terminate(reason="simulating continue-as-new")
    carried = fold(await audit_log(engine, mandate.id))

    handle = await engine.client.start_workflow(
        MandateWorkflow.run,
        MandateInput(mandate=mandate, carried=carried),
        id=mandate.id,
        task_queue=engine.task_queue,
    )
    await until(handle, lambda s: s.version == carried.version)
    await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by="chief.of.section"))

    assert (await handle.result()).status is MandateStatus.COMPLETED
    events = await checked_log(engine, handle)
    assert types(events).count("MandateStarted") == 1
    assert types(events)[-3:] == ["Approved", "StepCompleted", "MandateCompleted"]


def expected_types(mandate_plan: object) -> list[str]:
    """What a plan leaves in the audit log when every step is done at once, in order."""
    expected = ["MandateStarted"]
    for step in mandate_plan.steps:  # type: ignore[attr-defined]
        expected.append("StepStarted")
        if isinstance(step, ConsultationStep):
            expected += ["ConsultationOpened", *["ResponseReceived"] * len(step.parties)]
            expected.append("ConsultationClosed")
        elif isinstance(step, ApprovalStep):
            approvals = 1 if step.rule == "any" else len(step.approvers)
            expected += ["ApprovalRequested", *["Approved"] * approvals]
        else:
            expected.append("TaskCompleted")
        expected.append("StepCompleted")
    return [*expected, "MandateCompleted"]


@pytest.mark.parametrize("kind", list(MandateKind))
async def test_each_default_plan_runs_from_start_to_completion(engine: Engine, kind: MandateKind) -> None:
    plan = default_plan([kind])
    mandate = make_mandate(f"default-{kind.value.replace('_', '-')}", plan, kinds=[kind])
    handle = await start(engine, mandate)

    steps = await drive_to_completion(handle)
    result = await handle.result()

    assert steps == plan.step_ids()
    assert result.status is MandateStatus.COMPLETED
    events = await checked_log(engine, handle)
    assert types(events) == expected_types(plan)
    assert result.version == len(events)
    state = (await engine.audit.read_stream(handle.id))[-1]
    assert state.type == "MandateCompleted"
    confidential = [e for e in events if isinstance(e, ev.ResponseReceived) and e.confidential]
    if kind is MandateKind.INFORMATION_COLLECTION:
        assert len(confidential) == 3
    else:
        assert confidential == []
    await record_histories(engine, handle, f"default-{kind.value}")


# --- continue-as-new, with a small history limit ---------------------------------------

SMALL_LIMIT = 100  # the least a MandateInput allows
MANY_PARTIES = [f"Party {n:02d}" for n in range(1, 25)]
CHIEF = "chief.of.section"


async def test_a_mandate_continues_as_new_during_a_consultation_and_between_steps_and_loses_no_update(
    engine: Engine,
) -> None:
    """24 answers of about fifteen events each cross a limit of 100 events: the consultation
    continues as new between answers, and the mandate, which the consultation's answers and
    progress signals fill as well, continues as new between steps once the consultation has
    ended. The last answers, the approval and the task's completion are sent meanwhile; each
    is sent again (same update id) when it meets a closing run or comes too early, as any
    client would. Progress is read from the audit log (see ``tests/support/history.py``)."""
    plan = validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult", "title": "Consult the parties",
                 "due_in_days": 30, "parties": MANY_PARTIES},
                {"type": "approval", "id": "approve", "title": "Approve the findings", "due_in_days": 45,
                 "approvers": [CHIEF], "rule": "any"},
                {"type": "task", "id": "publish", "title": "Publish the findings", "due_in_days": 60},
            ]
        }
    )  # fmt: skip
    mandate = make_mandate("continue-as-new", plan)
    started = await start_with_limit(engine, mandate, SMALL_LIMIT)
    log, calls = Log(engine, mandate.id), Calls()
    await log.until(lambda events: count("ConsultationOpened", "consult", events) == 1)

    first, rest = MANY_PARTIES[:12], MANY_PARTIES[12:]
    await answer_all(engine.client, mandate.id, 1, first, calls, batch=4)
    approval = send(
        engine.client, mandate.id, MandateWorkflow.approve, ApproveRequest(by=CHIEF), "approve", calls
    )
    done = CompleteTaskRequest(by="j.doe", outcome="published", effort_days=1, cost=250)
    publishing = send(engine.client, mandate.id, MandateWorkflow.complete_task, done, "publish", calls)
    await asyncio.gather(answer_all(engine.client, mandate.id, 1, rest, calls, batch=4), approval, publishing)
    result = await asyncio.wait_for(started.result(), 120)

    assert result.status is MandateStatus.COMPLETED
    events = await audit_log(engine, mandate.id)  # gapless versions, one key each
    answered = Counter(e.party for e in events if isinstance(e, ev.ResponseReceived))
    assert answered == Counter(MANY_PARTIES)  # every answer recorded, once
    assert calls.accepted + calls.already == len(MANY_PARTIES) + 2  # no update lost
    assert [e.by for e in events if isinstance(e, ev.Approved)] == [CHIEF]  # the approval, once
    final = fold(events)
    assert (final.status, final.version) == (result.status, result.version)
    assert final.step("consult").status is StepStatus.COMPLETED
    assert final.step("approve").approvals == [CHIEF]
    assert [e.outcome for e in events if isinstance(e, ev.TaskCompleted)] == ["published"]
    assert final.step("publish").status is StepStatus.COMPLETED

    mandate_runs = await chain(engine.client, mandate.id, started.result_run_id or "")
    consultation_runs = [
        await chain(engine.client, child, first_run)
        for run in mandate_runs
        for child, first_run in children(run)
    ]
    lengths = {
        "mandate": [len(h.events) for h in mandate_runs],
        "consultation": [[len(h.events) for h in runs] for runs in consultation_runs],
    }
    assert len(mandate_runs) > 1, lengths  # the mandate continued as new (between steps)
    assert len(consultation_runs) == 1, lengths
    assert len(consultation_runs[0]) > 1, lengths  # the consultation continued as new
    # The mandate's last run began after the consultation: it holds no child of its own.
    assert children(mandate_runs[-1]) == [], lengths


class HeldNotifications(NotificationActivities):
    """The real notifications, each held until ``released`` is set."""

    def __init__(self, real: NotificationActivities) -> None:
        self.__dict__.update(real.__dict__)
        self.released = asyncio.Event()
        self.released.set()
        self.held = 0

    @activity.defn(name="enqueue_notifications")
    async def enqueue_notifications(self, request: NotifyInput) -> NotifyResult:
        if not self.released.is_set():
            self.held += 1
            await self.released.wait()
        return await super().enqueue_notifications(request)


async def test_a_rejection_still_sending_its_requests_gets_its_answer_before_the_mandate_continues_as_new(
    engine_factory: Any, pool: Any
) -> None:
    """A rejection that sends the work back to a consultation is answered in the run that
    took it, even when that run is past its history limit and its requests are still being
    sent when the consultation becomes the current step: the mandate continues as new only
    once the rejection is recorded and notified (a run that continued at once left the
    approver's call unanswered, and the call made again was refused: the step had moved)."""
    plan = validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult", "title": "Consult the parties",
                 "due_in_days": 30, "parties": MANY_PARTIES[:2]},
                {"type": "approval", "id": "approve", "title": "Approve the findings", "due_in_days": 45,
                 "approvers": [CHIEF], "rule": "any", "on_reject_go_to": "consult"},
            ]
        }
    )  # fmt: skip
    notifications = HeldNotifications(NotificationActivities(NotificationOutbox(pool)))
    audit = AuditActivities(AuditStore(pool))
    async with engine_factory([audit.append_mandate_events, notifications.enqueue_notifications]) as engine:
        mandate = make_mandate("rejected-past-the-limit", plan)
        started = await start_with_limit(engine, mandate, SMALL_LIMIT)
        handle = mandate_handle(engine.client, mandate.id)
        log, calls = Log(engine, mandate.id), Calls()
        await log.until(lambda events: count("ConsultationOpened", "consult", events) == 1)
        await answer_all(engine.client, mandate.id, 1, MANY_PARTIES[:2], calls)
        await log.until(lambda events: count("ApprovalRequested", "approve", events) == 1)

        # Past the limit while the approval waits: signals without the workers' seal are
        # dropped (they change no state, so the mandate does not look at its limit again).
        forged = ForwardRefused(causation_id="forged", code="none", message="padding")
        while len((await handle.fetch_history()).events) <= SMALL_LIMIT:
            for _ in range(5):
                await handle.signal(REFUSED_SIGNAL, forged)
        runs_before = len(await chain(engine.client, mandate.id, started.result_run_id or ""))

        notifications.released.clear()
        reject = RejectRequest(by=CHIEF, comment="ask again")
        rejecting = asyncio.create_task(handle.execute_update(MandateWorkflow.reject, reject, id="r"))
        await log.until(lambda events: count("Rejected", "approve", events) == 1)
        await asyncio.sleep(1)  # (the mandate, past its limit, finds the consultation current)
        held = notifications.held  # the rejection's requests, still being sent
        notifications.released.set()
        await asyncio.wait_for(rejecting, 60)  # answered, not left to a run that has closed

        await log.until(lambda events: count("ConsultationOpened", "consult", events) == 2)
        runs = await chain(engine.client, mandate.id, started.result_run_id or "")
    assert held > 0
    assert len(runs) > runs_before  # the mandate did continue as new, past its limit
    rejected_in = [
        r for r in runs
        if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
               and e.workflow_execution_update_completed_event_attributes.meta.update_id == "r"
               for e in r.events)
    ]  # fmt: skip
    assert len(rejected_in) == 1 and rejected_in[0] is not runs[-1]  # answered before it continued
