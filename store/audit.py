"""The audit event store: append-only, gapless, hash-chained, in Postgres.

Every transition of every mandate is appended here; read models and reports are
projections of this log. One append is one statement (the ``audit_append`` function
of migration 005, as migration 007 has it): it checks idempotency and the stream's
version, takes the log's head row lock, inserts the batch with its chain hashes and
moves the head. It returns only where the batch went (its first position and the hash
it links to): the store already holds everything else the rows say, so nothing is read
back. The application's role may write the log through these functions only.

Group commit: the head lock lets one append write at a time, so appends that reach a
store while ``GROUP_WRITERS`` of its writes are under way wait, and are then written
together, one statement and one transaction for the group (``audit_append_group``,
migrations 006 and 007). Each append of a group goes to another stream, and the group is
all or nothing: if any of them is not the plain case (a version conflict, an idempotent
repeat), nothing is written and each is appended alone, which answers each as before.
A store with nothing under way writes an append at once, alone.

Signing: a store given a ``Signer`` signs what each statement writes, once (``store.signing``):
the content hashes of an append's events, or of a whole group's. The append functions store
the signature with the events, in the same transaction. A store without one appends unsigned
events, which ``mandates audit verify`` reports.

Payloads are JSON objects within bounds (``store.chain.MAX_PAYLOAD_BYTES`` and
``MAX_PAYLOAD_LEVELS``), checked here before the call and again by the append functions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError, IdempotencyConflict, VersionConflict
from store.chain import (
    ChainRow,
    PayloadInvalid,
    canonical_payload,
    chain_hash,
    content_hash,
    content_hash_of_canonical,
    utc_timestamp,
)
from store.signing import Signer

EVENT_COLUMNS = (
    "position, stream_id, version, event_type, actor, occurred_at, recorded_at, payload::text AS payload,"
    " correlation_id, causation_id, idempotency_key, prev_hash, hash"
)

_APPEND = """
SELECT first_position, prev_hash
FROM audit_append($1::text, $2::integer, $3::timestamptz, $4::text[], $5::text[], $6::timestamptz[],
                  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean, $13::text,
                  $14::bytea)
"""
_APPEND_GROUP = """
SELECT first_position, prev_hash
FROM audit_append_group($1::text[], $2::integer[], $3::text[], $4::integer[], $5::timestamptz[], $6::text[],
                        $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[],
                        $13::text[], $14::text, $15::bytea)
"""
_STORED_KEYS = f"SELECT {EVENT_COLUMNS} FROM audit_events WHERE idempotency_key = ANY ($1) ORDER BY position"
_READ_STREAM = f"SELECT {EVENT_COLUMNS} FROM audit_events WHERE stream_id = $1 ORDER BY version"
_READ_STREAM_OF = f"""
SELECT {EVENT_COLUMNS} FROM audit_events
WHERE stream_id = $1 AND event_type = ANY ($2::text[]) ORDER BY version
"""
_READ_ALL = f"SELECT {EVENT_COLUMNS} FROM audit_events WHERE position > $1 ORDER BY position LIMIT $2"
_RECORD_COLUMNS = "position, stream_id, version, event_type, occurred_at, payload::text"
"""An event as the folds read it (``read_page``, ``read_stream_records``)."""
_PAGE = f"SELECT {_RECORD_COLUMNS} FROM audit_events WHERE position > $1 ORDER BY position LIMIT $2"
_STREAM_RECORDS_OF = f"""
SELECT {_RECORD_COLUMNS} FROM audit_events
WHERE stream_id = $1 AND event_type = ANY ($2::text[]) ORDER BY version
"""
_STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM audit_events WHERE stream_id = $1"
_HEAD = "SELECT position, hash FROM audit_head"

VERSION_CONFLICT_SQLSTATE = "MND01"
IDEMPOTENCY_CONFLICT_SQLSTATE = "MND02"
CONTENT_HASH_SQLSTATE = "MND04"
PAYLOAD_SQLSTATE = "MND05"
MALFORMED_CALL_SQLSTATE = "MND06"
RACED_CONSTRAINTS = frozenset({"audit_events_idempotency_key", "audit_events_stream_version"})
"""Unique constraints an append fails on when one of its keys was stored without the stream
moving (the first call does not look the keys up then), or when another append committed
one of its keys or versions after its checks (migration 005). Calling again with the keys
looked up gives the checked answer."""
APPEND_ATTEMPTS = 3
"""Calls of one append at most; losing a third race in a row is reported as a version conflict."""
GROUP_WRITERS = 2
"""Writes a store keeps under way at once; appends that arrive beyond them wait to form a group.
Two let one group's parameters be sent and its checks run while another holds the head lock."""
GROUP_EVENTS = 1000
"""Events in one group at most (an append of more is written alone)."""


class AppendRefused(DomainError):
    """The append functions refused a call the store made: a content hash that is not its
    event's, or a malformed call (migration 007). Retrying would not help."""

    code = "audit_append_refused"


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


async def read_stream_records(
    pool: asyncpg.Pool, stream_id: str, types: Sequence[str]
) -> list[asyncpg.Record]:
    """The events of one stream of those ``types``, in version order, as ``read_page`` gives
    them (for a reader that folds them: no ``StoredEvent`` built, the payload as text)."""
    return await pool.fetch(_STREAM_RECORDS_OF, stream_id, list(types))


async def read_page(conn: asyncpg.Connection, after: int, limit: int) -> list[asyncpg.Record]:
    """Up to ``limit`` events after position ``after``, in order, as they are folded: each
    a record of ``(position, stream_id, version, event_type, occurred_at, payload text)``."""
    return await conn.fetch(_PAGE, after, limit)


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

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Callable[[], datetime] | None = None,
        *,
        group_commit: bool = True,
        signer: Signer | None = None,
    ) -> None:
        self._pool = pool
        self._clock = clock or (lambda: datetime.now(UTC))
        self._group_commit = group_commit
        self._signer = signer
        self._waiting: list[tuple[_Batch, asyncio.Future[list[StoredEvent]]]] = []
        self._writing = 0  # writers under way
        self._gathering = False  # a writer is started and has not taken its first group yet
        self._writers: set[asyncio.Task[None]] = set()
        self.groups_written = 0
        """Groups of two appends or more written by one statement (for tests and benchmarks)."""
        self.appends_grouped = 0
        """The appends those groups held."""

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[StoredEvent]:
        """Append ``events`` to a stream that is at ``expected_version``, atomically.

        Returns the stored events. If every idempotency key of the batch is already
        stored, returns those events and writes nothing.

        Raises:
            VersionConflict: the stream is not at ``expected_version``.
            IdempotencyConflict: the keys are partly stored, or stored for another stream,
                or the batch repeats a key.
            PayloadInvalid: a payload is out of bounds (too large, too deep, NaN).
        """
        if not events:
            return []
        batch = _Batch(stream_id, expected_version, self._clock(), events)
        if not self._group_commit:
            return await self._append_alone(batch)
        waiting: asyncio.Future[list[StoredEvent]] = asyncio.get_running_loop().create_future()
        self._waiting.append((batch, waiting))
        if self._writing < GROUP_WRITERS and not self._gathering:
            self._start_writer()
        return await waiting

    def _start_writer(self) -> None:
        self._writing += 1
        self._gathering = True  # until the new writer takes what waits
        writer = asyncio.get_running_loop().create_task(self._write())
        self._writers.add(writer)
        writer.add_done_callback(self._writers.discard)

    async def _append_alone(
        self, batch: _Batch, db: asyncpg.Pool | asyncpg.Connection | None = None
    ) -> list[StoredEvent]:
        """One append, one statement: ``audit_append``, called again if it lost a race."""
        db = db or self._pool
        for attempt in range(1, APPEND_ATTEMPTS + 1):
            try:
                row = await db.fetchrow(_APPEND, *batch.arguments(), attempt > 1, *batch.signed(self._signer))
                break
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name in RACED_CONSTRAINTS and attempt < APPEND_ATTEMPTS:
                    continue  # again, looking the keys up
                raise _domain_error(exc, batch.stream_id, batch.expected_version) from None
            except asyncpg.PostgresError as exc:
                raise _domain_error(exc, batch.stream_id, batch.expected_version) from None
        if row["first_position"] is None:
            return await self._stored(batch.keys)
        return batch.stored(row["first_position"], row["prev_hash"])

    async def _write(self) -> None:
        """A writer: writes what waits, group after group, on one connection, until
        nothing does (so the pool resets a connection once per writer, not per group).

        It starts on the event loop's next turn, so appends made on the same turn (the
        callers a group's results woke, say) are written together."""
        carry_on = True  # unless cancelled: the loop is closing
        try:
            async with self._pool.acquire() as conn:
                while group := self._take_group():
                    try:
                        if not await self._write_group(conn, group):
                            return  # the connection may be broken: the pool replaces it
                    except Exception as exc:
                        for _, waiting in group:
                            _hand_over(waiting, exception=exc)
                        raise
                    except BaseException:
                        for _, waiting in group:
                            waiting.cancel()
                        raise
        except Exception:  # no connection to be had, say: each append tries alone and says why
            while group := self._take_group():
                await self._each_alone(group)
        except BaseException:
            carry_on = False
            raise
        finally:
            self._writing -= 1
            # appends made while this writer gave its connection back wait for a writer
            if carry_on and self._waiting and not self._gathering:
                self._start_writer()

    def _take_group(self) -> list[tuple[_Batch, asyncio.Future[list[StoredEvent]]]]:
        """The waiting appends that go next, in arrival order: one per stream, up to
        ``GROUP_EVENTS`` events. Appends whose caller stopped waiting are dropped."""
        self._gathering = False
        group: list[tuple[_Batch, asyncio.Future[list[StoredEvent]]]] = []
        left: list[tuple[_Batch, asyncio.Future[list[StoredEvent]]]] = []
        streams: set[str] = set()
        events = 0
        for batch, waiting in self._waiting:
            if waiting.done():
                continue
            size = len(batch.events)
            if batch.stream_id in streams or (group and events + size > GROUP_EVENTS):
                left.append((batch, waiting))
                continue
            group.append((batch, waiting))
            streams.add(batch.stream_id)
            events += size
        self._waiting = left
        return group

    async def _write_group(
        self, conn: asyncpg.Connection, group: list[tuple[_Batch, asyncio.Future[list[StoredEvent]]]]
    ) -> bool:
        """Write one group: one statement if it holds several appends. If that statement
        fails (not the plain case, or its fate unknown), each is written alone through the
        pool, and False says so."""
        if len(group) == 1:
            batch, waiting = group[0]
            try:
                _hand_over(waiting, await self._append_alone(batch, conn))
            except Exception as exc:
                _hand_over(waiting, exception=exc)
                return isinstance(exc, DomainError)  # an answer; anything else may be the connection
            return True
        batches = [batch for batch, _ in group]
        try:
            arguments = (*_group_arguments(batches), *_signed(self._signer, batches))
            row = await conn.fetchrow(_APPEND_GROUP, *arguments)
        except Exception:
            await self._each_alone(group)
            return False
        self.groups_written += 1
        self.appends_grouped += len(group)
        position, prev_hash = row["first_position"], row["prev_hash"]
        for batch, waiting in group:
            stored = batch.stored(position, prev_hash)
            _hand_over(waiting, stored)
            position, prev_hash = position + len(stored), stored[-1].hash
        return True

    async def _each_alone(self, group: list[tuple[_Batch, asyncio.Future[list[StoredEvent]]]]) -> None:
        """Every append of a group written alone through the pool, at once (they are of
        different streams); each caller gets its own answer."""
        await asyncio.gather(*(_settle(waiting, self._append_alone(batch)) for batch, waiting in group))

    async def _stored(self, keys: list[str]) -> list[StoredEvent]:
        """The events already stored under ``keys`` (an idempotent repeat of an append)."""
        return [stored_event(row) for row in await self._pool.fetch(_STORED_KEYS, keys)]

    async def read_stream(self, stream_id: str, types: Sequence[str] | None = None) -> list[StoredEvent]:
        """Every event of one stream (of those ``types``, when given), in version order."""
        if types is None:
            rows = await self._pool.fetch(_READ_STREAM, stream_id)
        else:
            rows = await self._pool.fetch(_READ_STREAM_OF, stream_id, list(types))
        return [stored_event(row) for row in rows]

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


class _Batch:
    """One append's events in the store's canonical form, computed once.

    Each payload is normalised and dumped to canonical JSON once: the text is both
    what is stored and what the content hash covers, and the normalised value is the
    payload of the stored event returned (it equals what ``jsonb`` gives back).
    """

    def __init__(
        self, stream_id: str, expected_version: int, recorded_at: datetime, events: Sequence[NewEvent]
    ) -> None:
        keys = [e.idempotency_key for e in events]
        if len(set(keys)) != len(keys):
            raise IdempotencyConflict("the batch holds the same idempotency key twice")
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.recorded_at, recorded_text = utc_timestamp(recorded_at)
        self.events = events
        self.keys = keys
        self.occurred_at: list[datetime] = []  # in UTC, as the database gives them back
        self.payloads: list[dict[str, Any]] = []
        self.payload_texts: list[str] = []
        self.content_hashes: list[str] = []
        self._signature: tuple[str, bytes] | None = None
        for version, event in enumerate(events, start=expected_version + 1):
            occurred_at, occurred_text = utc_timestamp(event.occurred_at)
            payload, payload_text = canonical_payload(event.payload)
            self.occurred_at.append(occurred_at)
            self.payloads.append(payload)
            self.payload_texts.append(payload_text)
            self.content_hashes.append(
                content_hash_of_canonical(
                    stream_id=stream_id,
                    version=version,
                    event_type=event.type,
                    actor=event.actor,
                    occurred_at_text=occurred_text,
                    recorded_at_text=recorded_text,
                    payload_json=payload_text,
                    correlation_id=event.correlation_id,
                    causation_id=event.causation_id,
                    idempotency_key=event.idempotency_key,
                )
            )

    def arguments(self) -> tuple[Any, ...]:
        """The parameters of ``audit_append`` (migration 007), in order, up to the content
        hashes (then come check_keys and the signature)."""
        events = self.events
        return (
            self.stream_id,
            self.expected_version,
            self.recorded_at,
            [e.type for e in events],
            [e.actor for e in events],
            self.occurred_at,
            self.payload_texts,
            [e.correlation_id for e in events],
            [e.causation_id for e in events],
            self.keys,
            self.content_hashes,
        )

    def signed(self, signer: Signer | None) -> tuple[str | None, bytes | None]:
        """The key id and signature of the batch written alone (made once, kept for another
        attempt), or None and None without a signer."""
        if signer is None:
            return None, None
        if self._signature is None:
            self._signature = (signer.key_id, signer.sign(self.content_hashes))
        return self._signature

    def stored(self, first_position: int, prev_hash: str) -> list[StoredEvent]:
        """The stored events, from what the batch holds and where the append put it."""
        stored = []
        for offset, event in enumerate(self.events):
            digest = chain_hash(prev_hash, self.content_hashes[offset])
            stored.append(
                StoredEvent(
                    type=event.type,
                    actor=event.actor,
                    occurred_at=self.occurred_at[offset],
                    payload=self.payloads[offset],
                    idempotency_key=event.idempotency_key,
                    correlation_id=event.correlation_id,
                    causation_id=event.causation_id,
                    position=first_position + offset,
                    stream_id=self.stream_id,
                    version=self.expected_version + 1 + offset,
                    recorded_at=self.recorded_at,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
        return stored


def _group_arguments(batches: Sequence[_Batch]) -> tuple[Any, ...]:
    """The parameters of ``audit_append_group`` (migration 007), in order, but the signature."""
    stream_ids, versions, recorded_at = [], [], []
    for b in batches:
        stream_ids += [b.stream_id] * len(b.events)
        versions += range(b.expected_version + 1, b.expected_version + 1 + len(b.events))
        recorded_at += [b.recorded_at] * len(b.events)
    events = [e for b in batches for e in b.events]
    return (
        [b.stream_id for b in batches],
        [b.expected_version for b in batches],
        stream_ids,
        versions,
        recorded_at,
        [e.type for e in events],
        [e.actor for e in events],
        [t for b in batches for t in b.occurred_at],
        [t for b in batches for t in b.payload_texts],
        [e.correlation_id for e in events],
        [e.causation_id for e in events],
        [k for b in batches for k in b.keys],
        [h for b in batches for h in b.content_hashes],
    )


def _signed(signer: Signer | None, batches: Sequence[_Batch]) -> tuple[str | None, bytes | None]:
    """The key id and signature of a group: one signature over all its events, in order."""
    if signer is None:
        return None, None
    return signer.key_id, signer.sign([h for b in batches for h in b.content_hashes])


async def _settle(waiting: asyncio.Future[list[StoredEvent]], append: Any) -> None:
    """Run one append and hand its outcome to the caller waiting for it."""
    try:
        result = await append
    except Exception as exc:
        _hand_over(waiting, exception=exc)
    else:
        _hand_over(waiting, result)


def _hand_over(
    waiting: asyncio.Future[list[StoredEvent]],
    result: list[StoredEvent] | None = None,
    exception: Exception | None = None,
) -> None:
    """Give a caller the outcome of its append, if it is still waiting."""
    if waiting.done():
        return
    if exception is not None:
        waiting.set_exception(exception)
    else:
        waiting.set_result(result or [])


def _domain_error(exc: asyncpg.PostgresError, stream_id: str, expected: int) -> Exception:
    if exc.sqlstate == VERSION_CONFLICT_SQLSTATE:
        return VersionConflict(stream_id, expected, int(getattr(exc, "detail", None) or -1))
    if exc.sqlstate == IDEMPOTENCY_CONFLICT_SQLSTATE:
        return IdempotencyConflict(str(exc))
    if exc.sqlstate == PAYLOAD_SQLSTATE:
        return PayloadInvalid(str(exc))
    if exc.sqlstate in (CONTENT_HASH_SQLSTATE, MALFORMED_CALL_SQLSTATE):
        return AppendRefused(f"the audit log refused the append: {exc}")
    if isinstance(exc, asyncpg.UniqueViolationError):
        return VersionConflict(stream_id, expected, -1)
    return exc
