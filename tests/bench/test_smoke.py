"""Smoke run of every benchmark at the tiny scale: the harness works and its results have
the right shape. Nothing here is timed: figures come from ``make bench`` (BENCHMARKS.md)."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bench.audit_append import BatchedAppend, SingleAppend
from bench.harness import BenchResult, run_pairs, write_results
from bench.log_reads import ProjectionRebuild, SharedLog, TimelineRead
from bench.mandates import MandateThroughput
from bench.open_mandates import OpenMandates
from bench.sizes import SCALES
from bench.stack import BenchStack
from devstack.processes import DevStackError
from store.signing import PublicKeys
from store.verify import verify_log

SIZES = SCALES["tiny"]


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


@pytest.fixture(scope="module")
def results() -> list[BenchResult]:
    return []


def check(result: BenchResult) -> None:
    assert result.runs == SIZES.pairs
    for side in (result.engine, result.baseline):
        assert {m.name for m in result.metrics} <= set(side)
        for runs in side.values():
            assert len(runs.runs) == SIZES.pairs
            assert all(math.isfinite(v) and v >= 0 for v in runs.runs)
    assert result.ratio() > 0
    entry = result.as_dict()
    for key in ("engine", "baseline", "unit", "ratio", "runs", "engine_runs", "baseline_runs"):
        assert key in entry
    assert {"median", "spread", "runs"} <= set(entry["engine_runs"])


async def test_audit_appends(stack: BenchStack, results: list[BenchResult]) -> None:
    for bench in (BatchedAppend(stack, SIZES), SingleAppend(stack, SIZES)):
        result = await run_pairs(bench, SIZES.pairs, say=lambda _: None)
        check(result)
        results.append(result)


async def test_log_reads(stack: BenchStack, shared_log: SharedLog, results: list[BenchResult]) -> None:
    for bench in (ProjectionRebuild(stack, SIZES, shared_log), TimelineRead(stack, SIZES, shared_log)):
        result = await run_pairs(bench, SIZES.pairs, say=lambda _: None)
        check(result)
        results.append(result)
    database, log = await shared_log.ready()
    conn = await asyncpg.connect(database.admin_url)
    try:
        # the generated log is a valid chain of signed commits
        verification = await verify_log(conn, public_keys=PublicKeys.of(shared_log.signer))
    finally:
        await conn.close()
    assert verification.ok, verification
    assert verification.checked == verification.signed == log.events


async def test_mandates_on_the_dev_server(stack: BenchStack, results: list[BenchResult]) -> None:
    for bench in (MandateThroughput(stack, SIZES), OpenMandates(stack, SIZES)):
        result = await run_pairs(bench, SIZES.pairs, say=lambda _: None)
        check(result)
        results.append(result)
    throughput = results[-2]
    assert any("engine history" in note for note in throughput.notes)


def test_results_file(results: list[BenchResult], tmp_path: Path) -> None:
    assert [r.number for r in results] == ["2", "3", "4", "5", "1", "6"]
    path = tmp_path / "results.json"
    write_results(path, results, {"scale": "tiny"})
    document = json.loads(path.read_text())
    assert sorted(document) == ["1", "2", "3", "4", "5", "6"]
    for entry in document.values():
        assert entry["ratio"] > 0 and entry["runs"] == SIZES.pairs and entry["unit"]
