"""Tamper evidence through the CLI, and over every position.

The database owner (triggers disabled) edits a payload, deletes a row, swaps two rows,
inserts a forged row or truncates the tail; ``mandates audit verify`` (a subprocess,
``DATABASE_URL`` to the test database) must exit 1 and name the first bad position.
The two changes the chain alone cannot see (a truncated tail with the head moved back,
a whole chain recomputed) are caught against a checkpoint signed beforehand with
``mandates audit checkpoint``. Then every kind at every position of a ten-event log,
checked with ``store.verify.verify_log``: all detected, each at the right position.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from store.audit import AuditStore, NewEvent
from store.chain import GENESIS_HASH, chain_hash, content_hash
from store.verify import verify_log
from tests.support.database import Database

MANDATES = str(Path(sys.executable).parent / "mandates")
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


# --- through the CLI ------------------------------------------------------------


def cli(database: Database, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_ADMIN_URL", "TEMPORAL_ADDRESS")}
    env.update(DATABASE_URL=database.app_dsn, MANDATES_DATA_DIR=str(data))
    return subprocess.run([MANDATES, *args], env=env, capture_output=True, text=True, timeout=60)


CLI_CASES = {
    "edit-a-payload": (edit(5), 5, "edited"),
    "delete-a-row": (delete(5), 5, "missing"),
    "swap-two-rows": (swap(3, 7), 3, "reordered"),
    "insert-a-forged-row": (forge(5), 5, "inserted"),
    "truncate-the-tail": (truncate(8), 8, "truncated"),
}


async def test_an_honest_log_verifies_through_the_cli(
    audit_store: AuditStore, database: Database, tmp_path: Path
) -> None:
    await fill(audit_store)
    result = cli(database, tmp_path, "audit", "verify")
    assert (result.returncode, result.stdout.strip()) == (0, "ok: 10 events verified, head at position 10")


@pytest.mark.parametrize(("kind", "case"), CLI_CASES.items(), ids=list(CLI_CASES))
async def test_the_cli_names_the_first_bad_position(
    audit_store: AuditStore,
    admin_conn: asyncpg.Connection,
    database: Database,
    tmp_path: Path,
    kind: str,
    case: tuple[Tamper, int, str],
) -> None:
    change, position, reason = case
    await fill(audit_store)
    await change(admin_conn)

    result = cli(database, tmp_path, "audit", "verify", *(["--json"] if kind == "swap-two-rows" else []))

    assert result.returncode == 1, (kind, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if kind == "swap-two-rows":  # (once in JSON too, for scripts)
        found = json.loads(result.stdout)
        assert (found["ok"], found["first_bad_position"], found["reason"]) == (False, position, reason)
    else:
        assert result.stdout.startswith(f"broken at position {position} ({reason}): "), result.stdout


async def test_a_truncated_tail_with_its_head_moved_back_is_caught_by_a_signed_checkpoint(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, database: Database, tmp_path: Path
) -> None:
    await fill(audit_store)
    taken = cli(database, tmp_path, "audit", "checkpoint")
    assert taken.returncode == 0 and "checkpoint at position 10" in taken.stdout, taken.stderr
    await truncate(8, move_head=True)(admin_conn)

    chain_only = cli(database, tmp_path / "elsewhere", "audit", "verify")
    signed = cli(database, tmp_path, "audit", "verify")

    assert chain_only.returncode == 0  # the chain alone cannot tell
    assert signed.returncode == 1
    assert signed.stdout.startswith("broken at position 8 (truncated): the checkpoint of "), signed.stdout


async def test_a_whole_chain_rewritten_is_caught_by_a_signed_checkpoint(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, database: Database, tmp_path: Path
) -> None:
    await fill(audit_store)
    assert cli(database, tmp_path, "audit", "checkpoint").returncode == 0
    await rewrite_chain_from(admin_conn, audit_store, 2)

    chain_only = cli(database, tmp_path / "elsewhere", "audit", "verify")
    signed = cli(
        database, tmp_path, "audit", "verify", "--checkpoints", str(tmp_path / "checkpoints" / "audit.jsonl")
    )

    assert chain_only.returncode == 0  # a consistent forgery
    assert signed.returncode == 1
    assert signed.stdout.startswith("broken at position 10 (rewritten): "), signed.stdout


# --- every kind at every position -------------------------------------------------


def every_tampering() -> list[tuple[str, Tamper, int, str]]:
    """(name, change, first bad position, reason) for each kind at each position."""
    cases: list[tuple[str, Tamper, int, str]] = []
    for p in range(1, EVENTS + 1):
        cases.append((f"edit {p}", edit(p), p, "edited"))
        # Deleting the last row leaves a log that ends early: a truncation at that position.
        cases.append((f"delete {p}", delete(p), p, "truncated" if p == EVENTS else "missing"))
        cases.append((f"truncate from {p}", truncate(p), p, "truncated"))
        cases.append((f"forge at {p}", forge(p), p, "inserted"))
    cases.append(("forge beyond the head", forge_beyond_head(), EVENTS + 1, "inserted"))
    for a, b in itertools.combinations(range(1, EVENTS + 1), 2):
        cases.append((f"swap {a} and {b}", swap(a, b), a, "reordered"))
    return cases


# Named one position late: the row after a forged first row links to the genesis hash, which
# no row holds, so the verifier calls that row the forgery (``store.chain._broken_link``).


async def tamper_and_verify(conn: asyncpg.Connection, cases: list[tuple[str, Tamper, int, str]]) -> dict:
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
        result = await verify_log(conn)
        found[name] = (result.ok, result.first_bad_position, result.reason)
        await as_owner(conn, "DELETE FROM audit_events")
        await conn.executemany(insert, [tuple(row.values()) for row in honest])
        await as_owner(conn, f"UPDATE audit_head SET position = {head['position']}, hash = '{head['hash']}'")
        assert (await verify_log(conn)).ok
    return found


async def test_every_kind_of_tampering_at_every_position_is_detected_and_named(
    audit_store: AuditStore, admin_conn: asyncpg.Connection
) -> None:
    await fill(audit_store)
    cases = every_tampering()
    found = await tamper_and_verify(admin_conn, cases)

    assert len(cases) == 4 * EVENTS + 1 + EVENTS * (EVENTS - 1) // 2  # 86
    assert [name for name, (ok, _, _) in found.items() if ok] == []  # every one detected
    named = {name: (position, reason) for name, _, position, reason in cases}
    wrong = {name: found[name][1:] for name in named if found[name][1:] != named[name]}
    assert wrong == {}, wrong  # and named at its first bad position


async def test_a_forged_first_row_is_named_at_position_1(
    audit_store: AuditStore, admin_conn: asyncpg.Connection
) -> None:
    await fill(audit_store)
    await forge(1)(admin_conn)
    result = await verify_log(admin_conn)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 1, "inserted")
