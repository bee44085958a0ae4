"""Numbered migrations: applied in order, recorded, and a no-op the second time."""

from __future__ import annotations

import asyncpg
import pytest

from store import migrate
from store.migrate import Migration, MigrationError, apply_migrations, load_migrations


def test_migration_files_are_numbered_in_order() -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    assert len(set(versions)) == len(versions)


async def test_applying_twice_is_a_no_op(admin_conn: asyncpg.Connection) -> None:
    # The test database was created from a migrated template.
    recorded = await admin_conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in recorded] == [m.version for m in load_migrations()]
    assert await apply_migrations(admin_conn) == []
    assert await admin_conn.fetchval("SELECT count(*) FROM schema_migrations") == len(recorded)


async def test_a_migration_changed_after_it_was_applied_is_refused(
    admin_conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in load_migrations()]
    monkeypatch.setattr(migrate, "load_migrations", lambda: changed)
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await apply_migrations(admin_conn)


async def test_a_failing_migration_leaves_nothing_half_applied(
    admin_conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Migration(999, "broken", "CREATE TABLE half_done (id int); SELECT no_such_function();")
    monkeypatch.setattr(migrate, "load_migrations", lambda: [*load_migrations(), broken])
    with pytest.raises(MigrationError, match="999_broken failed"):
        await apply_migrations(admin_conn)
    assert await admin_conn.fetchval("SELECT to_regclass('half_done')") is None
    assert await admin_conn.fetchval("SELECT count(*) FROM schema_migrations WHERE version = 999") == 0
