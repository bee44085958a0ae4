"""Questionnaires: a form is part of the plan and validated with it; answers are checked field
by field, recorded canonical, and fold into the review calendar and the costs compared."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain import events as ev
from domain.calendar import CostAnswer, ReviewCalendar, compare_costs, read_record
from domain.decide import RecordResponse, StartMandate, decide
from domain.forms import (
    AnswersInvalid,
    Form,
    FormAnswers,
    summary,
    table_rows_from_csv,
    unanswered,
    validate_answers,
)
from domain.plan import PlanInvalid, validate_plan
from domain.state import fold
from tests.support.mandates import make_mandate
from tests.support.questionnaires import FORM, GRECO, OAS, OECD, good_answers, questionnaire_plan

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def form() -> Form:
    step = questionnaire_plan().steps[0]
    assert step.form is not None
    return step.form


def test_a_form_is_validated_with_its_plan() -> None:
    assert questionnaire_plan().steps[0].form == form()
    base = {"type": "consultation", "id": "c", "title": "C", "due_in_days": 3, "parties": ["A"]}
    not_a_date = "which is not a date column of the table"
    neither = "is neither '@party' nor a text or choice question of the form"
    cases = {
        "steps.0.form: a form needs at least one question or table": {},
        "steps.0.form: a form names a question or table twice": {
            "questions": [{"id": "q", "label": "Q", "type": "text"}],
            "tables": [{"id": "q", "label": "T", "columns": [{"id": "a", "label": "A"}]}],
        },
        "steps.0.form.questions.0: question 'q' is a choice with no choices": {
            "questions": [{"id": "q", "label": "Q", "type": "choice"}]
        },
        f"steps.0.form.tables.0: table 't' maps the calendar's start to 'a', {not_a_date}": {
            "tables": [
                {
                    "id": "t",
                    "label": "T",
                    "columns": [{"id": "a", "label": "A"}],
                    "calendar": {
                        "mechanism": "@party",
                        "state": "a",
                        "cycle": "a",
                        "stage": "a",
                        "start": "a",
                        "end": "a",
                    },
                }
            ]
        },
        f"steps.0.form: question 'c': review_cost 'x' {neither}": {
            "questions": [{"id": "c", "label": "C", "type": "money", "review_cost": "x"}]
        },
    }
    for message, bad in cases.items():
        with pytest.raises(PlanInvalid) as refused:
            validate_plan({"steps": [{**base, "form": bad}]})
        assert str(refused.value) == message


def test_a_plan_without_forms_is_written_as_before() -> None:
    plan = validate_plan(
        {"steps": [{"type": "consultation", "id": "c", "title": "C", "due_in_days": 3, "parties": ["A"]}]}
    )
    assert "form" not in plan.model_dump(mode="json")["steps"][0]
    assert "form" in questionnaire_plan().model_dump(mode="json")["steps"][0]


def test_answers_are_recorded_canonical_and_check_themselves_again() -> None:
    answers = validate_answers(form(), good_answers(next_plenary=date(2027, 3, 1)), GRECO)
    assert answers.questions == {
        "contact": "Jane Roe, GRECO secretariat",
        "cost": {"amount": "52000", "currency": "EUR"},
        "reviews_per_year": "12",
        "joint_visits": True,
        "language": "English",
        "next_plenary": "2027-03-01",
    }
    assert answers.tables["schedule"][1] == {
        "state": "FRANCE", "round": "round 5", "stage": "evaluation report", "start": "2027-09-01",
        "end": "2027-09-30", "visit_start": "2027-09-02", "visit_end": "2027-09-04",
    }  # fmt: skip
    assert validate_answers(form(), answers, GRECO) == answers
    assert validate_answers(
        form(), good_answers(cost={"amount": 52000, "currency": "eur"}), GRECO
    ) == validate_answers(form(), good_answers(cost="EUR 52000"), GRECO)


def test_a_wrong_answer_names_every_bad_field() -> None:
    bad = good_answers(
        contact="  ",
        cost="52000 euros",
        reviews_per_year="a dozen",
        joint_visits="perhaps",
        language="German",
        next_plenary="1 March",
        extra="?",
        schedule=[
            {"state": "Austria", "round": "round 5", "stage": "on-site visit", "start": "2027-01-22",
             "end": "2027-01-20"},
            {"state": "=HYPERLINK(\"x\")", "round": "round 5", "stage": "visit", "start": "2027-02-01",
             "end": "2027-02-02", "visit_start": "2027-02-02", "visit_end": "2027-02-01"},
            {"round": "round 5", "stage": "visit", "start": "2027-02-01", "end": "2027-02-02",
             "colour": "red"},
        ],
    )  # fmt: skip
    with pytest.raises(AnswersInvalid) as refused:
        validate_answers(form(), bad, GRECO)
    assert refused.value.problems == [
        "extra: not a question or table of this form",
        "contact: required",
        "cost: currency 'euros' is not a three-letter code (e.g. EUR)",
        "reviews_per_year: 'a dozen' is not a number",
        "joint_visits: 'perhaps' is not yes or no",
        "language: 'German' is not one of English, French, Spanish",
        "next_plenary: '1 March' is not a date (YYYY-MM-DD)",
        "schedule row 1: end (2027-01-20) is before start (2027-01-22)",
        "schedule row 2: visit_end (2027-02-01) is before visit_start (2027-02-02)",
        "schedule row 2: state starts with '=', which a spreadsheet would run as a formula",
        "schedule row 3: 'colour' is not a column of the table",
        "schedule row 3: state: required",
        "schedule row 3: state is empty",
    ]
    assert str(refused.value).startswith(
        "answers: extra: not a question or table of this form; contact: required;"
    )
    with pytest.raises(
        AnswersInvalid, match=r"^answers: contact: required; cost: required; schedule: required"
    ):
        validate_answers(form(), {}, GRECO)


def test_decide_records_checked_answers_and_refuses_wrong_ones_whole() -> None:
    mandate = make_mandate("questionnaire", questionnaire_plan())
    state = fold(decide(fold([]), StartMandate(mandate=mandate), T0))
    (received,) = decide(state, RecordResponse(party=GRECO, text="see answers", answers=good_answers()), T0)
    assert isinstance(received, ev.ResponseReceived) and received.answers is not None
    assert received.answers.questions["cost"] == {"amount": "52000", "currency": "EUR"}
    event_type, payload = ev.to_payload(received)
    assert ev.from_payload(event_type, payload) == received
    with pytest.raises(AnswersInvalid, match="answers: schedule row 1: end"):
        bad = good_answers(schedule=[{**good_answers()["schedule"][0], "end": "2027-01-01"}])
        decide(state, RecordResponse(party=OECD, text="x", answers=bad), T0)
    (plain,) = decide(state, RecordResponse(party=OAS, text="a letter"), T0)
    assert "answers" not in ev.to_payload(plain)[1]  # an answer without a form's, as before
    other = fold(decide(fold([]), StartMandate(mandate=make_mandate("no-form")), T0))
    party = other.active_step().parties  # type: ignore[union-attr]
    with pytest.raises(AnswersInvalid, match="has no questionnaire to answer"):
        decide(other, RecordResponse(party=next(iter(party)), text="x", answers={"q": 1}), T0)


def test_answers_feed_the_calendar_and_a_revision_replaces_them() -> None:
    mandate = make_mandate("questionnaire", questionnaire_plan(confidential=False))
    state = fold(decide(fold([]), StartMandate(mandate=mandate), T0))
    started = decide(fold([]), StartMandate(mandate=mandate), T0)[0]
    first = decide(state, RecordResponse(party=GRECO, text="x", answers=good_answers()), T0)[0]
    state = fold([first], state)
    revised_answers = good_answers(cost="60000 EUR", schedule=good_answers()["schedule"][:1])
    revised = decide(state, RecordResponse(party=GRECO, text="y", answers=revised_answers, revise=True), T0)[
        0
    ]
    visit = {"state": "Austria", "round": "phase 4", "stage": "on-site visit", "start": "2027-01-25",
             "end": "2027-01-27"}  # fmt: skip
    oecd_answers = good_answers(cost="70000 EUR", schedule=[visit])
    oecd = decide(state, RecordResponse(party=OECD, text="z", answers=oecd_answers), T0)[0]
    calendar = ReviewCalendar()
    for position, event in enumerate([started, first], start=1):
        event_type, payload = ev.to_payload(event)
        read = read_record(position, mandate.id, event_type, T0, payload)
        assert read is not None
        calendar.apply(read)
    assert sorted((s.mechanism, s.state, s.stage, s.source) for s in calendar.stages.values()) == [
        (GRECO, "Austria", "on-site visit", f"answer:{mandate.id}:request-schedules:{GRECO}"),
        (GRECO, "France", "evaluation report", f"answer:{mandate.id}:request-schedules:{GRECO}"),
    ]
    france = next(s for s in calendar.stages.values() if s.state == "France")
    assert france.notes == {"On-site visit from": "2027-09-02", "On-site visit to": "2027-09-04"}
    for position, event in enumerate([revised, oecd], start=3):
        event_type, payload = ev.to_payload(event)
        calendar.apply(read_record(position, mandate.id, event_type, T0, payload))  # type: ignore[arg-type]
    assert sorted((s.mechanism, s.state, s.refs) for s in calendar.stages.values()) == [
        (GRECO, "Austria", (3,)),
        (OECD, "Austria", (4,)),
    ]
    compared = compare_costs(calendar.all_costs())
    assert [(c.mechanism, c.currency, c.answers, c.average, c.sources, c.refs) for c in compared] == [
        (GRECO, "EUR", 1, Decimal("60000.00"), [GRECO], (3,)),
        (OECD, "EUR", 1, Decimal("70000.00"), [OECD], (4,)),
    ]  # fmt: skip


def test_a_confidential_consultation_gives_confidential_stages_and_unnamed_costs() -> None:
    mandate = make_mandate("secret", questionnaire_plan(confidential=True))
    started = decide(fold([]), StartMandate(mandate=mandate), T0)
    state = fold(started)
    calendar = ReviewCalendar()
    answer = decide(state, RecordResponse(party=GRECO, text="x", answers=good_answers(cost="100 EUR")), T0)[0]
    for position, event in enumerate([started[0], answer], start=1):
        event_type, payload = ev.to_payload(event)
        calendar.apply(read_record(position, mandate.id, event_type, T0, payload))  # type: ignore[arg-type]
    assert calendar.stages and all(s.confidential for s in calendar.stages.values())
    (cost,) = compare_costs(calendar.all_costs())
    assert (cost.sources, cost.confidential) == ([], 1)


def test_costs_are_compared_per_mechanism_and_currency() -> None:
    def cost(mechanism: str, amount: str, currency: str, party: str, ref: int) -> CostAnswer:
        return CostAnswer(
            mechanism=mechanism, amount=Decimal(amount), currency=currency, party=party, mandate_id="m",
            step_id="s", question="cost", source=f"answer:m:s:{party}", ref=ref,
        )  # fmt: skip

    rows = compare_costs(
        [
            cost("UNCAC Implementation Review Mechanism", "100000", "USD", "Austria", 5),
            cost("UNCAC Implementation Review Mechanism", "50000", "USD", "Brazil", 3),
            cost("UNCAC Implementation Review Mechanism", "40000.50", "USD", "Chile", 9),
            cost("UNCAC Implementation Review Mechanism", "30000", "EUR", "France", 4),
            cost(GRECO, "52000", "EUR", GRECO, 2),
        ]
    )
    uncac = "UNCAC Implementation Review Mechanism"
    assert [(r.mechanism, r.currency, r.answers, r.average, r.lowest, r.highest) for r in rows] == [
        (GRECO, "EUR", 1, Decimal("52000.00"), Decimal("52000"), Decimal("52000")),
        (uncac, "EUR", 1, Decimal("30000.00"), Decimal(30000), Decimal(30000)),
        (uncac, "USD", 3, Decimal("63333.50"), Decimal("40000.50"), Decimal("100000")),  # 190,000.50 / 3
    ]
    assert [(r.sources, r.refs) for r in rows] == [
        ([GRECO], (2,)),
        (["France"], (4,)),
        (["Austria", "Brazil", "Chile"], (3, 5, 9)),
    ]


def test_a_table_comes_from_csv_by_column_id_or_label() -> None:
    table = form().tables[0]
    data = "State,Cycle or round,stage,START,end\nAustria,round 5,on-site visit,2027-01-22,2027-01-26\n\n"
    assert table_rows_from_csv(table, data.encode(), "s.csv") == [
        {
            "state": "Austria",
            "round": "round 5",
            "stage": "on-site visit",
            "start": "2027-01-22",
            "end": "2027-01-26",
        }
    ]
    with pytest.raises(AnswersInvalid) as refused:
        table_rows_from_csv(table, b"State,Colour\nAustria,red,extra\n", "s.csv")
    columns = "state, round, stage, start, end, visit_start, visit_end"
    assert refused.value.problems == [f"s.csv: line 1: 'Colour' is not a column of schedule ({columns})"]
    with pytest.raises(AnswersInvalid, match="not UTF-8"):
        table_rows_from_csv(table, "State\nCôte\n".encode("latin-1"), "s.csv")


def test_unanswered_fields_and_the_line_that_sums_answers_up() -> None:
    answers = validate_answers(form(), good_answers(), GRECO)
    assert [f for f, _, _ in unanswered(form(), answers)] == ["next_plenary"]
    assert [f for f, _, required in unanswered(form(), None) if required] == ["contact", "cost", "schedule"]
    assert summary(form(), answers) == (
        "Answers to the questionnaire: 5 of 6 questions answered; Your review schedule for 2027-2029: 2 rows."
    )
    assert FormAnswers().answered() == set()
    assert len(unanswered(form(), FormAnswers())) == len(FORM["questions"]) + len(FORM["tables"])
