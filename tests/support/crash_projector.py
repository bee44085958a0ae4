"""A projector that dies mid-batch: ``python -m tests.support.crash_projector DSN N BATCH``.

It applies events like the real projector, and once it has applied N events or more
(rows written, checkpoint not yet moved, transaction not committed) the process ends
with ``os._exit(70)``: no rollback, no cleanup, as in a crash.
"""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg

from projections import projector

CRASHED = 70


async def main(dsn: str, crash_after: int, batch_size: int) -> None:
    applied = 0
    real_apply = projector.apply_events

    async def apply_then_crash(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        nonlocal applied
        await real_apply(conn, rows)
        applied += len(rows)
        if applied >= crash_after:
            os._exit(CRASHED)

    projector.apply_events = apply_then_crash  # type: ignore[assignment]
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    await projector.Projector(pool, batch_size=batch_size).catch_up()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
