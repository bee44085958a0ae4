"""A benchmark worker, run as its own process: ``python -m bench.worker engine|bare ...``.

``engine`` is the engine's worker as ``worker.build_worker`` builds it (the real
workflows and activities on a pool of the application role), without what
``worker.run`` adds around it (the in-worker projector, checkpoint signing,
metrics); tuning options, when given, build a ``Worker`` with the same workflows
and activities and those settings (and the caller check, when identities are
given). With ``MANDATES_CODEC_KEYS`` in its environment, the engine's worker
connects through ``config.client.connect_temporal`` (payloads encrypted), and with
``MANDATES_IDENTITIES`` it checks who sends each update, as deployed workers do
(``bench.stack.WorkerProcess(..., codec=True)`` sets both). ``bare`` runs
the bare workflows of ``bench.baselines``. The process prints ``ready`` once it
polls, and on SIGTERM (or SIGINT) prints one JSON line with its peak resident
set size, then exits without interpreter teardown (as ``worker.main`` does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

READY = "ready"


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def tuning(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.max_cached_workflows is not None:
        options["max_cached_workflows"] = args.max_cached_workflows
    if args.workflow_slots is not None:
        options["max_concurrent_workflow_tasks"] = args.workflow_slots
    if args.activity_slots is not None:
        options["max_concurrent_activities"] = args.activity_slots
    if args.passthrough:
        from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

        restrictions = SandboxRestrictions.default.with_passthrough_modules(*args.passthrough.split(","))
        options["workflow_runner"] = SandboxedWorkflowRunner(restrictions=restrictions)
    return options


async def build(args: argparse.Namespace, client: Client, pool: Any) -> Worker:
    options = tuning(args)
    if args.kind == "engine":
        from config.settings import Settings
        from store.signing import Signer
        from worker import build_worker

        signer = Signer.generate()  # its appends are signed, as the worker's are
        return build_worker(client, pool, Settings(task_queue=args.task_queue), signer=signer, **options)
    from bench.bare_messages import BareMarks, bare_step
    from bench.baselines import BARE_WORKFLOWS

    return Worker(
        client,
        task_queue=args.task_queue,
        workflows=BARE_WORKFLOWS,
        activities=[bare_step, BareMarks(pool).bare_mark],
        **options,
    )


async def run(args: argparse.Namespace) -> None:
    from store.database import create_pool

    pool = await create_pool(args.database_url, max_size=args.pool_size) if args.database_url else None
    if args.kind == "engine" and os.environ.get("MANDATES_CODEC_KEYS"):
        from config.client import connect_temporal
        from config.settings import Settings

        settings = Settings(temporal_address_override=args.temporal, temporal_namespace=args.namespace)
        client = await connect_temporal(settings)
    else:
        client = await Client.connect(
            args.temporal, namespace=args.namespace, data_converter=pydantic_data_converter
        )
    worker = await build(args, client, pool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print(READY, flush=True)
        await stop.wait()
        print(json.dumps({"peak_rss_bytes": peak_rss_bytes()}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("kind", choices=["engine", "bare"])
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--temporal", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--database-url")
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--max-cached-workflows", type=int)
    parser.add_argument("--workflow-slots", type=int)
    parser.add_argument("--activity-slots", type=int)
    parser.add_argument("--passthrough", help="comma-separated modules the sandbox passes through")
    code = 0
    try:
        asyncio.run(run(parser.parse_args()))
    except Exception as exc:  # report, then exit without teardown like worker.main
        print(f"error: the benchmark worker failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
