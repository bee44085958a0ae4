"""The contact directory in Postgres: the e-mail addresses of each name the plans use."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from pydantic import BaseModel, ConfigDict

from domain.contacts import Contact

_DELETE_ALL = "DELETE FROM contacts RETURNING name, role, email, display_name"
_DELETE_NAMES = "DELETE FROM contacts WHERE name = ANY($1::text[]) RETURNING name, role, email, display_name"
_INSERT = """
INSERT INTO contacts (name, role, email, display_name)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
"""
_OF = "SELECT name, role, email, display_name FROM contacts WHERE name = $1 ORDER BY email"
_ALL = "SELECT name, role, email, display_name FROM contacts ORDER BY name, email"


class ImportSummary(BaseModel):
    """What an import changed."""

    model_config = ConfigDict(frozen=True)

    names: int  # names the file lists
    addresses: int  # addresses now stored for them
    removed: int  # addresses removed or changed (of those names, or of every name with ``replace``)


class ContactStore:
    """Reads and replaces the directory through a pool owned by the composition root."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def import_contacts(self, contacts: Sequence[Contact], *, replace: bool = False) -> ImportSummary:
        """Store ``contacts`` in one transaction: each name the file lists gets exactly the file's
        addresses; other names keep theirs, unless ``replace`` empties the directory first."""
        names = sorted({c.name for c in contacts})
        async with self._pool.acquire() as conn, conn.transaction():
            if replace:
                before = await conn.fetch(_DELETE_ALL)
            else:
                before = await conn.fetch(_DELETE_NAMES, names)
            await conn.execute(
                _INSERT,
                [c.name for c in contacts],
                [c.role.value for c in contacts],
                [c.email for c in contacts],
                [c.display_name for c in contacts],
            )
        kept = {(c.name, c.role.value, c.email, c.display_name) for c in contacts}
        removed = sum(1 for row in before if tuple(row) not in kept)  # (the same line again is no change)
        return ImportSummary(names=len(names), addresses=len(contacts), removed=removed)

    async def of(self, name: str) -> list[Contact]:
        """The addresses of ``name`` (none when the directory does not know it)."""
        return [Contact.model_validate(dict(row)) for row in await self._pool.fetch(_OF, name)]

    async def all(self) -> list[Contact]:
        """The whole directory, by name."""
        return [Contact.model_validate(dict(row)) for row in await self._pool.fetch(_ALL)]
