"""Runs a benchmark as alternating engine and baseline runs, and reports medians and spread.

A benchmark is an object with an async ``engine()`` and ``baseline()`` (one run
each, returning its metrics by name) and optional ``prepare()``/``finish()``. The
harness runs them engine, baseline, engine, baseline... on the same servers,
then takes the median of each metric per side. The benchmark's primary metric
gives the ratio: engine over baseline, or baseline over engine where lower is
better, so that a higher ratio is always better.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

Metrics = dict[str, float]


@dataclass(frozen=True)
class Metric:
    """One figure a run yields."""

    name: str
    unit: str
    lower_is_better: bool = False


@dataclass(frozen=True)
class Target:
    """What the ratio of the primary metric (or another check) must reach."""

    text: str
    check: Callable[[BenchResult], bool]


class Benchmark(Protocol):
    number: str
    title: str
    metrics: tuple[Metric, ...]  # the first is the primary one
    target: Target

    async def prepare(self) -> None: ...
    async def engine(self) -> Metrics: ...
    async def baseline(self) -> Metrics: ...
    async def finish(self) -> None: ...


@dataclass(frozen=True)
class Side:
    """One side's runs of one metric."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def spread(self) -> float:
        """(max - min) / median: 0.1 means the runs span 10% of the median."""
        if len(self.runs) < 2 or not self.median:
            return 0.0
        return (max(self.runs) - min(self.runs)) / abs(self.median)

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "spread": round(self.spread, 4), "runs": list(self.runs)}


def ratio(metric: Metric, engine: float, baseline: float) -> float:
    """Engine over baseline, inverted for lower-is-better metrics: higher is always better."""
    num, den = (baseline, engine) if metric.lower_is_better else (engine, baseline)
    return num / den if den else float("inf")


@dataclass
class BenchResult:
    number: str
    title: str
    metrics: tuple[Metric, ...]
    engine: dict[str, Side]
    baseline: dict[str, Side]
    target_text: str
    target_met: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> Metric:
        return self.metrics[0]

    def ratio(self, name: str | None = None) -> float:
        metric = next(m for m in self.metrics if m.name == (name or self.primary.name))
        return ratio(metric, self.engine[metric.name].median, self.baseline[metric.name].median)

    @property
    def runs(self) -> int:
        return len(self.engine[self.primary.name].runs)

    def as_dict(self) -> dict[str, Any]:
        primary = self.primary.name
        out: dict[str, Any] = {
            "title": self.title,
            "metric": primary,
            "engine": self.engine[primary].median,
            "baseline": self.baseline[primary].median,
            "unit": self.primary.unit,
            "ratio": self.ratio(),
            "lower_is_better": self.primary.lower_is_better,
            "runs": self.runs,
            "engine_runs": self.engine[primary].as_dict(),
            "baseline_runs": self.baseline[primary].as_dict(),
            "target": self.target_text,
            "target_met": self.target_met,
            "seconds": round(self.seconds, 1),
            "metrics": {
                m.name: {
                    "unit": m.unit,
                    "lower_is_better": m.lower_is_better,
                    "engine": self.engine[m.name].as_dict() if m.name in self.engine else None,
                    "baseline": self.baseline[m.name].as_dict() if m.name in self.baseline else None,
                    "ratio": self.ratio(m.name)
                    if m.name in self.engine and m.name in self.baseline
                    else None,
                }
                for m in self.metrics
            },
        }
        if self.notes:
            out["notes"] = self.notes
        return out


async def run_pairs(bench: Benchmark, pairs: int, say: Callable[[str], None] = print) -> BenchResult:
    """Prepare, then ``pairs`` times an engine run and a baseline run, then finish."""
    began = time.monotonic()
    engine: dict[str, list[float]] = {}
    baseline: dict[str, list[float]] = {}
    try:
        await bench.prepare()
        for n in range(1, pairs + 1):
            sides = (("engine", engine, bench.engine), ("baseline", baseline, bench.baseline))
            for side, runs, call in sides:
                started = time.monotonic()
                metrics = await call()
                for name, value in metrics.items():
                    runs.setdefault(name, []).append(value)
                shown = ", ".join(f"{k}={_fmt(v)}" for k, v in metrics.items())
                say(f"  #{bench.number} run {n} {side:<8} {time.monotonic() - started:6.1f}s  {shown}")
    finally:
        await bench.finish()
    result = BenchResult(
        bench.number,
        bench.title,
        bench.metrics,
        {k: Side(tuple(v)) for k, v in engine.items()},
        {k: Side(tuple(v)) for k, v in baseline.items()},
        bench.target.text,
        seconds=time.monotonic() - began,
        notes=list(getattr(bench, "notes", [])),
    )
    result.target_met = bench.target.check(result)
    return result


def _fmt(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def table(results: list[BenchResult]) -> str:
    """The results as a Markdown table (the one BENCHMARKS.md shows)."""
    lines = [
        "| # | benchmark | metric | engine (median ± spread) | baseline (median ± spread) "
        "| ratio | runs | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for i, m in enumerate(r.metrics):
            if m.name not in r.engine:
                continue
            e = r.engine[m.name]
            b = r.baseline.get(m.name)
            base = f"{_fmt(b.median)} ± {b.spread:.0%}" if b else "n/a"
            rat = f"{r.ratio(m.name):.2f}" if b else ""
            head = (r.number, r.title) if i == 0 else ("", "")
            tail = (r.target_text, "yes" if r.target_met else "**no**") if i == 0 else ("", "")
            lines.append(
                f"| {head[0]} | {head[1]} | {m.name} ({m.unit}) | {_fmt(e.median)} ± {e.spread:.0%} "
                f"| {base} | {rat} | {r.runs if i == 0 else ''} | {tail[0]} | {tail[1]} |"
            )
    return "\n".join(lines)


def write_results(
    path: Path, results: list[BenchResult], session: dict[str, Any], existing: dict[str, Any] | None = None
) -> None:
    """``results.json``: an object keyed by benchmark number; each entry also says how and
    where it was measured (``session``). Entries in ``existing`` that were not run now stay."""
    document: dict[str, Any] = dict(existing or {})
    for r in results:
        document[r.number] = r.as_dict() | {"session": session}
    ordered = {k: document[k] for k in sorted(document, key=int)}
    path.write_text(json.dumps(ordered, indent=2, default=str) + "\n")
