"""``python -m delivery``: the dispatcher as a process (``mandates dev up`` runs it).

The composition root of mail delivery: settings, logging, the Postgres pool and the
dispatcher's loop. It stops cleanly on SIGINT or SIGTERM after the pass under way.
"""

from __future__ import annotations

import structlog

from config.service import run_service, stop_on_signals
from config.settings import Settings
from delivery.dispatcher import Dispatcher
from store.database import create_pool

log = structlog.get_logger("delivery")


async def run(settings: Settings) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    try:
        dispatcher = Dispatcher.from_settings(pool, settings)
        stop = stop_on_signals()
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
    run_service("dispatcher", run)


if __name__ == "__main__":
    main()
