"""Benchmark 7: the audit log against the event store a Python team would pick instead.

The peer is the ``eventsourcing`` library's Postgres recorder,
``PostgresApplicationRecorder``: each ``insert_events`` call is one transaction that
takes an EXCLUSIVE lock on the events table (so that the order of notification ids
is the order of commits, as the engine's head lock makes ``position`` gapless and in
commit order), inserts the events with ``unnest`` of a composite-type array and
returns their notification ids. It keeps no hash chain, no idempotency keys, no
separate version check (the primary key ``(originator_id, originator_version)``
refuses a version written twice).

Same events, same concurrency, same embedded Postgres, alternating runs (the
harness: engine, peer, engine, peer...), each write workload into a fresh database:

- ``batched``: benchmark 2's events (50 streams x 20 batches of 100 at full size),
  one appender per stream. Engine: ``AuditStore.append`` on a pool of 10
  connections (``bench.audit_append.append_batched``). Peer: ``insert_events`` of one
  batch of ``StoredEvent``s at a time, from a thread pool of 10 threads on a
  connection pool of 10; each event's ``state`` is its JSON
  (``NewEvent.model_dump_json()``), made in the timed section as the engine encodes
  its events in its own.
- ``one_per_append``: benchmark 3's events (20,000), one event per append, 8
  appenders (8 connections; the peer: 8 threads, 8 connections).
- reading, on the generated log of benchmarks 4 and 5 (the peer's table holds the
  same events, copied in position order, so notification id = position):
  ``read_stream_p95``/``_p50``, one random mandate at a time, sequentially on one
  connection (``AuditStore.read_stream`` against ``select_events``); ``read_all``, the
  whole log in order in pages of 1,000 (``AuditStore.iterate_all`` against
  ``select_notifications``). Each side gives events whose content is parsed: the
  engine its ``StoredEvent``s, the peer ``json.loads`` of each state.

The library is in the ``bench`` extra (``pip install -e '.[bench]'``); it is imported
only when this benchmark runs.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from bench.audit_append import (
    BATCHED_POOL,
    _chunks,
    append_batched,
    append_single,
    batched_streams,
    single_shares,
    single_streams,
)
from bench.harness import Metric, Metrics, ratio_target
from bench.log_reads import SharedLog, percentile
from bench.registry import Context, register
from bench.sizes import Sizes
from bench.stack import BenchStack, Database
from store.audit import AuditStore, NewEvent
from store.signing import Signer

TABLE = "stored_events"
READ_PAGE = 1000
"""Events per page when reading the whole log (the default page of ``AuditStore.iterate_all``)."""

_COPY_LOG = f"""
INSERT INTO {TABLE} (originator_id, originator_version, topic, state)
SELECT stream_id, version, event_type,
       convert_to(jsonb_build_object(
           'type', event_type, 'actor', actor, 'occurred_at', occurred_at, 'payload', payload,
           'idempotency_key', idempotency_key, 'correlation_id', correlation_id,
           'causation_id', causation_id)::text, 'UTF8')
FROM audit_events ORDER BY position
"""
_GRANTS = f"""
GRANT SELECT, INSERT, UPDATE ON {TABLE} TO mandates_app;
GRANT USAGE ON SEQUENCE {TABLE}_notification_id_seq TO mandates_app;
"""
"""The application role may insert, and take the recorder's EXCLUSIVE table lock (UPDATE)."""


@dataclass
class Peer:
    """The peer's datastore and recorder on one database (as a role of it)."""

    datastore: Any
    recorder: Any

    @classmethod
    def open(cls, url: str, pool_size: int) -> Peer:
        """Connect (the pool's connections are opened before returning); blocking."""
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        parts = urlsplit(url)
        datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            pool_size=pool_size,
            originator_id_type="text",  # the engine's stream ids are text
        )
        datastore.pool.open(wait=True, timeout=30)
        return cls(datastore, PostgresApplicationRecorder(datastore, events_table_name=TABLE))

    def close(self) -> None:
        self.datastore.close()


def create_peer_table(db: Database) -> None:
    """The recorder's table, type and index, made by the schema owner; blocking."""
    owner = Peer.open(db.admin_url, 1)
    try:
        owner.recorder.create_table()
    finally:
        owner.close()


async def _prepare_peer_database(db: Database, copy_log: bool = False) -> None:
    await asyncio.to_thread(create_peer_table, db)
    conn = await asyncpg.connect(db.admin_url)
    try:
        await conn.execute(_GRANTS)
        if copy_log:
            await conn.execute(_COPY_LOG)
            await conn.execute(f"VACUUM (ANALYZE) {TABLE}")
    finally:
        await conn.close()


def _stored(stream: str, first_version: int, events: list[NewEvent]) -> list[Any]:
    """The peer's StoredEvents of ``events``: each one's JSON as its state."""
    from eventsourcing.persistence import StoredEvent

    return [
        StoredEvent(
            originator_id=stream,
            originator_version=version,
            topic=f"domain.events:{e.type}",
            state=e.model_dump_json().encode(),
        )
        for version, e in enumerate(events, start=first_version)
    ]


def _threaded(threads: int, jobs: list[Callable[[], None]]) -> float:
    """Run ``jobs`` on a pool of ``threads`` threads; the seconds until all are done."""
    with ThreadPoolExecutor(max_workers=threads) as executor:
        began = time.monotonic()
        for future in [executor.submit(job) for job in jobs]:
            future.result()
        return time.monotonic() - began


class PeerStore:
    """Benchmark 7."""

    number = "7"
    title = "audit log against the eventsourcing library's Postgres recorder"
    metrics = (
        Metric("batched", "events/s", target=1.2),
        Metric("one_per_append", "events/s", target=5.0),
        Metric("read_stream_p95", "ms", lower_is_better=True),
        Metric("read_stream_p50", "ms", lower_is_better=True),
        Metric("read_all", "events/s"),
    )
    target = ratio_target(*metrics)

    def __init__(self, stack: BenchStack, sizes: Sizes, log: SharedLog) -> None:
        self.stack = stack
        self.sizes = sizes
        self.shared = log
        self.notes: list[str] = []
        self.batched: dict[str, list[NewEvent]] = {}
        self.single: dict[str, list[NewEvent]] = {}
        self._reads = 0

    async def prepare(self) -> None:
        from importlib.metadata import version

        self.batched = batched_streams(self.sizes)
        self.single = single_streams(self.sizes)
        db, log = await self.shared.ready()
        began = time.monotonic()
        await _prepare_peer_database(db, copy_log=True)
        s = self.sizes
        self.notes.append(
            f"peer: eventsourcing {version('eventsourcing')}, PostgresApplicationRecorder "
            "(EXCLUSIVE table lock per insert), originator ids as text; "
            f"batched: {s.append_streams} streams x {s.append_batches_per_stream} batches of "
            f"{s.append_batch}, pool of {BATCHED_POOL} (peer: {BATCHED_POOL} threads); one per append: "
            f"{sum(map(len, self.single.values()))} events, {s.single_concurrency} appenders; reads: "
            f"{s.timeline_reads} random mandates of {log.events_per_mandate} events and the whole log of "
            f"{log.events:,} events in pages of {READ_PAGE} (the peer's copy of it made in "
            f"{time.monotonic() - began:.0f}s)"
        )

    async def finish(self) -> None:
        pass

    # -- the engine ----------------------------------------------------------------

    async def engine(self) -> Metrics:
        signer = Signer.generate()  # the engine signs its commits, as the worker's store does
        batched, _ = await append_batched(self.stack, self.batched, self.sizes.append_batch, signer=signer)
        single, _ = await append_single(self.stack, self.single, self.sizes.single_concurrency, signer=signer)
        return {"batched": batched, "one_per_append": single} | await self._engine_reads()

    async def _engine_reads(self) -> Metrics:
        db, log = await self.shared.ready()
        streams = self._read_order(log.stream_ids())
        pool = await asyncpg.create_pool(db.app_url, min_size=1, max_size=1)
        try:
            store = AuditStore(pool)
            await store.read_stream(streams[0])  # prepare the statement
            times = []
            for stream in streams:
                began = time.perf_counter()
                events = await store.read_stream(stream)
                times.append((time.perf_counter() - began) * 1000)
                assert len(events) == log.events_per_mandate
            began = time.monotonic()
            count = 0
            async for _event in store.iterate_all(page=READ_PAGE):
                count += 1
            seconds = time.monotonic() - began
        finally:
            await pool.close()
        assert count == log.events, (count, log.events)
        return _read_metrics(times, count / seconds)

    def _read_order(self, stream_ids: list[str]) -> list[str]:
        """The mandates the read run reads, the same for the engine run and the peer run of a pair."""
        rng = random.Random(7_000 + self._reads // 2)
        self._reads += 1
        return [rng.choice(stream_ids) for _ in range(self.sizes.timeline_reads)]

    # -- the peer ------------------------------------------------------------------

    async def baseline(self) -> Metrics:
        batched = await self._peer_writes(self.batched, BATCHED_POOL, batch=self.sizes.append_batch)
        single = await self._peer_writes(self.single, self.sizes.single_concurrency, batch=None)
        return {"batched": batched, "one_per_append": single} | await self._peer_reads()

    async def _peer_writes(
        self, streams: dict[str, list[NewEvent]], threads: int, batch: int | None
    ) -> float:
        """Batched (one job per stream, ``batch`` events per insert), or one event per insert
        (``batch`` None: one job per appender, round robin over its streams, as 3 does)."""
        total = sum(len(v) for v in streams.values())
        async with self.stack.fresh_database("bench7") as db:
            await _prepare_peer_database(db)
            peer = await asyncio.to_thread(Peer.open, db.app_url, threads)
            try:
                insert = peer.recorder.insert_events

                def appender(stream: str) -> Callable[[], None]:
                    def run() -> None:
                        version = 1
                        for chunk in _chunks(streams[stream], batch or 1):
                            insert(_stored(stream, version, list(chunk)))
                            version += len(chunk)

                    return run

                def single_appender(share: list[str]) -> Callable[[], None]:
                    def run() -> None:
                        for index in range(len(streams[share[0]])):
                            for stream in share:
                                insert(_stored(stream, index + 1, [streams[stream][index]]))

                    return run

                if batch is not None:
                    jobs = [appender(stream) for stream in streams]
                else:
                    jobs = [single_appender(share) for share in single_shares(streams, threads)]
                seconds = await asyncio.to_thread(_threaded, threads, jobs)
                assert await asyncio.to_thread(peer.recorder.max_notification_id) == total
            finally:
                await asyncio.to_thread(peer.close)
        return total / seconds

    async def _peer_reads(self) -> Metrics:
        db, log = await self.shared.ready()
        streams = self._read_order(log.stream_ids())

        def reads() -> tuple[list[float], int, float]:
            peer = Peer.open(db.app_url, 1)
            try:
                recorder = peer.recorder
                recorder.select_events(streams[0])  # prepare the statement
                times = []
                for stream in streams:
                    began = time.perf_counter()
                    events = [json.loads(e.state) for e in recorder.select_events(stream)]
                    times.append((time.perf_counter() - began) * 1000)
                    assert len(events) == log.events_per_mandate
                began = time.monotonic()
                count, start = 0, 1
                while True:
                    page = recorder.select_notifications(start, READ_PAGE)
                    for notification in page:
                        json.loads(notification.state)
                    count += len(page)
                    if len(page) < READ_PAGE:
                        break
                    start = page[-1].id + 1
                return times, count, time.monotonic() - began
            finally:
                peer.close()

        times, count, seconds = await asyncio.to_thread(reads)
        assert count == log.events, (count, log.events)
        return _read_metrics(times, count / seconds)


def _read_metrics(times: list[float], read_all: float) -> Metrics:
    return {
        "read_stream_p95": percentile(times, 95),
        "read_stream_p50": statistics.median(times),
        "read_all": read_all,
    }


@register("7", order=50, requires=("eventsourcing", "psycopg", "psycopg_pool"))
def _peer_store(ctx: Context) -> PeerStore:
    return PeerStore(ctx.stack, ctx.sizes, ctx.shared_log)
