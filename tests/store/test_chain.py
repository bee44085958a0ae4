"""The canonical form and hashes of the chain (pure, no database)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.chain import (
    GENESIS_HASH,
    ChainChecker,
    ChainRow,
    canonical_json,
    canonical_payload,
    chain_hash,
    content_hash,
    content_hash_of_canonical,
    normalize_json,
    timestamp_text,
)


def test_canonical_json_is_order_and_whitespace_free() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'
    assert canonical_json({"x": "é"}) == '{"x":"é"}'


def test_normalize_matches_what_jsonb_gives_back() -> None:
    assert normalize_json({"a": 1.0, "b": [2.5, 1e20]}) == {"a": 1, "b": [2.5, 10**20]}
    with pytest.raises(ValueError, match="NaN"):
        normalize_json({"a": float("nan")})


def test_timestamps_must_be_aware_and_are_hashed_in_utc() -> None:
    moment = datetime(2027, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp_text(moment) == "2027-01-01T10:00:00.000000+00:00"
    with pytest.raises(ValueError):
        timestamp_text(datetime(2027, 1, 1))
    assert timestamp_text(moment.astimezone(UTC)) == timestamp_text(moment)


def _chain(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS_HASH
    for position in range(1, n + 1):
        content = f"{position:064x}"
        digest = chain_hash(prev, content)
        rows.append(ChainRow(position, prev, digest, content))
        prev = digest
    return rows


def test_checker_accepts_a_whole_chain_and_its_head() -> None:
    rows = _chain(5)
    checker = ChainChecker(5, rows[-1].hash)
    assert all(checker.check(row) is None for row in rows)
    assert checker.finish() is None and checker.checked == 5


def test_checker_names_an_inserted_row_by_the_link_that_skips_it() -> None:
    rows = _chain(5)
    checker = ChainChecker(5, rows[-1].hash)
    for row in rows[:3]:
        assert checker.check(row) is None
    forged = ChainRow(4, rows[2].hash, chain_hash(rows[2].hash, "f" * 64), "f" * 64)
    assert checker.check(forged) is None  # a well-forged row links correctly...
    shifted = ChainRow(5, rows[3].prev_hash, rows[3].hash, rows[3].content_hash)
    broken = checker.check(shifted, owner_of_prev=3)  # ...but the next one skips it
    assert broken is not None and (broken.position, broken.reason) == (4, "inserted")


# --- the content hash: one document format, before and after the store computed it in parts ---

_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_MOMENTS = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]))


_EVENTS = st.fixed_dictionaries(
    {
        "stream_id": _TEXT,
        "version": st.integers(min_value=1, max_value=2**31 - 1),
        "event_type": _TEXT,
        "actor": _TEXT,
        "occurred_at": _MOMENTS,
        "recorded_at": _MOMENTS,
        "payload": st.dictionaries(_TEXT, _JSON, max_size=5),
        "correlation_id": st.none() | _TEXT,
        "causation_id": st.none() | _TEXT,
        "idempotency_key": _TEXT,
    }
)


@settings(max_examples=300, deadline=None)
@given(_EVENTS)
def test_the_hash_from_canonical_parts_is_the_hash_of_the_canonical_document(fields: dict[str, Any]) -> None:
    # the definition: SHA-256 of the canonical JSON of the whole document
    document = {
        **fields,
        "occurred_at": timestamp_text(fields["occurred_at"]),
        "recorded_at": timestamp_text(fields["recorded_at"]),
    }
    expected = hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
    assert content_hash(**fields) == expected

    payload, payload_json = canonical_payload(fields["payload"])
    assert payload == normalize_json(fields["payload"])
    assert payload_json == canonical_json(fields["payload"])
    parts = {k: v for k, v in document.items() if k not in ("payload", "occurred_at", "recorded_at")}
    in_parts = content_hash_of_canonical(
        **parts,
        occurred_at_text=document["occurred_at"],
        recorded_at_text=document["recorded_at"],
        payload_json=payload_json,
    )
    assert in_parts == expected


def test_the_content_hash_of_a_known_event_has_not_changed() -> None:
    """Pinned: logs written before the store computed hashes in parts must still verify."""
    digest = content_hash(
        stream_id="mandate-cosp-7-para-1",
        version=4,
        event_type="ResponseReceived",
        actor="Council of Europe (GRECO)",
        occurred_at=datetime(2027, 1, 15, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
        recorded_at=datetime(2027, 1, 15, 9, 0, 1, tzinfo=UTC),
        payload={
            "text": 'Vues "citées" — ✓\n',
            "n": 2.0,
            "share": 0.25,
            "parties": ["a", "b"],
            "nested": {"z": 1, "a": None},
        },
        correlation_id="mandate-cosp-7-para-1",
        causation_id=None,
        idempotency_key="mandate-cosp-7-para-1:4",
    )
    assert digest == "b26dc4e7fbd96e3bf662875c325a11d34593fa806b7762fa88e5424166a62a6f"
