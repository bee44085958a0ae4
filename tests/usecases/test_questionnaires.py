"""A questionnaire plan end to end: the partner secretariats answer the information collection's
form through the use cases an answer page calls (and ``mandates respond --file`` calls), a bad
answer is refused field by field with nothing recorded, and the answers reach the review
calendar, the costs compared and the progress report."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from domain import events as ev
from domain.forms import AnswersInvalid
from reports.render import to_markdown
from tests.support.mandates import make_mandate
from tests.support.questionnaires import GRECO, OAS, OECD, good_answers, questionnaire_plan
from tests.support.temporal import Engine
from tests.support.usecases import EngineOnTestServers
from tests.support.workflows import start, state_of
from usecases import questionnaires, reporting, reviews, steering
from usecases.errors import Refused
from workflows.messages import RespondRequest


@pytest.fixture
def app(pool: asyncpg.Pool, engine: Engine, tmp_path: Path) -> EngineOnTestServers:
    return EngineOnTestServers(pool, engine.client, engine.task_queue, tmp_path)


async def test_a_questionnaire_is_answered_checked_and_feeds_the_calendar_and_the_report(
    app: EngineOnTestServers, engine: Engine, tmp_path: Path
) -> None:
    mandate = make_mandate("questionnaire-e2e", questionnaire_plan(), paragraph=3)
    handle = await start(engine, mandate)
    found = await questionnaires.questionnaire(app, mandate.id)
    assert (found.step_id, found.open, found.awaiting) == ("request-schedules", True, [GRECO, OECD, OAS])
    assert found.form is not None and [q.id for q in found.form.questions][:2] == ["contact", "cost"]

    # a wrong answer: every bad field named, nothing recorded (the page's check, then the worker's)
    version = (await state_of(handle)).version
    bad = good_answers(
        contact="", cost="lots", schedule=[{**good_answers()["schedule"][0], "end": "2027-01-01"}]
    )
    with pytest.raises(AnswersInvalid) as refused:
        await questionnaires.respond_with_answers(app, mandate.id, GRECO, bad)
    assert refused.value.problems == [
        "contact: required",
        "cost: is not an amount with its currency (e.g. 1500 EUR)",
        "schedule row 1: end (2027-01-01) is before start (2027-01-22)",
    ]
    with pytest.raises(Refused, match=r"refused: answers: contact: required; cost: is not an amount"):
        await steering.respond(app, mandate.id, RespondRequest(party=GRECO, text="x", answers=bad))
    assert (await state_of(handle)).version == version

    recorded = await questionnaires.respond_with_answers(app, mandate.id, GRECO, good_answers())
    assert recorded.result.events == ["ResponseReceived"]
    answers = await questionnaires.current_answers(app, mandate.id, GRECO)
    assert answers is not None and answers.questions["cost"] == {"amount": "52000", "currency": "EUR"}
    assert await questionnaires.current_answers(app, mandate.id, OECD) is None

    # the OECD's answers as a file of JSON, then its schedule revised from a CSV file
    oecd = tmp_path / "oecd.json"
    oecd.write_text(json.dumps({"questions": {"contact": "WGB secretariat", "cost": "EUR 70000"}, "tables": {
        "schedule": [{"state": "France", "round": "phase 4", "stage": "on-site visit", "start": "2027-06-20",
                      "end": "2027-06-24"}]}}))  # fmt: skip
    await questionnaires.respond_with_file(app, mandate.id, OECD, oecd)
    schedule = tmp_path / "oecd-schedule.csv"
    schedule.write_text(
        "State,Cycle or round,Stage,Start,End\nAustria,phase 4,on-site visit,2027-01-25,2027-01-27\n"
    )
    with pytest.raises(AnswersInvalid, match="contact: required"):  # a table alone does not answer the rest
        await questionnaires.respond_with_file(app, mandate.id, OAS, schedule)
    revised = await questionnaires.respond_with_file(app, mandate.id, OECD, schedule, revise=True)
    assert revised.result.events == ["ResponseReceived"]
    stream = await engine.audit.read_stream(mandate.id)
    last = ev.from_payload(stream[-1].type, stream[-1].payload)
    assert isinstance(last, ev.ResponseReceived) and last.revision == 1 and last.answers is not None
    assert last.answers.questions["contact"] == "WGB secretariat"  # kept from its earlier answers
    assert [r["state"] for r in last.answers.tables["schedule"]] == ["Austria"]
    assert last.text.startswith("Answers to the questionnaire: 2 of 6 questions answered")

    # the calendar: GRECO's and the OECD's visits to Austria overlap; France's OECD visit is gone
    overlaps = [o.as_json() for o in await reviews.overlaps(app)]
    assert overlaps == [
        {
            "state": "Austria",
            "a": {"mechanism": GRECO, "cycle": "round 5", "stage": "on-site visit", "start": "2027-01-22",
                  "end": "2027-01-26"},
            "b": {"mechanism": OECD, "cycle": "phase 4", "stage": "on-site visit", "start": "2027-01-25",
                  "end": "2027-01-27"},
            "gap_days": -1,  # the 25th and the 26th under both
        }
    ]  # fmt: skip
    assert [(b.state, b.stages) for b in await reviews.burden(app)] == [("France", 1), ("Austria", 2)]
    costs = await reviews.costs(app)
    assert [(c.mechanism, c.currency, str(c.average), c.sources) for c in costs] == [
        (GRECO, "EUR", "52000.00", [GRECO]),
        (OECD, "EUR", "70000.00", [OECD]),
    ]

    # the report: the Synergies section, traced to the answers
    report = await reporting.progress_report(app)
    assert report.synergies is not None
    assert [o.state for o in report.synergies.overlaps] == ["Austria"]
    (action,) = report.synergies.actions
    refs = {s.position for s in stream if s.type == "ResponseReceived"}
    assert set(action.refs) >= refs - {stream[-2].position}  # the answers that still feed it
    text = to_markdown(report)
    assert "## Synergies between review mechanisms" in text
    assert "Council of Europe (GRECO): round 5, on-site visit (2027-01-22 to 2027-01-26)" in text
    assert "overlap of 2 days" in text
    assert "3 review stages of the calendar from the answers of Council of Europe (GRECO), OECD" in text
