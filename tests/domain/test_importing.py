"""From a parsed resolution to mandates and followed paragraphs (pure)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.errors import DomainError
from domain.events import to_payload
from domain.importing import PlanFileInvalid, plan_import, short_title
from domain.mandate import Mandate
from domain.plan import PlanInvalid
from domain.resolution import parse_resolution
from domain.vocabulary import Actor, MandateKind

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "resolutions" / "cosp-7-synergies.txt"
NOW = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def resolution():
    return parse_resolution(REFERENCE.read_bytes())


def test_secretariat_paragraphs_with_work_become_mandates(resolution) -> None:
    planned = plan_import(resolution, NOW)
    assert [m.paragraph for m in planned.mandates] == [1, 2, 3, 5]
    assert [f.paragraph for f in planned.followed] == [4]
    para3 = planned.mandates[2]
    assert para3.confidential and para3.kinds == [MandateKind.INFORMATION_COLLECTION]
    assert para3.id == "mandate-cosp-7-enhancing-synergies-para-3"
    followed = planned.followed[0]
    assert followed.addressee == Actor.STATES_PARTIES and followed.why == "addressed to states parties"
    assert to_payload(followed)[0] == "MandateFollowed"


def test_titles_name_the_action_asked_for(resolution) -> None:
    titles = [short_title(p) for p in resolution.operative]
    assert titles[0].startswith("Continue its dialogue with States parties")
    assert titles[1].startswith("Explore the possibility of cooperation arrangements")
    assert titles[4].startswith("Undertake the activities outlined in this resolution")
    assert all(len(t) <= 72 for t in titles)


def test_default_plans_follow_the_kinds(resolution) -> None:
    planned = plan_import(resolution, NOW)
    steps = {m.paragraph: [s.id for s in m.plan.steps] for m in planned.mandates}
    assert steps[5] == ["compile-report", "approve-report", "submit-report"]
    assert "consult-partner-secretariats" in steps[2] and steps[2][-1] == "submit-report"
    assert steps[1][0] == "identify-interlocutors"


def test_a_plan_file_replaces_every_plan_or_named_paragraphs(resolution) -> None:
    plan = {"steps": [{"type": "task", "id": "do-it", "title": "Do it", "due_in_days": 10}]}
    everywhere = plan_import(resolution, NOW, plan)
    assert all([s.id for s in m.plan.steps] == ["do-it"] for m in everywhere.mandates)
    only_two = plan_import(resolution, NOW, {"paragraphs": {"2": plan}})
    assert {m.paragraph: m.plan.steps[0].id for m in only_two.mandates}[2] == "do-it"
    assert {m.paragraph: m.plan.steps[0].id for m in only_two.mandates}[5] == "compile-report"


@pytest.mark.parametrize(
    ("plan", "error", "words"),
    [
        ({"steps": []}, PlanInvalid, "steps"),
        ({"paragraphs": {"4": {"steps": []}}}, PlanFileInvalid, "paragraph 4 is not a Secretariat mandate"),
        ({"paragraphs": ["x"]}, PlanFileInvalid, "must map paragraph numbers"),
        (
            json.loads('{"steps": [{"type": "meeting", "id": "m", "title": "M"}]}'),
            PlanInvalid,
            "unknown step type",
        ),
    ],
)
def test_a_bad_plan_file_is_one_clear_error(resolution, plan, error, words) -> None:
    with pytest.raises(error) as raised:
        plan_import(resolution, NOW, plan)
    assert isinstance(raised.value, DomainError)
    assert words in str(raised.value) and "\n" not in str(raised.value)


LATER_CLAUSE = """The General Assembly,

1. Recalls its resolution 90/1, and requests the Secretary-General to prepare an analysis of
the trends for presentation to the Assembly at its ninety-second session, and to report
annually thereafter, for a period of three years;

2. Requests the Peacebuilding Support Office to cooperate with the regional centres and to
submit a report by 31 March 2099;

3. Decides to review the implementation of the present resolution at its ninety-fourth session.
"""


def test_a_mandate_carries_the_full_text_and_what_un_practice_tracks() -> None:
    planned = plan_import(parse_resolution(LATER_CLAUSE), NOW)
    first, second = planned.mandates
    assert first.paragraph == 1 and first.verb == "recalls"
    assert first.text.startswith("Recalls its resolution 90/1, and requests the Secretary-General")
    assert first.text.endswith("for a period of three years;")
    assert first.title.startswith("Prepare an analysis of the trends")
    assert first.addressees == ["the Secretary-General"]
    assert first.reports_to == "General Assembly"
    assert first.report_due_session == "ninety-second session"
    assert first.reporting_frequency is not None and first.reporting_frequency.value == "annual"
    assert first.sunset_clause == "for a period of three years"
    assert first.review_clause == (
        "para 3: Decides to review the implementation of the present resolution at its ninety-fourth session"
    )
    assert second.report_due == date(2099, 3, 31)
    assert second.plan.steps[-1].due is not None  # the report's deadlines count back from the due date
    assert second.unsure == ["kind: dialogue (weak wording)", "reports to: no body named"]
    assert [f.paragraph for f in planned.followed] == [3]


def test_a_report_date_already_past_does_not_set_deadlines() -> None:
    text = LATER_CLAUSE.replace("31 March 2099", "31 March 2020")
    (_, second) = plan_import(parse_resolution(text), NOW).mandates
    assert second.report_due is None


def test_mandates_stored_before_the_new_fields_still_read() -> None:
    planned = plan_import(parse_resolution(REFERENCE.read_bytes()), NOW)
    stored = planned.mandates[0].model_dump(mode="json")
    for name in ("text", "addressees", "reporting_frequency", "report_due_session", "review_clause",
                 "sunset_clause", "unsure"):  # fmt: skip
        del stored[name]
    old = Mandate.model_validate(stored)
    assert old.text == "" and old.unsure == [] and old.reporting_frequency is None
