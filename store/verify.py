"""Recompute the audit log's hash chain and name the first position where it breaks."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import asyncpg

from store.audit import EVENT_COLUMNS, stored_event
from store.chain import ChainBreak, ChainChecker

_HEAD = "SELECT position, hash FROM audit_head"
_ALL = f"SELECT {EVENT_COLUMNS} FROM audit_events ORDER BY position"
_OWNER = "SELECT position FROM audit_events WHERE hash = $1"


@dataclass(frozen=True)
class Verification:
    """The outcome of ``verify_log``: ok, or the first break."""

    ok: bool
    checked: int
    head_position: int
    first_bad_position: int | None = None
    reason: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def verify_log(conn: asyncpg.Connection, prefetch: int = 2000) -> Verification:
    """Walk the whole log with a server-side cursor, checking every link."""
    failure: ChainBreak | None = None
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(_HEAD)
        checker = ChainChecker(int(head["position"]), str(head["hash"]))
        async for row in conn.cursor(_ALL, prefetch=prefetch):
            chain_row = stored_event(row).chain_row()
            owner = None
            if not checker.links(chain_row):
                owner = await conn.fetchval(_OWNER, chain_row.prev_hash)
            failure = checker.check(chain_row, owner)
            if failure is not None:
                break
    if failure is None:
        failure = checker.finish()
    if failure is None:
        return Verification(True, checker.checked, checker.head_position)
    return Verification(
        False, checker.checked, checker.head_position, failure.position, failure.reason, failure.detail
    )
