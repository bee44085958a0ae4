"""The review calendar's projection: the audit log folded into ``rm_reviews`` and its tables.

It follows the log by position with its own checkpoint (``reviews``), as the read models'
projector does (``projections.projector``), and with the same guarantee: a batch is one
transaction that locks the checkpoint row, reads the records after it that the calendar
folds (``store.reviews.calendar_records``: the calendar's events, starts whose plan has a
form that feeds it, answers with answers), takes out of the tables the part of the calendar
they touch, folds them (``domain.calendar.ReviewCalendar``, the fold the report uses too),
writes that part back and moves the checkpoint, then commits. A crash before the commit
rolls all of it back.

The worker's projector loop runs it beside the read models' (``projections.projector.run``);
the use cases that read the calendar bring it up to the log's head first (``catch_up``), so
that what was just imported is what they show. The queries (``overlaps``, ``burden``,
``stages``, ``costs``) read its tables; the figures are computed by ``domain.reviews``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import asyncpg

from domain.calendar import Answered, CostAnswer, ReviewCalendar, read_record, touched
from domain.reviews import (
    DEFAULT_WINDOW_DAYS,
    Burden,
    OverlapView,
    Review,
    Stage,
    StageView,
    burden,
    name_key,
    overlap_of,
    state_name,
    view_of,
)
from projections.checkpoints import CheckpointStatus
from store import read_models as checkpoints
from store import reviews as tables

SCHEMA = 1
"""The shape of the calendar's tables: a projector that finds another rebuilds them."""
SCAN = 20_000
"""Positions of the log one batch looks through (most hold nothing the calendar folds)."""


async def apply_records(conn: asyncpg.Connection, records: list[tables.Record]) -> None:
    """Fold records into the calendar's tables, in the caller's transaction: take out the part
    they touch, fold, write it back."""
    reads = [
        read
        for r in records
        if (read := read_record(r.position, r.stream_id, r.type, r.occurred_at, r.payload)) is not None
    ]
    if not reads:
        return
    forms = await tables.forms_of(conn, {r.what.mandate_id for r in reads if isinstance(r.what, Answered)})
    keys, sources, names = touched(reads, forms)
    calendar = await tables.take_out(conn, keys, sources, names, forms)
    for read in reads:
        calendar.apply(read)
    await tables.write(conn, calendar)


async def rebuild_calendar(
    conn: asyncpg.Connection, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Empty the calendar's tables and fold the whole log into them, in the caller's
    transaction; return the records folded and the log's head."""
    await tables.truncate(conn)
    head = await tables.head(conn)
    calendar = ReviewCalendar()
    folded, position = 0, 0
    while position < head:
        upto = min(head, position + SCAN * 10)
        for record in await tables.calendar_records(conn, position, upto):
            read = read_record(
                record.position, record.stream_id, record.type, record.occurred_at, record.payload
            )
            if read is not None:
                calendar.apply(read)
                folded += 1
        position = upto
        if progress is not None:
            progress(folded)
    await tables.write(conn, calendar)
    return folded, head


class ReviewsProjector:
    """Applies the log to the calendar's tables, batch by batch, each record exactly once."""

    def __init__(self, pool: asyncpg.Pool, *, scan: int = SCAN) -> None:
        self._pool = pool
        self.name = tables.CHECKPOINT
        self.scan = scan
        self._ensured = False

    async def _ensure(self, conn: asyncpg.Connection) -> None:
        if not self._ensured:
            await checkpoints.ensure_checkpoint(conn, self.name)
            self._ensured = True

    async def apply_batch(self, *, wait: bool = True) -> int:
        """Fold the next stretch of the log (at most ``scan`` positions) and move the
        checkpoint past it, in one transaction; return the positions passed (0: caught up,
        or, ``wait=False``, another projector holds the checkpoint)."""
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            async with conn.transaction():
                checkpoint = await checkpoints.lock_checkpoint(conn, self.name, wait=wait)
                if checkpoint is None:
                    return 0
                position = checkpoint["position"]
                if checkpoint["schema"] != SCHEMA and position > 0:
                    _, head = await rebuild_calendar(conn)
                    await checkpoints.save_checkpoint(conn, self.name, head, SCHEMA)
                    return max(head - position, 1)
                head = await tables.head(conn)
                if head <= position:
                    return 0
                upto = min(head, position + self.scan)
                await apply_records(conn, await tables.calendar_records(conn, position, upto))
                await checkpoints.save_checkpoint(conn, self.name, upto, SCHEMA)
                return upto - position

    async def catch_up(self, *, wait: bool = True) -> int:
        """Fold until the calendar reaches the log's head; return the positions passed."""
        passed = 0
        while await self.behind() > 0:
            step = await self.apply_batch(wait=wait)
            if step == 0:
                break
            passed += step
        return passed

    async def behind(self) -> int:
        return await checkpoints.behind(self._pool, self.name)

    async def status(self) -> CheckpointStatus:
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            row = await checkpoints.checkpoint_status(conn, self.name)
        return CheckpointStatus(row["name"], int(row["position"]), int(row["head"]), row["updated_at"])

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Empty the calendar's tables and fold the whole log again; return the records folded."""
        async with self._pool.acquire() as conn:
            await self._ensure(conn)
            async with conn.transaction():
                await checkpoints.lock_checkpoint(conn, self.name)
                folded, head = await rebuild_calendar(conn, progress)
                await checkpoints.save_checkpoint(conn, self.name, head, SCHEMA)
        return folded


# --- queries ---------------------------------------------------------------------------------------


def state_key_of(state: str | None) -> str | None:
    """The key a State's name is looked up by (its alias, case and spacing aside)."""
    return name_key(state_name(state)) if state is not None else None


async def overlaps(
    pool: asyncpg.Pool,
    window_days: int = DEFAULT_WINDOW_DAYS,
    state: str | None = None,
    *,
    reveal: bool = False,
) -> list[OverlapView]:
    """The overlaps of the calendar (``domain.reviews.find_overlaps``) as a viewer sees them,
    found and ordered in SQL (``store.reviews.overlap_rows``: each stage's range of its State's
    stages by start) and read straight into views: a large calendar's answer in well under a
    second (benchmark 9). Their stages carry no audit positions (a State's timeline and the
    report do)."""
    found = []
    for row in await tables.overlap_rows(pool, window_days, state_key_of(state)):
        found.append(overlap_of(row[0], _side(row, 1, reveal), _side(row, 8, reveal), row[15]))
    return found


def _side(row: asyncpg.Record, at: int, reveal: bool) -> StageView:
    uid, mechanism, cycle, stage, start, end, confidential = row[at : at + 7]
    return view_of(uid, mechanism, row[0], cycle, stage, start, end, confidential, (), reveal)


async def stages(
    pool: asyncpg.Pool, *, state: str | None = None, start: date | None = None, end: date | None = None
) -> list[Stage]:
    """The calendar's stages (of one State; at least partly within ``start``..``end``)."""
    return await tables.stages(pool, state_key=state_key_of(state), start=start, end=end)


async def burden_of(pool: asyncpg.Pool, start: date | None = None, end: date | None = None) -> list[Burden]:
    """The burden on each State in a window (``domain.reviews.burden``), heaviest first."""
    return burden(await tables.stages(pool, start=start, end=end), start, end)


async def costs(pool: asyncpg.Pool) -> list[CostAnswer]:
    return await tables.costs(pool)


async def current_reviews(pool: asyncpg.Pool, keys: list[str]) -> dict[str, Review]:
    """What the calendar holds of these keys, as the reviews an import compares with."""
    held = await tables.stages_by_key(pool, keys)
    return {
        key: Review(
            mechanism=s.mechanism,
            state=s.state,
            cycle=s.cycle,
            stage=s.stage,
            start=s.start,
            end=s.end,
            confidential=s.confidential,
            notes=dict(s.notes),
        )
        for key, s in held.items()
    }
