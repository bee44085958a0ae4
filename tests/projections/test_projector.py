"""The projector (projections/projector.py): every event applied exactly once, across
crashes, cancellations, downtime, concurrent projectors and rebuilds; the read models equal
the folds, on seeded and on any history the domain allows (compared as a normalized view).

The rebuild folds the whole log in memory and writes each row once: it must leave exactly
the rows the live projector leaves, batch by batch."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import events as ev
from domain.state import fold
from projections import (
    ProjectionInconsistent,
    Projector,
    mandate_view,
    projector_running,
    run,
    view_of_state,
)
from projections import projector as projector_module
from projections.fold import ReadModelFold
from projections.projector import rebuild_read_models
from store.audit import AuditStore, NewEvent, StoredEvent
from store.read_models import truncate
from tests.support.crash_projector import CRASHED
from tests.support.database import Database
from tests.support.mandates import make_mandate
from tests.support.read_models import checkpoint, read_log, snapshot, write_a_varied_log
from tests.support.stories import (
    KIND_SETS,
    T0,
    Story,
    append_batches,
    append_followed,
    clone,
    interleaved,
    late_completion_story,
    new_events,
    random_story,
    seeded_stories,
)

ROOT = Path(__file__).resolve().parents[2]


async def assert_views_equal_folds(pool: asyncpg.Pool, stories: list[Story]) -> None:
    for story in stories:
        assert await mandate_view(pool, story.mandate_id) == view_of_state(story.state), story.mandate_id


async def tallies(pool: asyncpg.Pool) -> dict[str, int]:
    """Counts that an event applied twice (or skipped) would change."""
    row = await pool.fetchrow(
        """
        SELECT (SELECT count(*) FROM rm_mandates) AS mandates,
               (SELECT coalesce(sum(version), 0) FROM rm_mandates) AS events,
               (SELECT count(*) FROM rm_costs) AS costs,
               (SELECT count(*) FROM rm_deadlines) AS deadlines,
               (SELECT coalesce(sum(cardinality(reminders_sent)), 0) FROM rm_steps) AS reminders
        """
    )
    return {k: int(v) for k, v in row.items()}


def expected_tallies(log: list[StoredEvent], up_to: int | None = None) -> dict[str, int]:
    events = [e for e in log if up_to is None or e.position <= up_to]
    types = Counter(e.type for e in events)
    streams = {e.stream_id for e in events if e.type == "MandateStarted"}
    # reminders of a step are cleared when it starts again or its deadline moves: count from the folds
    return {
        "mandates": len(streams),
        "events": sum(1 for e in events if e.stream_id in streams),
        "costs": types["TaskCompleted"],
        "deadlines": types["StepStarted"] + types["DeadlineExtended"],
    }


async def caught_up(pool: asyncpg.Pool, head: int, timeout: float) -> None:
    """Wait for the checkpoint to reach ``head``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await checkpoint(pool) >= head:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the projector did not reach position {head} within {timeout}s")


def without_reminders(t: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in t.items() if k != "reminders"}


async def test_read_models_equal_the_folds_of_interleaved_histories(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(18, seed=7)
    await append_batches(audit_store, interleaved(stories))
    applied = await Projector(pool, batch_size=64).catch_up()
    log = await read_log(audit_store)
    assert applied == len(log)
    assert await checkpoint(pool) == log[-1].position
    await assert_views_equal_folds(pool, stories)
    assert without_reminders(await tallies(pool)) == expected_tallies(log)
    seen = Counter(e.type for s in stories for e in s.events)
    assert {"Rejected", "DeadlineExtended", "Escalated", "MandateWithdrawn", "MandateCompleted"} <= set(seen)


async def test_a_crash_between_applying_and_recording_applies_nothing_twice(
    database: Database, pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(12, seed=3)
    await append_batches(audit_store, interleaved(stories))
    log = await read_log(audit_store)
    batch, crash_after = 100, 150  # the first batch commits; the second dies half applied
    assert len(log) > crash_after
    crashed = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.support.crash_projector"),
        *(database.app_dsn, str(crash_after), str(batch)),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(crashed.communicate(), 60)
    assert crashed.returncode == CRASHED, stderr.decode()
    first_batch_end = log[batch - 1].position
    assert await checkpoint(pool) == first_batch_end
    assert without_reminders(await tallies(pool)) == expected_tallies(log, up_to=first_batch_end)

    assert await Projector(pool, batch_size=batch).catch_up() == len(log) - batch
    assert without_reminders(await tallies(pool)) == expected_tallies(log)
    await assert_views_equal_folds(pool, stories)


async def test_a_projector_cancelled_mid_batch_leaves_no_trace(
    pool: asyncpg.Pool, audit_store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stories = seeded_stories(6, seed=5)
    await append_batches(audit_store, interleaved(stories))
    log = await read_log(audit_store)
    real_apply = projector_module.apply_events
    halfway = asyncio.Event()

    async def apply_then_hang(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        await real_apply(conn, rows)  # the rows are written; the checkpoint is not moved yet
        halfway.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(projector_module, "apply_events", apply_then_hang)
    task = asyncio.create_task(Projector(pool, batch_size=1000).catch_up())
    await asyncio.wait_for(halfway.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await checkpoint(pool) == 0
    assert (await tallies(pool))["mandates"] == 0

    monkeypatch.setattr(projector_module, "apply_events", real_apply)
    assert await Projector(pool).catch_up() == len(log)
    await assert_views_equal_folds(pool, stories)


async def test_the_running_projector_catches_up_within_a_second_and_after_downtime(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(8, seed=11)
    batches = interleaved(stories)
    third = len(batches) // 3
    first, singles, rest = batches[:third], batches[third : third + 5], batches[third + 5 :]

    async def caught_up_within(seconds: float) -> float:
        head, _ = await audit_store.head()
        started = time.monotonic()
        while await checkpoint(pool) < head:
            assert time.monotonic() - started < seconds, "the projector did not catch up in time"
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    async with projector_running(pool, poll_interval=0.2):
        await append_batches(audit_store, first)
        await caught_up_within(1.0)
        for batch in singles:  # one command's events at a time, each seen within a second
            await append_batches(audit_store, [batch])
            await caught_up_within(1.0)
    # downtime: the log moves on while no projector runs
    await append_batches(audit_store, rest)
    assert await checkpoint(pool) < (await audit_store.head())[0]
    stop = asyncio.Event()
    task = asyncio.create_task(run(pool, stop, poll_interval=0.05))
    await caught_up_within(5.0)
    stop.set()
    await asyncio.wait_for(task, 5)
    await assert_views_equal_folds(pool, stories)


async def test_concurrent_projectors_apply_each_event_once(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(10, seed=13)
    batches = interleaved(stories)
    stop = asyncio.Event()
    runners = [asyncio.create_task(run(pool, stop, poll_interval=0.01)) for _ in range(3)]
    for start in range(0, len(batches), 25):
        await append_batches(audit_store, batches[start : start + 25])
        await asyncio.sleep(0)
    await caught_up(pool, (await audit_store.head())[0], timeout=10)
    stop.set()
    await asyncio.gather(*runners)
    log = await read_log(audit_store)
    assert without_reminders(await tallies(pool)) == expected_tallies(log)
    await assert_views_equal_folds(pool, stories)


async def test_followed_paragraphs_other_streams_and_unknown_events(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(2, seed=17)
    await append_batches(audit_store, interleaved(stories))
    await append_followed(audit_store, "gen", 4, T0)
    story = stories[0]
    await audit_store.append(
        story.mandate_id,
        story.state.version,
        [
            NewEvent(
                type="NotificationDelivered",  # a type this projection does not know: the version moves on
                actor="mailer",
                occurred_at=T0,
                payload={"to": "someone"},
                idempotency_key=f"{story.mandate_id}:{story.state.version + 1}",
            )
        ],
    )
    await audit_store.append(
        "resolution-gen",
        0,
        [
            NewEvent(
                type="ResolutionImported", actor="importer", occurred_at=T0, payload={}, idempotency_key="r:1"
            )
        ],
    )
    await Projector(pool).catch_up()
    followed = await pool.fetchrow("SELECT * FROM rm_mandates WHERE mandate_id = 'mandate-gen-para-4'")
    assert followed["status"] == "followed"
    assert (followed["resolution_slug"], followed["paragraph"], followed["actor"]) == (
        "gen",
        4,
        "states_parties",
    )
    assert await pool.fetchval("SELECT count(*) FROM rm_steps WHERE mandate_id = 'mandate-gen-para-4'") == 0
    assert await pool.fetchval("SELECT version FROM rm_mandates WHERE mandate_id = $1", story.mandate_id) == (
        story.state.version + 1
    )
    assert await pool.fetchval("SELECT count(*) FROM rm_mandates WHERE mandate_id = 'resolution-gen'") == 0
    await assert_views_equal_folds(pool, stories[1:])


async def test_a_read_model_out_of_step_with_the_log_stops_the_projector(
    pool: asyncpg.Pool, audit_store: AuditStore, admin_conn: asyncpg.Connection
) -> None:
    stories = seeded_stories(1, seed=19)
    batches = interleaved(stories)
    await append_batches(audit_store, batches[:1])
    projector = Projector(pool)
    await projector.catch_up()
    position = await checkpoint(pool)
    await admin_conn.execute("UPDATE rm_mandates SET version = version + 5")
    await append_batches(audit_store, batches[1:])
    with pytest.raises(ProjectionInconsistent, match="read model holds version"):
        await projector.apply_batch()
    assert await checkpoint(pool) == position


async def test_rebuild_of_ten_thousand_events_ends_with_the_live_projectors_rows(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    templates = seeded_stories(24, seed=23, slug="template")
    size = sum(len(s.events) for s in templates)
    copies = -(-10_000 // size)
    streams: list[tuple[str, list]] = []
    for copy in range(copies):
        for n, story in enumerate(templates, start=1):
            events = clone(story, f"bulk-{copy}", n)
            streams.append((f"mandate-bulk-{copy}-para-{n}", events))
    # three rounds of appends, so streams interleave in the log
    for part in range(3):
        for stream_id, events in streams:
            chunk = len(events) // 3 + 1
            piece = events[part * chunk : (part + 1) * chunk]
            if piece:
                first = part * chunk
                await audit_store.append(stream_id, first, new_events(stream_id, first + 1, piece))
    head, _ = await audit_store.head()
    assert head >= 10_000

    projector = Projector(pool)
    stop = asyncio.Event()
    live = asyncio.create_task(run(pool, stop, poll_interval=0.05))
    await caught_up(pool, head, timeout=30)
    stop.set()
    await live
    before = await snapshot(pool)
    assert await projector.rebuild() == head
    assert await snapshot(pool) == before
    assert await checkpoint(pool) == head
    for copy in (0, copies - 1):
        for n, story in enumerate(templates, start=1):
            view = await mandate_view(pool, f"mandate-bulk-{copy}-para-{n}")
            expected = view_of_state(story.state)
            assert view == {**expected, "mandate_id": f"mandate-bulk-{copy}-para-{n}"}


async def test_rebuild_while_the_live_projector_runs_keeps_the_checkpoint_whole(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(10, seed=29)
    batches = interleaved(stories)
    await append_batches(audit_store, batches[: len(batches) // 2])
    async with projector_running(pool, poll_interval=0.01):
        rebuilt = asyncio.create_task(Projector(pool).rebuild())
        await append_batches(audit_store, batches[len(batches) // 2 :])
        await rebuilt
        await caught_up(pool, (await audit_store.head())[0], timeout=10)
    log = await read_log(audit_store)
    assert without_reminders(await tallies(pool)) == expected_tallies(log)
    await assert_views_equal_folds(pool, stories)


async def test_status_says_how_far_behind_the_projection_is(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(2, seed=31)
    await append_batches(audit_store, interleaved(stories))
    projector = Projector(pool)
    status = await projector.status()
    assert (status.position, status.behind) == (0, status.head)
    assert status.head > 0
    await projector.catch_up()
    status = await projector.status()
    assert (status.position, status.behind) == (status.head, 0)
    assert status.as_dict()["behind"] == 0


async def test_python_m_projections_follows_the_log_until_told_to_stop(
    database: Database, pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    stories = seeded_stories(3, seed=37)
    await append_batches(audit_store, interleaved(stories))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "projections",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database.app_dsn, "LOG_LEVEL": "warning"},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await caught_up(pool, (await audit_store.head())[0], timeout=20)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    await assert_views_equal_folds(pool, stories)


async def live_rows(pool: asyncpg.Pool) -> dict[str, list[tuple]]:
    await Projector(pool, batch_size=64).catch_up()
    return await snapshot(pool)


async def test_a_rebuild_leaves_the_rows_the_live_projector_leaves(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    assert live["rm_mandates"] and live["rm_approvals"] and live["rm_costs"]
    head, _ = await audit_store.head()
    seen: list[int] = []
    collecting: list[bool] = []
    assert (
        await Projector(pool).rebuild(progress=lambda n: (seen.append(n), collecting.append(gc.isenabled())))
        == head
    )
    assert await snapshot(pool) == live
    assert await checkpoint(pool) == head
    assert seen[-1] == head
    assert (
        collecting and not any(collecting) and gc.isenabled()
    )  # no cycle collection while it folds; on after


@pytest.mark.parametrize(("page_size", "hold"), [(1, 1), (37, 4), (200, 12)])
async def test_rows_written_out_and_taken_back_mid_rebuild_end_the_same(
    pool: asyncpg.Pool, audit_store: AuditStore, page_size: int, hold: int
) -> None:
    """With few mandates held, rows are written early and taken back out when a later event
    of their mandate comes; the tables end as the live projector leaves them."""
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    async with pool.acquire() as conn, conn.transaction():
        await truncate(conn)
        replayed, position = await rebuild_read_models(conn, page_size=page_size, hold=hold)
    head, _ = await audit_store.head()
    assert (replayed, position) == (head, head)
    assert await snapshot(pool) == live


async def test_a_cancelled_rebuild_leaves_the_read_models_as_they_were(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    before = await checkpoint(pool)

    def cancel_after_the_first_page(replayed: int) -> None:
        rebuilding.cancel()

    rebuilding = asyncio.create_task(Projector(pool).rebuild(progress=cancel_after_the_first_page))
    with pytest.raises(asyncio.CancelledError):
        await rebuilding
    assert await snapshot(pool) == live
    assert await checkpoint(pool) == before


async def test_a_rebuild_that_fails_midway_leaves_the_read_models_as_they_were(
    pool: asyncpg.Pool, audit_store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fold fails while the next page is being read: the read ends, then all rolls back."""
    await write_a_varied_log(audit_store)
    live = await live_rows(pool)
    real_apply = ReadModelFold.apply
    applied = 0

    def apply_then_fail(fold: ReadModelFold, *row: object) -> bool:
        nonlocal applied
        applied += 1
        if applied == 150:
            raise ProjectionInconsistent("made to fail")
        return real_apply(fold, *row)  # type: ignore[arg-type]

    monkeypatch.setattr(ReadModelFold, "apply", apply_then_fail)
    async with pool.acquire() as conn:
        with pytest.raises(ProjectionInconsistent, match="made to fail"):
            async with conn.transaction():
                await truncate(conn)
                await rebuild_read_models(conn, page_size=100)
        assert await conn.fetchval("SELECT 1") == 1  # the connection is usable
    assert gc.isenabled()  # the collector is on again
    assert await snapshot(pool) == live


choices = st.lists(st.integers(min_value=0, max_value=(1 << 16) - 1), min_size=40, max_size=300)


mandates = st.lists(
    st.tuples(st.sampled_from(KIND_SETS), st.booleans(), choices),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mandates=mandates, batch_size=st.sampled_from([3, 500]))
async def test_the_read_model_of_each_mandate_equals_the_fold_of_its_events(
    pool: asyncpg.Pool, audit_store: AuditStore, mandates: list, batch_size: int
) -> None:
    slug = f"h-{uuid.uuid4().hex[:12]}"  # the database is shared by the examples of this test
    stories = [
        random_story(make_mandate(slug, paragraph=n, kinds=kinds, confidential=confidential), picks)
        for n, (kinds, confidential, picks) in enumerate(mandates, start=1)
    ]
    await append_batches(audit_store, interleaved(stories))
    await Projector(pool, batch_size=batch_size).catch_up()
    for story in stories:
        stored = await audit_store.read_stream(story.mandate_id)
        folded = fold(ev.from_payload(s.type, s.payload) for s in stored)
        assert await mandate_view(pool, story.mandate_id) == view_of_state(folded)
        assert folded == story.state


async def test_a_late_completion_is_a_missed_deadline_in_the_read_models_live_and_rebuilt(
    pool: asyncpg.Pool, audit_store: AuditStore
) -> None:
    story = late_completion_story()
    await append_batches(audit_store, story.batches)
    deadlines = (
        "SELECT step_id, status, overdue FROM rm_deadlines WHERE mandate_id = $1 ORDER BY set_position"
    )
    expected = [("compile", "missed", False), ("check", "met", False), ("approve", "open", False)]

    await Projector(pool).catch_up()
    assert [tuple(r) for r in await pool.fetch(deadlines, story.mandate_id)] == expected
    await Projector(pool).rebuild()
    assert [tuple(r) for r in await pool.fetch(deadlines, story.mandate_id)] == expected
