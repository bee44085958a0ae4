"""Retries and replays never duplicate or lose an event; a carried state resumes a mandate."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.audit import AppendEventsInput, AppendEventsResult, AuditActivities
from activities.notifications import NotificationActivities
from domain.plan import validate_plan
from domain.state import MandateStatus, fold
from store.audit import AuditStore
from store.notifications import NotificationOutbox
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import audit_log, checked_log, start, types, until
from workflows.mandate import MandateWorkflow
from workflows.messages import ApproveRequest, CompleteTaskRequest, MandateInput

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
