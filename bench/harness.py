"""Runs a benchmark as alternating engine and baseline runs, and reports medians and spread.

A benchmark is an object with an async ``engine()`` and ``baseline()`` (one run
each, returning its metrics by name) and optional ``prepare()``/``finish()``
(``FunctionBenchmark`` makes one from functions). The harness runs them engine,
baseline, engine, baseline... on the same servers, then takes the median of each
metric per side. Each metric's ratio is engine over baseline, or baseline over
engine where lower is better, so that a higher ratio is always better; the first
metric is the primary one. A metric may carry its own target (a ratio to reach).

``results.json`` keeps, with each entry, a summary of the same benchmark's entry in
the last full run (``previous``, from ``bench/last-full-run.json``), so that the
table shows the trend of every ratio against it.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

Metrics = dict[str, float]


@dataclass(frozen=True)
class Metric:
    """One figure a run yields. ``target``: the ratio this metric must reach, if any."""

    name: str
    unit: str
    lower_is_better: bool = False
    target: float | None = None


@dataclass(frozen=True)
class Target:
    """What the ratio of the primary metric (or another check) must reach."""

    text: str
    check: Callable[[BenchResult], bool]


def ratio_target(*metrics: Metric, also: Target | None = None) -> Target:
    """The target that every given metric's ratio reaches its own ``target`` (and ``also``)."""
    parts = [f"{m.name} ratio >= {m.target:g}" for m in metrics if m.target is not None]
    text = "; ".join(parts + ([also.text] if also else []))

    def check(result: BenchResult) -> bool:
        met = all(result.metric_met(m.name) is not False for m in metrics)
        return met and (also is None or also.check(result))

    return Target(text, check)


class Benchmark(Protocol):
    number: str
    title: str
    metrics: tuple[Metric, ...]  # the first is the primary one
    target: Target

    async def prepare(self) -> None: ...
    async def engine(self) -> Metrics: ...
    async def baseline(self) -> Metrics: ...
    async def finish(self) -> None: ...


@dataclass
class FunctionBenchmark:
    """A benchmark made of functions: ``engine()`` and ``baseline()`` each do one run and
    return its metrics by name; ``prepare()`` and ``finish()`` run once around the pairs.
    Notes appended to ``notes`` end up in results.json."""

    number: str
    title: str
    metrics: tuple[Metric, ...]
    target: Target
    engine_run: Callable[[], Awaitable[Metrics]]
    baseline_run: Callable[[], Awaitable[Metrics]]
    prepare_once: Callable[[], Awaitable[None]] | None = None
    finish_once: Callable[[], Awaitable[None]] | None = None
    notes: list[str] = field(default_factory=list)

    async def prepare(self) -> None:
        if self.prepare_once is not None:
            await self.prepare_once()

    async def engine(self) -> Metrics:
        return await self.engine_run()

    async def baseline(self) -> Metrics:
        return await self.baseline_run()

    async def finish(self) -> None:
        if self.finish_once is not None:
            await self.finish_once()


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

    def metric_met(self, name: str) -> bool | None:
        """Whether a metric reached its own target (None: it has none, or was not measured)."""
        metric = next(m for m in self.metrics if m.name == name)
        if metric.target is None or name not in self.engine or name not in self.baseline:
            return None
        return self.ratio(name) >= metric.target

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
                    "target": m.target,
                    "target_met": self.metric_met(m.name),
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


def summary(entry: dict[str, Any]) -> dict[str, Any]:
    """What the next run compares with: an entry's medians and ratios, per metric."""
    session = entry.get("session") or {}
    return {
        "date": session.get("date"),
        "scale": session.get("scale"),
        "title": entry.get("title"),
        "unit": entry.get("unit"),
        "engine": entry.get("engine"),
        "baseline": entry.get("baseline"),
        "ratio": entry.get("ratio"),
        "target_met": entry.get("target_met"),
        "metrics": {
            name: {"engine": _median(m.get("engine")), "baseline": _median(m.get("baseline")),
                   "ratio": m.get("ratio")}
            for name, m in (entry.get("metrics") or {}).items()
        },
    }  # fmt: skip


def _median(side: Any) -> float | None:
    return side.get("median") if isinstance(side, dict) else side


def trend(current: float | None, previous: float | None, threshold: float = 0.10) -> str:
    """A ratio against the last full run's: ``▲ 0.37 → 0.42`` (a change of 10% or more),
    ``▼`` for a fall, ``≈`` within 10%; empty when either is unknown."""
    if current is None or previous is None or not math.isfinite(current) or not previous:
        return ""
    change = current / previous - 1
    mark = "▲" if change >= threshold else "▼" if change <= -threshold else "≈"
    return f"{mark} {previous:.2f} → {current:.2f} ({change:+.0%})"


def table(entries: list[dict[str, Any]] | list[BenchResult]) -> str:
    """The entries of results.json (or results) as the Markdown table BENCHMARKS.md shows,
    with the trend of each ratio against the last full run (the entry's ``previous``)."""
    lines = [
        "| # | benchmark | metric | engine (median ± spread) | baseline (median ± spread) "
        "| ratio | target | met | trend against the last full run | runs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for item in entries:
        entry = item.as_dict() | {"number": item.number} if isinstance(item, BenchResult) else item
        previous = (entry.get("previous") or {}).get("metrics") or {}
        since = entry.get("previous") or {}
        for i, (name, m) in enumerate((entry.get("metrics") or {}).items()):
            engine, baseline = m.get("engine"), m.get("baseline")
            if not engine:
                continue
            first = i == 0
            base = f"{_fmt(baseline['median'])} ± {baseline['spread']:.0%}" if baseline else "n/a"
            rat = f"{m['ratio']:.2f}" if m.get("ratio") is not None else ""
            if first:
                target, met = entry.get("target", ""), "yes" if entry.get("target_met") else "**no**"
            elif m.get("target") is not None:
                target, met = f"ratio >= {m['target']:g}", "yes" if m.get("target_met") else "**no**"
            else:
                target, met = "", ""
            was = trend(m.get("ratio"), (previous.get(name) or {}).get("ratio"))
            if first and was and since.get("scale") and since.get("scale") != _scale(entry):
                was += f" (that run: {since['scale']})"
            lines.append(
                f"| {entry.get('number', '') if first else ''} | {entry.get('title', '') if first else ''} "
                f"| {name} ({m.get('unit', '')}) | {_fmt(engine['median'])} ± {engine['spread']:.0%} "
                f"| {base} | {rat} | {target} | {met} | {was} | {entry.get('runs', '') if first else ''} |"
            )
    return "\n".join(lines)


def _scale(entry: dict[str, Any]) -> str | None:
    return (entry.get("session") or {}).get("scale")


def entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The benchmark entries of a results.json document, with their numbers, in number order."""
    return [document[k] | {"number": k} for k in sorted(document, key=int) if k.isdigit()]


def write_results(
    path: Path,
    results: list[BenchResult],
    session: dict[str, Any],
    existing: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
) -> None:
    """``results.json``: an object keyed by benchmark number; each entry also says how and
    where it was measured (``session``) and, when known, what the last full run gave
    (``previous``: a ``summary`` from ``previous[number]``). Entries in ``existing`` that were
    not run now stay."""
    document: dict[str, Any] = dict(existing or {})
    for r in results:
        entry = r.as_dict() | {"session": session}
        if previous and r.number in previous:
            entry["previous"] = previous[r.number]
        document[r.number] = entry
    ordered = {k: document[k] for k in sorted(document, key=int)}
    path.write_text(json.dumps(ordered, indent=2, default=str) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or an empty one when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def record_full_run(path: Path, results: list[BenchResult], session: dict[str, Any]) -> None:
    """Keep these results as the last full run's (``bench/last-full-run.json``, committed):
    the next run's trend compares with them. Other benchmarks' entries stay."""
    document = {k: v for k, v in read_json(path).items() if k.isdigit()}
    for r in results:
        document[r.number] = summary(r.as_dict() | {"session": session})
    ordered = {k: document[k] for k in sorted(document, key=int)}
    path.write_text(json.dumps(ordered, indent=2, default=str, ensure_ascii=False) + "\n")
