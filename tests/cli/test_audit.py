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

from store.audit import AuditStore
from tests.support.cli import MANDATES
from tests.support.database import Database
from tests.support.tamper import Tamper, delete, edit, fill, forge, rewrite_chain_from, swap, truncate


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
