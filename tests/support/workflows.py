"""What the workflow scenarios share: starting mandates, driving them, checking the audit log."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.worker import Replayer

from domain import events as ev
from domain.mandate import Mandate
from domain.plan import ApprovalStep
from domain.state import MandateState, fold
from tests.support import ROOT
from tests.support.temporal import DATA_CONVERTER, WORKER_KEYS, Engine
from workflows import WORKFLOWS
from workflows.mandate import MandateWorkflow
from workflows.messages import ApproveRequest, CompleteTaskRequest, MandateResult, RespondRequest
from workflows.sealing import Sealing
from workflows.starter import mandate_handle, start_mandate

HISTORIES = ROOT / "tests" / "workflows" / "histories"
# Recorded before search attributes moved to a task of their own (SEARCH_ATTRIBUTES_TASK_PATCH):
# kept, since mandates begun then may still be running.
EARLIER_HISTORIES = HISTORIES / "before-search-attribute-task"


async def start(engine: Engine, mandate: Mandate) -> WorkflowHandle[MandateWorkflow, MandateResult]:
    """Start the mandate and return once its start is recorded."""
    result = await start_mandate(engine.client, mandate, engine.task_queue)
    assert result.status == "started", result
    handle = mandate_handle(engine.client, mandate.id)
    await until(handle, lambda state: state.version > 0)
    return handle


async def state_of(handle: WorkflowHandle[MandateWorkflow, Any]) -> MandateState:
    return await handle.query(MandateWorkflow.state)


async def until(
    handle: WorkflowHandle[MandateWorkflow, Any], condition: Callable[[MandateState], bool]
) -> MandateState:
    """Poll the state query until ``condition`` holds (a few ms: activities, not timers)."""
    for _ in range(500):
        state = await state_of(handle)
        if condition(state):
            return state
        await asyncio.sleep(0.01)
    raise AssertionError(f"{handle.id} never reached the expected state: {state!r}")


async def child_started(client: Client, workflow_id: str) -> None:
    """Wait until the workflow ``workflow_id`` (a consultation the mandate starts as its child,
    once the consultation's events and requests are recorded) exists."""
    for _ in range(500):
        try:
            await client.get_workflow_handle(workflow_id).describe()
            return
        except RPCError:
            await asyncio.sleep(0.01)
    raise AssertionError(f"{workflow_id} was never started")


async def audit_log(engine: Engine, mandate_id: str) -> list[ev.MandateEvent]:
    """The mandate's audit stream as domain events, checked gapless and keyed once each."""
    stored = await engine.audit.read_stream(mandate_id)
    assert [s.version for s in stored] == list(range(1, len(stored) + 1))
    assert [s.idempotency_key for s in stored] == [f"{mandate_id}:{s.version}" for s in stored]
    assert all(s.correlation_id == mandate_id for s in stored)
    return [ev.from_payload(s.type, s.payload) for s in stored]


async def checked_log(engine: Engine, handle: WorkflowHandle[MandateWorkflow, Any]) -> list[ev.MandateEvent]:
    """The audit log, after checking that its fold equals the workflow's ``state`` query."""
    events = await audit_log(engine, handle.id)
    assert fold(events) == await state_of(handle)
    return events


def types(events: Sequence[ev.MandateEvent]) -> list[str]:
    return [e.type for e in events]


async def drive_to_completion(handle: WorkflowHandle[MandateWorkflow, Any]) -> list[str]:
    """Answer, complete and approve each step in turn; return the steps it went through."""
    seen: list[str] = []
    while True:
        state = await state_of(handle)
        step = state.active_step()
        if step is None:
            return seen
        assert state.mandate is not None
        planned = state.mandate.plan.step(step.step_id)
        seen.append(step.step_id)
        if step.type == "consultation":
            for party in step.awaiting():
                await handle.execute_update(
                    MandateWorkflow.respond, RespondRequest(party=party, text=f"input of {party}")
                )
        elif isinstance(planned, ApprovalStep):
            for approver in planned.approvers:
                await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by=approver))
                if planned.rule == "any":
                    break
        else:
            await handle.execute_update(
                MandateWorkflow.complete_task,
                CompleteTaskRequest(by="j.doe", outcome=f"{step.step_id} done", effort_days=1, cost=100),
            )


async def record_histories(engine: Engine, handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With RECORD_HISTORIES=1, save the mandate's history and its consultations' as JSON
    under ``tests/workflows/histories/`` for the replay test."""
    if not os.environ.get("RECORD_HISTORIES"):
        return
    HISTORIES.mkdir(exist_ok=True)
    for old in HISTORIES.glob(f"{name}*.json"):
        old.unlink()
    history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json())
    runs = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            execution = event.child_workflow_execution_started_event_attributes.workflow_execution
            child = engine.client.get_workflow_handle(execution.workflow_id, run_id=execution.run_id)
            runs += 1
            step = execution.workflow_id.rsplit("--", 1)[-1]
            (HISTORIES / f"{name}--{runs}-{step}.json").write_text((await child.fetch_history()).to_json())


async def assert_replays(*handles: WorkflowHandle[Any, Any]) -> None:
    """Each workflow's history replays against the code that made it (with this session's
    sealing keys: a history recorded here replays here only)."""
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=DATA_CONVERTER, interceptors=[Sealing(WORKER_KEYS)]
    )
    for handle in handles:
        result = await replayer.replay_workflow(await handle.fetch_history(), raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{handle.id}: {result.replay_failure}"
