"""Verify the audit log: the hash chain, the signatures of its commits, the signed checkpoints.

One pass over the log, in position order, with the signature that starts at each event:

- the chain (``store.chain.ChainChecker``): each event's hash over its content and the hash
  before it; the first break is named (edited, missing, reordered, inserted, truncated), and
  so is an event whose payload cannot be read (malformed: not a JSON object, too large, or
  nested too deep), which is reported, never raised;
- the signatures (``store.signing.CommitCoverage``): every event from the position the
  signing began at (``audit_signed_from``) must lie in one commit whose signature verifies
  under one of the public keys; the first event that does not is named (unsigned,
  bad-signature, unknown-key). The walk goes on to the end, to count the covered events;
- then, if the chain holds, the checkpoints signed outside the database
  (``store.checkpoints``).

The first bad position is the lowest of what the chain (or a checkpoint) and the signatures
find; a commit whose signature fails because one of its events was edited is reported as
that edit, at the event's position.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import asyncpg

from store.audit import EVENT_COLUMNS
from store.chain import (
    MAX_PAYLOAD_LEVELS,
    ChainBreak,
    ChainChecker,
    ChainRow,
    PayloadInvalid,
    canonical_payload,
    content_hash_of_canonical,
    timestamp_text,
)
from store.checkpoints import Checkpoint, check_against
from store.signing import CommitCoverage, CommitSignature, CoverageGap, PublicKeys

_HEAD = "SELECT position, hash FROM audit_head"
_SIGNED_FROM = "SELECT position FROM audit_signed_from"
_ALL = (
    f"SELECT {EVENT_COLUMNS}, jsonb_typeof(payload) AS payload_type,"
    " s.last_position, s.key_id, s.signature"
    " FROM audit_events LEFT JOIN audit_signatures AS s ON s.first_position = audit_events.position"
    " ORDER BY position"
)
_OWNER = "SELECT position FROM audit_events WHERE hash = $1"


@dataclass(frozen=True)
class Verification:
    """The outcome of ``verify_log``: ok, or the first bad position and why.

    ``checked`` counts the events verified before the first bad position (all of them when
    ok); ``signed`` those covered by valid signatures, ``before_signing`` those written
    before signing began (``signed_from``), which need none; ``first_uncovered_position``
    is the first event from ``signed_from`` on that no valid signature covers.
    """

    ok: bool
    checked: int
    head_position: int
    first_bad_position: int | None = None
    reason: str | None = None
    detail: str | None = None
    checkpoints: int = 0
    events: int = 0
    signed: int = 0
    signed_from: int = 1
    before_signing: int = 0
    first_uncovered_position: int | None = None
    uncovered_reason: str | None = None
    uncovered_detail: str | None = None
    signed_by: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        """What ``mandates audit verify`` prints: one line."""
        signatures = f"{self.signed} of {self.events} events covered by valid signatures"
        if self.before_signing:
            signatures += f", {self.before_signing} written before signing (began at {self.signed_from})"
        if self.ok:
            held = f", {self.checkpoints} signed checkpoint(s) hold" if self.checkpoints else ""
            return (
                f"ok: {self.checked} events verified, head at position {self.head_position}"
                + (f"; {signatures}" if self.events else "")
                + held
            )
        if self.first_uncovered_position is not None:
            uncovered = self.first_uncovered_position
            signatures += f"; the first not covered: position {uncovered} ({self.uncovered_reason})"
        return (
            f"broken at position {self.first_bad_position} ({self.reason}): {self.detail}; "
            f"{self.checked} events verified before it; {signatures}"
        )


@dataclass(frozen=True)
class _Problem:
    position: int
    reason: str
    detail: str


async def verify_log(
    conn: asyncpg.Connection,
    checkpoints: Sequence[Checkpoint] = (),
    *,
    public_keys: PublicKeys | None = None,
    prefetch: int = 2000,
) -> Verification:
    """Walk the whole log with a server-side cursor, checking every link and every commit's
    signature under ``public_keys`` (none: every signed commit is by an unknown key), then
    check the log against the signed checkpoints taken outside the database."""
    chain_break: ChainBreak | None = None
    events = 0
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(_HEAD)
        signed_from = int(await conn.fetchval(_SIGNED_FROM))
        checker = ChainChecker(int(head["position"]), str(head["hash"]))
        coverage = CommitCoverage(public_keys or PublicKeys(), signed_from)
        async for row in conn.cursor(_ALL, prefetch=prefetch):
            events += 1
            position = int(row["position"])
            content, malformed = _content_hash(row, bounded=position >= signed_from)
            signature = None
            if row["last_position"] is not None:
                signature = CommitSignature(int(row["last_position"]), row["key_id"], bytes(row["signature"]))
            coverage.event(position, content, signature)
            if chain_break is not None:
                continue  # the chain is broken: the rest is only counted for the signatures
            if content is None:
                chain_break = checker.malformed(position, malformed or "")
                continue
            chain_row = ChainRow(position, row["prev_hash"], row["hash"], content)
            owner = None
            if not checker.links(chain_row):
                owner = await conn.fetchval(_OWNER, chain_row.prev_hash)
            chain_break = checker.check(chain_row, owner)
        coverage.finish()
    integrity: _Problem | None = None
    if chain_break is None:
        chain_break = checker.finish()
    if chain_break is not None:
        integrity = _Problem(chain_break.position, chain_break.reason, chain_break.detail)
    else:
        for checkpoint in checkpoints:
            mismatch = await check_against(conn, checkpoint)
            if mismatch is not None:
                integrity = _Problem(mismatch.position, mismatch.reason, mismatch.detail)
                break
    gap = coverage.first_gap
    first = _first_problem(integrity, gap)
    return Verification(
        ok=first is None,
        checked=checker.checked if first is None else min(checker.checked, first.position - 1),
        head_position=checker.head_position,
        first_bad_position=first.position if first else None,
        reason=first.reason if first else None,
        detail=first.detail if first else None,
        checkpoints=len(checkpoints) if first is None else 0,
        events=events,
        signed=coverage.signed,
        signed_from=signed_from,
        before_signing=coverage.before_signing,
        first_uncovered_position=gap.position if gap else None,
        uncovered_reason=gap.reason if gap else None,
        uncovered_detail=gap.detail if gap else None,
        signed_by=coverage.signed_by,
    )


def _first_problem(integrity: _Problem | None, gap: CoverageGap | None) -> _Problem | None:
    """The chain's (or a checkpoint's) break, or the first gap in the signatures, whichever
    comes first. A break inside the first commit that fails explains that failure, so it is
    the one named."""
    if integrity is not None and (gap is None or integrity.position <= gap.last_position):
        return integrity
    if gap is not None:
        return _Problem(gap.position, gap.reason, gap.detail)
    return None


def _content_hash(row: asyncpg.Record, *, bounded: bool) -> tuple[str | None, str | None]:
    """The content hash of a stored event, or None and why its payload cannot be read.

    Payloads from ``signed_from`` on are held to the bounds the append functions check;
    those written before are read as they are (a payload too deep for the JSON reader is
    still reported, not raised)."""
    kind = row["payload_type"]
    if kind != "object":
        return None, f"the payload is a JSON {kind}, not an object"
    try:
        _, payload_text = canonical_payload(json.loads(row["payload"]), bounded=bounded)
    except RecursionError:
        return None, f"the payload is nested too deep to read (the bound is {MAX_PAYLOAD_LEVELS} levels)"
    except PayloadInvalid as exc:
        return None, str(exc)
    content = content_hash_of_canonical(
        stream_id=row["stream_id"],
        version=row["version"],
        event_type=row["event_type"],
        actor=row["actor"],
        occurred_at_text=timestamp_text(row["occurred_at"]),
        recorded_at_text=timestamp_text(row["recorded_at"]),
        payload_json=payload_text,
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        idempotency_key=row["idempotency_key"],
    )
    return content, None
