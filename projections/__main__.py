"""``python -m projections``: run the projector as its own process.

Set ``MANDATES_PROJECTOR=off`` for the workers then, so that only this process
projects (several projectors are safe, but one is enough). Stops cleanly on
SIGINT or SIGTERM, after the batch under way.
"""

from __future__ import annotations

import structlog

from config.service import run_service, stop_on_signals
from config.settings import Settings
from projections.projector import run
from store.database import create_pool

log = structlog.get_logger("projections")


async def main_async(settings: Settings) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        stop = stop_on_signals()
        await run(pool, stop)
    finally:
        await pool.close()


def main() -> None:
    run_service("projector", main_async)


if __name__ == "__main__":
    main()
