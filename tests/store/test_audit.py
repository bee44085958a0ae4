"""The audit event store against a real Postgres: ordering, concurrency, idempotency,
append-only enforcement."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from domain.errors import IdempotencyConflict, VersionConflict
from store.audit import AuditStore, NewEvent
from store.chain import GENESIS_HASH
from store.signing import PublicKeys, Signer
from store.verify import verify_log

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(params=[True, False], ids=["group-commit", "each-alone"])
def audit_store(pool: asyncpg.Pool, audit_signer: Signer, request: pytest.FixtureRequest) -> AuditStore:
    """Every test here runs with group commit (the default) and without it."""
    return AuditStore(pool, group_commit=request.param, signer=audit_signer)


def event(key: str, kind: str = "ResponseReceived", **payload: object) -> NewEvent:
    return NewEvent(
        type=kind, actor="coordinator", occurred_at=T0, payload=dict(payload), idempotency_key=key
    )


async def test_append_assigns_versions_positions_and_chain(audit_store: AuditStore) -> None:
    first = await audit_store.append("mandate-a", 0, [event("a1", n=1), event("a2", n=2)])
    second = await audit_store.append("mandate-b", 0, [event("b1", n=3)])
    third = await audit_store.append("mandate-a", 2, [event("a3", n=4)])

    assert [(e.stream_id, e.version, e.position) for e in first + second + third] == [
        ("mandate-a", 1, 1),
        ("mandate-a", 2, 2),
        ("mandate-b", 1, 3),
        ("mandate-a", 3, 4),
    ]
    assert first[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in (first[1], second[0], third[0])] == [
        first[0].hash,
        first[1].hash,
        second[0].hash,
    ]
    assert [e.payload["n"] for e in await audit_store.read_stream("mandate-a")] == [1, 2, 4]
    assert [e.position for e in await audit_store.read_all(after_position=1, limit=2)] == [2, 3]
    assert await audit_store.head() == (4, third[0].hash)


async def test_stored_event_round_trips_its_content(audit_store: AuditStore) -> None:
    stored = await audit_store.append(
        "mandate-a",
        0,
        [
            NewEvent(
                type="TaskCompleted",
                actor="secretariat",
                occurred_at=T0 + timedelta(microseconds=7),
                payload={"cost": 1500.0, "effort": 2.5, "text": "Ünïcødé ✓", "tiny": 1e-7, "big": 1e20},
                idempotency_key="k",
                correlation_id="corr",
                causation_id="cause",
            )
        ],
    )
    (read,) = await audit_store.read_stream("mandate-a")
    assert read == stored[0]
    assert read.payload == {"cost": 1500, "effort": 2.5, "text": "Ünïcødé ✓", "tiny": 1e-7, "big": 10**20}
    assert read.chain_row().content_hash == stored[0].content_hash()


async def test_idempotent_re_append_returns_stored_and_writes_nothing(audit_store: AuditStore) -> None:
    original = await audit_store.append("mandate-a", 0, [event("key-1", n=1)])
    head = await audit_store.head()

    again = await audit_store.append("mandate-a", 0, [event("key-1", n=1)])
    # Even with a stale expected version and other content, the stored event comes back.
    stale = await audit_store.append("mandate-a", 7, [event("key-1", n=99)])

    assert again == original == stale
    assert await audit_store.head() == head
    assert len(await audit_store.read_stream("mandate-a")) == 1


async def test_partly_stored_batch_or_foreign_key_is_a_conflict(audit_store: AuditStore) -> None:
    await audit_store.append("mandate-a", 0, [event("key-1")])
    with pytest.raises(IdempotencyConflict):
        await audit_store.append("mandate-a", 1, [event("key-1"), event("key-2")])
    with pytest.raises(IdempotencyConflict):
        await audit_store.append("mandate-b", 0, [event("key-1")])
    assert await audit_store.head() == (1, (await audit_store.read_all())[0].hash)


async def test_different_event_at_taken_version_is_a_version_conflict(audit_store: AuditStore) -> None:
    await audit_store.append("mandate-a", 0, [event("key-1")])
    with pytest.raises(VersionConflict) as raised:
        await audit_store.append("mandate-a", 0, [event("key-2")])
    assert raised.value.actual_version == 1
    assert raised.value.code == "version_conflict"


async def test_two_concurrent_appends_at_the_same_version_exactly_one_wins(
    audit_store: AuditStore,
) -> None:
    for round_ in range(20):
        results = await asyncio.gather(
            audit_store.append("mandate-a", round_, [event(f"left-{round_}")]),
            audit_store.append("mandate-a", round_, [event(f"right-{round_}")]),
            return_exceptions=True,
        )
        winners = [r for r in results if isinstance(r, list)]
        losers = [r for r in results if isinstance(r, VersionConflict)]
        assert len(winners) == 1 and len(losers) == 1, results
    assert [e.version for e in await audit_store.read_stream("mandate-a")] == list(range(1, 21))


async def test_gapless_under_1000_concurrent_appends_across_50_streams(
    audit_store: AuditStore, pool: asyncpg.Pool, audit_keys: PublicKeys
) -> None:
    streams = [f"mandate-{i:02d}" for i in range(50)]
    conflicts = 0

    async def append_one(n: int) -> None:
        nonlocal conflicts
        stream = streams[n % 50]
        while True:
            version = await audit_store.stream_version(stream)
            try:
                await audit_store.append(stream, version, [event(f"k-{n}", n=n)])
                return
            except VersionConflict:
                conflicts += 1

    await asyncio.gather(*(append_one(n) for n in range(1000)))

    rows = await pool.fetch("SELECT position, stream_id, version FROM audit_events ORDER BY position")
    assert [r["position"] for r in rows] == list(range(1, 1001))
    for stream in streams:
        assert sorted(r["version"] for r in rows if r["stream_id"] == stream) == list(range(1, 21))
    assert conflicts > 0  # the appends did race on stream versions
    async with pool.acquire() as conn:
        verification = await verify_log(conn, public_keys=audit_keys)
    assert verification.ok and verification.signed == 1000, verification


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_head SET position = 0",
        "DELETE FROM audit_head",
    ],
)
async def test_application_role_cannot_change_the_log(
    audit_store: AuditStore, pool: asyncpg.Pool, statement: str
) -> None:
    await audit_store.append("mandate-a", 0, [event("k")])
    assert await pool.fetchval("SELECT current_user") == "mandates_app"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await pool.execute(statement)
    assert len(await audit_store.read_all()) == 1


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"],
)
async def test_even_the_owner_is_refused_while_triggers_are_on(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, statement: str
) -> None:
    await audit_store.append("mandate-a", 0, [event("k")])
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await admin_conn.execute(statement)


async def test_even_the_owner_cannot_move_the_head_backwards(
    audit_store: AuditStore, admin_conn: asyncpg.Connection
) -> None:
    await audit_store.append("mandate-a", 0, [event("k1"), event("k2")])
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="only moves forward"):
        await admin_conn.execute("UPDATE audit_head SET position = position - 1")
    assert await admin_conn.fetchval("SELECT position FROM audit_head") == 2
    await audit_store.append("mandate-a", 2, [event("k3")])  # forward, as every append does
    assert await admin_conn.fetchval("SELECT position FROM audit_head") == 3


async def test_application_connects_as_a_role_that_does_not_own_the_table(
    pool: asyncpg.Pool,
) -> None:
    owner = await pool.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'")
    assert owner != await pool.fetchval("SELECT current_user")


# --- the set-based append of migration 005 ------------------------------------


async def test_the_events_returned_are_those_the_log_reads_back(pool: asyncpg.Pool) -> None:
    """The store builds the returned events itself (nothing is read back): they must equal
    what a read gives, times in UTC and payloads as jsonb keeps them."""
    paris = timezone(timedelta(hours=1))
    events = [
        NewEvent(
            type="TaskCompleted",
            actor="secretariat",
            occurred_at=datetime(2027, 1, 15, 10, 0, 0, 250, tzinfo=paris),
            payload={"effort": 2.0, "cost": 0.5, "parts": [1.0, {"b": None, "a": "x"}], "ü": "✓"},
            idempotency_key=f"k{n}",
            correlation_id="corr" if n else None,
            causation_id="cause" if n == 2 else None,
        )
        for n in range(3)
    ]
    store = AuditStore(pool, clock=lambda: datetime(2027, 1, 15, 12, 0, tzinfo=paris))
    stored = await store.append("mandate-a", 0, events)
    read = await store.read_stream("mandate-a")
    assert stored == read
    assert [e.occurred_at.tzinfo for e in stored] == [UTC] * 3
    assert stored[0].payload == {"effort": 2, "cost": 0.5, "parts": [1, {"b": None, "a": "x"}], "ü": "✓"}
    assert [e.chain_row().content_hash for e in read] == [e.content_hash() for e in stored]
    again = await store.append("mandate-a", 0, events)  # a repeat reads them back
    assert again == stored


async def test_the_same_append_sent_twice_at_once_is_stored_once(audit_store: AuditStore) -> None:
    """Both calls pass the checks made before the head lock; the second then fails on the key
    (or version) constraint, is called again, and gets the first one's events."""
    for round_ in range(10):
        batch = [event(f"twice-{round_}-{n}", n=n) for n in range(3)]
        first, second = await asyncio.gather(
            audit_store.append("mandate-a", 3 * round_, batch),
            audit_store.append("mandate-a", 3 * round_, batch),
        )
        assert first == second
    assert [e.version for e in await audit_store.read_stream("mandate-a")] == list(range(1, 31))


async def test_stored_keys_sent_at_the_streams_version_return_the_stored_events(
    audit_store: AuditStore,
) -> None:
    """The first call looks no keys up while the stream is at the expected version; the key
    constraint stops the INSERT and the second call, looking them up, answers as before."""
    original = await audit_store.append("mandate-a", 0, [event("key-1", n=1)])
    head = await audit_store.head()
    assert await audit_store.append("mandate-a", 1, [event("key-1", n=2)]) == original
    with pytest.raises(IdempotencyConflict):
        await audit_store.append("mandate-a", 1, [event("key-1"), event("key-2")])
    assert await audit_store.head() == head


async def test_a_batch_that_repeats_a_key_is_refused(audit_store: AuditStore) -> None:
    with pytest.raises(IdempotencyConflict, match="same idempotency key twice"):
        await audit_store.append("mandate-a", 0, [event("k"), event("k")])
    assert await audit_store.head() == (0, GENESIS_HASH)


async def test_a_naive_occurred_at_is_refused(audit_store: AuditStore) -> None:
    naive = NewEvent(type="T", actor="a", occurred_at=datetime(2027, 1, 1), payload={}, idempotency_key="k")
    with pytest.raises(ValueError, match="timezone-aware"):
        await audit_store.append("mandate-a", 0, [naive])
