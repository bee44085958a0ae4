"""Driving a mandate across continue-as-new: updates sent again until they land, the audit
log read as it grows (no workflow query), and the chain of a workflow's runs.

Progress is read from the audit log, not with the ``state`` query: the time-skipping
server can leave the first query after a continue-as-new unanswered, and time skipping
stalls with it."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain import events as ev
from domain.deadlines import next_alarm
from domain.mandate import Mandate
from domain.state import fold
from store.audit import StoredEvent
from tests.support.temporal import Engine
from workflows.mandate import MandateWorkflow
from workflows.messages import MandateInput, MandateResult, RespondRequest
from workflows.starter import mandate_handle

BATCH = 10  # updates in flight at once (a Temporal server admits 10 per workflow)
TIMERS = ("ReminderDue", "StepOverdue")


async def start_with_limit(
    engine: Engine, mandate: Mandate, limit: int
) -> WorkflowHandle[MandateWorkflow, MandateResult]:
    """Start ``mandate`` with a history limit of ``limit`` events; the handle of its first
    run (``result_run_id`` names it, for ``chain``)."""
    return await engine.client.start_workflow(
        MandateWorkflow.run,
        MandateInput(mandate=mandate, history_limit=limit),
        id=mandate.id,
        task_queue=engine.task_queue,
    )


@dataclass
class Calls:
    """What the update calls met: every party's update must end accepted."""

    accepted: int = 0
    already: int = 0  # a retry found the answer recorded by an earlier attempt
    retried: collections.Counter[str] = field(default_factory=collections.Counter)


async def send(
    client: Client, mandate_id: str, update: Any, request: Any, update_id: str, calls: Calls
) -> None:
    """One update, sent again (same id) after a transport error or a "not yet" refusal,
    until the mandate has it."""
    handle = mandate_handle(client, mandate_id)
    for _ in range(400):
        try:
            await handle.execute_update(update, request, id=update_id)
            calls.accepted += 1
            return
        except WorkflowUpdateFailedError as err:
            code = err.cause.type if isinstance(err.cause, ApplicationError) else type(err.cause).__name__
            if code == "already_responded":
                calls.already += 1
                return
            calls.retried[f"refused: {code}"] += 1
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            calls.retried[f"rpc: {getattr(err, 'status', None) or type(err).__name__}: {err}"[:90]] += 1
        await asyncio.sleep(0.05)
    raise AssertionError(f"{update_id} never landed")


async def answer_all(
    client: Client,
    mandate_id: str,
    round_: int,
    who: list[str],
    calls: Calls,
    *,
    step_id: str = "consult",
    batch: int = BATCH,
) -> None:
    """Each party in ``who`` answers consultation ``step_id`` (``batch`` updates in flight at
    once), through the mandate's ``respond`` update, each sent until it lands."""
    gate = asyncio.Semaphore(batch)

    async def one(party: str) -> None:
        async with gate:
            request = RespondRequest(party=party, text=f"{party} answers, round {round_}", step_id=step_id)
            await send(client, mandate_id, MandateWorkflow.respond, request, f"{round_}:{party}", calls)

    await asyncio.gather(*(one(p) for p in who))


class Log:
    """The mandate's audit stream as it grows, read by position (no workflow query: the
    time-skipping server can leave the first query after a continue-as-new unanswered,
    and time skipping with it)."""

    def __init__(self, engine: Engine, mandate_id: str) -> None:
        self.engine, self.mandate_id = engine, mandate_id
        self.position = 0
        self.events: list[StoredEvent] = []

    async def until(self, condition: Callable[[list[StoredEvent]], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for stored in await self.engine.audit.read_all(self.position, 5000):
                self.position = stored.position
                if stored.stream_id == self.mandate_id:
                    self.events.append(stored)
            if condition(self.events):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.mandate_id} never got there: {self.events[-3:]}")
            await asyncio.sleep(0.02)


def count(event_type: str, step_id: str, events: list[StoredEvent]) -> int:
    return sum(e.type == event_type and e.payload.get("step_id") == step_id for e in events)


async def skip_to_the_next_timer(engine: Engine, log: Log) -> None:
    """Let the server jump to the active step's next alarm, and wait for the timer's event."""
    state = fold(ev.from_payload(e.type, e.payload) for e in log.events)
    alarm = next_alarm(state)
    assert alarm is not None, state
    fired = sum(e.type in TIMERS for e in log.events)
    now = await engine.env.get_current_time()
    await engine.env.sleep(max(alarm.at - now, timedelta(0)) + timedelta(hours=1))
    await log.until(lambda events: sum(e.type in TIMERS for e in events) > fired)


async def chain(client: Client, workflow_id: str, first_run: str) -> list[WorkflowHistory]:
    """The histories of a workflow's runs, following continue-as-new from ``first_run``."""
    histories, run_id = [], first_run
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            else ""
        )
    return histories


def children(history: WorkflowHistory) -> list[tuple[str, str]]:
    """(workflow id, first run id) of each child a run started."""
    started = [
        e.child_workflow_execution_started_event_attributes.workflow_execution
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED
    ]
    return [(execution.workflow_id, execution.run_id) for execution in started]
