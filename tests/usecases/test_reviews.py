"""The review calendar end to end: a calendar file the test writes is imported through the worker
(signed appends to the calendar's stream), projected, and every overlap and burden figure is the
one worked out by hand; the same file again records nothing, a changed one records the changes;
a bad file records nothing and says every problem on a line of its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asyncpg
import pytest

from domain.calendar import ReviewCalendar
from domain.reviews import MAX_IMPORT_ROWS, REVIEW_STREAM, ReviewsInvalid, find_overlaps, overlap_view
from tests.support.reviews import (
    FORMULA,
    burden_by_hand,
    calendar_csv,
    changed_csv,
    overlaps_by_hand,
    summer_burden_by_hand,
    to_csv,
)
from tests.support.temporal import Engine
from tests.support.usecases import EngineOnTestServers
from usecases import reviews
from usecases.errors import BadInput, NotFound, Refused

HEADER = b"mechanism,state,cycle,stage,start,end\n"
COORDINATOR = reviews.Viewer(person="a.khan", names=frozenset({"a.khan", "coordinator"}))
PARTNER = reviews.Viewer(person="l.ortiz", names=frozenset({"l.ortiz", "OECD Working Group on Bribery"}))


@pytest.fixture
def app(pool: asyncpg.Pool, engine: Engine, tmp_path: Path) -> EngineOnTestServers:
    return EngineOnTestServers(pool, engine.client, engine.task_queue, tmp_path)


async def head(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT position FROM audit_head"))


async def test_an_imported_calendar_gives_every_figure_worked_out_by_hand(
    app: EngineOnTestServers, engine: Engine, pool: asyncpg.Pool
) -> None:
    imported = await reviews.import_reviews(app, calendar_csv(), "calendar.csv", "coordinator")
    assert imported.recorded is not None
    assert (imported.rows, imported.outcome.scheduled, imported.recorded.version) == (42, 42, 42)
    assert imported.line().startswith(
        "calendar.csv: 42 rows: 42 scheduled, 0 changed, 0 withdrawn, 0 unchanged;"
    )
    stream = await engine.audit.read_stream(REVIEW_STREAM)
    assert [(s.version, s.type, s.actor) for s in stream][:1] == [(1, "ReviewScheduled", "coordinator")]
    assert {s.idempotency_key for s in stream} == {f"{REVIEW_STREAM}:{n}" for n in range(1, 43)}

    assert [o.as_json() for o in await reviews.overlaps(app)] == overlaps_by_hand()
    shown = await reviews.overlaps(app, viewer=COORDINATOR, reveal=True)
    assert [o.as_json() for o in shown] == overlaps_by_hand(reveal=True)
    mexico = await reviews.overlaps(app, state="  mexico")
    assert [o.as_json() for o in mexico] == [o for o in overlaps_by_hand() if o["state"] == "Mexico"]
    assert [b.as_json() for b in await reviews.burden(app)] == burden_by_hand()
    assert [
        b.as_json() for b in await reviews.burden(app, viewer=COORDINATOR, reveal=True)
    ] == burden_by_hand(reveal=True)
    summer = await reviews.burden(app, start=date(2027, 6, 1), end=date(2027, 8, 31))
    assert [b.as_json() for b in summer] == summer_burden_by_hand()

    # the read model is the fold of the log: the same overlaps from the audit records alone
    records = [r async for r in engine.audit.iterate_all()]
    folded = find_overlaps(ReviewCalendar().fold(records).stages.values())
    assert [overlap_view(o, False).as_json() for o in folded] == overlaps_by_hand()

    before = await head(pool)
    again = await reviews.import_reviews(app, calendar_csv(), "calendar.csv", "coordinator")
    assert again.recorded is None and again.outcome.unchanged == 42
    assert again.line() == (
        "calendar.csv: 42 rows, nothing new to record (0 scheduled, 0 changed, 0 withdrawn, 42 unchanged)"
    )
    assert await head(pool) == before

    changed = await reviews.import_reviews(app, changed_csv(), "changes.csv", "coordinator")
    assert changed.recorded is not None and changed.recorded.version == 42 + 3
    assert (changed.outcome.scheduled, changed.outcome.changed, changed.outcome.withdrawn) == (1, 1, 1)
    assert await head(pool) == before + 3
    types = [s.type for s in (await engine.audit.read_stream(REVIEW_STREAM))[42:]]
    assert types == ["ReviewChanged", "ReviewWithdrawn", "ReviewScheduled"]
    after = {b.state: b.as_json() for b in await reviews.burden(app)}
    assert (after["Austria"]["days_under_review"], after["Sweden"]["stages"]) == (5, 1)
    uruguay = [o.as_json() for o in await reviews.overlaps(app, state="Uruguay")]
    assert [(o["a"]["mechanism"], o["b"]["mechanism"], o["gap_days"]) for o in uruguay] == [
        ("UNCAC Implementation Review Mechanism", "OAS (MESICIC)", -1)
    ]
    assert [o.state for o in await reviews.overlaps(app)].count("Sweden") == 0


async def test_confidential_details_are_for_the_coordinators(app: EngineOnTestServers) -> None:
    await reviews.import_reviews(app, calendar_csv(), "calendar.csv", "coordinator")
    with pytest.raises(Refused, match=r"l\.ortiz may not see the details of confidential reviews"):
        await reviews.overlaps(app, viewer=PARTNER, reveal=True)
    timeline = await reviews.state_timeline(app, "brazil", viewer=PARTNER)
    assert timeline.hidden == 1 and timeline.burden is not None and timeline.burden.stages == 2
    assert "2027-02-15" not in timeline.model_dump_json()
    revealed = await reviews.state_timeline(app, "Brazil", viewer=COORDINATOR, reveal=True)
    assert [lane.mechanism for lane in revealed.lanes] == [
        "OECD Working Group on Bribery",
        "UNCAC Implementation Review Mechanism",
    ]
    with pytest.raises(NotFound):
        await reviews.state_timeline(app, "Atlantis")
    with pytest.raises(BadInput):
        await reviews.overlaps(app, window_days=-1)


async def test_the_calendar_exports_as_icalendar_with_nothing_confidential_or_executable(
    app: EngineOnTestServers,
) -> None:
    await reviews.import_reviews(app, calendar_csv(), "calendar.csv", "coordinator")
    exported = await reviews.reviews_calendar(app)
    assert (exported.entries, exported.hidden) == (41, 1)
    unfolded = exported.text.replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20270122\r\nDTEND;VALUE=DATE:20270127" in unfolded  # 22 to 26 January
    assert "notes: '=HYPERLINK(" in unfolded and ": =HYPERLINK" not in unfolded
    assert "secret" not in unfolded and "20270215" not in unfolded  # Brazil's confidential OECD visit
    austria = await reviews.reviews_calendar(app, state="AUSTRIA")
    assert austria.entries == 2
    brazil = await reviews.reviews_calendar(app, state="Brazil")  # an export: whoever asks
    assert (brazil.entries, brazil.hidden) == (1, 1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"mechanism,state,cycle,start,end\nGRECO,France,r5,2027-01-01,2027-01-02\n",
         ["line 1: the header lacks the column 'stage'"]),
        (to_csv([("GRECO", "France", "r5", "visit", "2027-02-01", "2027-01-01", "", "")]),
         ["line 2: end (2027-01-01) is before start (2027-02-01)"]),
        (HEADER + b"GRECO,France,r5,visit,2027-01-01,2027-01-02\n" * 200_000,
         [f"bad.csv: 200,000 rows; an import takes at most {MAX_IMPORT_ROWS:,} (split the file)"]),
        (to_csv([("GRECO", FORMULA, "r5", "visit", "2027-01-01", "2027-01-02", "", "")]),
         ["line 2: state starts with '=', which a spreadsheet would run as a formula"]),
        (HEADER + "GRECO,Côte d'Ivoire,r5,visit,2027-01-01,2027-01-02\n".encode("cp1252"),
         ["bad.csv: not UTF-8 text (byte 0xF4 on line 2); save it as UTF-8 (a CSV file)"]),
    ],
    ids=["missing-column", "reversed-dates", "200000-rows", "formula", "encoding"],
)  # fmt: skip
async def test_a_bad_file_records_nothing_and_names_each_problem(
    app: EngineOnTestServers, pool: asyncpg.Pool, data: bytes, expected: list[str]
) -> None:
    before = await head(pool)
    with pytest.raises(ReviewsInvalid) as refused:
        await reviews.import_reviews(app, data, "bad.csv", "coordinator")
    assert refused.value.problems == expected
    assert await head(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM review_import_batches") == 0
    assert await pool.fetchval("SELECT count(*) FROM rm_reviews") == 0
