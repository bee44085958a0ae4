"""Reading the read models and the log back, for the projection tests."""

from __future__ import annotations

import asyncpg

from projections import READ_MODEL_TABLES
from store.audit import AuditStore, StoredEvent


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[tuple]]:
    """Every row of every read model, sorted, by table."""
    rows = {}
    for table in READ_MODEL_TABLES:
        records = await pool.fetch(f"SELECT * FROM {table}")
        rows[table] = sorted(tuple(r.values()) for r in records)
    return rows


async def checkpoint(pool: asyncpg.Pool) -> int:
    """How far the read models' projector has applied the log."""
    return int(await pool.fetchval("SELECT position FROM projection_checkpoints WHERE name = 'read_models'"))


async def read_log(store: AuditStore) -> list[StoredEvent]:
    """The whole audit log, in order."""
    return [e async for e in store.iterate_all()]
