"""Clause-level reading, addressees, the wider vocabulary, and what UN practice tracks.

Every wording added to the rule tables of ``domain.classification`` has a case here.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.classification import (
    CLAUSE_VERBS,
    KIND_RULES,
    KNOWN_ADDRESSEES,
    REPORTING_FREQUENCY_RULES,
    REVIEW_RULES,
    SUNSET_RULES,
    classify_actor,
    classify_kinds,
    classify_paragraph,
    find_report_due,
    find_reporting_frequency,
    find_reports_to,
    find_review_clause,
    find_sunset_clause,
    read_addressee,
    read_clauses,
    split_leading_verb,
    weak_kinds,
)
from domain.vocabulary import Actor, MandateKind, ReportingFrequency

D = MandateKind.DIALOGUE
M = MandateKind.MOU_EXPLORATION
I = MandateKind.INFORMATION_COLLECTION  # noqa: E741
R = MandateKind.REPORTING
S = Actor.SECRETARIAT


def test_the_new_tables_are_documented() -> None:
    assert CLAUSE_VERBS == tuple(sorted(CLAUSE_VERBS))
    assert all(rule.description for rule in (*REVIEW_RULES, *SUNSET_RULES, *REPORTING_FREQUENCY_RULES))
    assert KNOWN_ADDRESSEES
    assert all(rule.description for rule in KIND_RULES)


# --- addressees ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "rest", "actor"),
    [
        ("requests", "the Director-General to prepare a study", S),
        ("requests", "the Director General to prepare a study", S),
        ("invites", "the Executive Secretary to consult", S),
        ("requests", "the Executive Director to report", S),
        ("requests", "the High Commissioner to present a report", S),
        ("requests", "the United Nations High Commissioner for Human Rights to present", S),
        ("requests", "the Emergency Relief Coordinator to continue to brief", S),
        ("requests", "the High Representative for Disarmament Affairs to convene", S),
        ("requests", "the Executive Director of the United Nations Office on Drugs and Crime to assist", S),
        # funds, programmes and the refugee agency are not the Secretariat (their own bodies)
        ("requests", "the United Nations High Commissioner for Refugees to continue", Actor.OTHER),
        ("requests", "the Office of the United Nations High Commissioner for Refugees to", Actor.OTHER),
        ("requests", "the Executive Director of the United Nations Children's Fund to report", Actor.OTHER),
        ("invites", "the Executive Director of UN-Women to support", Actor.OTHER),
        ("requests", "the United Nations Office for Project Services to continue", Actor.OTHER),
        ("requests", "the Peacebuilding Support Office to publish a yearly summary", S),
        ("requests", "the Office for Disarmament Affairs to assist States", S),
        (
            "requests",
            "the Department of Global Communications of the Secretariat, within resources, to publicize",
            S,
        ),
        ("requests", "the Department of Economic and Social Affairs to convene", S),
        ("invites", "the Special Representative of the Secretary-General to brief", S),
        ("requests", "the Secretary-General and the President of the General Assembly to convene", S),
        ("encourages", "States parties and the Secretariat to engage", S),
        ("calls upon", "Member States, the Secretariat and civil society to cooperate", S),
        ("requests", "the Chair of the Working Group to convene", Actor.OTHER),
        ("requests", "the President of the General Assembly to transmit", Actor.OTHER),
        (
            "encourages",
            "the Commission, in cooperation with the Peacebuilding Support Office, to consult donors",
            Actor.OTHER,
        ),
        ("requests", "the Office of the President of the General Assembly to circulate", Actor.OTHER),
        ("welcomes", "the Secretary-General's report", Actor.OTHER),
        ("commends", "the Secretariat for its work", Actor.OTHER),
        ("takes note", "of the report of the Secretary-General", Actor.OTHER),
        ("decides", "that the Secretariat shall prepare a note", S),
        ("appeals", "to Member States to contribute", Actor.STATES_PARTIES),
        ("urges", "those nuclear-weapon States that are not yet parties to accede", Actor.STATES_PARTIES),
        ("calls upon", "African States that have not yet done so to sign the Treaty", Actor.STATES_PARTIES),
        ("calls upon", "the United States to lift the embargo", Actor.OTHER),
        ("reiterates", "its call upon all States to ratify", Actor.STATES_PARTIES),
        ("reiterates", "its request to the Secretary-General to continue", S),
        ("reaffirms", "its request to the Secretariat to report", S),
    ],
)
def test_addressees(verb: str, rest: str, actor: Actor) -> None:
    assert classify_actor(verb, rest) is actor


def test_an_addressee_no_rule_places_is_said() -> None:
    unplaced = read_addressee(
        "requests", "the heads of field presences in the region to brief the Commission"
    )
    assert (unplaced.phrase, unplaced.placed, unplaced.asked) == (
        "the heads of field presences in the region",
        False,
        True,
    )
    placed = read_addressee("requests", "resident coordinators to make use of partnership tools")
    assert placed.placed and placed.asked
    thing = read_addressee("urges", "further intensive efforts to address the gaps")
    assert not thing.asked  # "efforts" are asked for, not asked to act


# --- clauses --------------------------------------------------------------------------------


def test_a_later_clause_tasks_the_secretariat() -> None:
    found = classify_paragraph(
        "Recalls its resolution 90/1 on the matter, and requests the Secretary-General to submit"
        " a report on its implementation to the General Assembly at its ninety-second session;",
        body="General Assembly",
    )
    assert found.verb == "recalls"
    assert found.actor is S
    assert [(c.verb, c.actor) for c in found.clauses] == [("recalls", Actor.OTHER), ("requests", S)]
    assert found.kinds == (R,)
    assert (found.reports_to, found.report_due_session) == ("General Assembly", "ninety-second session")


def test_a_repeated_request_is_a_mandate() -> None:
    found = classify_paragraph(
        "Reaffirms its request to the Secretariat to maintain contacts with the regional commissions;"
    )
    assert (found.verb, found.actor, found.kinds) == ("reaffirms", S, (D,))


def test_a_verb_after_an_opening_phrase() -> None:
    assert split_leading_verb("Pending the entry into force of the treaty, urges all States to comply") == (
        "urges",
        "all States to comply",
    )
    found = classify_paragraph("Pending the entry into force of the treaty, urges all States to comply;")
    assert (found.verb, found.actor) == ("urges", Actor.STATES_PARTIES)


def test_a_paragraph_with_several_mandates() -> None:
    clauses = read_clauses(
        "Encourages the Commission to deepen its ties with the regional union, and in this regard"
        " requests the Peacebuilding Support Office to strengthen its cooperation with the regional"
        " centre, also requests the Secretary-General to seek the views of Member States on the"
        " matter, and decides to request the Executive Director to report to the Commission at its"
        " next session;"
    )
    assert [(c.verb, c.actor, c.kinds) for c in clauses] == [
        ("encourages", Actor.OTHER, ()),
        ("requests", S, (D,)),
        ("also requests", S, (D, I)),
        ("requests", S, (R,)),  # "decides to request the Executive Director to ..."
    ]
    assert [c.addressee for c in clauses] == [
        "the Commission",
        "the Peacebuilding Support Office",
        "the Secretary-General",
        "the Executive Director",
    ]
    assert clauses[3].reports_to == "Commission"


def test_participles_open_clauses_in_sub_paragraphs() -> None:
    clauses = read_clauses(
        "Decides to strengthen the Commission by: (a) Requesting the Commission to adopt a"
        " programme; (b) Inviting the Executive Secretary to assist it;"
    )
    assert [(c.verb, c.actor) for c in clauses] == [
        ("decides", Actor.CONFERENCE),
        ("requests", Actor.OTHER),
        ("invites", S),
    ]


def test_a_secretariat_paragraph_takes_its_kinds_from_the_secretariats_clauses() -> None:
    found = classify_paragraph(
        "Urges States to hold a dialogue with civil society, and requests the Secretariat to compile"
        " information on the results;"
    )
    assert found.actor is S
    assert found.kinds == (I,)


# --- the wider vocabulary -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("to maintain contacts with the regional organizations", (D,)),
        ("to maintain close contact with the Union", (D,)),
        ("to liaise with the treaty bodies", (D,)),
        ("to seek the views of Member States on the proposal", (D, I)),
        ("to seek their views on the draft", (I,)),
        ("to gather contributions from partners in and outside the system", (I,)),
        ("to solicit inputs from Governments", (I,)),
        ("to explore forms of cooperation with regional bodies", (M,)),
        ("to make the administrative and contractual arrangements needed", (M,)),
        ("to negotiate a framework agreement with the host country", (M,)),
        ("to sign a letter of intent with the Fund", (M,)),
        ("to enter into negotiations with the Government on a host country agreement", (M,)),
        ("to conclude negotiations on a headquarters agreement", (M,)),
        ("to conduct a survey of Member States on their practices", (I,)),
        ("to circulate a questionnaire to States parties", (I,)),
        ("to survey the field", ()),
        ("to keep cooperating closely with the Committee", (D,)),
        ("to strengthen its cooperation with the Centre", (D,)),
        ("to include this information in a report to be submitted to the Assembly", (R,)),
        (
            "to submit to the General Assembly at its next session, through the Council, an updated report",
            (R,),
        ),
        ("to provide the Commission with information on the implementation", (R,)),
        ("to prepare an analysis of the trends for presentation at its tenth session", (R,)),
        ("to submit it to the General Assembly", (R,)),
        ("to include in his next report an account of the measures", (R,)),
        ("Takes note of his reports on the implementation of the resolution", ()),
        ("Welcomes the reports of the Secretary-General on the question", ()),
        ("in the light of the findings of the report on oceans", ()),
        ("Welcomes the cooperation agreements concluded with regional organizations", (M,)),
    ],
)
def test_the_wider_vocabulary(text: str, kinds: tuple[MandateKind, ...]) -> None:
    assert classify_kinds(text) == kinds


def test_weak_wordings_are_marked() -> None:
    assert weak_kinds("to keep cooperating closely with the Committee") == (D,)
    assert weak_kinds("to continue its dialogue and to cooperate with the Committee") == ()
    found = classify_paragraph(
        "Requests the Secretary-General to cooperate closely with the regional commissions;"
    )
    assert found.kinds == (D,)
    assert found.unsure == ("kind: dialogue (weak wording)",)


@pytest.mark.parametrize(
    ("text", "body", "target"),
    [
        ("to submit a report at its eighty-third session", "General Assembly", "General Assembly"),
        ("to report to it at its next session", "Conference of the States Parties", "Conference"),
        ("to submit a report at its eighty-third session", None, None),
        ("to provide the Peacebuilding Commission with information", None, "Peacebuilding Commission"),
        ("in a report to be submitted to the Human Rights Council at its sixtieth session", None,
         "Human Rights Council"),
        ("to prepare a study for consideration by the Commission on the Status of Women", None,
         "Commission on the Status of Women"),
        ("to present a progress report every two years", "General Assembly", None),
    ],
)  # fmt: skip
def test_reports_to(text: str, body: str | None, target: str | None) -> None:
    assert find_reports_to(text, body) == target


# --- frequency, due session or date, review and sunset --------------------------------------


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("to report annually to the Assembly", ReportingFrequency.ANNUAL),
        ("to include in its annual report", ReportingFrequency.ANNUAL),
        ("to present a progress report every two years", ReportingFrequency.BIENNIAL),
        ("to report biennially", ReportingFrequency.BIENNIAL),
        ("to report every three years", ReportingFrequency.TRIENNIAL),
        ("to report to the Conference at each of its sessions", ReportingFrequency.EVERY_SESSION),
        ("to report regularly to the Council", ReportingFrequency.PERIODIC),
        ("to submit a report every 90 days", ReportingFrequency.PERIODIC),
        ("to report quarterly", ReportingFrequency.PERIODIC),
        ("to report to the Assembly at its next session", ReportingFrequency.ONCE),
        ("to submit a report by 31 March 2092", ReportingFrequency.ONCE),
        ("to report", None),
    ],
)
def test_reporting_frequency(text: str, frequency: ReportingFrequency | None) -> None:
    assert find_reporting_frequency(text) is frequency


@pytest.mark.parametrize(
    ("text", "session", "due"),
    [
        ("to report to the General Assembly at its eighty-first session", "eighty-first session", None),
        ("to inform the Conference at its next session", "next session", None),
        ("to report at the tenth session of the Commission", "tenth session", None),
        ("to submit a report by 31 March 2092", None, date(2092, 3, 31)),
        ("to submit a report before June 2092", None, date(2092, 6, 30)),
        ("to submit a report by the end of 2093", None, date(2093, 12, 31)),
        ("to report", None, None),
    ],
)
def test_report_due(text: str, session: str | None, due: date | None) -> None:
    assert find_report_due(text) == (session, due)


@pytest.mark.parametrize(
    ("text", "review"),
    [
        ("Decides to consider the matter at its ninth session;",
         "Decides to consider the matter at its ninth session"),
        ("Decides to review the mandate in 2095;", "Decides to review the mandate in 2095"),
        ("Calls for an independent review of the arrangements in 2097.",
         "an independent review of the arrangements in 2097"),
        ("Decides to include in the provisional agenda of its eighty-first session the item.", None),
        ("and expresses its intention to review the mandate by 31 March 2096;",
         "intention to review the mandate by 31 March 2096"),
        ("Decides to continue its consideration of the question at its sixty-third session.",
         "Decides to continue its consideration of the question at its sixty-third session"),
    ],
)  # fmt: skip
def test_review_clause(text: str, review: str | None) -> None:
    assert find_review_clause(text) == review


@pytest.mark.parametrize(
    ("text", "sunset"),
    [
        ("Decides to extend the mandate for a period of three years;", "for a period of three years"),
        ("Decides that the office shall operate until 31 December 2095;", "until 31 December 2095"),
        ("Decides that this arrangement shall apply only during the ninety-ninth session.",
         "only during the ninety-ninth session"),
        ("Decides that the mandate shall expire when the work is done;", "shall expire"),
        ("Requests the Secretary-General to report;", None),
    ],
)  # fmt: skip
def test_sunset_clause(text: str, sunset: str | None) -> None:
    assert find_sunset_clause(text) == sunset


def test_the_paragraph_carries_frequency_due_review_and_sunset() -> None:
    found = classify_paragraph(
        "Requests the Executive Secretary to report annually to the Commission, for a period of three"
        " years, and decides to review the arrangement at its twelfth session;",
        body="Economic Commission for Africa",
    )
    assert found.actor is S
    assert found.reporting_frequency is ReportingFrequency.ANNUAL
    assert found.review_clause == "decides to review the arrangement at its twelfth session"
    assert found.sunset_clause == "for a period of three years"
    assert found.report_due_session is None  # the session belongs to the review, a clause of its own


def test_a_secretariat_report_without_a_body_is_unsure() -> None:
    found = classify_paragraph("Requests the Secretary-General to present a progress report every two years;")
    assert found.reports_to is None
    assert found.unsure == ("reports to: no body named",)
    assert found.reporting_frequency is ReportingFrequency.BIENNIAL


def test_an_unknown_verb_is_unsure() -> None:
    assert "verb" in classify_paragraph("Beseeches the Secretariat to act;").unsure
    assert classify_paragraph("Requests the Secretariat to act;").unsure == ()


def test_any_operative_verb_after_and_opens_a_clause() -> None:
    clauses = read_clauses(
        "Requests the Secretary-General to submit a report every 90 days, and expresses its intention"
        " to review the mandate by 31 March 2096;"
    )
    assert [(c.verb, c.actor, c.kinds) for c in clauses] == [
        ("requests", S, (R,)),
        ("expresses", Actor.OTHER, ()),
    ]
    found = classify_paragraph(
        clauses[0].text + ", and expresses its intention to review it by 31 March 2096;"
    )
    assert found.report_due_date is None  # the date is the review's, not the report's


# --- wordings met in resolutions outside the development corpus ---------------------------


@pytest.mark.parametrize(
    ("text", "verb", "actor", "unsure"),
    [
        ("Calls once again upon all States to engage in negotiations;", "calls once again upon",
         Actor.STATES_PARTIES, ()),
        ("Continues to welcome the statement by the President of the Council;", "continues to welcome",
         Actor.OTHER, ()),
        ("Continues to request the Secretary-General to brief the Committee;", "continues to request", S, ()),
        ("Continues its consideration of the question;", "continues", Actor.OTHER, ("verb",)),
    ],
)  # fmt: skip
def test_verb_phrases_with_an_adverb_inside_or_continued(
    text: str, verb: str, actor: Actor, unsure: tuple[str, ...]
) -> None:
    found = classify_paragraph(text)
    assert (found.verb, found.actor, found.unsure) == (verb, actor, unsure)


def test_a_task_in_a_later_clause_after_a_connective_phrase_or_as_a_need() -> None:
    to_that_end = classify_paragraph(
        "Reaffirms its decision to keep the Register under review, and to that end requests the"
        " Secretary-General, with the assistance of experts, to prepare a report;"
    )
    assert [(c.verb, c.actor) for c in to_that_end.clauses] == [("reaffirms", Actor.OTHER), ("requests", S)]
    need = classify_paragraph(
        "Emphasizes the Relationship Agreement, as well as the need for the Secretary-General to continue"
        " to inform the General Assembly at its ninety-first session of the expenses;",
        body="General Assembly",
    )
    assert (need.actor, need.kinds, need.reports_to) == (S, (R,), "General Assembly")
    assert classify_paragraph("Stresses the need for Member States to pay in full;").actor is Actor.OTHER


def test_information_given_to_the_secretary_general_is_no_report_and_apprising_a_body_is() -> None:
    given = classify_paragraph(
        "Reiterates its invitation to Member States to provide the Secretary-General with information"
        " regarding measures taken;"
    )
    assert given.reports_to is None
    apprised = classify_paragraph(
        "Requests all States to inform the Secretary-General of their measures, and requests the"
        " Secretary-General to apprise the General Assembly of that information at its ninety-first session;",
        body="General Assembly",
    )
    assert (apprised.actor, apprised.kinds, apprised.reports_to) == (S, (R,), "General Assembly")
    assert apprised.report_due_session == "ninety-first session"
    council = classify_paragraph("Requests the Secretariat to apprise the Human Rights Council of events;")
    assert council.reports_to == "Human Rights Council"


@pytest.mark.parametrize(
    "text",
    [
        "to seek from those States their views on the measures",
        "to send a note verbale to Member States requesting the submission of their reports",
    ],
)
def test_more_ways_to_ask_for_information(text: str) -> None:
    assert I in classify_kinds(text)


def test_an_analysis_for_presentation_at_a_meeting_reports_to_it() -> None:
    found = classify_paragraph(
        "Requests the Secretariat to prepare a comprehensive analysis, within existing resources, of progress"
        " in the trends, challenges and opportunities related to the implementation of the Programme of"
        " Action, including with regard to national frameworks, based on available credible information,"
        " including information provided by Member States, for presentation at the Biennial Meeting of"
        " States in 2096 for consideration and appropriate follow-up;"
    )
    assert (found.actor, found.kinds, found.reports_to) == (S, (R,), "Biennial Meeting of States")
