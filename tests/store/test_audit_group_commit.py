"""Group commit: appends that reach a store while it is writing are written together
(migration 006), and each still gets the answer it would get alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.errors import IdempotencyConflict, VersionConflict
from store.audit import AuditStore, NewEvent, StoredEvent
from store.signing import PublicKeys, Signer
from store.verify import verify_log

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
SIGNER = Signer.generate()


def event(key: str, **payload: object) -> NewEvent:
    return NewEvent(
        type="ResponseReceived",
        actor="coordinator",
        occurred_at=T0,
        payload=dict(payload),
        idempotency_key=key,
    )


def ticking_clock() -> datetime:
    """Each append gets its own recorded_at (the content hash covers it)."""
    ticking_clock.now += timedelta(milliseconds=1)  # type: ignore[attr-defined]
    return ticking_clock.now  # type: ignore[attr-defined]


ticking_clock.now = T0  # type: ignore[attr-defined]


async def verified(pool: asyncpg.Pool) -> int:
    """The events of a log that verifies, each covered by a valid signature."""
    async with pool.acquire() as conn:
        verification = await verify_log(conn, public_keys=PublicKeys.of(SIGNER))
    assert verification.ok, verification
    assert verification.signed == verification.checked, verification
    return verification.checked


async def signatures(pool: asyncpg.Pool) -> list[tuple[int, int]]:
    """The positions of each signed commit."""
    rows = await pool.fetch("SELECT first_position, last_position FROM audit_signatures ORDER BY 1")
    return [(r["first_position"], r["last_position"]) for r in rows]


async def test_appends_made_together_are_written_as_one_group(pool: asyncpg.Pool) -> None:
    store = AuditStore(pool, clock=ticking_clock, signer=SIGNER)
    results = await asyncio.gather(
        *(
            store.append(f"mandate-{n}", 0, [event(f"k-{n}-{i}", n=n, i=i) for i in range(n % 3 + 1)])
            for n in range(12)
        )
    )
    assert store.groups_written == 1 and store.appends_grouped == 12
    # in the order the appends were made, gapless, each linked to the one before
    flat = [e for stored in results for e in stored]
    assert [e.position for e in flat] == list(range(1, len(flat) + 1))
    assert [e.prev_hash for e in flat[1:]] == [e.hash for e in flat[:-1]]
    for n, stored in enumerate(results):
        assert stored == await store.read_stream(f"mandate-{n}")
        assert [e.version for e in stored] == list(range(1, n % 3 + 2))
    assert len({e.recorded_at for e in flat}) == 12  # each append's own time
    assert await verified(pool) == len(flat)
    assert await store.head() == (len(flat), flat[-1].hash)
    assert await signatures(pool) == [(1, len(flat))]  # the group is one commit, signed once


async def test_a_conflict_in_a_group_fails_only_that_append(pool: asyncpg.Pool) -> None:
    store = AuditStore(pool, signer=SIGNER)
    await store.append("mandate-b", 0, [event("b-1")])
    results = await asyncio.gather(
        store.append("mandate-a", 0, [event("a-1")]),
        store.append("mandate-b", 0, [event("b-other")]),  # b is at 1
        store.append("mandate-c", 0, [event("c-1")]),
        return_exceptions=True,
    )
    assert isinstance(results[1], VersionConflict) and results[1].actual_version == 1
    assert store.groups_written == 0  # the group was refused, and each written alone
    assert [[e.idempotency_key for e in r] for r in (results[0], results[2])] == [["a-1"], ["c-1"]]
    assert await verified(pool) == 3
    assert await signatures(pool) == [(1, 1), (2, 2), (3, 3)]  # each signed alone


async def test_a_repeat_in_a_group_gets_the_stored_events(pool: asyncpg.Pool) -> None:
    store = AuditStore(pool, signer=SIGNER)
    original = await store.append("mandate-a", 0, [event("a-1"), event("a-2")])
    repeat, other = await asyncio.gather(
        store.append("mandate-a", 0, [event("a-1"), event("a-2")]),
        store.append("mandate-b", 0, [event("b-1")]),
    )
    assert repeat == original
    assert other[0].position == 3
    assert await verified(pool) == 3


async def test_a_key_of_another_stream_in_a_group_is_refused_alone(pool: asyncpg.Pool) -> None:
    """The streams are at their versions, so the group's INSERT fails on the key's unique
    constraint; alone, the append that reuses the key gets the conflict."""
    store = AuditStore(pool, signer=SIGNER)
    await store.append("mandate-a", 0, [event("shared")])
    results = await asyncio.gather(
        store.append("mandate-b", 0, [event("shared")]),
        store.append("mandate-c", 0, [event("c-1")]),
        return_exceptions=True,
    )
    assert isinstance(results[0], IdempotencyConflict)
    assert isinstance(results[1], list) and results[1][0].position == 2
    assert await verified(pool) == 2


async def test_two_appends_to_one_stream_are_never_in_one_group(pool: asyncpg.Pool) -> None:
    store = AuditStore(pool, signer=SIGNER)
    results = await asyncio.gather(
        store.append("mandate-a", 0, [event("a-1")]),
        store.append("mandate-a", 1, [event("a-2")]),  # goes in the next group, after a-1
        store.append("mandate-b", 0, [event("b-1")]),
        store.append("mandate-c", 0, [event("c-1")]),
    )
    assert [r[0].version for r in results] == [1, 2, 1, 1]
    assert results[1][0].position > results[0][0].position
    assert await verified(pool) == 4


async def test_a_caller_that_stops_waiting_leaves_the_others_written(pool: asyncpg.Pool) -> None:
    store = AuditStore(pool, signer=SIGNER)
    busy = [asyncio.create_task(store.append(f"mandate-{n}", 0, [event(f"busy-{n}")])) for n in range(4)]
    await asyncio.sleep(0)  # the writers have started with these; what follows waits
    waiting = asyncio.create_task(store.append("mandate-x", 0, [event("x-1")]))
    kept = asyncio.create_task(store.append("mandate-y", 0, [event("y-1")]))
    await asyncio.sleep(0)
    waiting.cancel()
    stored: list[StoredEvent] = [e for task in (*busy, kept) for e in await task]
    assert waiting.cancelled()
    assert sorted(e.stream_id for e in stored) == [
        "mandate-0",
        "mandate-1",
        "mandate-2",
        "mandate-3",
        "mandate-y",
    ]
    assert await store.read_stream("mandate-x") == []
    assert await verified(pool) == 5


async def test_a_group_larger_than_the_limit_is_split(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store.audit.GROUP_EVENTS", 10)
    store = AuditStore(pool, signer=SIGNER)
    results = await asyncio.gather(
        *(store.append(f"mandate-{n}", 0, [event(f"k-{n}-{i}") for i in range(4)]) for n in range(6))
    )
    assert store.groups_written == 3 and store.appends_grouped == 6  # two appends (8 events) each
    assert [r[0].position for r in results] == [1, 5, 9, 13, 17, 21]
    assert await verified(pool) == 24
    assert await signatures(pool) == [(1, 8), (9, 16), (17, 24)]


async def test_appends_one_after_another_never_wait_for_a_writer_that_is_leaving(pool: asyncpg.Pool) -> None:
    """A writer gives its connection back after its last group; an append made meanwhile
    must get a writer of its own (it used to wait for ever)."""
    store = AuditStore(pool, signer=SIGNER)

    async def one_after_another() -> None:
        for n in range(200):
            await store.append("mandate-a", n, [event(f"k-{n}")])

    await asyncio.wait_for(one_after_another(), timeout=60)
    assert await verified(pool) == 200
