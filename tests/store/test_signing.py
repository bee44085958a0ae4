"""Signed commits: the key files, what ``verify`` counts and names, key rotation, a log
written before signing existed, and the append functions' content hash, which must be
``store.chain``'s for every event a client can send."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest

from store import migrate
from store.audit import AuditStore, NewEvent
from store.chain import canonical_json, content_hash, content_hash_of_canonical, timestamp_text
from store.migrate import apply_migrations, load_migrations
from store.signing import (
    PublicKeys,
    Signer,
    SigningKeyInvalid,
    load_or_create_signer,
    load_public_keys,
    load_signer,
)
from store.verify import verify_log
from tests.support.database import with_database, with_user

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


def event(key: str, **payload: object) -> NewEvent:
    return NewEvent(
        type="ResponseReceived", actor="party", occurred_at=T0, payload=payload, idempotency_key=key
    )


async def verify(pool: asyncpg.Pool | asyncpg.Connection, keys: PublicKeys):  # type: ignore[no-untyped-def]
    if isinstance(pool, asyncpg.Connection):
        return await verify_log(pool, public_keys=keys)
    async with pool.acquire() as conn:
        return await verify_log(conn, public_keys=keys)


# --- key files ----------------------------------------------------------------------


def test_the_dev_key_pair_is_made_once_private_to_its_owner(tmp_path: Path) -> None:
    private, public = tmp_path / "data" / "audit-signing.key", tmp_path / "data" / "audit-signing.pub"
    signer = load_or_create_signer(private, public)
    assert private.stat().st_mode & 0o777 == 0o600
    assert load_or_create_signer(private, public).key_id == signer.key_id
    assert load_public_keys(public).key_ids == [signer.key_id]
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, as openssl writes it


def test_a_public_key_file_lists_every_key_of_a_rotation(tmp_path: Path) -> None:
    old, new = Signer.generate(), Signer.generate()
    path = tmp_path / "audit-public.pem"
    path.write_bytes(old.public_pem() + b"\n" + new.public_pem())
    assert load_public_keys(path).key_ids == [old.key_id, new.key_id]


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (None, 0o600, "is missing"),
        (b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", 0o600, "unencrypted PEM"),
        ("signer", 0o644, "readable by others: chmod 600"),
    ],
    ids=["missing", "not-a-key", "too-open"],
)
def test_a_bad_signing_key_file_is_refused_in_one_line(
    tmp_path: Path, content: bytes | str | None, mode: int, message: str
) -> None:
    path = tmp_path / "audit-signing.key"
    if content is not None:
        path.write_bytes(Signer.generate().private_pem() if content == "signer" else content)  # type: ignore[arg-type]
        path.chmod(mode)
    with pytest.raises(SigningKeyInvalid, match=message):
        load_signer(path)
    assert content is not None or not path.exists()  # never made up


def test_a_public_key_file_without_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit-public.pem"
    path.write_text("nothing here\n")
    with pytest.raises(SigningKeyInvalid, match="holds no PEM public key"):
        load_public_keys(path)
    with pytest.raises(SigningKeyInvalid, match="is missing"):
        load_public_keys(tmp_path / "missing.pem")


# --- what verify counts and names ----------------------------------------------------


async def test_an_honest_log_is_covered_by_one_signature_per_append(
    pool: asyncpg.Pool, audit_signer: Signer, audit_keys: PublicKeys
) -> None:
    store = AuditStore(pool, signer=audit_signer, group_commit=False)
    await store.append("mandate-a", 0, [event("a-1"), event("a-2"), event("a-3")])
    await store.append("mandate-b", 0, [event("b-1")])
    rows = await pool.fetch("SELECT first_position, last_position, key_id FROM audit_signatures ORDER BY 1")
    assert [tuple(r.values()) for r in rows] == [(1, 3, audit_signer.key_id), (4, 4, audit_signer.key_id)]
    result = await verify(pool, audit_keys)
    assert (result.ok, result.signed, result.signed_by) == (True, 4, {audit_signer.key_id: 4})
    assert result.summary() == (
        "ok: 4 events verified, head at position 4; 4 of 4 events covered by valid signatures"
    )


async def test_a_store_without_a_signer_appends_events_verify_names(
    pool: asyncpg.Pool, audit_signer: Signer, audit_keys: PublicKeys
) -> None:
    await AuditStore(pool, signer=audit_signer).append("mandate-a", 0, [event("a-1"), event("a-2")])
    await AuditStore(pool).append("mandate-a", 2, [event("a-3")])
    result = await verify(pool, audit_keys)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 3, "unsigned")
    assert (result.checked, result.signed, result.first_uncovered_position) == (2, 2, 3)
    assert result.summary().startswith("broken at position 3 (unsigned): no signature covers the event; ")
    assert result.summary().endswith(
        "2 of 3 events covered by valid signatures; the first not covered: position 3 (unsigned)"
    )


async def test_an_edit_inside_a_signed_commit_is_named_at_the_edited_event(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    """The commit of 1..3 no longer verifies, but it is the chain that says which event changed."""
    await audit_store.append("mandate-a", 0, [event("a-1", n=1), event("a-2", n=2), event("a-3", n=3)])
    await audit_store.append("mandate-a", 3, [event("a-4", n=4)])
    await admin_conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    await admin_conn.execute("""UPDATE audit_events SET payload = '{"n": 99}' WHERE position = 2""")
    result = await verify(admin_conn, audit_keys)
    assert (result.first_bad_position, result.reason) == (2, "edited")
    uncovered = (result.first_uncovered_position, result.uncovered_reason)
    assert (result.signed, uncovered) == (1, (1, "bad-signature"))


async def test_a_deleted_signature_leaves_its_events_unsigned(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    for n in range(3):
        await audit_store.append("mandate-a", n, [event(f"a-{n}")])
    await admin_conn.execute("ALTER TABLE audit_signatures DISABLE TRIGGER USER")
    await admin_conn.execute("DELETE FROM audit_signatures WHERE first_position = 2")
    result = await verify(admin_conn, audit_keys)
    assert (result.first_bad_position, result.reason, result.signed) == (2, "unsigned", 2)


async def test_a_signature_stretched_over_the_next_event_is_named(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    """An owner who moves a commit's end to take in the next (forged) event breaks it."""
    for n in range(2):
        await audit_store.append("mandate-a", n, [event(f"a-{n}")])
    await admin_conn.execute("ALTER TABLE audit_signatures DISABLE TRIGGER USER")
    await admin_conn.execute("DELETE FROM audit_signatures WHERE first_position = 2")
    await admin_conn.execute("UPDATE audit_signatures SET last_position = 2 WHERE first_position = 1")
    result = await verify(admin_conn, audit_keys)
    assert (result.first_bad_position, result.reason, result.signed) == (1, "bad-signature", 0)


async def test_an_event_deleted_from_inside_a_commit_is_named_with_the_commit_it_breaks(
    audit_store: AuditStore, admin_conn: asyncpg.Connection, audit_keys: PublicKeys
) -> None:
    await audit_store.append("mandate-a", 0, [event("a-1"), event("a-2"), event("a-3")])
    await admin_conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    await admin_conn.execute("DELETE FROM audit_events WHERE position = 2")
    result = await verify(admin_conn, audit_keys)
    assert (result.first_bad_position, result.reason, result.signed) == (2, "missing", 0)
    assert result.uncovered_detail == "the signed commit of positions 1..3 is broken: position 2 is missing"


async def test_keys_are_rotated_by_listing_both(pool: asyncpg.Pool) -> None:
    old, new = Signer.generate(), Signer.generate()
    await AuditStore(pool, signer=old).append("mandate-a", 0, [event("a-1"), event("a-2")])
    await AuditStore(pool, signer=new).append("mandate-a", 2, [event("a-3")])

    both = await verify(pool, PublicKeys([old.public_key, new.public_key], source="keys.pem"))
    assert (both.ok, both.signed_by) == (True, {old.key_id: 2, new.key_id: 1})
    new_only = await verify(pool, PublicKeys([new.public_key], source="keys.pem"))
    assert (new_only.first_bad_position, new_only.reason) == (1, "unknown-key")
    assert new_only.detail == (
        f"the commit of positions 1..2 is signed with key {old.key_id}, which is not among the public keys"
        " of keys.pem"
    )
    nothing = await verify(pool, PublicKeys())
    assert (nothing.first_bad_position, nothing.reason, nothing.signed) == (1, "unknown-key", 0)


# --- a log written before signing ------------------------------------------------------

APPEND_BEFORE_SIGNING = """
SELECT first_position FROM audit_append($1::text, $2::integer, $3::timestamptz, $4::text[], $5::text[],
    $6::timestamptz[], $7::jsonb[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean)
"""


@pytest.fixture
async def database_before_signing(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, str]]:
    """A database migrated up to migration 006 (the release before signing): admin and app DSNs."""
    name = f"mandates_upgrade_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        admin_dsn = with_database(postgres_admin_url, name)
        before = [m for m in load_migrations() if m.version <= 6]
        monkeypatch.setattr(migrate, "load_migrations", lambda: before)
        conn = await asyncpg.connect(admin_dsn)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        monkeypatch.undo()
        yield admin_dsn, with_user(admin_dsn, "mandates_app")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_log_written_before_signing_still_verifies_and_what_follows_must_be_signed(
    database_before_signing: tuple[str, str], audit_signer: Signer, audit_keys: PublicKeys
) -> None:
    admin_dsn, app_dsn = database_before_signing
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=4)
    try:
        for n in range(3):  # appended as the previous release appended
            stream, payload = f"mandate-{n % 2}", {"n": n}
            version = n // 2
            digest = content_hash(
                stream_id=stream, version=version + 1, event_type="ResponseReceived", actor="party",
                occurred_at=T0, recorded_at=T0, payload=payload, correlation_id=None, causation_id=None,
                idempotency_key=f"old-{n}",
            )  # fmt: skip
            await pool.fetchval(
                APPEND_BEFORE_SIGNING, stream, version, T0, ["ResponseReceived"], ["party"], [T0],
                [canonical_json(payload)], [None], [None], [f"old-{n}"], [digest], False,
            )  # fmt: skip
        admin = await asyncpg.connect(admin_dsn)
        try:
            assert [m.version for m in await apply_migrations(admin)] == [
                7,
                8,
                9,
            ]  # signing, then the read models' states, then the review calendar
        finally:
            await admin.close()
        await pool.expire_connections()  # the old functions are gone: no cached plans of them

        await AuditStore(pool, signer=audit_signer).append("mandate-0", 2, [event("new-1"), event("new-2")])
        result = await verify(pool, audit_keys)
        assert result.ok, result
        assert (result.events, result.signed_from, result.before_signing, result.signed) == (5, 4, 3, 2)
        assert result.summary() == (
            "ok: 5 events verified, head at position 5; 2 of 5 events covered by valid signatures,"
            " 3 written before signing (began at 4)"
        )

        await AuditStore(pool).append("mandate-1", 1, [event("new-3")])
        after = await verify(pool, audit_keys)
        assert (after.first_bad_position, after.reason, after.before_signing) == (6, "unsigned", 3)
    finally:
        await pool.close()


# --- the append functions hash what store.chain hashes -----------------------------------


def tricky_strings() -> list[str]:
    """Every ASCII character but NUL (which Postgres text cannot hold), characters JSON escapes
    or that look like it should, and random text from every plane."""
    ascii_chars = "".join(chr(c) for c in range(1, 128))
    fixed = [ascii_chars, '"\\/\b\f\n\r\t', "\u2028\u2029\ufeff\u200b", "é ✓ 😀 𝄞 مرحبا 中文", "\x7f\x1f"]
    rng = random.Random(7)
    planes = [(0x01, 0x7F), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]
    for _ in range(60):
        low, high = rng.choice(planes)
        fixed.append("".join(chr(rng.randint(low, high)) for _ in range(rng.randint(0, 12))))
    return fixed


async def test_the_append_functions_hash_what_the_store_hashes(admin_conn: asyncpg.Connection) -> None:
    """A difference would make the functions refuse honest appends (MND04): the content hash
    of migration 007 and ``store.chain.content_hash_of_canonical`` over awkward text, times in
    every offset and the widest range of years."""
    strings = tricky_strings()
    times = [
        T0,
        datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # the driver sends infinity
        datetime(1, 1, 1, tzinfo=UTC),  # and -infinity
        datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 30, 0, 500, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        datetime(2027, 3, 28, 1, 30, 0, 0, tzinfo=timezone(timedelta(hours=14))),
    ]
    payload = canonical_json({"text": "".join(strings[:3]), "n": 1.5, "list": [None, True, {"ü": []}]})
    cases = []
    for n, text in enumerate(strings):
        cases.append((
            text or "s", n + 1, text or "t", text or "a", times[n % len(times)], times[(n + 1) % len(times)],
            payload, text if n % 3 else None, text if n % 2 else None, f"k{n}{text}",
        ))  # fmt: skip
    cases.append(("s", 2_147_483_647, "t", "a", T0, T0, "{}", None, None, "k"))
    rows = await admin_conn.fetch(
        "SELECT audit_content_hash(c.s, c.v, c.t, c.a, c.o, c.r, c.p, c.corr, c.cause, c.k) AS h"
        " FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::timestamptz[],"
        " $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[])"
        " WITH ORDINALITY AS c(s, v, t, a, o, r, p, corr, cause, k, n) ORDER BY c.n",
        *(list(column) for column in zip(*cases, strict=True)),
    )
    expected = [
        content_hash_of_canonical(
            stream_id=s, version=v, event_type=t, actor=a, occurred_at_text=timestamp_text(o),
            recorded_at_text=timestamp_text(r), payload_json=p, correlation_id=corr, causation_id=cause,
            idempotency_key=k,
        )
        for s, v, t, a, o, r, p, corr, cause, k in cases
    ]  # fmt: skip
    assert [r["h"] for r in rows] == expected
