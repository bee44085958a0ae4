"""Benchmarks 2 and 3: appending to the audit log, against plain inserts of the same rows.

2. Batched: ``AuditStore.append`` of ``batch`` events at a time to each of the
   streams, one appender per stream, all at once (the chain, the version check and
   the idempotency check included); against asyncpg ``executemany`` of the same
   rows, batch by batch, into a plain table of the same columns. A second baseline,
   measured in the same baseline runs, does the same into a table with the primary
   key, the unique constraints and the checks of ``audit_events`` (``like_for_like``):
   what is left between the two is the engine's own work (chain, checks, encoding,
   head lock), not the cost of the guarantees its indexes give.
3. One event per append, from ``concurrency`` appenders; against single-row
   autocommit INSERTs from as many connections.

The store signs what it writes (``store/signing.py``), as the worker's does: once per
statement, an append's events or a whole group's. It writes appends that reach it while
it is writing as one group (group commit, ``store/audit.py``): that is the primary
figure. Each engine run also appends the same events with group commit off, every
append its own statement and transaction (``throughput_alone``, against the same
baseline run). Every run gets a fresh database, so each starts from an empty log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.harness import Metric, Metrics, Target, ratio_target
from bench.registry import Context, register
from bench.sizes import Sizes
from bench.stack import BenchStack, Database
from store.audit import AuditStore, NewEvent
from store.chain import GENESIS_HASH, canonical_json, chain_hash, content_hash
from store.signing import Signer

PLAIN_TABLE = """
CREATE TABLE plain_events (
    position        bigint,
    stream_id       text,
    version         integer,
    event_type      text,
    actor           text,
    occurred_at     timestamptz,
    recorded_at     timestamptz,
    payload         jsonb,
    correlation_id  text,
    causation_id    text,
    idempotency_key text,
    prev_hash       text,
    hash            text
);
GRANT SELECT, INSERT ON plain_events TO mandates_app;
"""
KEYED_TABLE = """
CREATE TABLE keyed_events (
    position        bigint      PRIMARY KEY,
    stream_id       text        NOT NULL,
    version         integer     NOT NULL CHECK (version >= 1),
    event_type      text        NOT NULL,
    actor           text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    payload         jsonb       NOT NULL,
    correlation_id  text,
    causation_id    text,
    idempotency_key text        NOT NULL,
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    CONSTRAINT keyed_events_stream_version UNIQUE (stream_id, version),
    CONSTRAINT keyed_events_idempotency_key UNIQUE (idempotency_key),
    CONSTRAINT keyed_events_hash UNIQUE (hash)
);
GRANT SELECT, INSERT ON keyed_events TO mandates_app;
"""
"""``plain_events`` with the primary key, unique constraints and checks of ``audit_events``
(migration 001; the smoke test holds the two tables' unique indexes to the same columns)."""
_PLAIN_INSERT = """
INSERT INTO plain_events (position, stream_id, version, event_type, actor, occurred_at, recorded_at,
                          payload, correlation_id, causation_id, idempotency_key, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13)
"""

BASE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BATCHED_POOL = 10
"""Connections of benchmark 2's pool (and of the peer's pool and thread pool in 7's batched workload)."""


def stream_events(stream: str, count: int) -> list[NewEvent]:
    """``count`` events of one mandate's stream, shaped like the engine's (a response, mostly)."""
    return [
        NewEvent(
            type="ResponseReceived",
            actor="Council of Europe (GRECO)",
            occurred_at=BASE_TIME + timedelta(minutes=version),
            payload={
                "at": (BASE_TIME + timedelta(minutes=version)).isoformat(),
                "step_id": "dialogue-consultation",
                "party": "Council of Europe (GRECO)",
                "text": f"Views on the dialogue, paragraph {version}: " + "synergies " * 12,
                "confidential": False,
            },
            idempotency_key=f"{stream}:{version}",
            correlation_id=stream,
        )
        for version in range(1, count + 1)
    ]


def plain_rows(streams: dict[str, list[NewEvent]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows the store would write for these events (hashes and all), per stream."""
    recorded_at, prev, position = BASE_TIME + timedelta(days=1), GENESIS_HASH, 0
    out: dict[str, list[tuple[Any, ...]]] = {}
    for stream, events in streams.items():
        rows = out.setdefault(stream, [])
        for version, e in enumerate(events, start=1):
            digest = chain_hash(
                prev,
                content_hash(
                    stream_id=stream, version=version, event_type=e.type, actor=e.actor,
                    occurred_at=e.occurred_at, recorded_at=recorded_at, payload=e.payload,
                    correlation_id=e.correlation_id, causation_id=e.causation_id,
                    idempotency_key=e.idempotency_key,
                ),
            )  # fmt: skip
            position += 1
            rows.append(
                (position, stream, version, e.type, e.actor, e.occurred_at, recorded_at,
                 canonical_json(e.payload), e.correlation_id, e.causation_id, e.idempotency_key, prev, digest)
            )  # fmt: skip
            prev = digest
    return out


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _plain_table(db: Database, ddl: str = PLAIN_TABLE) -> None:
    conn = await asyncpg.connect(db.admin_url)
    try:
        await conn.execute(ddl)
    finally:
        await conn.close()


def single_shares(streams: dict[str, list[Any]], appenders: int) -> list[list[str]]:
    """The streams dealt to the appenders of benchmark 3 (each stream's events stay in order)."""
    names = list(streams)
    return [names[i::appenders] for i in range(appenders)]


async def append_batched(
    stack: BenchStack,
    streams: dict[str, list[NewEvent]],
    batch: int,
    group_commit: bool = True,
    signer: Signer | None = None,
) -> tuple[float, AuditStore]:
    """Benchmark 2's engine run: every stream's events, ``batch`` at a time, one appender per
    stream on a pool of 10 connections, into a fresh database; events/s and the store."""
    total = sum(len(v) for v in streams.values())
    async with stack.fresh_database("bench2") as db:
        pool = await asyncpg.create_pool(db.app_url, min_size=BATCHED_POOL, max_size=BATCHED_POOL)
        try:
            store = AuditStore(pool, group_commit=group_commit, signer=signer)

            async def appender(stream: str, events: list[NewEvent]) -> None:
                version = 0
                for chunk in _chunks(events, batch):
                    await store.append(stream, version, chunk)
                    version += len(chunk)

            began = time.monotonic()
            async with asyncio.TaskGroup() as group:
                for stream, events in streams.items():
                    group.create_task(appender(stream, events))
            seconds = time.monotonic() - began
            assert (await store.head())[0] == total
        finally:
            await pool.close()
    return total / seconds, store


async def append_single(
    stack: BenchStack,
    streams: dict[str, list[NewEvent]],
    appenders: int,
    group_commit: bool = True,
    signer: Signer | None = None,
) -> tuple[float, AuditStore]:
    """Benchmark 3's engine run: one event per append, ``appenders`` appenders (each round
    robin over its streams) on a pool of as many connections; events/s and the store."""
    total = sum(len(v) for v in streams.values())
    async with stack.fresh_database("bench3") as db:
        pool = await asyncpg.create_pool(db.app_url, min_size=appenders, max_size=appenders)
        try:
            store = AuditStore(pool, group_commit=group_commit, signer=signer)

            async def appender(share: list[str]) -> None:
                for version in range(len(streams[share[0]])):
                    for stream in share:
                        await store.append(stream, version, [streams[stream][version]])

            began = time.monotonic()
            async with asyncio.TaskGroup() as group:
                for share in single_shares(streams, appenders):
                    group.create_task(appender(share))
            seconds = time.monotonic() - began
            assert (await store.head())[0] == total
        finally:
            await pool.close()
    return total / seconds, store


def batched_streams(sizes: Sizes) -> dict[str, list[NewEvent]]:
    """The events of benchmark 2 (and of 7's batched workload), per stream."""
    per = sizes.append_batch * sizes.append_batches_per_stream
    names = [f"mandate-bench-append-para-{n}" for n in range(1, sizes.append_streams + 1)]
    return {stream: stream_events(stream, per) for stream in names}


def single_streams(sizes: Sizes) -> dict[str, list[NewEvent]]:
    """The events of benchmark 3 (and of 7's one-per-append workload), per stream."""
    per = max(1, sizes.single_events // sizes.append_streams)
    names = [f"mandate-bench-single-para-{n}" for n in range(1, sizes.append_streams + 1)]
    return {stream: stream_events(stream, per) for stream in names}


class _AppendBench:
    metrics = (
        Metric("throughput", "events/s"),
        Metric("throughput_alone", "events/s"),  # group commit off; the baseline is the same run
    )

    def __init__(self, stack: BenchStack, sizes: Sizes) -> None:
        self.stack = stack
        self.sizes = sizes
        self.notes: list[str] = []
        self.streams: dict[str, list[NewEvent]] = {}
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self._engine_runs = 0
        self.signer = Signer.generate()

    async def finish(self) -> None:
        pass

    async def engine(self) -> Metrics:
        self._engine_runs += 1
        grouped, store = await self._engine_run(group_commit=True)
        self.notes.append(
            f"engine run {self._engine_runs}: {self.appends} appends, {store.appends_grouped} of them in "
            f"{store.groups_written} groups, {self.appends - store.appends_grouped} alone"
        )
        alone, _ = await self._engine_run(group_commit=False)
        return {"throughput": grouped, "throughput_alone": alone}

    async def baseline(self) -> Metrics:
        throughput = await self._baseline_run()
        return {"throughput": throughput, "throughput_alone": throughput}

    async def _engine_run(self, group_commit: bool) -> tuple[float, AuditStore]:
        raise NotImplementedError

    async def _baseline_run(self, keyed: bool = False) -> float:
        raise NotImplementedError

    @property
    def appends(self) -> int:
        raise NotImplementedError

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.streams.values())


class BatchedAppend(_AppendBench):
    """Benchmark 2."""

    number = "2"
    title = "audit append, batched"
    metrics = (
        Metric("throughput", "events/s", target=0.5),
        Metric("throughput_alone", "events/s"),  # group commit off; the baseline is the same run
        Metric("like_for_like", "events/s", target=0.6),  # against the table with audit_events' keys
    )
    target = ratio_target(*metrics)

    def __init__(self, stack: BenchStack, sizes: Sizes) -> None:
        super().__init__(stack, sizes)
        self._baseline_runs = 0

    async def prepare(self) -> None:
        self.streams = batched_streams(self.sizes)
        self.rows = plain_rows(self.streams)
        self.notes.append(
            f"{self.sizes.append_streams} streams x {self.sizes.append_batches_per_stream} batches of "
            f"{self.sizes.append_batch} events, one appender per stream, pool of {BATCHED_POOL} connections; "
            "baselines: executemany into a table without constraints (throughput) and into one with "
            "audit_events' primary key, unique constraints and checks (like_for_like)"
        )

    @property
    def appends(self) -> int:
        return self.total // self.sizes.append_batch

    async def engine(self) -> Metrics:
        metrics = await super().engine()
        return metrics | {"like_for_like": metrics["throughput"]}

    async def baseline(self) -> Metrics:
        self._baseline_runs += 1
        order = (False, True) if self._baseline_runs % 2 else (True, False)
        figures = {keyed: await self._baseline_run(keyed) for keyed in order}
        return {
            "throughput": figures[False],
            "throughput_alone": figures[False],
            "like_for_like": figures[True],
        }

    async def _engine_run(self, group_commit: bool) -> tuple[float, AuditStore]:
        return await append_batched(
            self.stack, self.streams, self.sizes.append_batch, group_commit, signer=self.signer
        )

    async def _baseline_run(self, keyed: bool = False) -> float:
        table = "keyed_events" if keyed else "plain_events"
        insert = _PLAIN_INSERT.replace("plain_events", table)
        async with self.stack.fresh_database("bench2") as db:
            await _plain_table(db, KEYED_TABLE if keyed else PLAIN_TABLE)
            pool = await asyncpg.create_pool(db.app_url, min_size=BATCHED_POOL, max_size=BATCHED_POOL)
            try:

                async def inserter(rows: list[tuple[Any, ...]]) -> None:
                    for batch in _chunks(rows, self.sizes.append_batch):
                        await pool.executemany(insert, batch)

                began = time.monotonic()
                async with asyncio.TaskGroup() as group:
                    for rows in self.rows.values():
                        group.create_task(inserter(rows))
                seconds = time.monotonic() - began
                assert await pool.fetchval(f"SELECT count(*) FROM {table}") == self.total
            finally:
                await pool.close()
        return self.total / seconds


class SingleAppend(_AppendBench):
    """Benchmark 3."""

    number = "3"
    title = "audit append, one event per append"
    target = Target("ratio >= 0.7", lambda r: r.ratio() >= 0.7)

    async def prepare(self) -> None:
        self.streams = single_streams(self.sizes)
        self.rows = plain_rows(self.streams)
        self.notes.append(
            f"{self.total} events over {len(self.streams)} streams, {self.sizes.single_concurrency} "
            "appenders (each on its own connection), one event per append"
        )

    @property
    def appends(self) -> int:
        return self.total

    async def _engine_run(self, group_commit: bool) -> tuple[float, AuditStore]:
        return await append_single(
            self.stack, self.streams, self.sizes.single_concurrency, group_commit, signer=self.signer
        )

    async def _baseline_run(self, keyed: bool = False) -> float:
        n = self.sizes.single_concurrency
        async with self.stack.fresh_database("bench3") as db:
            await _plain_table(db)
            pool = await asyncpg.create_pool(db.app_url, min_size=n, max_size=n)
            try:

                async def inserter(streams: list[str]) -> None:
                    for version in range(len(self.rows[streams[0]])):
                        for stream in streams:
                            await pool.execute(_PLAIN_INSERT, *self.rows[stream][version])

                began = time.monotonic()
                async with asyncio.TaskGroup() as group:
                    for share in single_shares(self.rows, n):
                        group.create_task(inserter(share))
                seconds = time.monotonic() - began
                assert await pool.fetchval("SELECT count(*) FROM plain_events") == self.total
            finally:
                await pool.close()
        return self.total / seconds


@register("2", order=10)
def _batched_append(ctx: Context) -> BatchedAppend:
    return BatchedAppend(ctx.stack, ctx.sizes)


@register("3", order=20)
def _single_append(ctx: Context) -> SingleAppend:
    return SingleAppend(ctx.stack, ctx.sizes)
