"""Numbered SQL migrations, applied in order, one transaction each, recorded in a table."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from domain.errors import DomainError
from store.database import connect

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 7_233_554_321  # pg_advisory_xact_lock key that serialises migration runners

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
_APPLIED = "SELECT checksum FROM schema_migrations WHERE version = $1"
_RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


class MigrationError(DomainError):
    """A migration file is malformed, changed after it was applied, or failed."""

    code = "migration_error"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations() -> list[Migration]:
    """The migration files shipped in ``store/migrations``, in version order."""
    found = []
    for entry in resources.files("store").joinpath("migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"migration file {entry.name!r} is not named NNN_name.sql")
        found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


async def apply_migrations(conn: asyncpg.Connection) -> list[Migration]:
    """Apply every migration not yet recorded; return those applied now."""
    applied_now = []
    await conn.execute(_CREATE_TABLE)
    for migration in load_migrations():
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            stored = await conn.fetchval(_APPLIED, migration.version)
            if stored is not None:
                if stored != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:03d}_{migration.name} changed after it was applied"
                    )
                continue
            try:
                await conn.execute(migration.sql)
            except asyncpg.PostgresError as exc:
                raise MigrationError(
                    f"migration {migration.version:03d}_{migration.name} failed: {exc}"
                ) from None
            await conn.execute(_RECORD, migration.version, migration.name, migration.checksum)
            applied_now.append(migration)
    return applied_now


async def migrate(admin_url: str) -> int:
    """Apply the migrations as the schema owner (``DATABASE_ADMIN_URL``); how many were new."""
    conn = await connect(admin_url)
    try:
        return len(await apply_migrations(conn))
    finally:
        await conn.close()
