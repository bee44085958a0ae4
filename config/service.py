"""How the engine's long-running processes (worker, projector, mail dispatcher) start and stop.

Each loads the settings, configures logging, runs until SIGINT or SIGTERM, turns a
start-up failure into one line with exit code 1, and leaves without interpreter
teardown: the Temporal client's native threads can abort a finalizing interpreter
(temporalio/sdk-python#300), which would turn a clean stop into exit code 134.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

import asyncpg

from config.logging import configure_logging
from config.settings import Settings
from domain.errors import DomainError


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (call from inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def run_service(name: str, main: Callable[[Settings], Awaitable[None]]) -> NoReturn:
    """Run ``main(settings)`` as the process ``name``; exit 0, or 1 with one line on failure."""
    code = 0
    try:
        settings = Settings.load()
        configure_logging(settings.log_format, settings.log_level)
        asyncio.run(main(settings))
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except (OSError, RuntimeError, asyncpg.PostgresError) as exc:
        print(f"error: the {name} cannot start: {exc}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
