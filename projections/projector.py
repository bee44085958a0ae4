"""The projector: follows the audit log by global position and keeps the read models.

One path writes the read models, for a batch of new events and for a rebuild of the
whole log alike: take the states of the mandates the events touch out of the tables
(``store.read_models.take_out`` deletes their rows and returns the states they were
written from), fold the events into them (``projections.fold``, the domain's one fold),
and write every row of those mandates again with COPY.

Exactly once. A batch is one transaction: lock the projection's checkpoint row, read
the events after its position, take out, fold, write, and move the checkpoint to the
last of them, then commit. A crash or a cancellation anywhere before the commit rolls
back the rows and the checkpoint together, so the next run starts again from the same
position; an event is never applied twice and never skipped. The audit log's positions
are gapless and equal to commit order (every append holds the log's head row lock until
it commits), so reading "after position p" never passes over an event still being
written.

Several projectors may run at once (one in each worker, or ``python -m projections``):
``FOR UPDATE SKIP LOCKED`` on the checkpoint row lets one apply a batch while the others
skip that round.

``rebuild()`` truncates every read model and replays the whole log in one transaction
holding the checkpoint lock: readers see the old rows until it commits, and a live
projector waits for it. A projector that finds read models written from states of
another shape (``rows.STATE_SCHEMA``: after an upgrade) rebuilds them first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import asyncpg
import structlog

from domain import events as ev
from projections.checkpoints import CheckpointStatus
from projections.fold import ReadModelFold
from projections.reviews import ReviewsProjector
from projections.rows import STATE_SCHEMA, state_of
from store import read_models as tables
from store.audit import read_page

log = structlog.get_logger("projector")

CHECKPOINT = "read_models"
"""The checkpoint of the read models of migrations 003 and 008."""

BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 5.0
PAGE_SIZE = 5_000
"""Events a rebuild reads per statement."""
HOLD_MANDATES = 20_000
"""Mandates a rebuild keeps folded in memory before it writes their rows and lets them go."""


def _target(row: asyncpg.Record) -> str:
    """The mandate a log row is about, read cheaply: its stream's, or for a followed
    paragraph the one its payload names."""
    stream_id, event_type = row[1], row[3]
    if event_type != ev.FOLLOWED:
        return stream_id
    return ev.target_of(stream_id, ReadModelFold.read(stream_id, event_type, row[4], row[5]))


async def _take_out(conn: asyncpg.Connection, fold: ReadModelFold, mandate_ids: list[str]) -> None:
    """Move the written rows of these mandates back into the fold, as states."""
    for mandate_id, text, version in await tables.take_out(conn, mandate_ids):
        state = state_of(text)
        if version is not None:
            state.version = version  # what the rows say the read model holds
        fold.held[mandate_id] = state


async def _write(conn: asyncpg.Connection, fold: ReadModelFold) -> None:
    await tables.write(conn, fold.rows())
    fold.held.clear()


async def apply_events(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
    """Apply log rows (``store.audit.read_page``) to the read models, in the caller's
    transaction: take out, fold, write."""
    fold = ReadModelFold()
    await _take_out(conn, fold, sorted({_target(row) for row in rows}))
    for row in rows:
        fold.apply(*row)
    await _write(conn, fold)


async def rebuild_read_models(
    conn: asyncpg.Connection,
    *,
    page_size: int = PAGE_SIZE,
    hold: int = HOLD_MANDATES,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Replay the whole log into empty read-model tables, inside the caller's transaction.

    Returns the number of events replayed and the position of the last one (0 for an
    empty log). ``progress`` is called with the count so far after each page. The next
    page is read while the current one is folded, so Postgres and Python work side by side.
    Memory is bounded: past ``hold`` mandates the rows held are written, and a mandate
    whose events come later is taken back out (as the live projector does).
    """
    with _no_cycle_collection():
        return await _replay(conn, page_size, hold, progress)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector off while a rebuild runs (and on again after, as
    it was). A rebuild allocates millions of short-lived objects while it holds thousands
    of mandates' states, so the collector would traverse those states again and again,
    about half of the rebuild's time, to find no cycle: a fold makes none (what it lets go
    is freed by its reference count)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _replay(
    conn: asyncpg.Connection, page_size: int, hold: int, progress: Callable[[int], None] | None
) -> tuple[int, int]:
    await tables.truncate(conn)
    fold = ReadModelFold()
    written: set[str] = set()
    replayed, position = 0, 0
    page = await read_page(conn, position, page_size)
    while page:
        if written:
            wanted = {_target(row) for row in page} & written
            if wanted:
                await _take_out(conn, fold, sorted(wanted))
                written -= wanted
        position = page[-1][0]
        reading = asyncio.create_task(read_page(conn, position, page_size))
        await asyncio.sleep(0)  # let it send the query: Postgres reads the page while this one is folded
        try:
            for row in page:
                fold.apply(*row)
            replayed += len(page)
            if progress is not None:
                progress(replayed)
        except BaseException:
            with contextlib.suppress(Exception):  # the connection must be free for the rollback
                await reading
            raise
        page = await reading
        if len(fold.held) > hold:
            written.update(fold.held)
            await _write(conn, fold)
    await _write(conn, fold)
    return replayed, position


class Projector:
    """Applies the audit log to the read models, batch by batch, each event exactly once."""

    def __init__(self, pool: asyncpg.Pool, *, name: str = CHECKPOINT, batch_size: int = BATCH_SIZE) -> None:
        self._pool = pool
        self.name = name
        self.batch_size = batch_size
        self._ensured = False

    async def _ensure(self, conn: asyncpg.Connection) -> None:
        if not self._ensured:
            await tables.ensure_checkpoint(conn, self.name)
            self._ensured = True

    async def apply_batch(self, *, wait: bool = True) -> int:
        """Apply the next batch of events and record its last position, in one transaction.

        Returns the number of events applied: 0 when caught up, or (``wait=False``)
        when another projector holds the checkpoint.
        """
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            async with conn.transaction():
                checkpoint = await tables.lock_checkpoint(conn, self.name, wait=wait)
                if checkpoint is None:
                    return 0
                position = checkpoint["position"]
                if checkpoint["schema"] != STATE_SCHEMA and position > 0:
                    log.warning("read models of another shape; rebuilding", schema=checkpoint["schema"])
                    replayed, last = await rebuild_read_models(conn)
                    await tables.save_checkpoint(conn, self.name, last, STATE_SCHEMA)
                    return replayed
                rows = await read_page(conn, position, self.batch_size)
                if rows:
                    await apply_events(conn, rows)
                    await tables.save_checkpoint(conn, self.name, rows[-1][0], STATE_SCHEMA)
                return len(rows)

    async def catch_up(self, *, wait: bool = True) -> int:
        """Apply batches until the read models reach the log's head; return the events applied."""
        applied = 0
        while await self.behind() > 0:
            count = await self.apply_batch(wait=wait)
            if count == 0:
                break
            applied += count
        return applied

    async def behind(self) -> int:
        """How many events the log holds beyond this projection's checkpoint."""
        return await tables.behind(self._pool, self.name)

    async def status(self) -> CheckpointStatus:
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            row = await tables.checkpoint_status(conn, self.name)
        return CheckpointStatus(row["name"], int(row["position"]), int(row["head"]), row["updated_at"])

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Truncate every read model and replay the whole log; return the events replayed.
        ``progress`` is called with the events replayed so far, page by page."""
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            async with conn.transaction():
                await tables.lock_checkpoint(conn, self.name)
                replayed, position = await rebuild_read_models(conn, progress=progress)
                await tables.save_checkpoint(conn, self.name, position, STATE_SCHEMA)
        return replayed


async def run(pool: asyncpg.Pool, stop: asyncio.Event, poll_interval: float = 0.2) -> None:
    """Follow the log until ``stop`` is set: apply what is new to the read models and to the
    review calendar (``projections.reviews``), then look again ``poll_interval`` seconds
    later. A failing batch is logged and retried with a growing pause (at most
    ``MAX_BACKOFF_SECONDS``); nothing is lost, since a checkpoint only moves with a
    committed batch."""
    projectors: list[Projector | ReviewsProjector] = [Projector(pool), ReviewsProjector(pool)]
    pause = poll_interval
    log.info("projector started", checkpoints=[p.name for p in projectors])
    while not stop.is_set():
        failed = False
        for projector in projectors:
            try:
                applied = await projector.catch_up(wait=False)
                if applied:
                    log.debug("events projected", checkpoint=projector.name, events=applied)
            except Exception as exc:  # a supervisor loop: keep the worker alive, say why, retry
                failed = True
                log.error(
                    "projection failed; retrying",
                    checkpoint=projector.name,
                    error=f"{type(exc).__name__}: {exc}",
                    retry_in=pause,
                )
        pause = min(pause * 2, MAX_BACKOFF_SECONDS) if failed else poll_interval
        try:
            await asyncio.wait_for(stop.wait(), timeout=pause)
        except TimeoutError:
            pass
    log.info("projector stopped")


@asynccontextmanager
async def projector_running(
    pool: asyncpg.Pool, enabled: bool = True, poll_interval: float = 0.2
) -> AsyncIterator[None]:
    """Run the projector as a task for the duration of the block (nothing if not ``enabled``)."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run(pool, stop, poll_interval), name="projector")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            log.warning("projector did not stop within 10s; cancelled")
