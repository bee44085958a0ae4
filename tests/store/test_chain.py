"""The canonical form and hashes of the chain (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from store.chain import GENESIS_HASH, ChainChecker, ChainRow, canonical_json, chain_hash, normalize_json


def test_canonical_json_is_order_and_whitespace_free() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'
    assert canonical_json({"x": "é"}) == '{"x":"é"}'


def test_normalize_matches_what_jsonb_gives_back() -> None:
    assert normalize_json({"a": 1.0, "b": [2.5, 1e20]}) == {"a": 1, "b": [2.5, 10**20]}
    with pytest.raises(ValueError, match="NaN"):
        normalize_json({"a": float("nan")})


def test_timestamps_must_be_aware_and_are_hashed_in_utc() -> None:
    from store.chain import timestamp_text

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
