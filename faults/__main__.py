"""``python -m faults [--mandates N] [--quick] [--json FILE] [--keep]``: one fault run.

Prints what it does, then every check with its expected and measured figures;
exits 0 when all hold, 1 on any difference (2 on bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from faults.run import FULL, QUICK, run_faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__.splitlines()[0])
    parser.add_argument("--mandates", type=int, default=200, help="how many mandates (default 200)")
    parser.add_argument(
        "--quick", action="store_true", help="the short timeline (about a minute), one fault of each kind"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the summary as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the stack's data folder afterwards")
    args = parser.parse_args(argv)
    if args.mandates < 4:
        parser.error("--mandates must be 4 or more (one of each behaviour)")
    began = time.monotonic()
    # The harness's client meets servers that are down on purpose: keep the SDK's retry warnings quiet.
    quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
    Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=quiet)))
    logging.getLogger("asyncpg").setLevel(logging.CRITICAL)  # (its pool, while Postgres restarts)

    def say(line: str) -> None:
        print(line, flush=True)

    summary = asyncio.run(run_faults(args.mandates, QUICK if args.quick else FULL, args.keep, say))
    print()
    print("\n".join(summary.lines()))
    print(f"(harness total {time.monotonic() - began:.1f}s)")
    if args.json is not None:
        args.json.write_text(json.dumps(summary.as_dict(), indent=2, default=str))
    return 0 if summary.ok else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown: the Temporal client's native threads can abort it
    # (temporalio/sdk-python#300), as worker.py and the CLI do.
    os._exit(code)
