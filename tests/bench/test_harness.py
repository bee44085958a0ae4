"""The harness without servers: function benchmarks, per-metric targets, the results file,
the last full run's record and the trend column, the registry. Nothing is timed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import choose
from bench.harness import (
    FunctionBenchmark,
    Metric,
    entries,
    ratio_target,
    read_json,
    record_full_run,
    run_pairs,
    table,
    trend,
    write_results,
)
from bench.registry import REGISTRY, Context, Registration, load, register

SPEED = Metric("speed", "events/s", target=0.5)
LATENCY = Metric("p95", "ms", lower_is_better=True, target=0.2)


def function_benchmark(
    number: str, engine: float, baseline: float, calls: list[str] | None = None
) -> FunctionBenchmark:
    calls = [] if calls is None else calls

    async def engine_run() -> dict[str, float]:
        calls.append("engine")
        return {"speed": engine, "p95": 10.0}

    async def baseline_run() -> dict[str, float]:
        calls.append("baseline")
        return {"speed": baseline, "p95": 1.0}

    async def prepare() -> None:
        calls.append("prepare")

    bench = FunctionBenchmark(
        number, f"benchmark {number}", (SPEED, LATENCY), ratio_target(SPEED, LATENCY), engine_run,
        baseline_run, prepare_once=prepare,
    )  # fmt: skip
    bench.notes.append("a note")
    return bench


async def test_function_benchmark_alternates_and_checks_each_metric_target() -> None:
    calls: list[str] = []
    result = await run_pairs(function_benchmark("8", 60, 100, calls), 2, say=lambda _: None)
    assert calls == ["prepare", "engine", "baseline", "engine", "baseline"]  # alternating, prepared once
    assert result.notes == ["a note"]
    assert result.ratio() == pytest.approx(0.6)
    assert result.ratio("p95") == pytest.approx(0.1)  # lower is better: baseline over engine
    assert result.metric_met("speed") is True
    assert result.metric_met("p95") is False
    assert result.target_met is False
    assert result.target_text == "speed ratio >= 0.5; p95 ratio >= 0.2"
    entry = result.as_dict()
    assert entry["metrics"]["p95"]["target"] == 0.2 and entry["metrics"]["p95"]["target_met"] is False


def test_trend_marks_changes_of_ten_percent_or_more() -> None:
    assert trend(0.42, 0.37) == "▲ 0.37 → 0.42 (+14%)"
    assert trend(0.30, 0.37) == "▼ 0.37 → 0.30 (-19%)"
    assert trend(0.38, 0.37) == "≈ 0.37 → 0.38 (+3%)"
    assert trend(0.38, None) == ""


async def test_results_carry_the_last_full_run_and_the_table_shows_the_trend(tmp_path: Path) -> None:
    last_full = tmp_path / "last-full-run.json"
    output = tmp_path / "results.json"
    full = {"scale": "full", "date": "2026-11-27T04:37:00+00:00"}
    first = await run_pairs(function_benchmark("8", engine=40, baseline=100), 1, say=lambda _: None)
    record_full_run(last_full, [first], full)
    previous = read_json(last_full)
    assert previous["8"]["ratio"] == pytest.approx(0.4)
    assert previous["8"]["metrics"]["p95"]["ratio"] == pytest.approx(0.1)
    assert previous["8"]["scale"] == "full"

    second = await run_pairs(function_benchmark("8", engine=60, baseline=100), 1, say=lambda _: None)
    other = await run_pairs(function_benchmark("9", engine=50, baseline=100), 1, say=lambda _: None)
    write_results(output, [other], {"scale": "small"})
    write_results(output, [second], {"scale": "small"}, existing=read_json(output), previous=previous)
    document = json.loads(output.read_text())
    assert sorted(document) == ["8", "9"]  # entries not run now stay
    assert document["8"]["previous"]["ratio"] == pytest.approx(0.4)
    assert "previous" not in document["9"]
    shown = table(entries(document))
    row = next(line for line in shown.splitlines() if line.startswith("| 8 |"))
    assert "▲ 0.40 → 0.60 (+50%) (that run: full)" in row
    assert "| speed ratio >= 0.5; p95 ratio >= 0.2 | **no** |" in row
    p95 = next(line for line in shown.splitlines() if "p95 (ms)" in line and "0.10" in line)
    assert "ratio >= 0.2" in p95


def test_every_benchmark_is_registered_in_run_order() -> None:
    registry = load()
    assert {"1", "2", "3", "4", "5", "6", "7"} <= set(registry)
    order = list(registry)
    assert order[-1] == "6"  # it leaves its workflows open on the dev server
    assert order.index("2") < order.index("7") and order.index("5") < order.index("7")
    assert registry["7"].requires  # the peer library comes with the bench extra


def test_choose_refuses_unknown_numbers_and_missing_extras() -> None:
    registry = load()
    assert choose(registry, "2, 3") == ["2", "3"]
    if any(r.missing() for r in registry.values()):  # a full run needs every extra
        with pytest.raises(SystemExit, match="pip install"):
            choose(registry, None)
    else:
        assert choose(registry, None) == list(registry)
    with pytest.raises(SystemExit, match="--only takes numbers"):
        choose(registry, "2,99")
    missing = Registration("99", lambda ctx: None, 1, requires=("no_such_module_here",))  # type: ignore[arg-type,return-value]
    with pytest.raises(SystemExit, match=r"needs no_such_module_here \(pip install"):
        choose({**registry, "99": missing}, "99")


def test_register_refuses_a_number_taken_by_another_module() -> None:
    load()
    with pytest.raises(ValueError, match="registered twice"):
        register("2", order=1)(lambda ctx: None)
    with pytest.raises(ValueError, match="digits"):
        register("2b", order=1)
    assert REGISTRY["2"].module == "bench.audit_append"


def test_context_sizes_follow_the_scale_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context(stack=None, sizes=None, scale="small", shared_log=None)  # type: ignore[arg-type]
    assert ctx.size("overlap_stages", tiny=1, small=2, full=3) == 2
    monkeypatch.setenv("BENCH_OVERLAP_STAGES", "7")
    assert ctx.size("overlap_stages", tiny=1, small=2, full=3) == 7
