"""Benchmarks 4 and 5: reading a large audit log (generated once, shared by both).

4. Projection rebuild: ``projections.Projector.rebuild()`` over the whole log, in
   events per second; against streaming the same rows (the store's column list,
   in position order) through a server-side cursor and dropping them. With
   ``rebuild_seconds`` set, a rebuild still running after that long is cancelled
   (it is one transaction, so it rolls back) and the rate is the events it had
   replayed by then (its ``progress`` count).
5. Timeline read: ``AuditStore.read_stream`` of random mandates, p50/p95 in
   milliseconds; against the round trip of ``SELECT 1`` on the same pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time

import asyncpg

import projections.projector as projector_module
from bench.event_log import GeneratedLog, generate
from bench.harness import Metric, Metrics, Target
from bench.registry import Context, register
from bench.sizes import Sizes
from bench.stack import BenchStack, Database
from projections.projector import Projector
from store.audit import EVENT_COLUMNS, AuditStore
from store.signing import Signer

_ALL = f"SELECT {EVENT_COLUMNS} FROM audit_events ORDER BY position"


class SharedLog:
    """One generated log in its own database, made on first use and dropped at the end."""

    def __init__(self, stack: BenchStack, sizes: Sizes) -> None:
        self.stack = stack
        self.sizes = sizes
        self.database: Database | None = None
        self.log: GeneratedLog | None = None
        self.signer = Signer.generate()
        """Signs the generated log's commits, as the worker would."""

    async def ready(self) -> tuple[Database, GeneratedLog]:
        if self.database is None or self.log is None:
            self.database = await self.stack.create_database("bench_log")
            conn = await asyncpg.connect(self.database.admin_url)
            try:
                sizes = self.sizes
                self.log = await generate(conn, sizes.log_events, sizes.log_wave, signer=self.signer)
            finally:
                await conn.close()
            print(
                f"  generated a log of {self.log.events:,} events ({self.log.mandates:,} mandates) "
                f"in {self.log.seconds:.0f}s"
            )
        return self.database, self.log

    async def drop(self) -> None:
        if self.database is not None:
            await self.stack.drop_database(self.database.name)
            self.database = None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


class ProjectionRebuild:
    """Benchmark 4."""

    number = "4"
    title = "projection rebuild"
    metrics = (Metric("throughput", "events/s"),)
    target = Target("ratio >= 0.3", lambda r: r.ratio() >= 0.3)

    def __init__(self, stack: BenchStack, sizes: Sizes, log: SharedLog) -> None:
        self.stack = stack
        self.sizes = sizes
        self.shared = log
        self.notes: list[str] = []

    async def prepare(self) -> None:
        _, log = await self.shared.ready()
        self.notes.append(
            f"log of {log.events:,} events, {log.mandates:,} mandates of {log.events_per_mandate}"
        )
        if self.sizes.rebuild_seconds:
            self.notes.append(
                f"engine: a rebuild still running after {self.sizes.rebuild_seconds}s is cancelled "
                "(rolled back); rate = events replayed by then"
            )

    async def finish(self) -> None:
        pass

    async def engine(self) -> Metrics:
        db, log = await self.shared.ready()
        pool = await asyncpg.create_pool(db.app_url, min_size=1, max_size=2)
        try:
            replayed_so_far = [0]
            began = time.monotonic()
            task = asyncio.create_task(Projector(pool).rebuild(progress=replayed_so_far.append))
            limit = self.sizes.rebuild_seconds or None
            try:
                replayed = await asyncio.wait_for(asyncio.shield(task), timeout=limit)
            except TimeoutError:
                replayed = replayed_so_far[-1]
                seconds = time.monotonic() - began
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            else:
                seconds = time.monotonic() - began
                assert replayed == log.events, (replayed, log.events)
        finally:
            await pool.close()
        return {"throughput": replayed / seconds}

    async def baseline(self) -> Metrics:
        db, log = await self.shared.ready()
        pool = await asyncpg.create_pool(db.app_url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                began = time.monotonic()
                count = 0
                async with conn.transaction(readonly=True):
                    async for _row in conn.cursor(_ALL, prefetch=projector_module.BATCH_SIZE):
                        count += 1
                seconds = time.monotonic() - began
        finally:
            await pool.close()
        assert count == log.events
        return {"throughput": count / seconds}


class TimelineRead:
    """Benchmark 5."""

    number = "5"
    title = "timeline read (one mandate)"
    metrics = (
        Metric("p95", "ms", lower_is_better=True),
        Metric("p50", "ms", lower_is_better=True),
    )
    target = Target("p95 within 10x of the round trip (ratio >= 0.1)", lambda r: r.ratio() >= 0.1)

    def __init__(self, stack: BenchStack, sizes: Sizes, log: SharedLog) -> None:
        self.stack = stack
        self.sizes = sizes
        self.shared = log
        self.notes: list[str] = []
        self._rng = random.Random(5)

    async def prepare(self) -> None:
        _, log = await self.shared.ready()
        self.notes.append(
            f"{self.sizes.timeline_reads} reads of random mandates ({log.events_per_mandate} events each, "
            f"spread over the log) from a log of {log.events:,} events; sequential, one pool connection"
        )

    async def finish(self) -> None:
        pass

    async def _timed(self, call) -> list[float]:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(self.sizes.timeline_reads):
            began = time.perf_counter()
            await call()
            times.append((time.perf_counter() - began) * 1000)
        return times

    async def engine(self) -> Metrics:
        db, log = await self.shared.ready()
        streams = log.stream_ids()
        pool = await asyncpg.create_pool(db.app_url, min_size=1, max_size=1)
        try:
            store = AuditStore(pool)
            await store.read_stream(streams[0])  # prepare the statement

            async def read() -> None:
                events = await store.read_stream(self._rng.choice(streams))
                assert len(events) == log.events_per_mandate

            times = await self._timed(read)
        finally:
            await pool.close()
        return {"p95": percentile(times, 95), "p50": statistics.median(times)}

    async def baseline(self) -> Metrics:
        db, _ = await self.shared.ready()
        pool = await asyncpg.create_pool(db.app_url, min_size=1, max_size=1)
        try:
            await pool.fetchval("SELECT 1")

            async def ping() -> None:
                await pool.fetchval("SELECT 1")

            times = await self._timed(ping)
        finally:
            await pool.close()
        return {"p95": percentile(times, 95), "p50": statistics.median(times)}


@register("4", order=30)
def _projection_rebuild(ctx: Context) -> ProjectionRebuild:
    return ProjectionRebuild(ctx.stack, ctx.sizes, ctx.shared_log)


@register("5", order=40)
def _timeline_read(ctx: Context) -> TimelineRead:
    return TimelineRead(ctx.stack, ctx.sizes, ctx.shared_log)
