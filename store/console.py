"""What the web console keeps besides the log: files sent with answers, and revoked party links."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

_STORE_FILE = """
INSERT INTO attachments (sha256, size, content_type, content) VALUES ($1, $2, $3, $4)
ON CONFLICT (sha256) DO NOTHING
"""
_FILE = "SELECT sha256, size, content_type, content FROM attachments WHERE sha256 = $1"
_REVOKE = """
INSERT INTO revoked_party_links (link_id, mandate_id, step_id, party, revoked_by) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (link_id) DO NOTHING
"""
_REVOKED = "SELECT EXISTS (SELECT FROM revoked_party_links WHERE link_id = $1)"
_REVOKED_OF = """
SELECT link_id FROM revoked_party_links WHERE mandate_id = $1 AND step_id = $2 AND party = $3
"""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str
    content: bytes


class ConsoleStore:
    """Attachments by content hash; revoked party links."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def keep_file(self, sha256: str, content_type: str, content: bytes) -> None:
        """Store a file under its SHA-256 (a file already stored is left as it is)."""
        await self._pool.execute(_STORE_FILE, sha256, len(content), content_type, content)

    async def file(self, sha256: str) -> StoredFile | None:
        row = await self._pool.fetchrow(_FILE, sha256)
        return (
            StoredFile(row["sha256"], row["size"], row["content_type"], bytes(row["content"]))
            if row
            else None
        )

    async def revoke_link(self, link_id: str, mandate_id: str, step_id: str, party: str, by: str) -> None:
        await self._pool.execute(_REVOKE, link_id, mandate_id, step_id, party, by)

    async def is_revoked(self, link_id: str) -> bool:
        return bool(await self._pool.fetchval(_REVOKED, link_id))

    async def revoked_of(self, mandate_id: str, step_id: str, party: str) -> set[str]:
        return {r["link_id"] for r in await self._pool.fetch(_REVOKED_OF, mandate_id, step_id, party)}
