"""What the application's role may do to the log (migration 007): read it, and append through
the append functions, which check every call; nothing else. What it appends without the
signing key, ``verify`` names."""

from __future__ import annotations

import asyncpg
import pytest

from store.audit import AuditStore, NewEvent
from store.chain import canonical_json, chain_hash
from store.signing import PublicKeys, Signer
from store.verify import verify_log
from tests.support.raw_appends import APPEND_GROUP, T0, content_hashes, raw_append

FORGED = canonical_json({"reason": "withdrawn by someone else"})


def event(key: str, **payload: object) -> NewEvent:
    return NewEvent(
        type="ResponseReceived", actor="party", occurred_at=T0, payload=payload, idempotency_key=key
    )


async def honest_log(store: AuditStore, count: int = 3) -> None:
    for n in range(count):
        await store.append("mandate-a", n, [event(f"mandate-a:{n + 1}", n=n)])


async def verified(pool: asyncpg.Pool, keys: PublicKeys) -> tuple:
    async with pool.acquire() as conn:
        result = await verify_log(conn, public_keys=keys)
    return result.ok, result.first_bad_position, result.reason, result.signed, result.first_uncovered_position


async def test_a_correctly_chained_forged_event_cannot_be_inserted(
    audit_store: AuditStore, pool: asyncpg.Pool, audit_keys: PublicKeys
) -> None:
    await honest_log(audit_store)
    position, head_hash = await audit_store.head()
    (content,) = content_hashes("mandate-a", 4, [FORGED], ["mandate-a:4"])
    assert await pool.fetchval("SELECT current_user") == "mandates_app"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await pool.execute(
            "INSERT INTO audit_events (position, stream_id, version, event_type, actor, occurred_at,"
            " recorded_at, payload, idempotency_key, prev_hash, hash)"
            " VALUES ($1, 'mandate-a', 4, 'MandateWithdrawn', 'someone else', $2, $2, $3::jsonb,"
            " 'mandate-a:4', $4, $5)",
            position + 1, T0, FORGED, head_hash, chain_hash(head_hash, content),
        )  # fmt: skip
    assert await audit_store.head() == (position, head_hash)
    assert await verified(pool, audit_keys) == (True, None, None, 3, None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_head SET position = 9223372036854775807",
        "UPDATE audit_head SET position = position + 1000",
        "UPDATE audit_head SET hash = repeat('f', 64)",
        "INSERT INTO audit_signatures VALUES (1, 1, 'k', decode(repeat('00', 64), 'hex'))",
        "UPDATE audit_signed_from SET position = 1000",
    ],
    ids=["head-to-2^63-1", "head-1000-ahead", "head-hash", "a-signature", "signing-start"],
)
async def test_only_an_append_moves_the_head(
    audit_store: AuditStore, pool: asyncpg.Pool, statement: str
) -> None:
    await honest_log(audit_store)
    head = await audit_store.head()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await pool.execute(statement)
    assert await audit_store.head() == head
    await audit_store.append("mandate-b", 0, [event("b-1")])  # appends go on, gapless
    assert (await audit_store.head())[0] == head[0] + 1


async def test_an_append_with_a_forged_chain_is_refused(audit_store: AuditStore, pool: asyncpg.Pool) -> None:
    """The append functions recompute each content hash: one that is not its event's (here,
    that of a harmless event, given with a withdrawal) is refused, and nothing is written."""
    await honest_log(audit_store)
    head = await audit_store.head()
    harmless = content_hashes("mandate-a", 4, [canonical_json({"n": 3})], ["mandate-a:4"])
    with pytest.raises(asyncpg.PostgresError, match="content hash given for event 1") as raised:
        await raw_append(pool, "mandate-a", 3, [FORGED], hashes=harmless)
    assert raised.value.sqlstate == "MND04"
    assert await audit_store.head() == head


async def test_a_group_whose_events_do_not_follow_their_streams_is_refused(
    audit_store: AuditStore, pool: asyncpg.Pool
) -> None:
    """Stream a is at 3: a group that writes a's event at version 1000 (a gap) is refused."""
    await honest_log(audit_store)
    head = await audit_store.head()
    payloads, keys = [FORGED], ["mandate-a:1000"]
    hashes = content_hashes("mandate-a", 1000, payloads, keys)
    with pytest.raises(asyncpg.PostgresError, match="not at the next version") as raised:
        await pool.fetchrow(
            APPEND_GROUP, ["mandate-a"], [3], ["mandate-a"], [1000], [T0], ["MandateWithdrawn"],
            ["someone else"], [T0], payloads, [None], [None], keys, hashes, None, None,
        )  # fmt: skip
    assert raised.value.sqlstate == "MND06"
    assert await audit_store.head() == head


async def test_an_event_appended_without_the_signing_key_is_named(
    audit_store: AuditStore, pool: asyncpg.Pool, audit_keys: PublicKeys
) -> None:
    """The append functions cannot check a signature: an event the role appends unsigned is
    stored, chained and all, and ``verify`` names it at its position."""
    await honest_log(audit_store)
    await raw_append(pool, "mandate-a", 3, [FORGED])
    await audit_store.append("mandate-b", 0, [event("b-1")])
    assert await verified(pool, audit_keys) == (False, 4, "unsigned", 4, 4)


async def test_a_signature_copied_from_another_commit_does_not_cover_a_forged_event(
    audit_store: AuditStore, pool: asyncpg.Pool, audit_keys: PublicKeys
) -> None:
    await honest_log(audit_store)
    row = await pool.fetchrow("SELECT key_id, signature FROM audit_signatures WHERE first_position = 3")
    await raw_append(pool, "mandate-a", 3, [FORGED], signature=(row["key_id"], row["signature"]))
    assert await verified(pool, audit_keys) == (False, 4, "bad-signature", 3, 4)


async def test_an_event_signed_with_a_key_verify_does_not_know_is_named(
    audit_store: AuditStore, pool: asyncpg.Pool, audit_keys: PublicKeys
) -> None:
    await honest_log(audit_store)
    await raw_append(pool, "mandate-a", 3, [FORGED], signer=Signer.generate())
    assert await verified(pool, audit_keys) == (False, 4, "unknown-key", 3, 4)


async def test_the_append_functions_run_as_their_owner_with_a_fixed_search_path(
    admin_conn: asyncpg.Connection,
) -> None:
    rows = await admin_conn.fetch(
        "SELECT proname, prosecdef, proconfig,"
        " has_function_privilege('mandates_app', oid, 'EXECUTE') AS app,"
        " has_function_privilege('public', oid, 'EXECUTE') AS anyone"
        " FROM pg_proc WHERE proname IN ('audit_append', 'audit_append_group') ORDER BY proname"
    )
    assert [r["proname"] for r in rows] == ["audit_append", "audit_append_group"]  # the older ones are gone
    for row in rows:
        assert row["prosecdef"] and row["app"] and not row["anyone"], dict(row)
        assert "search_path=pg_catalog, public, pg_temp" in row["proconfig"], row["proconfig"]


async def test_a_temporary_table_does_not_stand_in_for_the_head(audit_store: AuditStore, database) -> None:
    """The caller's temporary tables come first in its own search path; the append functions
    put them last, so a fake head (1000 ahead) does not move where events go."""
    await honest_log(audit_store)
    conn = await asyncpg.connect(database.app_dsn)
    try:
        await conn.execute("CREATE TEMPORARY TABLE audit_head (position bigint, hash text)")
        await conn.execute("INSERT INTO audit_head VALUES (1000, repeat('0', 64))")
        assert await conn.fetchval("SELECT position FROM audit_head") == 1000  # it does shadow the log's
        row = await raw_append(conn, "mandate-a", 3, [FORGED])
    finally:
        await conn.close()
    assert row["first_position"] == 4
    assert (await audit_store.head())[0] == 4
