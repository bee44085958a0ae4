"""The audit event store: append-only, gapless, hash-chained, in Postgres.

Every transition of every mandate is appended here; read models and reports are
projections of this log. One append is one statement (the ``audit_append`` function
of migration 001): it takes the log's head row lock, checks idempotency and the
stream's version, inserts the batch with its chain hashes and moves the head.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import IdempotencyConflict, VersionConflict
from store.chain import ChainRow, canonical_json, content_hash, normalize_json

EVENT_COLUMNS = (
    "position, stream_id, version, event_type, actor, occurred_at, recorded_at, payload::text AS payload,"
    " correlation_id, causation_id, idempotency_key, prev_hash, hash"
)

_APPEND = f"""
SELECT {EVENT_COLUMNS}
FROM audit_append($1, $2, $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
"""
_READ_STREAM = f"SELECT {EVENT_COLUMNS} FROM audit_events WHERE stream_id = $1 ORDER BY version"
_READ_ALL = f"SELECT {EVENT_COLUMNS} FROM audit_events WHERE position > $1 ORDER BY position LIMIT $2"
_STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM audit_events WHERE stream_id = $1"
_HEAD = "SELECT position, hash FROM audit_head"

VERSION_CONFLICT_SQLSTATE = "MND01"
IDEMPOTENCY_CONFLICT_SQLSTATE = "MND02"


class NewEvent(BaseModel):
    """An event to append. ``occurred_at`` is domain time, passed in by the caller."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(min_length=1)
    actor: str = Field(min_length=1)
    occurred_at: datetime
    payload: dict[str, Any]
    idempotency_key: str = Field(min_length=1)
    correlation_id: str | None = None
    causation_id: str | None = None


class StoredEvent(NewEvent):
    """An event as the log holds it."""

    position: int
    stream_id: str
    version: int
    recorded_at: datetime
    prev_hash: str
    hash: str

    def content_hash(self) -> str:
        """Recompute the hash of what this event says (see ``store.chain``)."""
        return content_hash(
            stream_id=self.stream_id,
            version=self.version,
            event_type=self.type,
            actor=self.actor,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            payload=self.payload,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            idempotency_key=self.idempotency_key,
        )

    def chain_row(self) -> ChainRow:
        return ChainRow(self.position, self.prev_hash, self.hash, self.content_hash())


def stored_event(row: asyncpg.Record) -> StoredEvent:
    """Build a StoredEvent from a row selected with the store's column list."""
    return StoredEvent(
        position=row["position"],
        stream_id=row["stream_id"],
        version=row["version"],
        type=row["event_type"],
        actor=row["actor"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        payload=json.loads(row["payload"]),
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        idempotency_key=row["idempotency_key"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class AuditStore:
    """Appends to and reads the audit log through a pool owned by the composition root."""

    def __init__(self, pool: asyncpg.Pool, clock: Callable[[], datetime] | None = None) -> None:
        self._pool = pool
        self._clock = clock or (lambda: datetime.now(UTC))

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[StoredEvent]:
        """Append ``events`` to a stream that is at ``expected_version``, atomically.

        Returns the stored events. If every idempotency key of the batch is already
        stored, returns those events and writes nothing.

        Raises:
            VersionConflict: the stream is not at ``expected_version``.
            IdempotencyConflict: the keys are partly stored, or stored for another stream.
        """
        if not events:
            return []
        recorded_at = self._clock()
        payloads = [normalize_json(e.payload) for e in events]
        args: list[list[Any]] = [[] for _ in range(9)]
        for offset, (event, payload) in enumerate(zip(events, payloads, strict=True), start=1):
            digest = content_hash(
                stream_id=stream_id,
                version=expected_version + offset,
                event_type=event.type,
                actor=event.actor,
                occurred_at=event.occurred_at,
                recorded_at=recorded_at,
                payload=payload,
                correlation_id=event.correlation_id,
                causation_id=event.causation_id,
                idempotency_key=event.idempotency_key,
            )
            for column, value in zip(
                args,
                (
                    event.type,
                    event.actor,
                    event.occurred_at,
                    recorded_at,
                    canonical_json(payload),
                    event.correlation_id,
                    event.causation_id,
                    event.idempotency_key,
                    digest,
                ),
                strict=True,
            ):
                column.append(value)
        try:
            rows = await self._pool.fetch(_APPEND, stream_id, expected_version, *args)
        except asyncpg.PostgresError as exc:
            raise _domain_error(exc, stream_id, expected_version) from None
        return [stored_event(row) for row in rows]

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        """Every event of one stream, in version order."""
        return [stored_event(row) for row in await self._pool.fetch(_READ_STREAM, stream_id)]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """One page of the whole log, in position order, after ``after_position``."""
        rows = await self._pool.fetch(_READ_ALL, after_position, limit)
        return [stored_event(row) for row in rows]

    async def iterate_all(self, after_position: int = 0, page: int = 1000) -> AsyncIterator[StoredEvent]:
        """The whole log from a position, page by page."""
        while True:
            events = await self.read_all(after_position, page)
            for event in events:
                yield event
            if len(events) < page:
                return
            after_position = events[-1].position

    async def stream_version(self, stream_id: str) -> int:
        """The version of a stream's last event, 0 for a stream with none."""
        return int(await self._pool.fetchval(_STREAM_VERSION, stream_id))

    async def head(self) -> tuple[int, str]:
        """The position and hash of the last appended event (0 and the genesis hash when empty)."""
        row = await self._pool.fetchrow(_HEAD)
        return int(row["position"]), str(row["hash"])


def _domain_error(exc: asyncpg.PostgresError, stream_id: str, expected: int) -> Exception:
    if exc.sqlstate == VERSION_CONFLICT_SQLSTATE:
        return VersionConflict(stream_id, expected, int(getattr(exc, "detail", None) or -1))
    if exc.sqlstate == IDEMPOTENCY_CONFLICT_SQLSTATE:
        return IdempotencyConflict(str(exc))
    if isinstance(exc, asyncpg.UniqueViolationError):
        return VersionConflict(stream_id, expected, -1)
    return exc
