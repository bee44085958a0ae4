"""Chain verification: ok on an honest log, and the first bad position after each kind
of tampering done as the database owner with the triggers disabled."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from store.audit import AuditStore, NewEvent
from store.chain import chain_hash, content_hash
from store.signing import PublicKeys
from store.verify import verify_log

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


async def fill(store: AuditStore, count: int = 10) -> None:
    for n in range(1, count + 1):
        stream = f"mandate-{n % 3}"
        version = await store.stream_version(stream)
        await store.append(
            stream,
            version,
            [
                NewEvent(
                    type="ResponseReceived",
                    actor="party",
                    occurred_at=T0,
                    payload={"n": n},
                    idempotency_key=f"k{n}",
                )
            ],
        )


async def tamper(conn: asyncpg.Connection, *statements: str) -> None:
    await conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    for statement in statements:
        await conn.execute(statement)
    await conn.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")


async def test_an_honest_log_verifies(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    await fill(audit_store)
    result = await verify_log(admin_conn, public_keys=audit_keys)
    assert result.ok and result.checked == 10 and result.head_position == 10
    assert (result.events, result.signed, result.before_signing) == (10, 10, 0)
    assert result.signed_by == {audit_keys.key_ids[0]: 10}


async def test_an_empty_log_verifies(admin_conn: asyncpg.Connection) -> None:
    result = await verify_log(admin_conn)
    assert result.ok and result.checked == 0


FORGED = (
    "INSERT INTO audit_events (position, stream_id, version, event_type, actor, occurred_at,"
    " recorded_at, payload, idempotency_key, prev_hash, hash) VALUES ({position}, 'mandate-x', 1,"
    " 'Approved', 'forger', now(), now(), '{{}}', 'forged', '{prev}', '{hash}')"
)


@pytest.mark.parametrize(
    ("statements", "position", "reason"),
    [
        (["UPDATE audit_events SET payload = '{\"n\": 99}' WHERE position = 5"], 5, "edited"),
        (["UPDATE audit_events SET actor = 'someone' WHERE position = 1"], 1, "edited"),
        (["DELETE FROM audit_events WHERE position = 5"], 5, "missing"),
        (
            [
                "UPDATE audit_events SET position = -5 WHERE position = 5",
                "UPDATE audit_events SET position = 5 WHERE position = 6",
                "UPDATE audit_events SET position = 6 WHERE position = -5",
            ],
            5,
            "reordered",
        ),
        ([FORGED.format(position=11, prev="0" * 64, hash="f" * 64)], 11, "inserted"),
        (["DELETE FROM audit_events WHERE position >= 8"], 8, "truncated"),
    ],
    ids=["edit-payload", "edit-actor", "delete-row", "swap-rows", "forge-at-end", "truncate-tail"],
)
async def test_tampering_is_detected_at_the_first_bad_position(
    audit_store: AuditStore,
    admin_conn: asyncpg.Connection,
    audit_keys: PublicKeys,
    statements: list[str],
    position: int,
    reason: str,
) -> None:
    await fill(audit_store)
    await tamper(admin_conn, *statements)
    result = await verify_log(admin_conn, public_keys=audit_keys)
    assert not result.ok
    assert (result.first_bad_position, result.reason) == (position, reason), result


async def test_a_well_forged_row_inserted_mid_log_is_named(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    """The forger knows the hashing rules: shifts rows 5.. up and inserts at 5 a row whose
    own hash is right and which links correctly to 4. The link of the next row gives it away."""
    await fill(audit_store)
    prev = await admin_conn.fetchval("SELECT hash FROM audit_events WHERE position = 4")
    forged_hash = chain_hash(
        prev,
        content_hash(
            stream_id="mandate-x",
            version=1,
            event_type="Approved",
            actor="forger",
            occurred_at=T0,
            recorded_at=T0,
            payload={},
            correlation_id=None,
            causation_id=None,
            idempotency_key="forged",
        ),
    )
    await tamper(
        admin_conn,
        "UPDATE audit_events SET position = -position WHERE position >= 5",
        "UPDATE audit_events SET position = -position + 1 WHERE position < 0",
        "UPDATE audit_head SET position = position + 1",
    )
    await admin_conn.execute(
        "INSERT INTO audit_events (position, stream_id, version, event_type, actor, occurred_at,"
        " recorded_at, payload, idempotency_key, prev_hash, hash) VALUES"
        " (5, 'mandate-x', 1, 'Approved', 'forger', $1, $1, '{}', 'forged', $2, $3)",
        T0,
        prev,
        forged_hash,
    )
    result = await verify_log(admin_conn, public_keys=audit_keys)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 5, "inserted"), result
