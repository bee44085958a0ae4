"""Smoke run of every registered benchmark at the tiny scale: the harness works and its
results have the right shape. Nothing here is timed: figures come from ``make bench``
(BENCHMARKS.md). Each test stands alone (the servers are started once per module, and
again by a test run alone); a benchmark whose optional extra is missing is skipped."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bench.audit_append import KEYED_TABLE
from bench.harness import BenchResult, Metric, Side, entries, read_json, run_pairs, write_results
from bench.log_reads import SharedLog
from bench.registry import Context, load
from bench.sizes import SCALES
from bench.stack import BenchStack
from devstack.processes import DevStackError
from store.signing import PublicKeys
from store.verify import verify_log

SIZES = SCALES["tiny"]
REGISTRY = load()


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[BenchStack]:
    try:
        async with BenchStack.running(temporal_in_memory=True) as running:
            yield running
    except DevStackError as exc:  # no Temporal CLI on this platform
        pytest.skip(reason=f"the bench stack cannot start here: {exc}")


@pytest.fixture(scope="module")
async def shared_log(stack: BenchStack) -> AsyncIterator[SharedLog]:
    log = SharedLog(stack, SIZES)
    yield log
    await log.drop()


def check(result: BenchResult, tmp_path: Path) -> dict:
    assert result.runs == SIZES.pairs
    for side in (result.engine, result.baseline):
        assert {m.name for m in result.metrics} <= set(side)
        for runs in side.values():
            assert len(runs.runs) == SIZES.pairs
            assert all(math.isfinite(v) and v >= 0 for v in runs.runs)
    for metric in result.metrics:
        assert result.ratio(metric.name) > 0
    path = tmp_path / "results.json"
    write_results(path, [result], {"scale": "tiny"})
    entry = read_json(path)[result.number]
    for key in ("engine", "baseline", "unit", "ratio", "runs", "engine_runs", "baseline_runs", "target"):
        assert key in entry
    assert {"median", "spread", "runs"} <= set(entry["engine_runs"])
    assert entry["runs"] == SIZES.pairs and entry["ratio"] > 0
    return entry


@pytest.mark.parametrize("number", list(REGISTRY))
async def test_benchmark(number: str, stack: BenchStack, shared_log: SharedLog, tmp_path: Path) -> None:
    registration = REGISTRY[number]
    why = registration.why_unavailable()
    if why:
        pytest.skip(reason=why)
    bench = registration.make(Context(stack, SIZES, "tiny", shared_log))
    result = await run_pairs(bench, SIZES.pairs, say=lambda _: None)
    entry = check(result, tmp_path)
    assert entry["title"] == bench.title
    if number == "1":  # both histories are compared, and the engine ran with and without the codec
        assert any("engine history" in n and "binary/encrypted" in n for n in result.notes)
        assert "throughput_plain" in result.engine
    if number == "2":
        assert {"throughput", "like_for_like"} <= set(entry["metrics"])
        assert entry["metrics"]["like_for_like"]["target"] == 0.6


async def test_generated_log_verifies(shared_log: SharedLog) -> None:
    database, log = await shared_log.ready()
    conn = await asyncpg.connect(database.admin_url)
    try:
        # the generated log is a valid chain of signed commits
        verification = await verify_log(conn, public_keys=PublicKeys.of(shared_log.signer))
    finally:
        await conn.close()
    assert verification.ok, verification
    assert verification.checked == verification.signed == log.events


_UNIQUE_INDEXES = """
SELECT array_agg(a.attname::text ORDER BY k.ord)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1::regclass AND i.indisunique
GROUP BY i.indexrelid
"""


async def test_like_for_like_table_has_the_keys_of_the_log(stack: BenchStack) -> None:
    """Benchmark 2's second baseline keeps the primary key and unique constraints of audit_events."""
    async with stack.fresh_database("smoke") as db:
        conn = await asyncpg.connect(db.admin_url)
        try:
            await conn.execute(KEYED_TABLE)
            log = sorted(r[0] for r in await conn.fetch(_UNIQUE_INDEXES, "audit_events"))
            keyed = sorted(r[0] for r in await conn.fetch(_UNIQUE_INDEXES, "keyed_events"))
        finally:
            await conn.close()
    assert keyed == log
    assert len(log) >= 4


def _stub_result(number: str) -> BenchResult:
    """What a benchmark with this number gives, without running it (engine 2, baseline 4)."""
    metrics = (Metric("throughput", "events/s", target=0.4),)
    runs = {"throughput": Side((2.0,) * SIZES.pairs)}
    base = {"throughput": Side((4.0,) * SIZES.pairs)}
    return BenchResult(number, f"benchmark {number}", metrics, runs, base, "throughput ratio >= 0.4", True)


def test_results_file(tmp_path: Path) -> None:
    """Every registered benchmark's entry lands in one results.json, keyed by number."""
    results = [_stub_result(number) for number in REGISTRY]
    path = tmp_path / "results.json"
    write_results(path, results, {"scale": "tiny"})
    document = json.loads(path.read_text())
    assert sorted(document, key=int) == sorted(REGISTRY, key=int)
    for entry in entries(document):
        assert entry["ratio"] > 0 and entry["runs"] == SIZES.pairs and entry["unit"]
