"""History limits: a mandate with thousands of responses and reminders keeps every run's
history far below Temporal's limits by continuing as new, and loses no update across it.

One consultation, done again and again: after each round the approver rejects the result
and the mandate goes back to consult the same parties (a rework, as a plan allows). The
parties answer through the mandate's ``respond`` update, in concurrent batches, between the
round's reminders and deadline (the time-skipping server jumps to each). The mandate
continues as new between steps once its run passes the limit of its input
(``MandateInput.history_limit``), and a consultation does so between commands; updates
that meet a closing run are sent again by their caller, as any client would.

Rounds rather than one consultation of thousands of parties, because a mandate folds its
plan into every state it keeps: a plan naming 5,000 parties made each workflow task copy
them all, and the replay after a cache eviction outlasted the task timeout (RELIABILITY.md).

``make faults`` runs 500 answers (5 rounds of 100 parties, a limit of 1,500 events so that
both workflows continue as new) and 5,000 (25 rounds of 200, the default ``HISTORY_LIMIT``,
with ``MANDATES_HISTORY_PARTIES=5000``).

Progress is read from the audit log, not with the ``state`` query: the time-skipping
server can leave the first query after a continue-as-new unanswered, and time skipping
stalls with it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
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
from temporalio.worker import Replayer, Worker

from activities import build_activities
from domain import events as ev
from domain.deadlines import next_alarm
from domain.plan import validate_plan
from domain.state import MandateStatus, fold
from store.audit import AuditStore, StoredEvent
from store.notifications import NotificationOutbox
from tests.support.mandates import make_mandate
from tests.support.temporal import DATA_CONVERTER, Engine, time_skipping_server
from tests.support.workflows import audit_log
from workflows import WORKFLOWS
from workflows.mandate import MandateWorkflow
from workflows.messages import HISTORY_LIMIT, ApproveRequest, MandateInput, RejectRequest, RespondRequest
from workflows.starter import mandate_handle

# A soak: minutes of time-skipping under load, so `make faults` runs it, not `make test`.
pytestmark = pytest.mark.soak

TOTAL = int(os.environ.get("MANDATES_HISTORY_PARTIES", "500"))
ROUNDS = 25 if TOTAL >= 5000 else 5
PARTIES = [f"Party {n:04d}" for n in range(TOTAL // ROUNDS)]
LIMIT = HISTORY_LIMIT if TOTAL >= 5000 else 1500
APPROVER = "chief.of.section"
BATCH = 10  # updates in flight at once (a Temporal server admits 10 per workflow)
RUN_CEILING = 10_000  # every run stays below this many events (Temporal warns at 10,240)
TIMERS = ("ReminderDue", "StepOverdue")


def rework_plan():
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult", "title": "Consult the parties",
                 "due_in_days": 30, "parties": PARTIES},
                {"type": "approval", "id": "approve", "title": "Approve the findings", "due_in_days": 45,
                 "approvers": [APPROVER], "rule": "any", "on_reject_go_to": "consult"},
            ]
        }
    )  # fmt: skip


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


async def answer_all(client: Client, mandate_id: str, round_: int, who: list[str], calls: Calls) -> None:
    gate = asyncio.Semaphore(BATCH)

    async def one(party: str) -> None:
        async with gate:
            request = RespondRequest(party=party, text=f"{party} answers, round {round_}", step_id="consult")
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


@pytest.fixture
async def engine(pool: asyncpg.Pool) -> AsyncIterator[Engine]:
    """A time-skipping server of its own: the session's carries other tests' workflows, whose
    unfinished tasks can hold its clock."""
    async with time_skipping_server() as env:
        running = Engine(env, f"soak-{uuid.uuid4()}", AuditStore(pool), NotificationOutbox(pool))
        async with Worker(
            env.client, task_queue=running.task_queue, workflows=WORKFLOWS, activities=build_activities(pool)
        ):
            yield running


async def test_thousands_of_answers_and_reminders_stay_far_below_the_history_limits(engine: Engine) -> None:
    began = time.monotonic()
    mandate = make_mandate("history-limits", rework_plan())
    started = await engine.client.start_workflow(
        MandateWorkflow.run,
        MandateInput(mandate=mandate, history_limit=LIMIT),
        id=mandate.id,
        task_queue=engine.task_queue,
    )
    handle = mandate_handle(engine.client, mandate.id)
    log = Log(engine, mandate.id)
    calls = Calls()
    third = len(PARTIES) // 3
    await answer_all(engine.client, mandate.id, 1, PARTIES[:third], calls)
    for k in range(1, ROUNDS + 1):
        await log.until(lambda events, k=k: count("ConsultationOpened", "consult", events) == k)
        await skip_to_the_next_timer(engine, log)
        await answer_all(engine.client, mandate.id, k, PARTIES[third : 2 * third], calls)
        await skip_to_the_next_timer(engine, log)
        await answer_all(engine.client, mandate.id, k, PARTIES[2 * third :], calls)
        await log.until(lambda events, k=k: count("ApprovalRequested", "approve", events) == k)
        if k == ROUNDS:
            request = ApproveRequest(by=APPROVER)
            await send(engine.client, mandate.id, MandateWorkflow.approve, request, "approve", calls)
            break
        # The rejection and the next round's first answers at once: the answers come before
        # the round opens (refused, sent again), while the mandate continues as new (let go,
        # sent again) and after it, on the new run.
        reject = RejectRequest(by=APPROVER, comment=f"round {k}: ask again")
        await asyncio.gather(
            send(engine.client, mandate.id, MandateWorkflow.reject, reject, f"reject:{k}", calls),
            answer_all(engine.client, mandate.id, k + 1, PARTIES[:third], calls),
        )

    result = await handle.result()
    elapsed = time.monotonic() - began

    assert result.status is MandateStatus.COMPLETED
    events = await audit_log(engine, mandate.id)  # gapless versions, one key each
    round_, answered, timers = 0, collections.Counter(), collections.Counter()
    for e in events:
        if e.type == "StepStarted" and e.step_id == "consult":
            round_ = e.attempt
        elif e.type == "ResponseReceived":
            answered[(round_, e.party)] += 1
        elif e.type == "ReminderDue":
            timers[(e.step_id, round_, e.type, e.days_before)] += 1
        elif e.type == "StepOverdue":
            timers[(e.step_id, round_, e.type)] += 1
    assert len(answered) == TOTAL and set(answered.values()) == {1}  # every answer, once
    assert set(timers.values()) == {1}, timers  # every timer fired once
    rounds_reminded = {r for step, r, kind, *_ in timers if step == "consult" and kind == "ReminderDue"}
    assert rounds_reminded == set(range(1, ROUNDS + 1))
    assert calls.accepted + calls.already == TOTAL + ROUNDS  # no update lost (the answers, the decisions)

    mandate_runs = await chain(engine.client, mandate.id, started.result_run_id or "")
    consultation_runs = [
        await chain(engine.client, child, first_run)
        for run in mandate_runs
        for child, first_run in children(run)
    ]
    lengths = {
        "mandate": [len(h.events) for h in mandate_runs],
        "consultation rounds": [[len(h.events) for h in runs] for runs in consultation_runs],
    }
    assert len(consultation_runs) == ROUNDS
    assert len(mandate_runs) > 1, lengths  # the mandate continued as new
    assert any(len(runs) > 1 for runs in consultation_runs) or LIMIT == HISTORY_LIMIT, lengths
    longest = max([*lengths["mandate"], *(n for runs in lengths["consultation rounds"] for n in runs)])
    assert longest < RUN_CEILING, lengths
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    unreplayable = []
    for run in [*mandate_runs, *(h for runs in consultation_runs for h in runs)]:
        failure = (await replayer.replay_workflow(run, raise_on_replay_failure=False)).replay_failure
        if failure is not None:
            unreplayable.append(f"{run.workflow_id} ({len(run.events)} events): {failure}"[:400])
    print(
        f"\n{TOTAL} answers, {sum(timers.values())} reminders and overdue notices, in {elapsed:.1f}s;"
        f" runs (events each): {lengths}; longest run {longest} events; sent again:"
        f" {dict(calls.retried)}; already recorded {calls.already}"
    )
    assert not unreplayable, unreplayable  # (RELIABILITY.md, "History limits": a run that did not replay)
