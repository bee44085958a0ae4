"""Chain verification: ok on an honest log, and the first bad position after each kind
of tampering done as the database owner with the triggers disabled; every kind at every
position of a ten-event log, all detected, each at the right position."""

from __future__ import annotations

import itertools

import asyncpg
import pytest

from store.audit import AuditStore
from store.chain import chain_hash, content_hash
from store.signing import PublicKeys
from store.verify import verify_log
from tests.support.tamper import (
    DEEP,
    EVENTS,
    T0,
    Tamper,
    as_owner,
    delete,
    edit,
    fill,
    forge,
    forge_beyond_head,
    malform,
    swap,
    truncate,
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


def every_tampering() -> list[tuple[str, Tamper, int, str]]:
    """(name, change, first bad position, reason) for each kind at each position."""
    cases: list[tuple[str, Tamper, int, str]] = []
    for p in range(1, EVENTS + 1):
        cases.append((f"edit {p}", edit(p), p, "edited"))
        # Deleting the last row leaves a log that ends early: a truncation at that position.
        cases.append((f"delete {p}", delete(p), p, "truncated" if p == EVENTS else "missing"))
        cases.append((f"truncate from {p}", truncate(p), p, "truncated"))
        cases.append((f"forge at {p}", forge(p), p, "inserted"))
        cases.append((f"store a non-object at {p}", malform(p, '"text"'), p, "malformed"))
        cases.append((f"store a 1500-deep payload at {p}", malform(p, DEEP), p, "malformed"))
    cases.append(("forge beyond the head", forge_beyond_head(), EVENTS + 1, "inserted"))
    for a, b in itertools.combinations(range(1, EVENTS + 1), 2):
        cases.append((f"swap {a} and {b}", swap(a, b), a, "reordered"))
    return cases


# Named one position late: the row after a forged first row links to the genesis hash, which
# no row holds, so the verifier calls that row the forgery (``store.chain._broken_link``).


async def tamper_and_verify(
    conn: asyncpg.Connection, cases: list[tuple[str, Tamper, int, str]], keys: PublicKeys
) -> dict:
    """Each change on the honest log, verified, then the honest log put back."""
    honest = await conn.fetch("SELECT * FROM audit_events ORDER BY position")
    head = await conn.fetchrow("SELECT position, hash FROM audit_head")
    columns = list(honest[0].keys())
    insert = (
        f"INSERT INTO audit_events ({', '.join(columns)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(columns) + 1))})"
    )
    found = {}
    for name, change, _, _ in cases:
        await change(conn)
        result = await verify_log(conn, public_keys=keys)
        found[name] = (result.ok, result.first_bad_position, result.reason)
        await as_owner(conn, "DELETE FROM audit_events")
        await conn.executemany(insert, [tuple(row.values()) for row in honest])
        await as_owner(conn, f"UPDATE audit_head SET position = {head['position']}, hash = '{head['hash']}'")
        assert (await verify_log(conn, public_keys=keys)).ok
    return found


async def test_every_kind_of_tampering_at_every_position_is_detected_and_named(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    await fill(audit_store)
    cases = every_tampering()
    found = await tamper_and_verify(admin_conn, cases, audit_keys)

    assert len(cases) == 6 * EVENTS + 1 + EVENTS * (EVENTS - 1) // 2  # 106
    assert [name for name, (ok, _, _) in found.items() if ok] == []  # every one detected
    named = {name: (position, reason) for name, _, position, reason in cases}
    wrong = {name: found[name][1:] for name in named if found[name][1:] != named[name]}
    assert wrong == {}, wrong  # and named at its first bad position


async def test_a_forged_first_row_is_named_at_position_1(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    await fill(audit_store)
    await forge(1)(admin_conn)
    result = await verify_log(admin_conn, public_keys=audit_keys)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 1, "inserted")
