"""`mandates audit verify` and `mandates audit checkpoint`: tamper evidence through the CLI.

The database owner (triggers disabled) edits a payload, deletes a row, swaps two rows,
inserts a forged row or truncates the tail; ``mandates audit verify`` (a subprocess,
``DATABASE_URL`` to the test database) must exit 1 and name the first bad position.
The two changes the chain alone cannot see (a truncated tail with the head moved back,
a whole chain recomputed) are caught against a checkpoint signed beforehand with
``mandates audit checkpoint``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest

from store.audit import AuditStore, NewEvent
from store.signing import Signer
from tests.support.cli import MANDATES
from tests.support.database import Database
from tests.support.tamper import (
    DEEP,
    T0,
    Tamper,
    delete,
    edit,
    fill,
    forge,
    malform,
    rewrite_chain_from,
    swap,
    truncate,
)


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
