"""The projector: follows the audit log by global position and keeps the read models.

Exactly once. A batch is one transaction: lock the projection's checkpoint row,
read the events after its position, apply each one (``read_models.apply_event``)
and move the checkpoint to the last of them, then commit. A crash or a
cancellation anywhere before the commit rolls back the rows and the checkpoint
together, so the next run starts again from the same position; an event is
never applied twice and never skipped. The audit log's positions are gapless and
equal to commit order (every append holds the log's head row lock until it
commits), so reading "after position p" never passes over an event still being
written.

Several projectors may run at once (one in each worker, or ``python -m
projections``): ``FOR UPDATE SKIP LOCKED`` on the checkpoint row lets one apply a
batch while the others skip that round.

``rebuild()`` truncates every read model and replays the whole log in one
transaction holding the checkpoint lock: readers see the old rows until it
commits, and a live projector waits for it. It folds the log in memory and
writes each row once (``projections.rebuild``), which gives the rows that
applying the events one by one gives, far faster.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from projections.read_models import TRUNCATE_READ_MODELS, apply_event
from projections.rebuild import rebuild_read_models
from store.audit import EVENT_COLUMNS, StoredEvent, stored_event

log = structlog.get_logger("projector")

CHECKPOINT = "read_models"
"""The checkpoint of the read models of migration 003."""

BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 5.0

_ENSURE = "INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
_LOCK = "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE"
_LOCK_OR_SKIP = f"{_LOCK} SKIP LOCKED"
_SAVE = "UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1"
_EVENTS = f"SELECT {EVENT_COLUMNS} FROM audit_events WHERE position > $1 ORDER BY position LIMIT $2"
_STATUS = """
SELECT c.name, c.position, c.updated_at, h.position AS head
FROM projection_checkpoints c CROSS JOIN audit_head h
WHERE c.name = $1
"""
_BEHIND = """
SELECT (SELECT position FROM audit_head)
     - coalesce((SELECT position FROM projection_checkpoints WHERE name = $1), 0)
"""


@dataclass(frozen=True)
class CheckpointStatus:
    """Where a projection stands against the log."""

    name: str
    position: int
    head: int
    updated_at: datetime | None

    @property
    def behind(self) -> int:
        """Events appended to the log and not applied yet."""
        return max(self.head - self.position, 0)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "position": self.position,
            "head": self.head,
            "behind": self.behind,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


async def read_events(conn: asyncpg.Connection, after: int, limit: int) -> list[StoredEvent]:
    """One page of the log after ``after``, read on ``conn`` (inside its transaction)."""
    return [stored_event(row) for row in await conn.fetch(_EVENTS, after, limit)]


class Projector:
    """Applies the audit log to the read models, batch by batch, each event exactly once."""

    def __init__(self, pool: asyncpg.Pool, *, name: str = CHECKPOINT, batch_size: int = BATCH_SIZE) -> None:
        self._pool = pool
        self.name = name
        self.batch_size = batch_size
        self._ensured = False

    async def _ensure(self, conn: asyncpg.Connection) -> None:
        if not self._ensured:
            await conn.execute(_ENSURE, self.name)
            self._ensured = True

    async def apply_batch(self, *, wait: bool = True) -> int:
        """Apply the next batch of events and record its last position, in one transaction.

        Returns the number of events applied: 0 when caught up, or (``wait=False``)
        when another projector holds the checkpoint.
        """
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            async with conn.transaction():
                position = await conn.fetchval(_LOCK if wait else _LOCK_OR_SKIP, self.name)
                if position is None:
                    return 0
                events = await read_events(conn, position, self.batch_size)
                for event in events:
                    await apply_event(conn, event)
                if events:
                    await conn.execute(_SAVE, self.name, events[-1].position)
                return len(events)

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
        return int(await self._pool.fetchval(_BEHIND, self.name))

    async def status(self) -> CheckpointStatus:
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            row = await conn.fetchrow(_STATUS, self.name)
        return CheckpointStatus(row["name"], int(row["position"]), int(row["head"]), row["updated_at"])

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Truncate every read model and replay the whole log; return the events replayed.

        The replay folds the log in memory and writes each row once
        (``projections.rebuild``), rather than applying event by event as ``apply_batch``
        does; the rows are the same. ``progress`` is called with the events replayed so
        far, page by page.
        """
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            async with conn.transaction():
                await conn.fetchval(_LOCK, self.name)
                await conn.execute(TRUNCATE_READ_MODELS)
                replayed, position = await rebuild_read_models(conn, progress=progress)
                await conn.execute(_SAVE, self.name, position)
        return replayed


async def run(pool: asyncpg.Pool, stop: asyncio.Event, poll_interval: float = 0.2) -> None:
    """Follow the log until ``stop`` is set: apply what is new, then look again
    ``poll_interval`` seconds later. A failing batch is logged and retried with a
    growing pause (at most ``MAX_BACKOFF_SECONDS``); nothing is lost, since the
    checkpoint only moves with a committed batch."""
    projector = Projector(pool)
    pause = poll_interval
    log.info("projector started", checkpoint=projector.name)
    while not stop.is_set():
        try:
            applied = await projector.catch_up(wait=False)
            if applied:
                log.debug("events projected", events=applied)
            pause = poll_interval
        except Exception as exc:  # a supervisor loop: keep the worker alive, say why, retry
            log.error("projection failed; retrying", error=f"{type(exc).__name__}: {exc}", retry_in=pause)
            pause = min(pause * 2, MAX_BACKOFF_SECONDS)
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
