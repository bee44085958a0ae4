"""``python -m delivery``: the dispatcher as a process (``mandates dev up`` runs it).

The composition root of mail delivery: settings, logging, the Postgres pool and the
dispatcher's loop. It stops cleanly on SIGINT or SIGTERM after the pass under way.
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
from delivery.dispatcher import Dispatcher
from domain.errors import DomainError

log = structlog.get_logger("delivery")


async def run(settings: Settings) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    try:
        dispatcher = Dispatcher.from_settings(pool, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "dispatcher started",
            smtp=f"{settings.smtp_host}:{settings.smtp_port}",
            digest=settings.mail_digest,
            poll_seconds=settings.mail_poll_seconds,
        )
        await dispatcher.run(stop, settings.mail_poll_seconds)
        log.info("dispatcher stopped")
    finally:
        await pool.close()


def main() -> None:
    try:
        settings = Settings.load()
        configure_logging(settings.log_format, settings.log_level)
        asyncio.run(run(settings))
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: the dispatcher cannot start: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
