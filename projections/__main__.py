"""``python -m projections``: run the projector as its own process.

Set ``MANDATES_PROJECTOR=off`` for the workers then, so that only this process
projects (several projectors are safe, but one is enough). Stops cleanly on
SIGINT or SIGTERM, after the batch under way.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import asyncpg
import structlog

from config.database import create_pool
from config.logging import configure_logging
from config.settings import Settings
from domain.errors import DomainError
from projections.projector import run

log = structlog.get_logger("projections")


async def main_async(settings: Settings) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(pool, stop)
    finally:
        await pool.close()


def main() -> None:
    try:
        settings = Settings.load()
        configure_logging(settings.log_format, settings.log_level)
        asyncio.run(main_async(settings))
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (OSError, RuntimeError, asyncpg.PostgresError) as exc:
        print(f"error: the projector cannot start: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
