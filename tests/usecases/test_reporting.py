"""The progress report use case (usecases/reporting.py): the log, the period and the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from config.settings import Settings
from reports.progress import ReportPeriod
from tests.support.cosp7 import Logged
from tests.support.database import Database
from usecases.engine import open_engine
from usecases.reporting import progress_report


async def test_a_period_that_ends_after_now_stands_as_of_now(cosp7_log: Logged, database: Database) -> None:
    now = datetime(2018, 6, 1, 12, 0, tzinfo=UTC)  # (after the log's last event, in the period)
    settings = Settings(DATABASE_URL=database.app_dsn)  # type: ignore[call-arg]

    async with open_engine(settings, clock=lambda: now) as engine:
        year = await progress_report(
            engine, period=ReportPeriod(start=date(2018, 1, 1), end=date(2018, 12, 31))
        )
        quarter = await progress_report(
            engine, period=ReportPeriod(start=date(2018, 1, 1), end=date(2018, 3, 31))
        )

    assert (year.as_of, year.period_not_over) == (now, True)
    assert (quarter.as_of, quarter.period_not_over) == (datetime(2018, 4, 1, tzinfo=UTC), False)
