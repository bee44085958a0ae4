"""Signed checkpoints outside the database catch what the chain alone cannot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from store.audit import AuditStore, NewEvent
from store.chain import GENESIS_HASH, chain_hash, content_hash
from store.checkpoints import (
    CheckpointInvalid,
    append_checkpoint,
    check_against,
    load_key,
    load_or_create_key,
    read_checkpoints,
    take_checkpoint,
)
from store.signing import PublicKeys
from store.verify import verify_log

T0 = datetime(2027, 1, 15, 9, 0, 12, 345678, tzinfo=UTC)


async def fill(store: AuditStore, count: int) -> None:
    for n in range(1, count + 1):
        await store.append(
            "mandate-a",
            n - 1,
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


@pytest.fixture
def key(tmp_path: Path) -> bytes:
    return load_or_create_key(tmp_path / "checkpoint.key")


async def test_key_file_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.key"
    first = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path) == first and len(first) == 32


async def test_verifying_never_makes_up_a_key(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    with pytest.raises(CheckpointInvalid, match=f"checkpoint key file {path} is missing"):
        load_key(path)
    assert not path.exists()
    made = load_or_create_key(path)
    assert load_key(path) == made


async def test_checkpoints_round_trip_and_forged_signatures_are_refused(
    audit_store: AuditStore,
    admin_conn: asyncpg.Connection,
    key: bytes,
    tmp_path: Path,
    audit_keys: PublicKeys,
) -> None:
    await fill(audit_store, 3)
    file = tmp_path / "audit.jsonl"
    append_checkpoint(file, await take_checkpoint(admin_conn, key, T0))
    (checkpoint,) = read_checkpoints(file, key)
    assert checkpoint.position == 3
    assert (await verify_log(admin_conn, [checkpoint], public_keys=audit_keys)).ok

    forged = json.loads(file.read_text()) | {"position": 2}
    file.write_text(json.dumps(forged) + "\n")
    with pytest.raises(CheckpointInvalid, match="signature does not verify"):
        read_checkpoints(file, key)
    with pytest.raises(CheckpointInvalid):
        read_checkpoints(tmp_path / "audit.jsonl", b"another key")


async def test_truncated_tail_with_the_head_rewritten_is_caught_by_the_checkpoint(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, key: bytes, audit_keys: PublicKeys
) -> None:
    await fill(audit_store, 10)
    checkpoint = await take_checkpoint(admin_conn, key, T0)
    # The owner removes the last three events and moves the head back to match.
    await admin_conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    await admin_conn.execute("ALTER TABLE audit_head DISABLE TRIGGER USER")
    await admin_conn.execute("DELETE FROM audit_events WHERE position > 7")
    await admin_conn.execute(
        "UPDATE audit_head SET position = 7, hash = (SELECT hash FROM audit_events WHERE position = 7)"
    )
    # the chain alone cannot tell, nor can the signatures of the events that are left
    assert (await verify_log(admin_conn, public_keys=audit_keys)).ok
    result = await verify_log(admin_conn, [checkpoint], public_keys=audit_keys)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 8, "truncated")


async def test_a_whole_chain_rewritten_is_caught_by_the_checkpoint_and_the_signatures(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, key: bytes, audit_keys: PublicKeys
) -> None:
    await fill(audit_store, 5)
    checkpoint = await take_checkpoint(admin_conn, key, T0)
    # The owner edits event 2 and recomputes every hash after it, head included.
    await admin_conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    await admin_conn.execute("UPDATE audit_events SET payload = '{\"n\": 99}' WHERE position = 2")
    prev = GENESIS_HASH
    for event in await audit_store.read_all():
        digest = chain_hash(prev, content_hash(
            stream_id=event.stream_id, version=event.version, event_type=event.type, actor=event.actor,
            occurred_at=event.occurred_at, recorded_at=event.recorded_at, payload=event.payload,
            correlation_id=event.correlation_id, causation_id=event.causation_id,
            idempotency_key=event.idempotency_key))  # fmt: skip
        await admin_conn.execute(
            "UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE position = $3",
            prev,
            digest,
            event.position,
        )
        prev = digest
    await admin_conn.execute("UPDATE audit_head SET hash = $1", prev)
    # a consistent forgery of the chain: the checkpoint finds another hash at its position...
    mismatch = await check_against(admin_conn, checkpoint)
    assert mismatch is not None and (mismatch.position, mismatch.reason) == (5, "rewritten")
    assert mismatch.detail.endswith("differs from the one signed at 2027-01-15 09:00 UTC")  # (no µs)
    # ... and the edited event's commit no longer verifies, which is named first
    for checkpoints in ([], [checkpoint]):
        result = await verify_log(admin_conn, checkpoints, public_keys=audit_keys)
        assert (result.ok, result.first_bad_position, result.reason) == (False, 2, "bad-signature")


async def test_the_worker_signs_checkpoints_periodically_when_the_head_moves(
    audit_store: AuditStore,
    pool: asyncpg.Pool,
    admin_conn: asyncpg.Connection,
    tmp_path: Path,
    audit_keys: PublicKeys,
) -> None:
    import asyncio

    from store.checkpoints import checkpoints_running

    file, key_file = tmp_path / "checkpoints" / "audit.jsonl", tmp_path / "checkpoint.key"
    async with checkpoints_running(pool, file, key_file, interval=0.05):
        await fill(audit_store, 2)
        for _ in range(100):
            if file.exists() and read_checkpoints(file, load_or_create_key(key_file))[-1].position == 2:
                break
            await asyncio.sleep(0.05)
    signed = read_checkpoints(file, load_or_create_key(key_file))
    assert signed[-1].position == 2
    assert len({c.position for c in signed}) == len(signed)  # written only when the head moved
    assert (await verify_log(admin_conn, signed, public_keys=audit_keys)).ok
