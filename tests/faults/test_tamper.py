"""Tamper evidence through the CLI, and over every position.

The database owner (triggers disabled) edits a payload, deletes a row, swaps two rows,
inserts a forged row, truncates the tail or stores a payload that is no JSON object or is
nested 1,500 levels deep; ``mandates audit verify`` (a subprocess, ``DATABASE_URL`` to the
test database, the public key of the tests' signer in ``MANDATES_AUDIT_PUBLIC_KEY_FILE``)
must exit 1 and name the first bad position, without a traceback. A truncated tail with the
head moved back is caught against a checkpoint signed beforehand with ``mandates audit
checkpoint``; a whole chain recomputed, by the signature of the edited event's commit (and
the checkpoint). Then every kind at every position of a ten-event log, checked with
``store.verify.verify_log``: all detected, each at the right position.
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
from store.signing import PublicKeys, Signer
from store.verify import verify_log
from tests.conftest import Database

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


# --- through the CLI ------------------------------------------------------------


@pytest.fixture(autouse=True)
def public_key_file(
    tmp_path_factory: pytest.TempPathFactory, audit_signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The CLI verifies with the public key of the tests' signer."""
    path = tmp_path_factory.mktemp("keys") / "audit-public.pem"
    path.write_bytes(audit_signer.public_pem())
    monkeypatch.setenv("MANDATES_AUDIT_PUBLIC_KEY_FILE", str(path))
    return path


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
    "store-a-non-object-payload": (malform(5, "[1, 2]"), 5, "malformed"),
    "store-a-1500-deep-payload": (malform(5, DEEP), 5, "malformed"),
}


async def test_an_honest_log_verifies_through_the_cli(
    audit_store: AuditStore, database: Database, tmp_path: Path
) -> None:
    await fill(audit_store)
    result = cli(database, tmp_path, "audit", "verify")
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "ok: 10 events verified, head at position 10; 10 of 10 events covered by valid signatures",
    )


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


async def test_an_event_appended_without_the_signing_key_is_named_by_the_cli(
    audit_store: AuditStore, pool: asyncpg.Pool, database: Database, tmp_path: Path
) -> None:
    """Someone with the application's password appends through the append function, chained
    and all, but cannot sign."""
    await fill(audit_store)
    forged = NewEvent(
        type="MandateWithdrawn", actor="someone else", occurred_at=T0, payload={}, idempotency_key="forged"
    )
    await AuditStore(pool).append("mandate-1", await audit_store.stream_version("mandate-1"), [forged])
    after = NewEvent(type="ResponseReceived", actor="party", occurred_at=T0, payload={}, idempotency_key="k")
    await audit_store.append("mandate-2", await audit_store.stream_version("mandate-2"), [after])

    text = cli(database, tmp_path, "audit", "verify")
    found = json.loads(cli(database, tmp_path, "audit", "verify", "--json").stdout)

    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert text.stdout.strip() == (
        "broken at position 11 (unsigned): no signature covers the event; 10 events verified before it;"
        " 11 of 12 events covered by valid signatures; the first not covered: position 11 (unsigned)"
    )
    assert (found["first_bad_position"], found["reason"], found["signed"], found["events"]) == (
        11, "unsigned", 11, 12,
    )  # fmt: skip
    assert (found["first_uncovered_position"], found["uncovered_reason"]) == (11, "unsigned")


async def test_verify_never_makes_up_a_key_it_is_pointed_at(
    audit_store: AuditStore, database: Database, tmp_path: Path
) -> None:
    await fill(audit_store)
    missing = tmp_path / "no-such.key"
    before = cli(database, tmp_path, "audit", "verify", "--key-file", str(missing))
    assert cli(database, tmp_path, "audit", "checkpoint").returncode == 0  # a checkpoint file now exists
    after = cli(database, tmp_path, "audit", "verify", "--key-file", str(missing))

    for result in (before, after):
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == f"error: checkpoint key file {missing} is missing\n"
    assert not missing.exists()


async def test_a_public_key_file_that_is_not_there_is_one_line(
    audit_store: AuditStore, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fill(audit_store)
    monkeypatch.setenv("MANDATES_AUDIT_PUBLIC_KEY_FILE", str(tmp_path / "missing.pem"))
    result = cli(database, tmp_path, "audit", "verify")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: invalid setting MANDATES_AUDIT_PUBLIC_KEY_FILE: ")
    assert len(result.stderr.splitlines()) == 1


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


async def test_a_whole_chain_rewritten_is_caught_by_the_signature_of_the_edited_commit(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, database: Database, tmp_path: Path
) -> None:
    await fill(audit_store)
    assert cli(database, tmp_path, "audit", "checkpoint").returncode == 0
    await rewrite_chain_from(admin_conn, audit_store, 2)

    without_checkpoint = cli(database, tmp_path / "elsewhere", "audit", "verify")
    with_checkpoint = cli(
        database, tmp_path, "audit", "verify", "--checkpoints", str(tmp_path / "checkpoints" / "audit.jsonl")
    )

    # a consistent forgery of the chain, but the owner cannot sign: the checkpoint also
    # finds position 10 rewritten, and the edited event comes first
    for result in (without_checkpoint, with_checkpoint):
        assert result.returncode == 1
        assert result.stdout.startswith("broken at position 2 (bad-signature): the signature "), result.stdout


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
