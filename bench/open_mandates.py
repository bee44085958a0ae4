"""Benchmark 6: many open mandates waiting on timers, and one instant where many deadlines fall.

Two populations live side by side on the dev server, each with its own worker
process and database: ``open_mandates`` engine mandates (one task due at its
deadline, then an approval; ``MandateWorkflow`` with the audit log on) and as
many ``BareTimerWorkflow``s with the same timers. Starting 10,000 workflows
takes minutes on two cores, so each population is started once and the runs
share it:

- Starting: the first half or so of each population (all due a month out) is
  started in segments, alternating engine, bare, engine, bare... Each segment's
  start rate (from its first start request until the worker has recorded every
  start) is one run's ``start_rate``.
- Deadlines: then the shared instants are fixed, late enough for the rest to be
  started at the rates just measured (with 30% slack), alternating engine, bare,
  engine... a fixed gap apart. The rest of each population is started in
  alternating chunks: 60% of it waits for one of the instants (``open_instant``
  per run: 3,000 of 10,000 for three runs), spread evenly over the start order,
  the others for a month. One run's lateness is that of its instant: p50/p95
  over its workflows of (the time the firing was recorded: the audit event's
  ``recorded_at``, or the bare workflow's mark) minus the deadline, and of
  ``workflow.now()`` at the firing (``observed_lateness_p95``). A deadline not
  seen before the next instant counts as that late.
- ``peak_rss`` is the worker process's peak resident set size (VmHWM) when the
  run's instant has been seen.

With the default cache of 1,000 workflows per worker, most of the mandates whose
deadline falls are no longer cached and are replayed from their history.

The engine's mandates are started and run with payloads encrypted (its worker and
client come from ``config.client``), as users run the engine; ``BENCH_CODEC=off``
runs them without (this benchmark sends no updates, so signing plays no part).

The workflows are left open (the dev server of a benchmark session is thrown
away afterwards); this benchmark runs last.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import psutil
from temporalio.client import Client

from bench.bare_messages import MARKS_TABLE, BareTimerInput
from bench.baselines import BareTimerWorkflow
from bench.harness import Metric, Metrics, Target
from bench.mandates import _bounded, _percentile, bench_mandate, deadline_plan
from bench.profiling import Profiler
from bench.registry import Context, register
from bench.sizes import Sizes
from bench.stack import BenchStack, Database, WorkerProcess
from domain.mandate import mandate_id
from workflows.starter import start_mandate

_STARTED = {
    "engine": "SELECT count(*) FROM audit_events WHERE event_type = 'MandateStarted'",
    "bare": "SELECT count(*) FROM bench_marks WHERE kind = 'started'",
}
_FIRED = {
    "engine": """
        SELECT extract(epoch FROM occurred_at - $1) AS observed,
               extract(epoch FROM recorded_at - $1) AS recorded
        FROM audit_events WHERE event_type = 'StepOverdue' AND stream_id = ANY ($2::text[])""",
    "bare": """
        SELECT extract(epoch FROM observed_at - $1) AS observed,
               extract(epoch FROM recorded_at - $1) AS recorded
        FROM bench_marks WHERE kind = 'fired' AND workflow_id = ANY ($2::text[])""",
}


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size so far (VmHWM on Linux; the current RSS elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return psutil.Process(pid).memory_info().rss / 2**20


@dataclass
class Population:
    """One side's workflows, worker and database."""

    kind: str
    size: int
    database: Database
    worker: WorkerProcess
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    instant_of: dict[int, int] = field(default_factory=dict)  # workflow index -> instant number
    deadlines: list[datetime] = field(default_factory=list)  # the population's instants
    started: int = 0

    def workflow_id(self, i: int) -> str:
        if self.kind == "engine":
            return mandate_id(f"bench-{self.token}", i + 1)  # as bench_mandate(token, i + 1, ...) has
        return f"bare-{self.token}-{i + 1}"

    def members(self, instant: int) -> list[str]:
        return [self.workflow_id(i) for i, k in self.instant_of.items() if k == instant]


def spread(count: int, first: int, total: int, groups: int) -> dict[int, int]:
    """``count`` indexes of ``first..total-1`` evenly spread, dealt to ``groups`` in turn."""
    span = total - first
    chosen: dict[int, int] = {}
    for j in range(span):
        if (j + 1) * count // span > j * count // span:
            chosen[first + j] = len(chosen) % groups
    return chosen


class OpenMandates:
    """Benchmark 6."""

    number = "6"
    title = "open mandates at scale (dev server)"
    metrics = (
        Metric("lateness_p95", "s", lower_is_better=True),
        Metric("lateness_p50", "s", lower_is_better=True),
        Metric("observed_lateness_p95", "s", lower_is_better=True),
        Metric("start_rate", "workflows/s"),
        Metric("peak_rss", "MiB", lower_is_better=True),
    )
    target = Target(
        "engine peak RSS <= 1024 MiB; p95 lateness <= 2x bare (ratio >= 0.5)",
        lambda r: r.engine["peak_rss"].median <= 1024 and r.ratio() >= 0.5,
    )

    def __init__(self, stack: BenchStack, sizes: Sizes, worker_options: dict[str, str] | None = None,
                 profiler: Profiler | None = None, codec: bool = True) -> None:  # fmt: skip
        self.stack = stack
        self.sizes = sizes
        self.worker_options = worker_options or {}
        self.profiler = profiler
        self.codec = codec
        self.notes: list[str] = []
        self.client: Client | None = None
        self.engine_client: Client | None = None
        self.sides: dict[str, Population] = {}
        self.rates: dict[str, list[float]] = {"engine": [], "bare": []}
        self.measured: dict[str, int] = {"engine": 0, "bare": 0}

    @property
    def gap(self) -> int:
        """Seconds between two shared instants."""
        return self.sizes.open_instant_gap

    async def prepare(self) -> None:
        self.client = await self.stack.client()
        self.engine_client = await self.stack.engine_client(self.codec)
        self.notes.append(
            "engine: payloads encrypted (AES-256-GCM)"
            if self.codec
            else "engine without the codec (BENCH_CODEC=off)"
        )
        n, pairs = self.sizes.open_mandates, self.sizes.pairs
        shared = min(self.sizes.open_instant * pairs, n)
        late = min(n, shared * 5 // 3)  # the mixed, last started part: 60% of it waits for an instant
        for kind in ("engine", "bare"):
            db = await self.stack.create_database(f"bench6_{kind}")
            if kind == "bare":
                conn = await asyncpg.connect(db.admin_url)
                try:
                    await conn.execute(MARKS_TABLE)
                    await conn.execute("GRANT SELECT, INSERT ON bench_marks TO mandates_app")
                finally:
                    await conn.close()
            queue = f"bench-6-{kind}-{uuid.uuid4().hex[:8]}"
            codec = self.codec and kind == "engine"
            worker = WorkerProcess(self.stack, kind, queue, db.app_url, self.worker_options, codec=codec)
            await worker.start()
            side = Population(kind, n, db, worker)
            side.instant_of = spread(shared, n - late, n, pairs)
            self.sides[kind] = side

        # 1. The first part of both populations, all with far deadlines, in alternating
        #    segments: one segment's start rate per run.
        bounds = {kind: _segments(0, n - late, pairs) for kind in self.sides}
        for k in range(pairs):
            for kind in ("engine", "bare"):
                lo, hi = bounds[kind][k]
                self.rates[kind].append(await self._start(self.sides[kind], lo, hi))
                self._progress(f"{kind} segment {k + 1}: {hi - lo} starts", self.rates[kind][-1], kind)

        # 2. The instants: after the rest is started, at the rates just seen (with some slack).
        engine, bare = self.sides["engine"], self.sides["bare"]
        estimate = late / self.rates["engine"][-1] + late / self.rates["bare"][-1]
        first = datetime.now(UTC) + timedelta(seconds=1.3 * estimate + min(20, self.gap))
        first = first.replace(microsecond=0)
        for k in range(pairs):
            engine.deadlines.append(first + timedelta(seconds=2 * k * self.gap))
            bare.deadlines.append(first + timedelta(seconds=(2 * k + 1) * self.gap))
        print(f"  #6 first shared instant at {first:%H:%M:%S} UTC, then every {self.gap}s")

        # 3. The rest of both populations, mixed far and shared deadlines, in alternating chunks.
        chunk = max(1, late // 8)
        for lo in range(n - late, n, chunk):
            for kind in ("engine", "bare"):
                hi = min(n, lo + chunk)
                rate = await self._start(self.sides[kind], lo, hi)
                self._progress(f"{kind} {hi - lo} starts (up to {hi})", rate, kind)
        lead = (first - datetime.now(UTC)).total_seconds()
        self.notes.append(
            f"{n:,} engine mandates and {n:,} bare workflows open side by side; {len(engine.members(0)):,} "
            f"deadlines per shared instant among the last {late:,} started of each, instants {self.gap}s "
            f"apart; all started {lead:.0f}s before the first instant"
        )
        if lead < 2:
            self.notes.append(
                "WARNING: the starts overran the first shared instant; its lateness is not valid"
            )

    def _progress(self, what: str, rate: float, kind: str) -> None:
        rss = peak_rss_mib(self.sides[kind].worker.pid)
        print(f"  #6 {what} at {rate:.1f}/s (worker peak RSS {rss:.0f} MiB)")

    async def _start(self, side: Population, lo: int, hi: int) -> float:
        """Start workflows ``lo..hi-1`` of a side; return the rate until the worker recorded them all."""
        client = self.engine_client if side.kind == "engine" else self.client
        assert client is not None
        far_deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        far_plan = deadline_plan(far_deadline)
        plans = [deadline_plan(d) for d in side.deadlines]

        async def one(j: int) -> None:
            i = lo + j
            instant = side.instant_of.get(i)
            if side.kind == "engine":
                plan = far_plan if instant is None else plans[instant]
                outcome = await start_mandate(
                    client, bench_mandate(side.token, i + 1, plan), side.worker.task_queue
                )
                assert outcome.status == "started", outcome
            else:
                workflow_id = side.workflow_id(i)
                deadline = far_deadline if instant is None else side.deadlines[instant]
                await client.start_workflow(
                    BareTimerWorkflow.run,
                    BareTimerInput(workflow_id=workflow_id, deadline=deadline),
                    id=workflow_id,
                    task_queue=side.worker.task_queue,
                )

        began = time.monotonic()
        await _bounded(hi - lo, self.sizes.open_start_concurrency, one)
        side.started += hi - lo
        conn = await asyncpg.connect(side.database.app_url)
        try:
            while (recorded := await conn.fetchval(_STARTED[side.kind])) < side.started:
                if time.monotonic() - began > 900:
                    raise TimeoutError(
                        f"the {side.kind} worker recorded {recorded} of {side.started} starts in 15 minutes "
                        f"(worker log: {side.worker.log_path})"
                    )
                await asyncio.sleep(0.1)
        finally:
            await conn.close()
        return (hi - lo) / (time.monotonic() - began)

    async def finish(self) -> None:
        for side in self.sides.values():
            await side.worker.stop()
            await self.stack.drop_database(side.database.name)
        self.sides.clear()

    async def engine(self) -> Metrics:
        return await self._measure("engine")

    async def baseline(self) -> Metrics:
        return await self._measure("bare")

    async def _measure(self, kind: str) -> Metrics:
        side = self.sides[kind]
        k = self.measured[kind]
        self.measured[kind] += 1
        deadline = side.deadlines[k]
        members = side.members(k)
        wait = (deadline - datetime.now(UTC)).total_seconds() - 2
        if wait > 0:
            await asyncio.sleep(wait)
        profile = None
        if self.profiler is not None and kind == "engine" and k == 0:
            profile = await self.profiler.record(side.worker.pid, "6-engine-worker-instant")
        limit = deadline + timedelta(seconds=self.gap - 3)
        conn = await asyncpg.connect(side.database.app_url)
        try:
            rows = []
            while datetime.now(UTC) < limit:
                rows = await conn.fetch(_FIRED[kind], deadline, members)
                if len(rows) >= len(members):
                    break
                await asyncio.sleep(0.25)
        finally:
            await conn.close()
        if profile is not None:
            await profile.finish()
        recorded = [float(r["recorded"]) for r in rows]
        observed = [float(r["observed"]) for r in rows]
        missing = len(members) - len(rows)
        if missing:
            censored = (limit - deadline).total_seconds()
            recorded += [censored] * missing
            observed += [censored] * missing
            self.notes.append(
                f"{kind} instant {k + 1}: {missing} of {len(members)} deadlines not seen within "
                f"{censored:.0f}s (counted as {censored:.0f}s late)"
            )
        return {
            "lateness_p95": _percentile(recorded, 95),
            "lateness_p50": _percentile(recorded, 50),
            "observed_lateness_p95": _percentile(observed, 95),
            "start_rate": self.rates[kind][k],
            "peak_rss": peak_rss_mib(side.worker.pid),
        }


def _segments(first: int, total: int, parts: int) -> list[tuple[int, int]]:
    edges = [first + (total - first) * p // parts for p in range(parts + 1)]
    return list(itertools.pairwise(edges))


@register("6", order=90)  # last: it leaves its workflows open on the dev server
def _open_mandates(ctx: Context) -> OpenMandates:
    return OpenMandates(ctx.stack, ctx.sizes, ctx.worker_options, ctx.profiler, ctx.codec)
