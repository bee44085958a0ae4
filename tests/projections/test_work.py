"""My work (projections/queries.py): what waits for a person and their roles, soonest first,
limited, and counted in full by the same rules."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from projections import Projector
from projections.queries import count_work, work_for

NOW = datetime(2018, 9, 1, tzinfo=UTC)


async def test_what_waits_for_the_coordinator_soonest_first_and_counted(
    pool: asyncpg.Pool, cosp7_log: object
) -> None:
    await Projector(pool).catch_up()
    items = await work_for(pool, {"m.rossi", "coordinator"}, NOW)

    assert {(i.paragraph, i.why) for i in items} == {(1, "task"), (2, "consultation")}
    assert [i.deadline for i in items] == sorted(i.deadline for i in items)
    (consulting,) = [i for i in items if i.why == "consultation"]
    assert consulting.awaiting and "coordinator" not in consulting.awaiting  # the parties it waits on
    assert await count_work(pool, {"m.rossi", "coordinator"}) == len(items) == 2
    assert await work_for(pool, {"coordinator"}, NOW, limit=1) == items[:1]


async def test_nothing_waits_for_an_approver_once_every_approval_is_given(
    pool: asyncpg.Pool, cosp7_log: object
) -> None:
    await Projector(pool).catch_up()
    assert await work_for(pool, {"chief.of.section"}, NOW) == []
    assert await count_work(pool, {"chief.of.section"}) == 0
    assert await work_for(pool, {"nobody"}, NOW) == [] and await count_work(pool, {"nobody"}) == 0
