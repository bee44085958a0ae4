"""The read-model statements (store/read_models.py) name each table's columns in order."""

from __future__ import annotations

import asyncpg

from projections import READ_MODEL_TABLES
from store.read_models import TABLES


async def test_each_table_has_the_columns_its_rows_are_written_in(pool: asyncpg.Pool) -> None:
    assert set(TABLES) == set(READ_MODEL_TABLES)
    for table, columns in TABLES.items():
        names = await pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
            " ORDER BY ordinal_position",
            table,
        )
        assert list(columns) == [r["column_name"] for r in names], table
