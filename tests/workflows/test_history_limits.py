"""History limits: a mandate with thousands of responses and reminders keeps every run's
history far below Temporal's limits by continuing as new, and loses no update across it.

The plan has several consultations; the parties of each answer through the mandate's
``respond`` update, in concurrent batches, between the consultation's reminders (the
time-skipping server jumps to them). The mandate continues as new between steps once
its run passes the history limit of its input (``MandateInput.history_limit``), and a
consultation does so between commands; updates that meet a closing run are retried
by the caller, as any client would.

``make test`` runs 500 responses (5 consultations of 100 parties, a limit of 1,500 events
so that both workflows continue as new); ``make faults`` runs 5,000 (25 consultations
of 200, the default limit ``HISTORY_LIMIT``) with ``MANDATES_HISTORY_PARTIES=5000``.

Progress is read from the audit log, not with the ``state`` query: the time-skipping
server can leave the first query after a continue-as-new unanswered, and time
skipping stalls with it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowHistory,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.plan import validate_plan
from domain.state import MandateStatus
from store.audit import StoredEvent
from tests.workflows.conftest import Engine
from tests.workflows.helpers import audit_log, make_mandate
from workflows.mandate import MandateWorkflow
from workflows.messages import HISTORY_LIMIT, MandateInput, RespondRequest
from workflows.starter import mandate_handle

# A soak: minutes of time-skipping under load, so `make faults` runs it, not `make test`.
pytestmark = pytest.mark.soak

TOTAL = int(os.environ.get("MANDATES_HISTORY_PARTIES", "500"))
CONSULTATIONS = 25 if TOTAL >= 5000 else 5
PER_CONSULTATION = TOTAL // CONSULTATIONS
LIMIT = HISTORY_LIMIT if TOTAL >= 5000 else 1500
BATCH = 25  # updates in flight at once
RUN_CEILING = 10_000  # every run stays below this many events (Temporal warns at 10,240)


def parties(step: int) -> list[str]:
    return [f"Party {step}.{n:04d}" for n in range(PER_CONSULTATION)]


def large_plan():
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": f"consult-{k}", "title": f"Consultation {k}",
                 "due_in_days": 30 * k, "parties": parties(k)}
                for k in range(1, CONSULTATIONS + 1)
            ]
        }
    )  # fmt: skip


@dataclass
class Calls:
    """What the update calls met: every party's update must end accepted."""

    accepted: int = 0
    already: int = 0  # a retry found the answer recorded by an earlier attempt
    retried: collections.Counter[str] = field(default_factory=collections.Counter)


async def answer(client: Client, mandate_id: str, step: str, party: str, calls: Calls) -> None:
    """One party's answer, retried (same update id) until the mandate has it."""
    handle = mandate_handle(client, mandate_id)
    request = RespondRequest(party=party, text=f"{party} answers", step_id=step)
    for _ in range(200):
        try:
            await handle.execute_update(MandateWorkflow.respond, request, id=f"{step}:{party}")
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
    raise AssertionError(f"{party}'s answer to {step} never landed")


async def answer_all(client: Client, mandate_id: str, step: str, who: list[str], calls: Calls) -> None:
    gate = asyncio.Semaphore(BATCH)

    async def one(party: str) -> None:
        async with gate:
            await answer(client, mandate_id, step, party, calls)

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


def opened(step: str) -> Callable[[list[StoredEvent]], bool]:
    return lambda events: any(e.type == "ConsultationOpened" and e.payload["step_id"] == step for e in events)


def reminded(step: str, days: int) -> Callable[[list[StoredEvent]], bool]:
    return lambda events: any(
        e.type == "ReminderDue" and e.payload["step_id"] == step and e.payload["days_before"] == days
        for e in events
    )


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


async def test_thousands_of_answers_and_reminders_stay_far_below_the_history_limits(engine: Engine) -> None:
    began = time.monotonic()
    mandate = make_mandate("history-limits", large_plan())
    started = await engine.client.start_workflow(
        MandateWorkflow.run,
        MandateInput(mandate=mandate, history_limit=LIMIT),
        id=mandate.id,
        task_queue=engine.task_queue,
    )
    handle = mandate_handle(engine.client, mandate.id)
    log = Log(engine, mandate.id)
    await log.until(lambda events: len(events) > 0)
    started_at = datetime.fromisoformat(log.events[0].payload["at"])
    calls = Calls()
    for k in range(1, CONSULTATIONS + 1):
        step, who = f"consult-{k}", parties(k)
        due = started_at + timedelta(days=30 * k)
        thirds = [who[: len(who) // 3], who[len(who) // 3 : 2 * len(who) // 3], who[2 * len(who) // 3 :]]
        # The first third answers at once: right after the previous consultation closed,
        # while the mandate continues as new.
        await log.until(opened(step))
        await answer_all(engine.client, mandate.id, step, thirds[0], calls)
        for days_before, rest in ((14, thirds[1]), (3, thirds[2])):
            now = await engine.env.get_current_time()
            await engine.env.sleep(due - timedelta(days=days_before, hours=-12) - now)
            await log.until(reminded(step, days_before))
            await answer_all(engine.client, mandate.id, step, rest, calls)

    result = await handle.result()
    elapsed = time.monotonic() - began

    assert result.status is MandateStatus.COMPLETED
    events = await audit_log(engine, mandate.id)  # gapless versions, one key each
    answered = collections.Counter((e.step_id, e.party) for e in events if e.type == "ResponseReceived")
    assert len(answered) == TOTAL and set(answered.values()) == {1}
    reminders = collections.Counter((e.step_id, e.days_before) for e in events if e.type == "ReminderDue")
    assert reminders == {(f"consult-{k}", d): 1 for k in range(1, CONSULTATIONS + 1) for d in (14, 3)}
    assert calls.accepted + calls.already == TOTAL  # no update lost

    mandate_runs = await chain(engine.client, mandate.id, started.result_run_id or "")
    consultation_runs = {
        child: await chain(engine.client, child, first_run)
        for run in mandate_runs
        for child, first_run in children(run)
    }
    lengths = {
        "mandate": [len(h.events) for h in mandate_runs],
        **{
            child.rsplit("--", 1)[-1]: [len(h.events) for h in runs]
            for child, runs in consultation_runs.items()
        },
    }
    assert len(consultation_runs) == CONSULTATIONS
    assert len(mandate_runs) > 1, lengths  # the mandate continued as new
    assert any(len(runs) > 1 for runs in consultation_runs.values()), lengths  # and consultations
    longest = max(n for runs in lengths.values() for n in runs)
    assert longest < RUN_CEILING, lengths
    print(
        f"\n{TOTAL} answers and {sum(reminders.values())} reminders in {elapsed:.1f}s; runs (events each):"
        f" {lengths}; longest run {longest} events; retried {dict(calls.retried)};"
        f" already recorded {calls.already}"
    )
