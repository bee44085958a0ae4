"""The review calendar's rules: names, a calendar file read line by line, the changes an import
records, and the overlap and burden figures, checked against the calendar worked out by hand
(``tests/support/reviews.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.calendar import Read, ReviewCalendar
from domain.reviews import (
    CONFIDENTIAL,
    MAX_IMPORT_ROWS,
    Review,
    ReviewChanged,
    ReviewScheduled,
    ReviewsInvalid,
    ReviewWithdrawn,
    Stage,
    burden,
    burden_view,
    events_from_json,
    events_json,
    find_overlaps,
    formula_problem,
    mechanism_name,
    name_key,
    overlap_view,
    parse_reviews_csv,
    plan_changes,
    spreadsheet_safe,
    state_name,
    state_timeline,
    union_days,
)
from tests.support.reviews import (
    FORMULA,
    burden_by_hand,
    calendar_csv,
    changed_csv,
    overlaps_by_hand,
    rows_of,
    summer_burden_by_hand,
    to_csv,
)

AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def imported(*files: bytes) -> tuple[ReviewCalendar, list]:
    """The calendar after importing ``files`` one after another (positions 1, 2, ...)."""
    calendar = ReviewCalendar()
    outcomes = []
    position = 0
    for n, data in enumerate(files):
        rows = parse_reviews_csv(data, f"file-{n}.csv")
        current = {
            s.key: Review(**s.model_dump(include=set(Review.model_fields))) for s in calendar.stages.values()
        }
        outcome = plan_changes(rows, current, by="coordinator", at=AT, source=f"file-{n}.csv")
        outcomes.append(outcome)
        for event in outcome.events:
            position += 1
            calendar.apply(Read(position, AT, event))
    return calendar, outcomes


def stages_of(calendar: ReviewCalendar) -> list[Stage]:
    return list(calendar.stages.values())


def test_the_hand_written_calendar_gives_the_overlaps_worked_out_by_hand() -> None:
    stages = stages_of(imported(calendar_csv())[0])
    assert len(stages) == 42
    assert [overlap_view(o, reveal=False).as_json() for o in find_overlaps(stages)] == overlaps_by_hand()
    assert [overlap_view(o, reveal=True).as_json() for o in find_overlaps(stages)] == overlaps_by_hand(
        reveal=True
    )
    mexico = [
        o.as_json() for o in map(lambda o: overlap_view(o, False), find_overlaps(stages, state="MEXICO"))
    ]
    assert mexico == [o for o in overlaps_by_hand() if o["state"] == "Mexico"]


def test_the_window_decides_which_stages_are_near_enough() -> None:
    stages = stages_of(imported(calendar_csv())[0])
    overlapping = [o for o in overlaps_by_hand(reveal=True) if o["gap_days"] <= 0]
    by_hand_0 = [(o["state"], o["gap_days"]) for o in overlapping]
    assert [(o.state, o.gap_days) for o in find_overlaps(stages, 0)] == by_hand_0
    assert [(o.state, o.gap_days) for o in find_overlaps(stages, 29)] == [
        (o["state"], o["gap_days"]) for o in overlaps_by_hand(reveal=True) if o["gap_days"] <= 29
    ]
    wide = [(o.state, o.a.stage, o.b.stage, o.gap_days) for o in find_overlaps(stages, 70)]
    assert ("France", "on-site visit", "evaluation report", 69) in wide  # the OECD's visit, GRECO's report
    assert ("Sweden", "country visit", "on-site visit", 31) in wide
    assert len(wide) == 8 + 2  # France's UNCAC visit and GRECO's report stay 91 days apart


def test_the_burden_on_each_state_is_the_one_worked_out_by_hand() -> None:
    stages = stages_of(imported(calendar_csv())[0])
    assert [burden_view(b, reveal=False).as_json() for b in burden(stages)] == burden_by_hand()
    assert [burden_view(b, reveal=True).as_json() for b in burden(stages)] == burden_by_hand(reveal=True)
    summer = burden(stages, date(2027, 6, 1), date(2027, 8, 31))
    assert [burden_view(b, reveal=False).as_json() for b in summer] == summer_burden_by_hand()


def test_importing_the_same_rows_again_records_nothing_and_a_change_is_a_change() -> None:
    calendar, (first, again, changed) = imported(calendar_csv(), calendar_csv(), changed_csv())
    assert (first.scheduled, first.changed, first.withdrawn, first.unchanged) == (42, 0, 0, 0)
    assert again.events == [] and again.unchanged == 42
    assert (changed.scheduled, changed.changed, changed.withdrawn, changed.unchanged) == (1, 1, 1, 1)
    assert [type(e) for e in changed.events] == [ReviewChanged, ReviewWithdrawn, ReviewScheduled]
    change = changed.events[0]
    assert isinstance(change, ReviewChanged)
    assert (change.previous.end, change.review.end) == (date(2027, 1, 26), date(2027, 1, 25))
    stages = stages_of(calendar)
    assert len(stages) == 42  # one withdrawn, one new
    rows = {b.state: b for b in burden(stages)}
    assert (rows["Austria"].days_under_review, rows["Sweden"].stages, rows["Uruguay"].stages) == (5, 1, 2)
    uruguay = [o for o in find_overlaps(stages) if o.state == "Uruguay"]
    assert [(o.a.mechanism, o.b.mechanism, o.gap_days) for o in uruguay] == [
        ("UNCAC Implementation Review Mechanism", "OAS (MESICIC)", -1)
    ]
    austria = calendar.stages[change.review.key]
    assert austria.refs == (30 + 1, 42 + 1)  # where it was scheduled (line 32, the 31st row), and changed


def test_one_state_and_one_mechanism_whatever_their_spelling() -> None:
    assert (
        mechanism_name("greco")
        == mechanism_name("Council of Europe   (GRECO)")
        == "Council of Europe (GRECO)"
    )
    assert mechanism_name("UNCAC IRM") == "UNCAC Implementation Review Mechanism"
    assert mechanism_name("OECD WGB") == mechanism_name("wgb") == "OECD Working Group on Bribery"
    assert mechanism_name("MESICIC") == "OAS (MESICIC)"
    assert mechanism_name("Some  New   Mechanism") == "Some New Mechanism"
    assert state_name("  AUSTRIA") == state_name("austria") == "Austria"
    assert state_name("BOSNIA AND HERZEGOVINA") == "Bosnia and Herzegovina"
    assert state_name("côte d'ivoire") == "Côte d'Ivoire"
    assert name_key("Côte d’Ivoire") == name_key("COTE D'IVOIRE")
    assert state_name("UK") == "United Kingdom of Great Britain and Northern Ireland"
    calendar, _ = imported(calendar_csv())
    italy = [s for s in calendar.stages.values() if s.state_key == "italy"]
    assert {s.state for s in italy} == {"Italy"} and len(italy) == 3
    assert {s.mechanism for s in italy} == {
        "Council of Europe (GRECO)",
        "UNCAC Implementation Review Mechanism",
    }


def test_a_confidential_stage_is_counted_but_never_described_without_the_right() -> None:
    stages = stages_of(imported(calendar_csv())[0])
    brazil = [s for s in stages if s.state == "Brazil"]
    timeline = state_timeline(brazil, 30, reveal=False)
    assert timeline is not None
    assert timeline.hidden == 1 and [lane.mechanism for lane in timeline.lanes] == [
        "UNCAC Implementation Review Mechanism"
    ]
    assert timeline.burden is not None and timeline.burden.days_under_review == 6
    assert "2027-02-15" not in timeline.model_dump_json() and "OECD" not in timeline.model_dump_json()
    assert timeline.overlaps[0].b.mechanism == CONFIDENTIAL
    shown = state_timeline(brazil, 30, reveal=True)
    assert shown is not None and shown.hidden == 0 and len(shown.lanes) == 2
    assert all(lane.overlapping == [v.uid for v in lane.stages] for lane in shown.lanes)


def problems(data: bytes, name: str = "reviews.csv") -> list[str]:
    with pytest.raises(ReviewsInvalid) as refused:
        parse_reviews_csv(data, name)
    assert str(refused.value).endswith("nothing recorded")
    return refused.value.problems


def test_a_missing_column_is_one_line_each() -> None:
    data = b"mechanism,state,cycle,start\nGRECO,France,round 5,2027-01-01\n"
    assert problems(data) == [
        "line 1: the header lacks the column 'stage'",
        "line 1: the header lacks the column 'end'",
    ]
    assert problems(b"mechanism,state,cycle,stage,start,end,State\n") == [
        "line 1: the column 'state' is named twice"
    ]


def test_every_bad_field_of_every_line_is_one_line() -> None:
    rows = rows_of(
        """
GRECO|France|round 5|on-site visit|2027-03-10|2027-03-01||
GRECO||round 5|on-site visit|2027-13-01|soon|maybe|
GRECO|=HYPERLINK("http://x")|round 5|visit|2027-01-01|2027-01-02||
@SUM(A1)|France|+1|-2|2027-01-01|2027-01-02||
GRECO|France|round 5|on-site visit|2027-03-01|2027-03-10||
Council of Europe (GRECO)|FRANCE|Round 5|On-site visit|2027-03-01|2027-03-11||
"""
    )
    assert problems(to_csv(rows)) == [
        "line 2: end (2027-03-01) is before start (2027-03-10)",
        "line 3: state is empty",
        "line 3: start '2027-13-01' is not a date of the calendar",
        "line 3: end 'soon' is not a date (YYYY-MM-DD)",
        "line 3: confidential is 'maybe', not yes or no",
        "line 4: state starts with '=', which a spreadsheet would run as a formula",
        "line 5: mechanism starts with '@', which a spreadsheet would run as a formula",
        "line 5: cycle starts with '+', which a spreadsheet would run as a formula",
        "line 5: stage starts with '-', which a spreadsheet would run as a formula",
        "line 7: the same review stage as line 6 (Council of Europe (GRECO), France, Round 5, On-site visit)",
    ]


def test_a_formula_in_a_note_is_kept_and_escaped_on_export() -> None:
    (row,) = parse_reviews_csv(
        to_csv([("GRECO", "France", "r5", "visit", "2027-01-01", "2027-01-02", "", FORMULA)]), "x.csv"
    )
    assert row.review.notes == {"notes": FORMULA}
    assert spreadsheet_safe(FORMULA) == "'" + FORMULA
    assert spreadsheet_safe("\tcmd") == "'\tcmd" and spreadsheet_safe("France") == "France"
    assert formula_problem(" =1+1") is not None and formula_problem("a=b") is None


def test_too_many_rows_is_one_line_and_nothing_is_read_further() -> None:
    line = b"GRECO,France,round 5,visit,2027-01-01,2027-01-02\n"
    data = b"mechanism,state,cycle,stage,start,end\n" + line * 200_000
    assert problems(data, "big.csv") == [
        f"big.csv: 200,000 rows; an import takes at most {MAX_IMPORT_ROWS:,} (split the file)"
    ]


def test_a_file_in_another_encoding_is_one_line_saying_where() -> None:
    latin = "mechanism,state,cycle,stage,start,end\nGRECO,Côte d'Ivoire,r5,visit,2027-01-01,2027-01-02\n"
    assert problems(latin.encode("latin-1"), "latin.csv") == [
        "latin.csv: not UTF-8 text (byte 0xF4 on line 2); save it as UTF-8 (a CSV file)"
    ]
    assert problems(latin.encode("utf-16"), "wide.csv") == [
        "wide.csv: the file is UTF-16 text; save it as UTF-8 (a CSV file)"
    ]
    assert problems(b"mechanism,state\x00", "nul.csv") == [
        "nul.csv: the file holds NUL characters; it is not a CSV file"
    ]
    assert problems(b"", "empty.csv")[0].startswith("empty.csv: the file is empty")
    assert problems(b"mechanism,state,cycle,stage,start,end\n", "header.csv") == [
        "header.csv: no reviews, only a header"
    ]
    assert parse_reviews_csv("\ufeff".encode() + calendar_csv(), "bom.csv")[0].review.state == "Albania"


def test_many_problems_are_listed_up_to_a_bound() -> None:
    rows = [("GRECO", "France", f"r{n}", "visit", "2027-01-02", "2027-01-01", "", "") for n in range(80)]
    listed = problems(to_csv(rows))
    assert len(listed) == 51 and listed[-1] == "... and 30 more problems"


def test_calendar_events_read_back_as_they_were_written() -> None:
    _, (outcome,) = imported(calendar_csv())
    assert events_from_json(events_json(outcome.events)) == outcome.events


def test_days_under_review_count_each_day_once() -> None:
    d = date
    assert union_days([]) == 0
    assert union_days([(d(2027, 1, 1), d(2027, 1, 1))]) == 1
    assert union_days([(d(2027, 1, 1), d(2027, 1, 10)), (d(2027, 1, 5), d(2027, 1, 7))]) == 10
    assert union_days([(d(2027, 1, 1), d(2027, 1, 10)), (d(2027, 1, 10), d(2027, 1, 12))]) == 12
    assert union_days([(d(2027, 1, 1), d(2027, 1, 2)), (d(2027, 1, 4), d(2027, 1, 5))]) == 4
