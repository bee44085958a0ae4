"""Tampering with the audit log as its owner (triggers disabled): each kind of change, by position."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from store.audit import AuditStore, NewEvent
from store.chain import GENESIS_HASH, chain_hash, content_hash

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


EVENTS = 10


Tamper = Callable[[asyncpg.Connection], Awaitable[None]]


async def fill(store: AuditStore, count: int = EVENTS) -> None:
    """``count`` events over three mandates' streams."""
    for n in range(1, count + 1):
        stream = f"mandate-{n % 3}"
        event = NewEvent(
            type="ResponseReceived", actor="party", occurred_at=T0, payload={"n": n}, idempotency_key=f"k{n}"
        )
        await store.append(stream, await store.stream_version(stream), [event])


async def as_owner(conn: asyncpg.Connection, *statements: str) -> None:
    """Run statements with the append-only triggers of the log and its head disabled."""
    await conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    await conn.execute("ALTER TABLE audit_head DISABLE TRIGGER USER")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
        await conn.execute("ALTER TABLE audit_head ENABLE TRIGGER USER")


def edit(position: int) -> Tamper:
    return lambda conn: as_owner(
        conn, f"UPDATE audit_events SET payload = '{{\"n\": 99}}' WHERE position = {position}"
    )


def delete(position: int) -> Tamper:
    return lambda conn: as_owner(conn, f"DELETE FROM audit_events WHERE position = {position}")


def swap(a: int, b: int) -> Tamper:
    return lambda conn: as_owner(
        conn,
        f"UPDATE audit_events SET position = -1 WHERE position = {a}",
        f"UPDATE audit_events SET position = {a} WHERE position = {b}",
        f"UPDATE audit_events SET position = {b} WHERE position = -1",
    )


DEEP = '{"a":' * 1500 + "1" + "}" * 1500


def malform(position: int, payload: str) -> Tamper:
    """A payload the append functions refuse, stored anyway: not an object, or nested 1,500 deep."""
    return lambda conn: as_owner(
        conn, f"UPDATE audit_events SET payload = '{payload}'::jsonb WHERE position = {position}"
    )


def truncate(first: int, move_head: bool = False) -> Tamper:
    head = (
        [f"UPDATE audit_head SET position = {first - 1}, hash = coalesce("
         f"(SELECT hash FROM audit_events WHERE position = {first - 1}), '{GENESIS_HASH}')"]
        if move_head
        else []
    )  # fmt: skip
    return lambda conn: as_owner(conn, f"DELETE FROM audit_events WHERE position >= {first}", *head)


def forge(position: int) -> Tamper:
    """A forger who knows the hashing rules: shift rows ``position``.. up, insert there a row
    whose own hash is right and which links to its predecessor, and move the head."""

    async def do(conn: asyncpg.Connection) -> None:
        prev = await conn.fetchval("SELECT hash FROM audit_events WHERE position = $1", position - 1)
        prev = prev or GENESIS_HASH
        digest = chain_hash(prev, content_hash(
            stream_id="mandate-x", version=1, event_type="Approved", actor="forger", occurred_at=T0,
            recorded_at=T0, payload={}, correlation_id=None, causation_id=None, idempotency_key="forged",
        ))  # fmt: skip
        await as_owner(
            conn,
            f"UPDATE audit_events SET position = -position WHERE position >= {position}",
            "UPDATE audit_events SET position = -position + 1 WHERE position < 0",
            "UPDATE audit_head SET position = position + 1",
            "INSERT INTO audit_events (position, stream_id, version, event_type, actor, occurred_at,"
            " recorded_at, payload, idempotency_key, prev_hash, hash) VALUES"
            f" ({position}, 'mandate-x', 1, 'Approved', 'forger', '{T0.isoformat()}', '{T0.isoformat()}',"
            f" '{{}}', 'forged', '{prev}', '{digest}')",
        )

    return do


def forge_beyond_head() -> Tamper:
    """A row appended past the head with made-up hashes (the head left alone)."""
    return lambda conn: as_owner(
        conn,
        "INSERT INTO audit_events (position, stream_id, version, event_type, actor, occurred_at,"
        f" recorded_at, payload, idempotency_key, prev_hash, hash) VALUES ({EVENTS + 1}, 'mandate-x', 1,"
        f" 'Approved', 'forger', now(), now(), '{{}}', 'forged', '{'0' * 64}', '{'f' * 64}')",
    )


async def rewrite_chain_from(conn: asyncpg.Connection, store: AuditStore, position: int) -> None:
    """Edit the event at ``position`` and recompute every hash after it, head included."""
    await as_owner(conn, f"UPDATE audit_events SET payload = '{{\"n\": 99}}' WHERE position = {position}")
    prev = GENESIS_HASH
    for event in await store.read_all():
        digest = chain_hash(prev, event.content_hash())
        await as_owner(
            conn,
            f"UPDATE audit_events SET prev_hash = '{prev}', hash = '{digest}'"
            f" WHERE position = {event.position}",
        )
        prev = digest
    await as_owner(conn, f"UPDATE audit_head SET hash = '{prev}'")
