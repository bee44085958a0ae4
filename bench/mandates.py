"""Benchmarks 1 and 6: mandates on the Temporal dev server, against bare workflows.

1. Throughput: mandates driven through a consultation (three parties answer), a
   task and an approval, as fast as a fixed number of drivers can take them, with
   the audit log on, payloads encrypted and updates signed and checked (as users
   run the engine); against ``BareMandateWorkflow`` driven the same way. Each engine
   run also drives them without the codec and signing (``throughput_plain``, against
   the same baseline run), the two in alternating order from run to run.
6. Open mandates at scale: many mandates whose first step waits for its deadline,
   a share of them all on one instant a few minutes out (the dev server's real
   clock); start rate, the worker's peak RSS, and how late the shared deadline is
   seen; against ``BareTimerWorkflow`` with the same timers.

Each run has its own task queue, worker process and database.
"""

from __future__ import annotations

import asyncio
import collections
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from bench.bare_messages import BareAnswer, BareDone, BareMandateInput
from bench.baselines import BareMandateWorkflow
from bench.harness import Metric, Metrics, Target
from bench.profiling import Profiler
from bench.registry import Context, register
from bench.sizes import Sizes
from bench.stack import BenchStack, WorkerProcess
from domain.mandate import Mandate
from domain.plan import Plan, validate_plan
from domain.vocabulary import MandateKind
from workflows.mandate import MandateWorkflow
from workflows.messages import ApproveRequest, CompleteTaskRequest, RespondRequest
from workflows.starter import mandate_handle, start_mandate

PARTIES = ["Council of Europe (GRECO)", "OECD Working Group on Bribery", "OAS (MESICIC)"]
APPROVER = "chief.of.section"


def throughput_plan() -> Plan:
    """A consultation of three parties, a task and an approval (deadlines weeks away)."""
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult-partners", "due_in_days": 30,
                 "title": "Consult the partner secretariats", "parties": PARTIES},
                {"type": "task", "id": "summarise", "due_in_days": 45, "title": "Summarise the answers"},
                {"type": "approval", "id": "approve-summary", "due_in_days": 60,
                 "title": "Approve the summary", "approvers": [APPROVER], "rule": "any"},
            ]
        }
    )  # fmt: skip


def deadline_plan(due: datetime) -> Plan:
    """One task due at ``due`` (then an approval a month later): it waits on a timer."""
    return validate_plan(
        {
            "steps": [
                {"type": "task", "id": "prepare-note", "due": due, "title": "Prepare the note"},
                {"type": "approval", "id": "approve-note", "due": due + timedelta(days=30),
                 "title": "Approve the note", "approvers": [APPROVER], "rule": "any"},
            ]
        }
    )  # fmt: skip


def bench_mandate(token: str, paragraph: int, plan: Plan) -> Mandate:
    return Mandate(
        resolution_symbol="BENCH/1",
        resolution_slug=f"bench-{token}",
        paragraph=paragraph,
        verb="requests",
        kinds=[MandateKind.DIALOGUE],
        coordinator="coordinator.bench",
        title="benchmark mandate",
        plan=plan,
    )


async def _until_ready(query: Callable[[], Awaitable[int]], timeout: float = 120) -> None:
    """Poll ``query`` (a version) until it is above 0, as the CLI and the tests do."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await query() > 0:
                return
        except RPCError:
            pass  # not queryable before its first workflow task
        if time.monotonic() > deadline:
            raise TimeoutError("the workflow did not record its start")
        await asyncio.sleep(0.02)


async def drive_engine_mandate(client: Client, task_queue: str, mandate: Mandate) -> None:
    """Start a mandate and drive it to completion through its updates."""
    result = await start_mandate(client, mandate, task_queue)
    assert result.status == "started", result
    handle = mandate_handle(client, mandate.id)

    async def version() -> int:
        return (await handle.query(MandateWorkflow.state)).version

    await _until_ready(version)
    for party in PARTIES:
        await handle.execute_update(
            MandateWorkflow.respond, RespondRequest(party=party, text=f"the answer of {party}")
        )
    await handle.execute_update(
        MandateWorkflow.complete_task,
        CompleteTaskRequest(by="j.doe", outcome="summary written", effort_days=2, cost=150),
    )
    await handle.execute_update(MandateWorkflow.approve, ApproveRequest(by=APPROVER))
    outcome = await handle.result()
    assert outcome.status.value == "completed", outcome


async def drive_bare_mandate(client: Client, task_queue: str, workflow_id: str) -> None:
    handle: WorkflowHandle[BareMandateWorkflow, Any] = await client.start_workflow(
        BareMandateWorkflow.run,
        BareMandateInput(mandate_id=workflow_id, parties=PARTIES),
        id=workflow_id,
        task_queue=task_queue,
    )

    async def version() -> int:
        return (await handle.query(BareMandateWorkflow.state)).version

    await _until_ready(version)
    for party in PARTIES:
        await handle.execute_update(BareMandateWorkflow.respond, BareAnswer(party=party))
    await handle.execute_update(BareMandateWorkflow.complete_task, BareDone(by="j.doe"))
    await handle.execute_update(BareMandateWorkflow.approve, BareDone(by=APPROVER))
    await handle.result()


async def _bounded(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run ``one(i)`` for i in range(count), ``concurrency`` at a time; return the seconds taken."""
    queue = iter(range(count))
    began = time.monotonic()

    async def drive() -> None:
        for i in queue:
            await one(i)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, count)):
            group.create_task(drive())
    return time.monotonic() - began


async def history_counts(client: Client, workflow_id: str) -> collections.Counter[str]:
    """Event types in a workflow's history and its children's (to compare engine and bare)."""
    counts: collections.Counter[str] = collections.Counter()
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        counts[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += 1
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            child = event.child_workflow_execution_started_event_attributes.workflow_execution
            counts.update(await history_counts(client, child.workflow_id))
    return counts


class MandateThroughput:
    """Benchmark 1."""

    number = "1"
    title = "mandate throughput (dev server)"
    target = Target("ratio >= 0.7", lambda r: r.ratio() >= 0.7)

    def __init__(self, stack: BenchStack, sizes: Sizes, worker_options: dict[str, str] | None = None,
                 profiler: Profiler | None = None, codec: bool = True) -> None:  # fmt: skip
        self.stack = stack
        self.sizes = sizes
        self.worker_options = worker_options or {}
        self.profiler = profiler
        self.codec = codec
        self.metrics = (Metric("throughput", "mandates/s"),)
        if codec:
            self.metrics += (Metric("throughput_plain", "mandates/s"),)  # the engine without codec, signing
        self.notes: list[str] = []
        self.client: Client | None = None
        self.engine_client: Client | None = None
        self._runs = 0

    async def prepare(self) -> None:
        self.client = await self.stack.client()
        self.engine_client = await self.stack.engine_client(self.codec)
        self.notes.append(
            "engine: payloads encrypted (AES-256-GCM), updates signed and checked against an identities "
            "file; throughput_plain: neither (the bare workflows use neither)"
            if self.codec
            else "engine without the payload codec and update signing (BENCH_CODEC=off)"
        )

    async def finish(self) -> None:
        pass

    async def engine(self) -> Metrics:
        self._runs += 1
        if not self.codec:
            return {"throughput": await self._engine_run(codec=False)}
        order = (True, False) if self._runs % 2 else (False, True)
        figures = {codec: await self._engine_run(codec) for codec in order}
        return {"throughput": figures[True], "throughput_plain": figures[False]}

    async def _engine_run(self, codec: bool) -> float:
        client = self.engine_client if codec else self.client
        assert client is not None
        token, queue = uuid.uuid4().hex[:10], f"bench-1-engine-{uuid.uuid4().hex[:8]}"
        plan = throughput_plan()
        first = self._runs == 1 and codec == self.codec
        async with self.stack.fresh_database("bench1") as db:
            async with WorkerProcess(
                self.stack, "engine", queue, db.app_url, self.worker_options, codec=codec
            ) as worker:
                profile = (
                    await self.profiler.record(worker.pid, "1-engine-worker")
                    if self.profiler and first
                    else None
                )
                seconds = await _bounded(
                    self.sizes.mandates,
                    self.sizes.mandate_concurrency,
                    lambda i: drive_engine_mandate(client, queue, bench_mandate(token, i + 1, plan)),
                )
                if profile is not None:
                    await profile.finish()
                if first:
                    await self._note_histories(bench_mandate(token, 1, plan).id, f"bare-{token}-1")
            events = await _count(db.app_url, "SELECT count(*) FROM audit_events")
        label = "" if codec == self.codec else " (plain)"
        self.notes.append(f"engine run {self._runs}{label}: {events} audit events")
        return self.sizes.mandates / seconds

    async def baseline(self) -> Metrics:
        assert self.client is not None
        client = self.client
        token, queue = uuid.uuid4().hex[:10], f"bench-1-bare-{uuid.uuid4().hex[:8]}"
        async with WorkerProcess(self.stack, "bare", queue, None, self.worker_options):
            seconds = await _bounded(
                self.sizes.mandates,
                self.sizes.mandate_concurrency,
                lambda i: drive_bare_mandate(client, queue, f"bare-{token}-{i + 1}"),
            )
            if self._runs == 1 and not any("bare history" in n for n in self.notes):
                self.notes.append(
                    "bare history: " + _counts_text(await history_counts(client, f"bare-{token}-1"))
                )
        throughput = self.sizes.mandates / seconds
        return {"throughput": throughput} | ({"throughput_plain": throughput} if self.codec else {})

    async def _note_histories(self, engine_id: str, _bare_id: str) -> None:
        assert self.client is not None
        counts = _counts_text(await history_counts(self.client, engine_id))
        encoding = await input_encoding(self.client, engine_id)
        self.notes.append(f"engine history: {counts}; its input payload is {encoding}")


async def input_encoding(client: Client, workflow_id: str) -> str:
    """The encoding of a workflow's input as its history holds it (``binary/encrypted``
    when the codec is on, ``json/plain`` without)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    return started.input.payloads[0].metadata["encoding"].decode()


def _counts_text(counts: collections.Counter[str]) -> str:
    wanted = (
        "ACTIVITY_TASK_SCHEDULED", "TIMER_STARTED", "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED", "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
        "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES", "WORKFLOW_TASK_COMPLETED",
    )  # fmt: skip
    shown = ", ".join(f"{k.lower()}={counts.get(k, 0)}" for k in wanted)
    return f"{sum(counts.values())} events ({shown})"


async def _count(url: str, sql: str, *args: Any) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


@register("1", order=60)
def _mandate_throughput(ctx: Context) -> MandateThroughput:
    return MandateThroughput(ctx.stack, ctx.sizes, ctx.worker_options, ctx.profiler, ctx.codec)
