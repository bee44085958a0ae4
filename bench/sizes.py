"""How big each benchmark is: ``BENCH_SCALE=tiny|small|full`` (``make bench`` is full).

``tiny`` is for the smoke test (shape only, seconds), ``small`` for iterating on
the harness (a few minutes), ``full`` for the figures in BENCHMARKS.md. Single
sizes can be overridden with ``BENCH_<FIELD>`` (e.g. ``BENCH_LOG_EVENTS=200000``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    pairs: int
    # 1: mandate throughput
    mandates: int
    mandate_concurrency: int
    # 2, 3: audit appends
    append_streams: int
    append_batch: int
    append_batches_per_stream: int
    single_events: int
    single_concurrency: int
    # 4, 5: the generated log
    log_events: int
    log_wave: int  # mandates progressing side by side (their events interleave in the log)
    timeline_reads: int
    rebuild_seconds: int  # cancel a rebuild after this long (0: let it finish)
    # 6: open mandates
    open_mandates: int
    open_instant: int  # how many of them share one deadline
    open_instant_gap: int  # seconds between the shared instants of successive runs
    open_start_concurrency: int


SCALES: dict[str, Sizes] = {
    "tiny": Sizes(
        pairs=1,
        mandates=4,
        mandate_concurrency=4,
        append_streams=5,
        append_batch=10,
        append_batches_per_stream=2,
        single_events=50,
        single_concurrency=4,
        log_events=2_000,
        log_wave=20,
        timeline_reads=50,
        rebuild_seconds=0,
        open_mandates=20,
        open_instant=5,
        open_instant_gap=4,
        open_start_concurrency=20,
    ),
    "small": Sizes(
        pairs=3,
        mandates=30,
        mandate_concurrency=10,
        append_streams=50,
        append_batch=100,
        append_batches_per_stream=4,
        single_events=2_000,
        single_concurrency=8,
        log_events=50_000,
        log_wave=500,
        timeline_reads=500,
        rebuild_seconds=0,
        open_mandates=500,
        open_instant=50,
        open_instant_gap=30,
        open_start_concurrency=50,
    ),
    "full": Sizes(
        pairs=3,
        mandates=120,
        mandate_concurrency=20,
        append_streams=50,
        append_batch=100,
        append_batches_per_stream=20,
        single_events=20_000,
        single_concurrency=8,
        log_events=1_000_000,
        log_wave=1_000,
        timeline_reads=3_000,
        rebuild_seconds=60,
        open_mandates=10_000,
        open_instant=1_000,
        open_instant_gap=90,
        open_start_concurrency=50,
    ),
}


def size_overrides() -> dict[str, str]:
    """The ``BENCH_<SIZE>`` variables set (those of ``Sizes`` and of registered benchmarks'
    own sizes alike: any ``BENCH_`` variable whose value is an integer, but the switches)."""
    switches = {"BENCH_PG_DURABLE", "BENCH_KEEP"}
    return {
        k: v
        for k, v in sorted(os.environ.items())
        if k.startswith("BENCH_") and k not in switches and v.strip().isdigit()
    }


def sizes_from_env(scale: str | None = None) -> tuple[str, Sizes]:
    """The scale named by ``BENCH_SCALE`` (default full), with ``BENCH_<FIELD>`` overrides."""
    name = scale or os.environ.get("BENCH_SCALE", "full")
    if name not in SCALES:
        raise SystemExit(f"error: BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    sizes = SCALES[name]
    overrides = {}
    for f in dataclasses.fields(Sizes):
        raw = os.environ.get(f"BENCH_{f.name.upper()}")
        if raw:
            try:
                overrides[f.name] = int(raw)
            except ValueError:
                raise SystemExit(f"error: BENCH_{f.name.upper()} must be an integer, not {raw!r}") from None
    return name, dataclasses.replace(sizes, **overrides)
