"""The audit log's hash chain: canonical form, hashes, and the check of a chain.

Pure functions, shared by the store (which hashes what it appends) and the verifier
(which recomputes every hash). The position is deliberately not part of an event's
content hash: the chain itself fixes the order, so a reordering shows up as a broken
link rather than as an edit.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, Literal

from domain.errors import DomainError

GENESIS_HASH = "0" * 64
_AS_IS = frozenset({str, int, bool, type(None)})

MAX_PAYLOAD_BYTES = 4_194_304
"""Bytes of canonical JSON (UTF-8) a payload may take (4 MiB). The start of a mandate whose
plan consults 5,000 parties, each name as long as a plan allows (200 characters), takes a
quarter of it."""
MAX_PAYLOAD_LEVELS = 64
"""How deep a payload's values may be nested: the payload's own members are level 1, the
members of a member level 2. The engine's payloads use a handful."""


class PayloadInvalid(DomainError, ValueError):
    """A payload the audit log does not take: not a JSON object, NaN, too large or too deep."""

    code = "payload_invalid"


def normalize_json(value: Any, levels: int = MAX_PAYLOAD_LEVELS) -> Any:
    """Return ``value`` as it will read back from a ``jsonb`` column.

    Integral floats become ints (jsonb prints ``1e20`` as an integer); NaN and
    infinities are refused because JSON has no spelling for them, and so is a value
    nested more than ``levels`` deep (``MAX_PAYLOAD_LEVELS``: the bound of migration 007).
    """
    if type(value) in _AS_IS:  # the common leaves first (exact types: subclasses take the long way)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PayloadInvalid("audit payloads cannot hold NaN or infinite numbers")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        if value and levels <= 0:
            raise _too_deep()
        return {str(k): normalize_json(v, levels - 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and levels <= 0:
            raise _too_deep()
        return [normalize_json(v, levels - 1) for v in value]
    return value


def _too_deep() -> PayloadInvalid:
    return PayloadInvalid(f"the payload is nested more than {MAX_PAYLOAD_LEVELS} levels deep")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 as is: one text for one value."""
    return _dumps(normalize_json(value))


def canonical_payload(payload: dict[str, Any], *, bounded: bool = True) -> tuple[dict[str, Any], str]:
    """A payload as it will read back from ``jsonb``, and its canonical JSON.

    The store needs both for every event it appends (the first for the event it
    returns, the second to store and to hash), so the payload is normalised and
    dumped once here rather than once for each use.

    Raises:
        PayloadInvalid: the payload is not a dict, or out of the bounds that the append
            functions (migration 007) check again: ``MAX_PAYLOAD_BYTES``, ``MAX_PAYLOAD_LEVELS``
            (unless ``bounded`` is false: for events written before those bounds).
    """
    if not isinstance(payload, dict):
        raise PayloadInvalid(f"the payload is a {type(payload).__name__}, not a JSON object")
    normalized = normalize_json(payload, MAX_PAYLOAD_LEVELS if bounded else sys.maxsize)
    text = _dumps(normalized)
    # at most 4 bytes a character: encode only a text that might be too long
    if (
        bounded
        and len(text) > MAX_PAYLOAD_BYTES // 4
        and (size := len(text.encode("utf-8"))) > MAX_PAYLOAD_BYTES
    ):
        raise PayloadInvalid(f"the payload takes {size:,} bytes of JSON, more than {MAX_PAYLOAD_BYTES:,}")
    return normalized, text


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _dumps(normalized: Any) -> str:
    return _CANONICAL.encode(normalized)


def _string(value: str | None) -> str:
    """A string (or null) as ``_CANONICAL`` writes it, without the encoder's dispatch."""
    return "null" if value is None else encode_basestring(value)


def timestamp_text(moment: datetime) -> str:
    """UTC, microseconds: the precision Postgres keeps."""
    return utc_timestamp(moment)[1]


def utc_timestamp(moment: datetime) -> tuple[datetime, str]:
    """``moment`` in UTC (as Postgres gives it back) and its ``timestamp_text``."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc, utc.isoformat(timespec="microseconds")


def content_hash(
    *,
    stream_id: str,
    version: int,
    event_type: str,
    actor: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload: dict[str, Any],
    correlation_id: str | None,
    causation_id: str | None,
    idempotency_key: str,
) -> str:
    """SHA-256 of the canonical JSON of everything an event says."""
    return content_hash_of_canonical(
        stream_id=stream_id,
        version=version,
        event_type=event_type,
        actor=actor,
        occurred_at_text=timestamp_text(occurred_at),
        recorded_at_text=timestamp_text(recorded_at),
        payload_json=canonical_json(payload),
        correlation_id=correlation_id,
        causation_id=causation_id,
        idempotency_key=idempotency_key,
    )


def content_hash_of_canonical(
    *,
    stream_id: str,
    version: int,
    event_type: str,
    actor: str,
    occurred_at_text: str,
    recorded_at_text: str,
    payload_json: str,
    correlation_id: str | None,
    causation_id: str | None,
    idempotency_key: str,
) -> str:
    """``content_hash`` from parts already in canonical form (``timestamp_text``,
    ``canonical_json``), so that a caller that has them does not redo them.

    The text hashed is ``canonical_json`` of the document
    ``{"actor", "causation_id", "correlation_id", "event_type", "idempotency_key",
    "occurred_at", "payload", "recorded_at", "stream_id", "version"}``, spelled out
    here with its keys in sorted order; tests/store/test_chain.py holds it to that.
    The two times are written as they are: ``timestamp_text`` gives digits, ``-``,
    ``:``, ``.``, ``T`` and ``+`` only, which JSON does not escape.
    """
    document = (
        f'{{"actor":{_string(actor)},"causation_id":{_string(causation_id)},'
        f'"correlation_id":{_string(correlation_id)},"event_type":{_string(event_type)},'
        f'"idempotency_key":{_string(idempotency_key)},"occurred_at":"{occurred_at_text}",'
        f'"payload":{payload_json},"recorded_at":"{recorded_at_text}",'
        f'"stream_id":{_string(stream_id)},"version":{version:d}}}'
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, content: str) -> str:
    """The link: SHA-256 of the previous hash followed by this event's content hash."""
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


BreakReason = Literal["edited", "missing", "reordered", "inserted", "truncated", "malformed"]


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where and why a chain stops verifying."""

    position: int
    reason: BreakReason
    detail: str


@dataclass(frozen=True, slots=True)
class ChainRow:
    """The stored columns the verifier needs for one event."""

    position: int
    prev_hash: str
    hash: str
    content_hash: str


class ChainChecker:
    """Walks rows in position order and reports the first break.

    On a broken link the caller says which position stores the hash the row links to
    (``owner_of_prev``), so that the break can be told apart: a link to a later row is
    a reordering, a link that skips one row means that row was inserted.
    """

    def __init__(self, head_position: int, head_hash: str) -> None:
        self.head_position = head_position
        self.head_hash = head_hash
        self.expected_position = 1
        self.expected_prev = GENESIS_HASH

    @property
    def checked(self) -> int:
        return self.expected_position - 1

    def links(self, row: ChainRow) -> bool:
        """Whether the row continues the chain verified so far."""
        return row.prev_hash == self.expected_prev

    def check(self, row: ChainRow, owner_of_prev: int | None = None) -> ChainBreak | None:
        """Check the next row. Call with ``owner_of_prev`` when ``links(row)`` is false."""
        if row.position != self.expected_position:
            return self._missing_before(row.position)
        if row.position > self.head_position:
            return ChainBreak(
                row.position,
                "inserted",
                f"the event lies beyond the recorded head of the log (position {self.head_position})",
            )
        if chain_hash(row.prev_hash, row.content_hash) != row.hash:
            return ChainBreak(row.position, "edited", "the event's content no longer matches its hash")
        if not self.links(row):
            return _broken_link(row, owner_of_prev)
        self.expected_prev = row.hash
        self.expected_position += 1
        return None

    def malformed(self, position: int, detail: str) -> ChainBreak:
        """The next row holds a payload that cannot be read (so neither hashed): the chain
        breaks there, or before it if positions are missing."""
        if position != self.expected_position:
            return self._missing_before(position)
        return ChainBreak(position, "malformed", detail)

    def _missing_before(self, position: int) -> ChainBreak:
        missing = self.expected_position
        last_missing = position - 1
        return ChainBreak(
            missing,
            "missing",
            f"positions {missing}..{last_missing} are missing"
            if last_missing > missing
            else f"position {missing} is missing",
        )

    def finish(self) -> ChainBreak | None:
        """After the last row: compare the verified chain with the recorded head."""
        last = self.checked
        if self.head_position > last:
            return ChainBreak(
                last + 1,
                "truncated",
                f"the log ends at position {last} but its head records position {self.head_position}",
            )
        if self.head_hash != self.expected_prev:
            return ChainBreak(last, "edited", "the last event's hash differs from the recorded head")
        return None


def _broken_link(row: ChainRow, owner_of_prev: int | None) -> ChainBreak:
    if owner_of_prev is None:
        if row.position == 1:
            return ChainBreak(
                row.position, "inserted", "the first event does not start the chain: it was forged"
            )
        return ChainBreak(
            row.position - 1,
            "inserted",
            f"position {row.position} links to no event in the log: position {row.position - 1} "
            "was replaced by a forged event (or this link was forged)",
        )
    if owner_of_prev == row.position - 2:
        return ChainBreak(
            row.position - 1,
            "inserted",
            f"position {row.position} links to {owner_of_prev}: position {row.position - 1} was inserted",
        )
    where = "which comes later" if owner_of_prev > row.position else "not to its predecessor"
    return ChainBreak(row.position, "reordered", f"the event links to position {owner_of_prev}, {where}")
