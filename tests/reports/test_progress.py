"""The progress report: golden files for the reference resolution, byte-identical output,
figures traced to audit positions, and confidential content never printed."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain import events as ev
from domain.decide import CompleteTask, Withdraw
from domain.reviews import REVIEW_STREAM, parse_reviews_csv, plan_changes, review_payload
from domain.timeline import describe_event
from domain.vocabulary import MandateKind
from reports import compile_report_for, to_html, to_markdown
from reports.progress import ReportPeriod, ReportPeriodInvalid, ReportUnreadable, build_progress_report
from tests.support import cosp7
from tests.support.cosp7 import GOLDEN, Logged
from tests.support.mandates import T0, make_mandate
from tests.support.reviews import (
    FORMULA,
    burden_by_hand,
    calendar_csv,
    overlaps_by_hand,
    summer_burden_by_hand,
)
from tests.support.stories import Story, late_completion_story

PERIOD = ReportPeriod(start=date(2018, 1, 1), end=date(2018, 3, 31))


def check_golden(name: str, text: str) -> None:
    """Compare with ``golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_the_report_on_the_reference_resolution_matches_its_golden_files(cosp7_log: Logged) -> None:
    report = build_progress_report(cosp7_log.records)
    check_golden("cosp-7.md", to_markdown(report))
    check_golden("cosp-7.html", to_html(report))
    first_quarter = build_progress_report(cosp7_log.records, period=PERIOD)
    check_golden("cosp-7-2018-q1.md", to_markdown(first_quarter))


def test_the_same_log_gives_the_same_bytes_whatever_order_it_is_read_in(cosp7_log: Logged) -> None:
    records = list(cosp7_log.records)
    first = to_markdown(build_progress_report(records)), to_html(build_progress_report(records))
    random.Random(5).shuffle(records)
    assert (to_markdown(build_progress_report(records)), to_html(build_progress_report(records))) == first


def test_confidential_responses_never_reach_the_report(cosp7_log: Logged) -> None:
    assert any(cosp7.CANARY in str(r.payload) for r in cosp7_log.records)  # the secret is in the log
    report = build_progress_report(cosp7_log.records)
    for text in (to_markdown(report), to_html(report), report.model_dump_json()):
        assert "CANARY" not in text
        assert "do not disclose" not in text
    for record in cosp7_log.records:  # no response text at all, confidential or not
        assert "Views of States parties" not in describe_event(record.type, record.payload)


def test_every_figure_points_at_audit_positions_listed_in_the_trace(cosp7_log: Logged) -> None:
    report = build_progress_report(cosp7_log.records)
    markdown = to_markdown(report)
    body, trace = markdown.split("\n## Trace\n")
    cited = {
        int(p) for group in re.findall(r"\[(#\d+(?:, #\d+)*)\]", body) for p in re.findall(r"\d+", group)
    }
    listed = {t.position for t in report.trace}
    assert cited and cited == listed
    by_position = {r.position: r for r in cosp7_log.records}
    for entry in report.trace:
        assert by_position[entry.position].type == entry.type
        assert f"| #{entry.position} |" in trace
    html = to_html(report)
    assert all(f'id="e{p}"' in html and f'href="#e{p}"' in html for p in cited)


def test_totals_add_up_to_what_the_log_records(cosp7_log: Logged) -> None:
    report = build_progress_report(cosp7_log.records)
    tasks = [r for r in cosp7_log.records if r.type == "TaskCompleted"]
    assert report.totals.effort_days == sum(Decimal(r.payload["effort_days"]) for r in tasks)
    assert report.totals.effort_refs == [r.position for r in tasks]
    costs = {m.currency: m.amount for m in report.totals.costs}
    assert costs == {"EUR": Decimal("2400.00"), "USD": Decimal("2650.00")}
    statuses = {c.label: c.count for c in report.totals.statuses}
    assert statuses == {"active": 2, "completed": 2, "followed": 1}
    deadlines = {c.label: c.count for c in report.totals.deadlines}
    assert deadlines["extended"] == 1 and deadlines["missed"] == 2
    # para 1's summary was returned once: its two steps met two deadlines each, and count once
    (met,) = [c for c in report.totals.deadlines if c.label == "met"]
    assert (met.count, met.deadlines) == (12, 14)
    lines = [d for m in report.resolutions[0].mandates for d in m.deadlines if d.outcome == "met"]
    assert len({(d.step_id, d.title) for d in lines}) < len(lines) == 14
    assert "| Summarise the dialogue (attempt 2) | 2018-04-29 | met (2018-04-19) |" in to_markdown(report)
    assert "| Deadlines met | 12 steps (14 attempts) |" in to_markdown(report)
    (resolution,) = report.resolutions
    assert [m.paragraph for m in resolution.mandates] == [1, 2, 3, 4, 5]
    p1, p2, p3, _, _ = resolution.mandates
    (consultation,) = p1.consultations
    assert [a.party for a in consultation.answered] == ["States parties", cosp7.GRECO, cosp7.OECD]
    assert consultation.not_answered == [cosp7.OAS]
    assert p2.cooperation is not None and p2.cooperation.stage == "under exploration"
    assert p2.cooperation.reached[-1] == "Legal approval of the draft"
    (info,) = p3.information
    assert (info.confidential, info.responses, info.requested_from) == (True, 2, 3)
    assert info.sources == [cosp7.GRECO, cosp7.OECD]


def test_a_period_keeps_what_happened_within_it(cosp7_log: Logged) -> None:
    report = build_progress_report(cosp7_log.records, period=PERIOD)
    assert report.as_of == datetime(2018, 4, 1, tzinfo=UTC) and report.as_of_is_period_end
    assert all(c.at.date() <= PERIOD.end for m in report.resolutions[0].mandates for c in m.costs)
    p1 = report.resolutions[0].mandates[0]
    assert p1.status == "active" and p1.current_step == "dialogue-consultation"
    later = build_progress_report(cosp7_log.records, period=ReportPeriod(start=date(2018, 4, 1)))
    assert all(c.at.date() >= date(2018, 4, 1) for m in later.resolutions[0].mandates for c in m.costs)
    assert later.resolutions[0].mandates[0].current_step == "compile-report"


def test_one_resolution_by_slug_or_symbol_and_compile_report_for(cosp7_log: Logged) -> None:
    slug = cosp7_log.scenario.slug
    whole = to_markdown(build_progress_report(cosp7_log.records))
    one = to_markdown(build_progress_report(cosp7_log.records, resolution=slug))
    assert to_markdown(build_progress_report(cosp7_log.records, resolution=slug.upper())) == one
    assert one.replace(f" · resolution {slug}", "") == whole
    assert compile_report_for(cosp7_log.records, slug) == one
    assert build_progress_report(cosp7_log.records, resolution="cosp-8").resolutions == []


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2018-01-01..2018-03-31", date(2018, 1, 1), date(2018, 3, 31)),
        ("..2018-03-31", None, date(2018, 3, 31)),
    ],
)
def test_periods_are_read_from_from_to(text: str, start: date | None, end: date | None) -> None:
    assert ReportPeriod.parse(text) == ReportPeriod(start=start, end=end)


@pytest.mark.parametrize("text", ["2018-01-01", "2018-13-01..2018-12-31", "2018-03-01..2018-01-01"])
def test_a_bad_period_is_one_line(text: str) -> None:
    with pytest.raises(ReportPeriodInvalid) as caught:
        ReportPeriod.parse(text)
    assert "\n" not in str(caught.value)


# --- in-memory records: the report is pure ------------------------------------


@dataclass
class Record:
    position: int
    stream_id: str
    version: int
    type: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


def records_of(*stories: Story) -> list[Record]:
    batches = sorted((b for s in stories for b in s.batches), key=lambda b: b.at)
    records: list[Record] = []
    for batch in batches:
        for offset, event in enumerate(batch.events, start=1):
            event_type, payload = ev.to_payload(event)
            records.append(
                Record(
                    len(records) + 1,
                    batch.mandate_id,
                    batch.expected_version + offset,
                    event_type,
                    event.actor,
                    event.at,
                    batch.at,
                    payload,
                )
            )
    return records


def test_a_withdrawn_mandate_cancels_its_open_deadline_and_says_why() -> None:
    story = Story(make_mandate("res", paragraph=1, kinds=[MandateKind.REPORTING]))
    story.do(
        CompleteTask(by="a", outcome="drafted", effort_days=Decimal(2), cost=Decimal(10)), T0 + timedelta(1)
    )
    story.do(Withdraw(reason="superseded by resolution 8/2", by="coordinator"), T0 + timedelta(days=3))
    report = build_progress_report(records_of(story))
    (mandate,) = report.resolutions[0].mandates
    assert (mandate.status, mandate.withdrawal_reason) == ("withdrawn", "superseded by resolution 8/2")
    assert [d.outcome for d in mandate.deadlines] == ["met", "cancelled"]
    assert [s.status for s in mandate.steps] == ["done", "stopped", "pending"]
    text = to_markdown(report)
    assert "withdrawn: superseded by resolution 8/2" in text and "cancelled (2027-01-07)" in text
    assert report.as_of == T0 + timedelta(days=3)


def test_a_task_completed_after_its_deadline_is_reported_missed() -> None:
    story = late_completion_story()
    report = build_progress_report(records_of(story))
    (mandate,) = report.resolutions[0].mandates
    assert [(d.step_id, d.outcome) for d in mandate.deadlines] == [
        ("compile", "missed"),
        ("check", "met"),
        ("approve", "open"),
    ]


def test_an_empty_log_gives_a_short_report() -> None:
    report = build_progress_report([])
    assert report.as_of is None and report.resolutions == []
    assert "No mandates are recorded" in to_markdown(report)
    assert "No mandates are recorded" in to_html(report)


def test_an_event_this_version_cannot_read_is_named_not_guessed_at() -> None:
    story = Story(make_mandate("res", paragraph=1, kinds=[MandateKind.REPORTING]))
    records = records_of(story)
    records[1].payload = {**records[1].payload, "deadline": "soon"}
    with pytest.raises(ReportUnreadable, match=r"audit event #2 \(StepStarted\) cannot be read: deadline"):
        build_progress_report(records)


# --- synergies between review mechanisms ----------------------------------------------------


def with_calendar(records: list[Record]) -> list[Record]:
    """``records`` and, after them, the hand-written review calendar imported (one event a row)."""
    rows = parse_reviews_csv(calendar_csv(), "calendar.csv")
    events = plan_changes(rows, {}, by="coordinator", at=REVIEWED, source="calendar.csv").events
    out = list(records)
    for version, event in enumerate(events, start=1):
        event_type, payload = review_payload(event)
        out.append(
            Record(
                len(out) + 1, REVIEW_STREAM, version, event_type, "coordinator", REVIEWED, REVIEWED, payload
            )
        )
    return out


REVIEWED = datetime(2018, 3, 1, 9, 0, tzinfo=UTC)


def test_the_synergies_section_shows_the_calendar_worked_out_by_hand_traced_and_discreet() -> None:
    records = with_calendar(records_of(*cosp7.build().stories.values()))
    report = build_progress_report(records)
    synergies = report.synergies
    assert synergies is not None
    assert (synergies.stages, synergies.states, synergies.mechanisms, synergies.confidential) == (
        42,
        30,
        4,
        1,
    )
    assert [o.as_json() for o in synergies.overlaps] == overlaps_by_hand()
    assert [b.as_json() for b in synergies.heaviest] == burden_by_hand()[:10]
    paragraphs = [a.paragraph for a in synergies.actions]
    assert paragraphs == [1, 2, 3]  # the dialogue, the MoU exploration and the collection consulted them
    dialogue = synergies.actions[0]
    assert "consulted 3 of the States and mechanisms with overlapping reviews" in dialogue.text
    assert "answered: Council of Europe (GRECO), OECD Working Group on Bribery" in dialogue.text
    traced = {t.position for t in report.trace}
    assert set(synergies.refs) <= traced
    assert {t.mandate_id for t in report.trace if t.position in synergies.refs} >= {REVIEW_STREAM}
    austria = next(o for o in synergies.overlaps if o.state == "Austria")
    first = next(r.position for r in records if r.type == "ReviewScheduled")
    assert austria.refs == (first + 2, first + 30)  # UNCAC's visit (the third row), GRECO's (the 31st)

    md, html = to_markdown(report), to_html(report)
    assert "## Synergies between review mechanisms" in md and '<h2 id="synergies">' in html
    assert (
        "| Austria | UNCAC Implementation Review Mechanism: cycle 2, country visit (2027-01-21 to 2027-01-23)"
        in md
    )
    brazil = "UNCAC Implementation Review Mechanism: cycle 2, country visit (2027-02-10 to 2027-02-12)"
    assert f"| Brazil | {brazil} | a confidential review | not shown (confidential) |" in md
    for text in (md, html, report.model_dump_json()):
        assert "secret: visit" not in text and "2027-02-15" not in text and FORMULA not in text
    assert "a confidential review of Brazil scheduled by coordinator" in md  # the trace's line for it


def test_in_a_period_the_synergies_are_the_stages_within_it() -> None:
    records = with_calendar(records_of(*cosp7.build().stories.values()))
    summer = build_progress_report(
        records, period=ReportPeriod(start=date(2027, 6, 1), end=date(2027, 8, 31))
    )
    assert summer.synergies is not None
    assert [(o.state, o.gap_days) for o in summer.synergies.overlaps] == [
        ("France", 18),
        ("Mexico", -1),
        ("Mexico", 1),
        ("Mexico", -2),
    ]
    assert [b.as_json() for b in summer.synergies.heaviest] == summer_burden_by_hand()
    assert "in the period" in to_markdown(summer)


def test_a_report_without_a_calendar_has_no_synergies_section(cosp7_log: Logged) -> None:
    report = build_progress_report(cosp7_log.records)
    assert report.synergies is None and "Synergies" not in to_markdown(report)
    only_calendar = build_progress_report(with_calendar([]))
    assert only_calendar.resolutions == [] and only_calendar.synergies is not None
    text = to_markdown(only_calendar)
    assert "No mandates are recorded" in text and "## Synergies between review mechanisms" in text
    assert "No mandate has consulted the States or mechanisms concerned yet." in text


def test_a_period_not_over_yet_is_reported_as_it_stands_now() -> None:
    """`report --period 2027-01-01..2027-06-30` early in 2027 dated the report after the period
    and counted every open deadline as overdue, though none had passed."""
    story = Story(make_mandate("res", paragraph=1, kinds=[MandateKind.REPORTING]))
    half = ReportPeriod(start=date(2027, 1, 1), end=date(2027, 6, 30))
    now = T0 + timedelta(days=1)

    report = build_progress_report(records_of(story), period=half, now=now)

    assert report.as_of == now and report.period_not_over and not report.as_of_is_period_end
    (mandate,) = report.resolutions[0].mandates
    assert [d.outcome for d in mandate.deadlines] == ["open"]
    assert [c.label for c in report.totals.deadlines] == ["open"]
    text = to_markdown(report)
    assert "As of 2027-01-05 09:00 UTC · period 2027-01-01 to 2027-06-30 (not over yet" in text
    assert "overdue" not in text.lower()

    over = build_progress_report(records_of(story), period=half, now=datetime(2027, 8, 1, tzinfo=UTC))
    assert over.as_of == datetime(2027, 7, 1, tzinfo=UTC) and not over.period_not_over
    assert "As of the end of 2027-06-30 · period 2027-01-01 to 2027-06-30 · " in to_markdown(over)
    assert [c.label for c in over.totals.deadlines] == ["overdue"]  # (by then it had passed)
