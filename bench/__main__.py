"""``python -m bench``: run the benchmarks, print the table, write ``bench/results.json``.

Options: ``--only 2,3`` (a subset; results are merged into an existing
results.json), ``--pairs N``, ``--output PATH``. Environment:

- ``BENCH_SCALE=tiny|small|full`` (default full) and ``BENCH_<SIZE>`` overrides
  (``bench/sizes.py``);
- ``BENCH_PROFILE=<folder>``: py-spy profiles of the engine worker (benchmarks 1
  and 6) and EXPLAIN ANALYZE of the store's hot statements, written there;
- ``BENCH_TEMPORAL_DB=memory|file``: the dev server without or with its SQLite
  file (default memory; see BENCHMARKS.md);
- ``BENCH_PG_DURABLE=1``: Postgres with fsync on (default off, as in the tests);
- ``BENCH_KEEP=1``: keep the servers' folder (data, logs of the servers and workers);
- ``BENCH_WORKER=max_cached_workflows=2000,passthrough=workflows``: ``Worker``
  tuning for both the engine's and the bare workers (``bench/worker.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.audit_append import BatchedAppend, SingleAppend
from bench.harness import BenchResult, run_pairs, table, write_results
from bench.log_reads import ProjectionRebuild, SharedLog, TimelineRead
from bench.mandates import MandateThroughput
from bench.open_mandates import OpenMandates
from bench.profiling import Profiler, explain_hot_statements
from bench.sizes import Sizes, sizes_from_env
from bench.stack import BenchStack

ORDER = ("2", "3", "4", "5", "1", "6")  # 6 last: it leaves its workflows open on the dev server
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
    only: list[str], scale: str, sizes: Sizes, output: Path, profile: Path | None, say=print
) -> list[BenchResult]:
    in_memory = os.environ.get("BENCH_TEMPORAL_DB", "memory") != "file"
    durable = os.environ.get("BENCH_PG_DURABLE", "") == "1"
    options = worker_options()
    session = {
        "scale": scale,
        "pairs": sizes.pairs,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "temporal_dev_server": "in memory" if in_memory else "SQLite file",
        "postgres": "fsync on" if durable else "fsync off",
        "worker_options": options,
        "command": f"BENCH_SCALE={scale} {sys.executable} -m bench",
    }
    say(f"benchmarks {', '.join(only)} at scale {scale} ({sizes.pairs} pairs); servers starting")
    profiler = Profiler(profile) if profile else None
    results: list[BenchResult] = []
    keep = os.environ.get("BENCH_KEEP", "") == "1"
    async with BenchStack.running(durable=durable, temporal_in_memory=in_memory, keep=keep) as stack:
        if keep:
            say(f"servers' data and logs kept in {stack.root}")
        shared = SharedLog(stack, sizes)
        benches = {
            "1": lambda: MandateThroughput(stack, sizes, options, profiler),
            "2": lambda: BatchedAppend(stack, sizes),
            "3": lambda: SingleAppend(stack, sizes),
            "4": lambda: ProjectionRebuild(stack, sizes, shared),
            "5": lambda: TimelineRead(stack, sizes, shared),
            "6": lambda: OpenMandates(stack, sizes, options, profiler),
        }
        try:
            for number in ORDER:
                if number not in only:
                    continue
                bench = benches[number]()
                say(f"#{number} {bench.title}")
                result = await run_pairs(bench, sizes.pairs, say)
                results.append(result)
                say(f"  #{number} done in {result.seconds:.0f}s: ratio {result.ratio():.3f} "
                    f"({'met' if result.target_met else 'MISSED'}: {result.target_text})")  # fmt: skip
                _save(output, results, session)
            if profile is not None and shared.database is not None and shared.log is not None:
                text = await explain_hot_statements(shared.database.admin_url, shared.log.stream_ids()[0])
                (profile / "explain-hot-statements.txt").write_text(text)
        finally:
            await shared.drop()
    return results


def _save(output: Path, results: list[BenchResult], session: dict[str, Any]) -> None:
    existing: dict[str, Any] = {}
    if output.exists():
        try:
            existing = {k: v for k, v in json.loads(output.read_text()).items() if k in ORDER}
        except (ValueError, AttributeError):
            existing = {}
    write_results(output, results, session, existing)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark numbers (default: all)")
    parser.add_argument("--pairs", type=int, help="engine/baseline pairs per benchmark")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results.json")
    args = parser.parse_args()
    scale, sizes = sizes_from_env()
    if args.pairs:
        from dataclasses import replace

        sizes = replace(sizes, pairs=args.pairs)
    only = [n.strip() for n in (args.only or ",".join(ORDER)).split(",") if n.strip()]
    if set(only) - set(ORDER):
        raise SystemExit(f"error: --only takes numbers among {', '.join(sorted(ORDER))}")
    profile = Path(os.environ["BENCH_PROFILE"]) if os.environ.get("BENCH_PROFILE") else None
    began = time.monotonic()
    results = asyncio.run(run(only, scale, sizes, args.output, profile))
    print()
    print(table(results))
    print(
        f"\n{len(results)} benchmarks in {(time.monotonic() - began) / 60:.1f} min; results in {args.output}"
    )
    sys.stdout.flush()
    # No interpreter teardown: the Temporal client's native threads can abort it
    # (temporalio/sdk-python#300), as in worker.main.
    os._exit(0)


if __name__ == "__main__":
    main()
