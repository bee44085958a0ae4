"""The notifications outbox in Postgres: what to tell whom, and when.

The mandate workflows enqueue a row for each recipient of a request (a consultation
opened, an approval asked), reminder, overdue notice or escalation, and the console one for
each answer it records (the party's confirmation); a delivery process (another concern) sends them and
marks them sent. Enqueueing is idempotent by key, so retries never duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

_ENQUEUE = """
INSERT INTO notifications_outbox (mandate_id, step_id, kind, recipient, due_at, idempotency_key, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                     $7::jsonb[])
ON CONFLICT (idempotency_key) DO NOTHING
"""
_COLUMNS = (
    "id, mandate_id, step_id, kind, recipient, due_at, created_at, idempotency_key,"
    " payload::text AS payload, sent_at, attempts"
)
_FOR_MANDATE = f"SELECT {_COLUMNS} FROM notifications_outbox WHERE mandate_id = $1 ORDER BY due_at, id"
_UNSENT = f"""
SELECT {_COLUMNS} FROM notifications_outbox
WHERE sent_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2
"""


_COUNTS = """
SELECT kind,
       count(*) FILTER (WHERE sent_at IS NULL AND due_at <= $1)::bigint AS pending,
       count(*) FILTER (WHERE sent_at IS NOT NULL)::bigint AS sent
FROM notifications_outbox GROUP BY kind
"""


class NotificationKind(StrEnum):
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    REQUEST = "request"  # a consultation asks a party, an approval step asks its approvers
    CONFIRMATION = "confirmation"  # a party's answer was recorded (sent by the console)


class Notification(BaseModel):
    """One notification to one recipient (a party or a role)."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str = Field(min_length=1)
    step_id: str = Field(min_length=1)
    kind: NotificationKind
    recipient: str = Field(min_length=1)
    due_at: AwareDatetime
    idempotency_key: str = Field(min_length=1)
    payload: dict[str, Any] = {}


class OutboxEntry(Notification):
    """A notification as the outbox holds it."""

    id: int
    created_at: datetime
    sent_at: datetime | None
    attempts: int


def _entry(row: asyncpg.Record) -> OutboxEntry:
    return OutboxEntry.model_validate({**dict(row), "payload": json.loads(row["payload"])})


class NotificationOutbox:
    """Writes and reads the outbox through a pool owned by the composition root."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def enqueue(self, notifications: Sequence[Notification]) -> int:
        """Insert the notifications whose keys are new, in one statement; return how many."""
        if not notifications:
            return 0
        columns: list[list[Any]] = [[] for _ in range(7)]
        for n in notifications:
            values = (
                n.mandate_id,
                n.step_id,
                n.kind.value,
                n.recipient,
                n.due_at,
                n.idempotency_key,
                json.dumps(n.payload, sort_keys=True),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        status = await self._pool.execute(_ENQUEUE, *columns)
        return int(status.rsplit(" ", 1)[-1])

    async def for_mandate(self, mandate_id: str) -> list[OutboxEntry]:
        """Every notification of one mandate, by due time."""
        return [_entry(row) for row in await self._pool.fetch(_FOR_MANDATE, mandate_id)]

    async def unsent(self, due_by: datetime, limit: int = 100) -> list[OutboxEntry]:
        """Notifications not yet sent that are due by ``due_by``, oldest first."""
        return [_entry(row) for row in await self._pool.fetch(_UNSENT, due_by, limit)]

    async def counts_by_kind(self, due_by: datetime) -> dict[str, tuple[int, int]]:
        """Per kind of notification: how many are due by ``due_by`` and not sent, how many sent."""
        rows = await self._pool.fetch(_COUNTS, due_by)
        return {r["kind"]: (r["pending"], r["sent"]) for r in rows}
