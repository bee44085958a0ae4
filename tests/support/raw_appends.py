"""Calls of the append functions as a client other than ``AuditStore`` would make them:
payloads as given (not checked first), content hashes computed for them or forged, any
signature or none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from store.chain import canonical_json, content_hash_of_canonical, timestamp_text
from store.signing import Signer

T0 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
APPEND = """
SELECT first_position, prev_hash
FROM audit_append($1::text, $2::integer, $3::timestamptz, $4::text[], $5::text[], $6::timestamptz[],
                  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean, $13::text,
                  $14::bytea)
"""
APPEND_GROUP = """
SELECT first_position, prev_hash
FROM audit_append_group($1::text[], $2::integer[], $3::text[], $4::integer[], $5::timestamptz[], $6::text[],
                        $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[],
                        $13::text[], $14::text, $15::bytea)
"""
EVENT_TYPE, ACTOR = "MandateWithdrawn", "someone else"


def content_hashes(stream: str, first: int, payloads: Sequence[str], keys: Sequence[str]) -> list[str]:
    """The content hashes of events with these payload texts (hashed as they are)."""
    return [
        content_hash_of_canonical(
            stream_id=stream, version=first + n, event_type=EVENT_TYPE, actor=ACTOR,
            occurred_at_text=timestamp_text(T0), recorded_at_text=timestamp_text(T0), payload_json=payload,
            correlation_id=None, causation_id=None, idempotency_key=key,
        )
        for n, (payload, key) in enumerate(zip(payloads, keys, strict=True))
    ]  # fmt: skip


async def raw_append(
    db: asyncpg.Pool | asyncpg.Connection,
    stream: str,
    expected_version: int,
    payloads: Sequence[str] = (canonical_json({"reason": "forged"}),),
    *,
    keys: Sequence[str] | None = None,
    hashes: Sequence[str] | None = None,
    signer: Signer | None = None,
    signature: tuple[str, bytes] | None = None,
) -> asyncpg.Record:
    """``audit_append`` with these payload texts; the content hashes are right unless given,
    and the call is signed by ``signer``, or carries ``signature`` as it is, or is unsigned."""
    keys = keys or [f"{stream}:{expected_version + 1 + n}" for n in range(len(payloads))]
    hashes = hashes or content_hashes(stream, expected_version + 1, payloads, keys)
    if signer is not None:
        signature = (signer.key_id, signer.sign(hashes))
    key_id, signed = signature or (None, None)
    count = len(payloads)
    return await db.fetchrow(
        APPEND, stream, expected_version, T0, [EVENT_TYPE] * count, [ACTOR] * count, [T0] * count,
        list(payloads), [None] * count, [None] * count, list(keys), list(hashes), False, key_id, signed,
    )  # fmt: skip
