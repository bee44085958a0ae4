"""``python -m bench``: run the benchmarks, print the table, write ``bench/results.json``.

Options: ``--only 2,3`` (a subset; results are merged into an existing
results.json), ``--pairs N``, ``--output PATH``, ``--list`` (the registered
benchmarks), ``--table`` (print results.json as BENCHMARKS.md's table, with the trend
against the last full run, and exit). Benchmarks register in ``bench/registry.py``.
A full-scale run without size overrides also records its figures in
``bench/last-full-run.json`` (committed): the next run's trend column compares with
them. Environment:

- ``BENCH_SCALE=tiny|small|full`` (default full) and ``BENCH_<SIZE>`` overrides
  (``bench/sizes.py``);
- ``BENCH_PROFILE=<folder>``: py-spy profiles of the engine worker (benchmarks 1
  and 6) and EXPLAIN ANALYZE of the store's hot statements, written there;
- ``BENCH_TEMPORAL_DB=memory|file``: the dev server without or with its SQLite
  file (default memory; see BENCHMARKS.md);
- ``BENCH_PG_DURABLE=1``: Postgres with fsync on (default off, as in the tests);
- ``BENCH_KEEP=1``: keep the servers' folder (data, logs of the servers and workers);
- ``BENCH_WORKER=max_cached_workflows=2000,passthrough=workflows``: ``Worker``
  tuning for both the engine's and the bare workers (``bench/worker.py``);
- ``BENCH_CODEC=off``: the engine side of 1 and 6 without the payload codec and update
  signing (default on, as users run it; 1 measures both in every run anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.harness import (
    BenchResult,
    entries,
    read_json,
    record_full_run,
    run_pairs,
    table,
    write_results,
)
from bench.log_reads import SharedLog
from bench.profiling import Profiler, explain_hot_statements
from bench.registry import Context, Registration, load
from bench.sizes import Sizes, size_overrides, sizes_from_env
from bench.stack import BenchStack

LAST_FULL_RUN = Path(__file__).parent / "last-full-run.json"
WORKER_OPTIONS = {"max_cached_workflows", "workflow_slots", "activity_slots", "passthrough", "pool_size"}


def worker_options() -> dict[str, str]:
    raw = os.environ.get("BENCH_WORKER", "").strip()
    options = dict(item.split("=", 1) for item in raw.split(",") if "=" in item)
    unknown = set(options) - WORKER_OPTIONS
    if unknown:
        raise SystemExit(f"error: BENCH_WORKER: unknown option(s) {', '.join(sorted(unknown))}")
    return options


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


async def run(
    only: list[str],
    scale: str,
    sizes: Sizes,
    output: Path,
    profile: Path | None,
    say=print,
    last_full_run: Path | None = LAST_FULL_RUN,
) -> list[BenchResult]:
    registry = load()
    in_memory = os.environ.get("BENCH_TEMPORAL_DB", "memory") != "file"
    durable = os.environ.get("BENCH_PG_DURABLE", "") == "1"
    codec = os.environ.get("BENCH_CODEC", "on") != "off"
    options = worker_options()
    overrides = size_overrides()
    session = {
        "scale": scale,
        "pairs": sizes.pairs,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "temporal_dev_server": "in memory" if in_memory else "SQLite file",
        "postgres": "fsync on" if durable else "fsync off",
        "engine_codec": "payload codec and update signing on" if codec else "off (BENCH_CODEC=off)",
        "worker_options": options,
        "size_overrides": overrides,
        "command": f"BENCH_SCALE={scale} {sys.executable} -m bench" + (f" --only {','.join(only)}"
                                                                       if only else ""),
    }  # fmt: skip
    # the last full run's figures, read once before this run may replace them
    previous = read_json(last_full_run) if last_full_run is not None else {}
    record = last_full_run is not None and scale == "full" and not overrides and sizes.pairs >= 3
    say(f"benchmarks {', '.join(only)} at scale {scale} ({sizes.pairs} pairs); servers starting")
    profiler = Profiler(profile) if profile else None
    results: list[BenchResult] = []
    keep = os.environ.get("BENCH_KEEP", "") == "1"
    async with BenchStack.running(durable=durable, temporal_in_memory=in_memory, keep=keep) as stack:
        if keep:
            say(f"servers' data and logs kept in {stack.root}")
        shared = SharedLog(stack, sizes)
        context = Context(stack, sizes, scale, shared, options, profiler, codec)
        try:
            for number, registration in registry.items():
                if number not in only:
                    continue
                bench = registration.make(context)
                say(f"#{number} {bench.title}")
                result = await run_pairs(bench, sizes.pairs, say)
                results.append(result)
                say(f"  #{number} done in {result.seconds:.0f}s: ratio {result.ratio():.3f} "
                    f"({'met' if result.target_met else 'MISSED'}: {result.target_text})")  # fmt: skip
                _save(output, results, session, previous)
                if record:
                    assert last_full_run is not None
                    record_full_run(last_full_run, [result], session)
            if profile is not None and shared.database is not None and shared.log is not None:
                text = await explain_hot_statements(shared.database.admin_url, shared.log.stream_ids()[0])
                (profile / "explain-hot-statements.txt").write_text(text)
        finally:
            await shared.drop()
    return results


def _save(
    output: Path, results: list[BenchResult], session: dict[str, Any], previous: dict[str, Any]
) -> None:
    existing = {k: v for k, v in read_json(output).items() if k.isdigit()}
    write_results(output, results, session, existing, previous)


def choose(registry: dict[str, Registration], requested: str | None) -> list[str]:
    """The benchmarks to run: those requested (all by default), each available here.

    Raises:
        SystemExit: an unknown number, or a requested benchmark whose extra is missing.
    """
    if requested is None:
        chosen = list(registry)
    else:
        chosen = [n.strip() for n in requested.split(",") if n.strip()]
        unknown = set(chosen) - set(registry)
        if unknown:
            raise SystemExit(
                f"error: --only takes numbers among {', '.join(sorted(registry, key=int))}, "
                f"not {', '.join(sorted(unknown))}"
            )
    for number in chosen:
        why = registry[number].why_unavailable()
        if why:
            raise SystemExit(f"error: {why}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark numbers (default: all)")
    parser.add_argument("--pairs", type=int, help="engine/baseline pairs per benchmark")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results.json")
    parser.add_argument("--list", action="store_true", help="list the registered benchmarks and exit")
    parser.add_argument("--table", action="store_true", help="print the results file as a table and exit")
    args = parser.parse_args()
    if args.table:
        document = read_json(args.output)
        if not document:
            raise SystemExit(f"error: no results in {args.output}")
        print(table(entries(document)))
        return
    registry = load()
    if args.list:
        for number, registration in registry.items():
            why = registration.why_unavailable()
            print(f"{number:>3}  {registration.module}" + (f"  (unavailable: {why})" if why else ""))
        return
    scale, sizes = sizes_from_env()
    if args.pairs:
        from dataclasses import replace

        sizes = replace(sizes, pairs=args.pairs)
    only = choose(registry, args.only)
    profile = Path(os.environ["BENCH_PROFILE"]) if os.environ.get("BENCH_PROFILE") else None
    began = time.monotonic()
    results = asyncio.run(run(only, scale, sizes, args.output, profile))
    print()
    ran = {r.number for r in results}
    print(table([e for e in entries(read_json(args.output)) if e["number"] in ran]))
    print(
        f"\n{len(results)} benchmarks in {(time.monotonic() - began) / 60:.1f} min; results in {args.output}"
    )
    sys.stdout.flush()
    # No interpreter teardown: the Temporal client's native threads can abort it
    # (temporalio/sdk-python#300), as in worker.main.
    os._exit(0)


if __name__ == "__main__":
    main()
