"""Recompute the audit log's hash chain and name the first position where it breaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import asyncpg

from store.audit import EVENT_COLUMNS, stored_event
from store.chain import ChainBreak, ChainChecker
from store.checkpoints import Checkpoint, check_against

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
    checkpoints: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def verify_log(
    conn: asyncpg.Connection, checkpoints: Sequence[Checkpoint] = (), prefetch: int = 2000
) -> Verification:
    """Walk the whole log with a server-side cursor, checking every link, then check the
    log against the signed checkpoints taken outside the database."""
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
        for checkpoint in checkpoints:
            mismatch = await check_against(conn, checkpoint)
            if mismatch is not None:
                return Verification(
                    False,
                    checker.checked,
                    checker.head_position,
                    mismatch.position,
                    mismatch.reason,
                    mismatch.detail,
                    len(checkpoints),
                )
        return Verification(True, checker.checked, checker.head_position, checkpoints=len(checkpoints))
    return Verification(
        False, checker.checked, checker.head_position, failure.position, failure.reason, failure.detail
    )
