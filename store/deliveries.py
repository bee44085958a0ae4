"""Mail deliveries in Postgres: which outbox rows go in which e-mail, and where each e-mail stands.

A delivery is made for due outbox rows (one row each, or a recipient's rows in a daily
digest), claimed by a dispatcher for one attempt at a time, and marked sent only after
the SMTP server accepted it (with its outbox rows' ``sent_at``, in one transaction).
A claim moves ``next_attempt_at`` one lease ahead, so a dispatcher that dies after
sending leaves the delivery due again later, and it is re-sent with the same Message-ID.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict

from store.notifications import OutboxEntry

_OUTBOX_COLUMNS = (
    "o.id, o.mandate_id, o.step_id, o.kind, o.recipient, o.due_at, o.created_at, o.idempotency_key,"
    " o.payload::text AS payload, o.sent_at, o.attempts"
)
_DELIVERY_COLUMNS = (
    "id, kind, message_key, message_id, recipient, mandate_id, state, attempts, next_attempt_at,"
    " last_error, payload::text AS payload, created_at, sent_at"
)

_DUE_UNPLANNED = f"""
SELECT {_OUTBOX_COLUMNS} FROM notifications_outbox o
WHERE o.sent_at IS NULL AND o.due_at <= $1
  AND NOT EXISTS (SELECT 1 FROM delivery_items i WHERE i.outbox_id = o.id)
ORDER BY o.due_at, o.id
LIMIT $2
FOR UPDATE OF o SKIP LOCKED
"""
_INSERT_DELIVERY = """
INSERT INTO deliveries (kind, message_key, message_id, recipient, mandate_id, next_attempt_at, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
ON CONFLICT (message_key) DO NOTHING
RETURNING id
"""
_LOCK_BY_KEY = "SELECT id, state, attempts FROM deliveries WHERE message_key = $1 FOR UPDATE"
_INSERT_ITEMS = """
INSERT INTO delivery_items (outbox_id, delivery_id)
SELECT unnest($1::bigint[]), $2
ON CONFLICT (outbox_id) DO NOTHING
"""
_CLAIM = f"""
WITH due AS (
    SELECT id FROM deliveries
    WHERE state = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2
    FROM due WHERE d.id = due.id
    RETURNING d.*
), counted AS (
    UPDATE notifications_outbox o SET attempts = o.attempts + 1
    FROM delivery_items i JOIN claimed c ON c.id = i.delivery_id
    WHERE o.id = i.outbox_id
)
SELECT {_DELIVERY_COLUMNS} FROM claimed ORDER BY id
"""
_ITEMS = f"""
SELECT {_OUTBOX_COLUMNS} FROM delivery_items i JOIN notifications_outbox o ON o.id = i.outbox_id
WHERE i.delivery_id = $1 ORDER BY o.due_at, o.id
"""
_OUTBOX_ROW = f"SELECT {_OUTBOX_COLUMNS} FROM notifications_outbox o WHERE o.id = $1"
_MARK_SENT = """
UPDATE deliveries SET state = 'sent', sent_at = $2, last_error = $3
WHERE id = $1 AND state = 'pending'
"""
_MARK_ITEMS_SENT = """
UPDATE notifications_outbox o SET sent_at = $2
FROM delivery_items i WHERE i.delivery_id = $1 AND o.id = i.outbox_id AND o.sent_at IS NULL
"""
_RETRY = """
UPDATE deliveries SET next_attempt_at = $2, last_error = $3
WHERE id = $1 AND state = 'pending'
"""
_GIVE_UP = """
UPDATE deliveries SET state = $2, last_error = $3
WHERE id = $1 AND state = 'pending'
"""
_MANDATE_STARTED = """
SELECT payload::text FROM audit_events
WHERE stream_id = $1 AND event_type = 'MandateStarted'
ORDER BY version LIMIT 1
"""
_BY_KEY = f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE message_key = $1"
_ALL = f"SELECT {_DELIVERY_COLUMNS} FROM deliveries ORDER BY id"


class DeliveryKind(StrEnum):
    NOTICE = "notice"  # one outbox row
    DIGEST = "digest"  # one recipient's rows due by a digest time
    REPORT = "report"  # to a mandate's coordinator: a recipient cannot be reached


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # refused for good (5xx), or the attempts ran out
    UNDELIVERABLE = "undeliverable"  # no address in the contact directory


class Delivery(BaseModel):
    """One e-mail to send, as the table holds it."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: DeliveryKind
    message_key: str
    message_id: str
    recipient: str
    mandate_id: str | None
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    payload: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None

    @property
    def stream_id(self) -> str:
        """The audit stream of this delivery's attempts (never the mandate's own stream)."""
        return f"delivery-{self.message_key}"


class NewDelivery(BaseModel):
    """A delivery to make: its identity, and the outbox rows it carries (none for a report)."""

    model_config = ConfigDict(frozen=True)

    kind: DeliveryKind
    message_key: str
    message_id: str
    recipient: str
    mandate_id: str | None = None
    payload: dict[str, Any] = {}
    outbox_ids: list[int] = []


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery.model_validate({**dict(row), "payload": json.loads(row["payload"])})


def _entry(row: asyncpg.Record) -> OutboxEntry:
    return OutboxEntry.model_validate({**dict(row), "payload": json.loads(row["payload"])})


async def _insert(conn: asyncpg.Connection, new: NewDelivery, due: datetime) -> int | None:
    """Make the delivery (nothing when its key exists); return its id, or None if it existed."""
    return await conn.fetchval(
        _INSERT_DELIVERY,
        new.kind.value,
        new.message_key,
        new.message_id,
        new.recipient,
        new.mandate_id,
        due,
        json.dumps(new.payload, sort_keys=True),
    )


async def _make_reports(conn: asyncpg.Connection, reports: Sequence[NewDelivery], now: datetime) -> list[str]:
    return [r.message_key for r in reports if await _insert(conn, r, now) is not None]


class DeliveryStore:
    """Plans, claims and marks deliveries through a pool owned by the composition root."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def plan(
        self,
        due_by: datetime,
        now: datetime,
        group: Callable[[Sequence[OutboxEntry]], Sequence[NewDelivery]],
        limit: int = 500,
    ) -> int:
        """Put outbox rows due by ``due_by`` that are in no delivery yet into deliveries.

        ``group`` decides which deliveries carry them (one per row, or digests). A digest
        whose key exists is joined only while it has not been tried; otherwise its rows
        wait for the next digest. Returns how many rows were planned.
        """
        planned = 0
        async with self._pool.acquire() as conn, conn.transaction():
            rows = [_entry(r) for r in await conn.fetch(_DUE_UNPLANNED, due_by, limit)]
            if not rows:
                return 0
            for new in group(rows):
                delivery_id = await _insert(conn, new, now)
                if delivery_id is None:
                    existing = await conn.fetchrow(_LOCK_BY_KEY, new.message_key)
                    if existing["state"] != DeliveryState.PENDING or existing["attempts"] > 0:
                        continue
                    delivery_id = existing["id"]
                status = await conn.execute(_INSERT_ITEMS, new.outbox_ids, delivery_id)
                planned += int(status.split()[-1])
        return planned

    async def claim(self, now: datetime, lease_until: datetime, limit: int = 50) -> list[Delivery]:
        """Take up to ``limit`` due pending deliveries for one attempt each (attempts + 1),
        due again at ``lease_until`` unless marked before."""
        return [_delivery(r) for r in await self._pool.fetch(_CLAIM, now, lease_until, limit)]

    async def items(self, delivery_id: int) -> list[OutboxEntry]:
        """The outbox rows a delivery carries."""
        return [_entry(r) for r in await self._pool.fetch(_ITEMS, delivery_id)]

    async def outbox_row(self, outbox_id: int) -> OutboxEntry | None:
        row = await self._pool.fetchrow(_OUTBOX_ROW, outbox_id)
        return _entry(row) if row is not None else None

    async def mandate_started(self, mandate_id: str) -> dict[str, Any] | None:
        """The payload of the mandate's ``MandateStarted`` audit event (its plan), if recorded."""
        text = await self._pool.fetchval(_MANDATE_STARTED, mandate_id)
        return json.loads(text) if text is not None else None

    async def mark_sent(
        self,
        delivery_id: int,
        at: datetime,
        note: str | None = None,
        reports: Sequence[NewDelivery] = (),
    ) -> list[str]:
        """The server accepted it: mark it and its outbox rows sent, and make the reports whose
        keys are new (addresses it refused), in one transaction. Returns the reports' keys."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_MARK_SENT, delivery_id, at, note)
            await conn.execute(_MARK_ITEMS_SENT, delivery_id, at)
            return await _make_reports(conn, reports, at)

    async def retry_at(self, delivery_id: int, at: datetime, error: str) -> None:
        """A transient failure: try again at ``at``."""
        await self._pool.execute(_RETRY, delivery_id, at, error)

    async def give_up(
        self,
        delivery_id: int,
        state: DeliveryState,
        error: str,
        now: datetime,
        reports: Sequence[NewDelivery] = (),
    ) -> list[str]:
        """Mark it failed or undeliverable, and make the reports to coordinators whose keys
        are new, in one transaction. Returns the keys of the reports made now."""
        if state not in (DeliveryState.FAILED, DeliveryState.UNDELIVERABLE):
            raise ValueError(f"cannot give up into state {state}")
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_GIVE_UP, delivery_id, state.value, error)
            return await _make_reports(conn, reports, now)

    async def by_key(self, message_key: str) -> Delivery | None:
        row = await self._pool.fetchrow(_BY_KEY, message_key)
        return _delivery(row) if row is not None else None

    async def all(self) -> list[Delivery]:
        """Every delivery, oldest first."""
        return [_delivery(r) for r in await self._pool.fetch(_ALL)]
