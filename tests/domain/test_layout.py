"""The layout stage: each class of layout noise, on texts written for the test.

The texts are invented. Each reproduces one way the text of a printed
resolution reaches the importer (from a PDF's text layer, a copy from a web
page, a Word export), in the shape of a General Assembly or a Conference
resolution.
"""

from __future__ import annotations

import re

import pytest

from domain.layout import Footnote, lay_out
from domain.resolution import ResolutionUnreadable, parse_resolution
from domain.vocabulary import Actor, MandateKind


def numbers_and_verbs(text: str) -> list[tuple[int, str]]:
    return [(p.number, p.verb) for p in parse_resolution(text).operative]


HEADER_1_0 = """
United Nations
A/RES/91/5
General Assembly
Distr.: General
3 May 2091
91-10101 (E)
*9110101*
Ninety-first session
Agenda item 40
Strengthening the coordination of assistance
to small island States
 Resolution adopted by the General Assembly
on 2 May 2091
[without reference to a Main Committee (A/91/L.9)]
91/5. Strengthening the coordination of assistance to small island
States
The General Assembly,
"""


# --- paragraph numbers alone on their line, page furniture, a footnote at a page break ---

NUMBERS_APART = (
    HEADER_1_0
    + """
Recalling its resolution 90/12 of 1 June 2090 on coastal resilience,1
1.
Takes note of the report of the Secretary-General;2
2.
Requests the Secretary-General to prepare, in consultation with the regional commissions,
a study of the coordination of assistance and to submit it to the General Assembly at its
__________________
1 See A/90/44.
2 A/91/300.
A/RES/91/5
Strengthening the coordination of assistance to small island States
91-10101
2/3
ninety-second session;
3.
Decides to include in the provisional agenda of its ninety-second session the item.
12th plenary meeting
2 May 2091
"""
)


def test_numbers_alone_on_their_line_furniture_and_a_footnote_inside_a_paragraph() -> None:
    res = parse_resolution(NUMBERS_APART)
    assert res.symbol == "A/RES/91/5"
    assert res.title == "Strengthening the coordination of assistance to small island States"
    assert res.body == "General Assembly"
    assert res.preambular == ("Recalling its resolution 90/12 of 1 June 2090 on coastal resilience,",)
    assert [(p.number, p.verb) for p in res.operative] == [(1, "takes note"), (2, "requests"), (3, "decides")]
    second = res.operative[1]
    assert second.text == (
        "Requests the Secretary-General to prepare, in consultation with the regional commissions,"
        " a study of the coordination of assistance and to submit it to the General Assembly at its"
        " ninety-second session;"
    )
    assert (second.actor, second.reports_to, second.report_due_session) == (
        Actor.SECRETARIAT,
        "General Assembly",
        "ninety-second session",
    )
    assert res.operative[0].text == "Takes note of the report of the Secretary-General;"
    assert res.operative[0].footnotes == (Footnote(mark="2", text="A/91/300."),)
    assert res.footnotes == (Footnote(mark="1", text="See A/90/44."), Footnote(mark="2", text="A/91/300."))


def test_the_rest_of_a_paragraph_after_a_footnote_is_kept() -> None:
    # A footnote ending in a full stop, then text in upper case: the paragraph goes on.
    text = (
        "The Conference,\n\n"
        "1. Requests the Secretariat to compile information on asset recovery. It shall share it\n"
        "with States parties at the\n"
        "___\n"
        "1 See CAC/COSP/2091/4.\n"
        "\f"
        "Conference at its next session;\n\n"
        "2. Decides to meet again.\n"
    )
    first = parse_resolution(text).operative[0]
    assert first.text == (
        "Requests the Secretariat to compile information on asset recovery. It shall share it with"
        " States parties at the Conference at its next session;"
    )


def test_a_paragraph_cut_by_a_page_break_at_the_end_of_a_sentence_is_kept_whole() -> None:
    text = (
        "The General Assembly,\n\n"
        "1. Requests the Secretary-General to convene a meeting of experts.\n\n\n\n"
        "The meeting shall report to the Assembly at its next session;\n\n"
        "2. Decides to remain seized of the matter.\n"
    )
    res = parse_resolution(text)
    assert res.operative[0].text == (
        "Requests the Secretary-General to convene a meeting of experts. The meeting shall report"
        " to the Assembly at its next session;"
    )
    assert res.operative[0].reports_to == "General Assembly"


# --- footnotes without a rule, markers glued to words, two footnotes on a line ---------

FOOTNOTES_1_1 = "\n".join(
    [
        "United Nations",
        "",
        "General Assembly Distr.: General 4 May 2091",
        "",
        "Ninety-first session Agenda item 41 Ocean observation",
        "",
        "Resolution adopted by the General Assembly on 3 May 2091",
        "",
        "91/6. Ocean observation",
        "",
        "The General Assembly,",
        "",
        "Recalling the Convention on the Law of the Sea1 and its resolution 90/7,2",
        "",
        "Noting the report of the Secretary-General of 2 March 20903 and the views of the "
        "Commission, and further noting",
        "",
        "1 United Nations, Treaty Series, vol. 1833, No. 31363.",
        "",
        "2 See A/90/L.4.",
        "",
        "3 A/90/77.",
        "",
        "the contributions of regional bodies,",
        "",
        "1. Welcomes the work of the observing networks,4 and of the Commission;",
        "",
        "2. Requests the Secretary-General to maintain contacts with the observing networks "
        "and to report on the matter to the General Assembly at its ninety-third session.",
        "",
        "4 Resolution 89/2, annex.",
        "",
        "52nd plenary meeting 3 May 2091",
        "",
    ]
)


def test_footnotes_without_a_rule_and_markers_glued_to_words_and_years() -> None:
    res = parse_resolution(FOOTNOTES_1_1)
    assert res.session == "Ninety-first session"
    assert res.date == "4 May 2091"
    assert res.preambular == (
        "Recalling the Convention on the Law of the Sea and its resolution 90/7,",
        "Noting the report of the Secretary-General of 2 March 2090 and the views of the Commission,"
        " and further noting the contributions of regional bodies,",
    )
    assert [f.mark for f in res.footnotes] == ["1", "2", "3", "4"]
    first, second = res.operative
    assert first.text == "Welcomes the work of the observing networks, and of the Commission;"
    assert first.footnotes == (Footnote(mark="4", text="Resolution 89/2, annex."),)
    assert second.kinds == (MandateKind.DIALOGUE, MandateKind.REPORTING)


def test_a_line_opening_with_a_number_in_running_text_is_not_a_footnote() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling its resolutions 61/3 of 2 May 2006, 62/8 of 9 May 2007, 63/2 of\n"
        "1 June 2008 and 64/4 of 1 July 2009,\n\n"
        "1. Decides to remain seized of the matter.\n"
    )
    res = parse_resolution(text)
    assert res.preambular[0].endswith("63/2 of 1 June 2008 and 64/4 of 1 July 2009,")
    assert res.footnotes == ()


def test_two_footnotes_on_one_line_are_two_footnotes() -> None:
    text = (
        "The General Assembly,\n\n"
        "1. Notes the reports of the Board1 and of the Panel;2\n"
        "____\n"
        "1 See A/91/5. 2 Resolution 90/1, annex.\n"
        "3 See A/91/6, chap. II. 4 Ibid., para. 3.\n\n"
        "2. Requests the Secretary-General to follow up on the findings3 of the Panel.4\n"
    )
    res = parse_resolution(text)
    assert [(f.mark, f.text) for f in res.footnotes] == [
        ("1", "See A/91/5."),
        ("2", "Resolution 90/1, annex."),
        ("3", "See A/91/6, chap. II."),
        ("4", "Ibid., para. 3."),
    ]
    assert [f.mark for f in res.operative[1].footnotes] == ["3", "4"]
    assert (
        res.operative[1].text == "Requests the Secretary-General to follow up on the findings of the Panel."
    )


def test_spaced_and_superscript_markers_are_removed() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling article 24 of the Convention on the Rights of the Child, 1  which concerns health,\n\n"
        "1. Requests the Secretary-General to report on it in accordance with article 12 of the"
        " Convention²;\n"
        "____\n"
        "1 United Nations, Treaty Series, vol. 1577, No. 27531.\n"
        "2 Ibid.\n"
    )
    res = parse_resolution(text)
    assert res.preambular[0] == (
        "Recalling article 24 of the Convention on the Rights of the Child, which concerns health,"
    )
    assert res.operative[0].text == (
        "Requests the Secretary-General to report on it in accordance with article 12 of the Convention;"
    )
    assert res.operative[0].footnotes == (Footnote(mark="2", text="Ibid."),)


def test_a_footnote_continued_after_an_abbreviation_stays_one_footnote() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling the Water Yearbook,1\n\n"
        "1 The Water Yearbook, vol. 4 (United Nations publication, Sales No.\n"
        "E.91.II.3), appendix II.\n\n"
        "1. Decides to remain seized of the matter.\n"
    )
    res = parse_resolution(text)
    assert res.footnotes == (
        Footnote(
            mark="1",
            text="The Water Yearbook, vol. 4 (United Nations publication, Sales No. E.91.II.3), appendix II.",
        ),
    )
    assert res.preambular == ("Recalling the Water Yearbook,",)


def test_a_symbol_ending_in_a_number_is_not_taken_for_a_marker() -> None:
    text = (
        "CAC/COSP/2091/L.3\n\nThe Conference,\n\n"
        "1. Takes note of resolutions GC(88)/RES/4 A.2 and A.3;1\n\n"
        "___\n\n1 See CAC/COSP/2091/2.\n"
    )
    res = parse_resolution(text)
    assert res.symbol == "CAC/COSP/2091/L.3"
    assert res.operative[0].text == "Takes note of resolutions GC(88)/RES/4 A.2 and A.3;"


# --- running titles next to footnotes (1.1-style extraction) ----------------------------


def test_a_running_title_after_a_footnote_is_dropped() -> None:
    text = (
        "General Assembly Distr.: General 3 May 2091\n\n"
        "91/8. Risks of automation in early-warning systems of\n\n"
        "The General Assembly,\n\n"
        "Concerned that automated alerting could weaken human ---\n\n"
        "1 Resolution 90/3.\n\n"
        "Risks of automation in early-warning systems of\n\n"
        "control over early-warning systems,1\n\n"
        "1. Stresses the need for human control;\n"
    )
    res = parse_resolution(text)
    assert res.preambular == (
        "Concerned that automated alerting could weaken human control over early-warning systems,",
    )


# --- quotation marks, sub-paragraphs, capitals, flattened text ---------------------------


def test_every_paragraph_opening_with_a_quotation_mark() -> None:
    text = (
        "The Commission decided to adopt the following text:\n\n"
        "“The Commission,\n\n"
        "“Recalling its decision 9/1,\n\n"
        "“1. Requests the Executive Secretary to consult with member States on the programme;\n\n"
        "“2. Decides to review the programme at its tenth session.”\n"
    )
    res = parse_resolution(text)
    assert res.body == "Commission"
    assert res.preambular == ("Recalling its decision 9/1,",)
    assert [(p.number, p.verb, p.actor) for p in res.operative] == [
        (1, "requests", Actor.SECRETARIAT),
        (2, "decides", Actor.CONFERENCE),
    ]
    assert res.operative[1].text == "Decides to review the programme at its tenth session."
    assert res.operative[1].review_clause == "Decides to review the programme at its tenth session"


def test_sub_paragraphs_with_their_labels_apart_and_nested_roman_items() -> None:
    text = (
        "The General Assembly,\n\n"
        "1. Decides that:\n\n"
        "(a)\n"
        "The Committee shall meet twice a year;\n\n"
        "(b)\n"
        "The Secretariat shall support it, in particular by:\n\n"
        "(i) Preparing documents;\n\n"
        "(ii) Keeping records;\n\n"
        "2. Requests the Secretary-General to report annually to the Assembly on the Committee.\n"
    )
    res = parse_resolution(text)
    first = res.operative[0]
    assert [(s.label, s.text) for s in first.subparagraphs] == [
        ("a", "The Committee shall meet twice a year;"),
        (
            "b",
            "The Secretariat shall support it, in particular by: (i) Preparing documents;"
            " (ii) Keeping records;",
        ),
    ]
    second = res.operative[1]
    assert second.reporting_frequency is not None and second.reporting_frequency.value == "annual"


def test_sub_paragraphs_that_lost_their_letters_stay_in_their_paragraph() -> None:
    text = (
        "The General Assembly,\n\n"
        "1. Reaffirms the mandate of the Commission, and strengthens it by:\n\n"
        "Requesting the Commission to adopt a programme of work;\n\n"
        "Requesting the Department of Operational Support of the Secretariat, within existing"
        " resources, to provide the Commission with conference services;\n\n"
        "2. Encourages Member States to support the Commission.\n"
    )
    res = parse_resolution(text)
    assert [p.number for p in res.operative] == [1, 2]
    first = res.operative[0]
    assert first.text.endswith("to provide the Commission with conference services;")
    assert first.actor is Actor.SECRETARIAT
    assert [(c.verb, c.actor) for c in first.clauses] == [
        ("reaffirms", Actor.OTHER),
        ("requests", Actor.OTHER),
        ("requests", Actor.SECRETARIAT),
    ]


def test_capitalised_verbs() -> None:
    text = (
        "The Board,\n\n"
        "1. REQUESTS the Director-General to report to the Board at its next session;\n\n"
        "2. DECIDES to keep the matter under review.\n"
    )
    res = parse_resolution(text)
    assert [(p.verb, p.actor) for p in res.operative] == [
        ("requests", Actor.SECRETARIAT),
        ("decides", Actor.CONFERENCE),
    ]
    assert res.operative[0].reports_to == "Board"


def test_a_whole_resolution_flattened_onto_a_few_lines() -> None:
    text = (
        "Ninety-first session Agenda item 9 Regional cooperation The General Assembly, Recalling its"
        " resolution 90/1, Noting with appreciation the report of the Secretary-General, 1. Welcomes the"
        " report; 2. Requests the Secretary-General to continue consultations with regional"
        " organizations on the following matters: (a) Early warning; (b) Coordination of relief,"
        " including the exchange of information; 3. Invites Member States to support the regional"
        " centres; 4. Decides to include the item in the agenda of its ninety-second session."
        " 40th plenary meeting 3 May 2091" + " " * 400
    )
    res = parse_resolution(text)
    assert res.body == "General Assembly"
    assert res.preambular == (
        "Recalling its resolution 90/1,",
        "Noting with appreciation the report of the Secretary-General,",
    )
    assert [(p.number, p.verb) for p in res.operative] == [
        (1, "welcomes"),
        (2, "requests"),
        (3, "invites"),
        (4, "decides"),
    ]
    assert [s.label for s in res.operative[1].subparagraphs] == ["a", "b"]
    assert "plenary" not in res.operative[3].text


# --- headings, the verb after an opening phrase, the end of the resolution --------------


def test_headings_between_operative_paragraphs_are_left_out() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling its resolution 90/2,\n\n"
        "Coordination\n\n"
        "1. Encourages the Commission to meet more often;\n\n"
        "II. Financing\n\n"
        "2. Requests the Peacebuilding Support Office to gather contributions from partners;\n\n"
        "Department of Operational Support\n\n"
        "3. Calls for an independent review of the arrangements in 2095.\n"
    )
    res = parse_resolution(text)
    assert res.preambular == ("Recalling its resolution 90/2,",)
    assert res.operative[0].text == "Encourages the Commission to meet more often;"
    assert res.operative[1].text == (
        "Requests the Peacebuilding Support Office to gather contributions from partners;"
    )
    assert res.operative[1].actor is Actor.SECRETARIAT
    assert res.operative[1].kinds == (MandateKind.INFORMATION_COLLECTION,)
    assert res.operative[2].review_clause == "an independent review of the arrangements in 2095"


def test_a_paragraph_whose_verb_follows_an_opening_phrase() -> None:
    text = (
        "The General Assembly,\n\n"
        "1. Demands that the parties respect the ceasefire;\n\n"
        "2. Pending the conclusion of an agreement, urges the parties to refrain from new deployments;\n\n"
        "3. Decides to remain seized of the matter.\n"
    )
    res = parse_resolution(text)
    assert [(p.number, p.verb) for p in res.operative] == [(1, "demands"), (2, "urges"), (3, "decides")]
    assert res.operative[1].unsure == ()


def test_an_annex_after_the_closing_line_is_kept_apart() -> None:
    text = (
        "The General Assembly,\n\n"
        "1. Endorses the declaration contained in the annex to the present resolution;\n\n"
        "2. Expresses its gratitude to the host country.\n\n"
        "18th plenary meeting\n14 October 2091\n\n"
        "Annex\nDeclaration of the Conference\n\n"
        "1. We, the Heads of State, met in the capital.\n\n"
        "3. We request the Secretary-General to support the follow-up.\n\n"
        "4. Requests the Secretary-General to report.\n"
    )
    res = parse_resolution(text)
    assert [p.number for p in res.operative] == [1, 2]
    assert res.operative[1].text == "Expresses its gratitude to the host country."
    assert res.annex[0].startswith("Annex")
    assert any(a.startswith("3. We request the Secretary-General") for a in res.annex)


@pytest.mark.parametrize(
    "text",
    [
        "1. Requests the Secretary‑General to report.",  # a non-breaking hyphen
        "1. Requests the Secretary-\u00adGeneral to report.".replace("-\u00ad", "-"),
        "1.\u00a0Requests\u00a0the Secretary-General to report.",
    ],
)
def test_typographic_spaces_and_hyphens(text: str) -> None:
    (para,) = parse_resolution(text).operative
    assert para.actor is Actor.SECRETARIAT
    assert re.search(r"[\u00a0\u2011\u00ad]", para.text) is None


def test_lay_out_gives_no_operative_part_for_prose() -> None:
    layout = lay_out("Recalling its work,\n\nNoting the reports,\n")
    assert layout.operative == ()


def test_a_council_resolution_closes_at_its_meeting_line() -> None:
    text = (
        "The Human Rights Council,\n\n"
        "1. Requests the Office of the United Nations High Commissioner for Human Rights to prepare a\n"
        "compilation of good practices and to present it to the Council at its sixty-first session;\n\n"
        "2. Decides to continue its consideration of the question at its sixty-third session.\n\n"
        "53rd meeting\n3 April 2095\n[Adopted without a vote.]\n"
    )
    res = parse_resolution(text)
    first, second = res.operative
    assert (first.actor, first.kinds, first.reports_to) == (
        Actor.SECRETARIAT,
        (MandateKind.REPORTING,),
        "Human Rights Council",
    )
    assert second.text == "Decides to continue its consideration of the question at its sixty-third session."
    assert second.review_clause is not None


def test_a_meeting_named_inside_a_paragraph_does_not_end_it() -> None:
    text = (
        "The Council,\n\n"
        "1. Takes note of the decision taken at its\n"
        "3rd meeting of the session on the agenda;\n\n"
        "2. Decides to consider the matter again at its\n"
        "fifth meeting.\n\n"
        "3. Decides to take up the report at a\n"
        "plenary meeting.\n\n"
        "4. Decides to remain seized of the matter.\n"
    )
    assert [p.number for p in parse_resolution(text).operative] == [1, 2, 3, 4]


def test_an_environment_assembly_resolution_closes_at_a_plenary_meeting_without_a_number() -> None:
    text = (
        "The United Nations Environment Assembly,\n\n"
        "1. Requests the Executive Director to report on the implementation of the present\n"
        "resolution to the Environment Assembly at its ninth session.\n"
        "Plenary meeting\n"
        "2 March 2095\n"
    )
    (only,) = parse_resolution(text).operative
    assert only.text.endswith("at its ninth session.")
    assert (only.actor, only.reports_to) == (Actor.SECRETARIAT, "Environment Assembly")


def test_an_assembly_resolution_with_numbered_sub_paragraphs_and_its_meeting_in_words() -> None:
    text = (
        "The Ninety-ninth World Health Assembly,\n\n"
        "Recalling its earlier resolutions on diagnostics,\n\n"
        "1. URGES Member States:\n\n"
        "(1) to develop national strategies;\n\n"
        "(2) to strengthen their regulatory systems;\n\n"
        "2. REQUESTS the Director-General:\n\n"
        "(1) to support Member States, upon request, in developing their strategies;\n\n"
        "(2) to report on progress to the Health Assembly in 2097 and 2099.\n\n"
        "Eighth plenary meeting, 30 May 2095\n"
        "A99/VR/8\n"
    )
    first, second = parse_resolution(text).operative
    assert [s.label for s in first.subparagraphs] == ["1", "2"]
    assert [(s.label, s.text) for s in second.subparagraphs] == [
        ("1", "to support Member States, upon request, in developing their strategies;"),
        ("2", "to report on progress to the Health Assembly in 2097 and 2099."),
    ]  # (the meeting line and the record's symbol are not the paragraph's)
    assert [(c.addressee, c.actor) for c in second.clauses] == [("the Director-General", Actor.SECRETARIAT)]
    assert (second.actor, second.kinds, second.reports_to) == (
        Actor.SECRETARIAT,
        (MandateKind.REPORTING,),
        "Health Assembly",
    )


def test_a_footnote_line_between_two_lines_of_a_paragraph() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling its resolution 96/2,1\n\n"
        "1 See A/96/5.\n\n"
        "1. Requests the Secretary-General to take into account the findings of the Board2 and to\n"
        "2 A/97/126, para. 106.\n"
        "report thereon to the General Assembly at its ninety-ninth session;\n\n"
        "2. Decides to remain seized of the matter.\n"
    )
    first = parse_resolution(text).operative[0]
    assert first.text == (
        "Requests the Secretary-General to take into account the findings of the Board and to report"
        " thereon to the General Assembly at its ninety-ninth session;"
    )
    assert first.footnotes == (Footnote(mark="2", text="A/97/126, para. 106."),)


# --- operative paragraphs that stand unnumbered -----------------------------------------


def test_a_resolution_of_one_unnumbered_operative_paragraph() -> None:
    text = (
        "95/210. International Day of Integrity\n\n"
        "The General Assembly,\n\n"
        "Recalling its resolution 58/4 of 31 October 2003,\n\n"
        "Also recalling its resolution 94/8,\n\n"
        "Decides to proclaim 9 December International Day of Integrity, and requests the\n"
        "Secretary-General to bring the present resolution to the attention of all Member States.\n\n"
        "65th plenary meeting\n15 December 2095\n"
    )
    res = parse_resolution(text)
    (only,) = res.operative
    assert (only.number, only.verb, only.actor) == (1, "decides", Actor.SECRETARIAT)
    assert only.text == (
        "Decides to proclaim 9 December International Day of Integrity, and requests the"
        " Secretary-General to bring the present resolution to the attention of all Member States."
    )
    assert len(res.preambular) == 2 and res.title == "International Day of Integrity"


def test_a_decision_whose_paragraphs_stand_unnumbered() -> None:
    text = (
        "The Conference of the Parties,\n"
        "Recalling its decision 3/2,\n"
        "Requests the secretariat to compile the information received from Parties and to make\n"
        "it available on the website;\n"
        "Invites Parties to submit their views\n"
        "to the secretariat;\n"
        "Also requests the secretariat to report on progress to the Conference at its next session.\n"
    )
    assert [(p.number, p.verb, p.actor) for p in parse_resolution(text).operative] == [
        (1, "requests", Actor.SECRETARIAT),
        (2, "invites", Actor.STATES_PARTIES),
        (3, "also requests", Actor.SECRETARIAT),
    ]


def test_unnumbered_paragraphs_need_the_adopting_line_and_an_operative_verb() -> None:
    preamble_only = "The Council,\n\nRecalling its resolution 12/3,\n\nNoting the report of the Board,\n"
    no_body = "Requests the secretariat to compile the information.\n"
    for text in (preamble_only, no_body):
        with pytest.raises(ResolutionUnreadable, match="no operative paragraphs found"):
            parse_resolution(text)


def test_sections_that_each_number_their_paragraphs_are_numbered_on() -> None:
    text = (
        "95/88. Questions relating to information\n\n"
        "The General Assembly,\n\n"
        "Recalling its resolution 94/80,\n\n"
        "A\nInformation in the service of humanity\n\n"
        "The General Assembly,\n\n"
        "Taking note of the report of the Committee on Information,\n\n"
        "1. Urges all countries to cooperate in reducing the disparities in information flows;\n\n"
        "2. Requests the Secretary-General to report to the Committee on Information at its next session;\n\n"
        "B\nUnited Nations public information policies and activities\n\n"
        "The General Assembly,\n\n"
        "Emphasizing the role of the Department of Global Communications,\n\n"
        "1. Reaffirms the central role of the Committee on Information;\n\n"
        "2. Requests the Department of Global Communications to maintain contacts with the media.\n\n"
        "65th plenary meeting\n10 December 2095\n\n"
        "Annex\n\n"
        "The Conference,\n\n"
        "1. Requests the secretariat to keep the declaration.\n"
    )
    res = parse_resolution(text)
    assert [(p.number, p.verb, p.actor) for p in res.operative] == [
        (1, "urges", Actor.STATES_PARTIES),
        (2, "requests", Actor.SECRETARIAT),
        (3, "reaffirms", Actor.OTHER),
        (4, "requests", Actor.SECRETARIAT),
    ]
    assert res.operative[1].text == (
        "Requests the Secretary-General to report to the Committee on Information at its next session;"
    )  # (not B's heading, preamble or paragraphs)
    assert res.annex[-1] == "1. Requests the secretariat to keep the declaration."  # (numbered as written)


def test_a_resolution_adopting_a_declaration_under_an_adopting_line_without_its_comma() -> None:
    text = (
        "95/5. Doha Political Declaration of the Third World Summit for\nSocial Development\n\n"
        "The General Assembly\n\n"
        "Adopts the Doha Political Declaration of the Third World Summit for Social\n"
        "Development, as contained in the annex to the present resolution.\n\n"
        "28th plenary meeting\n4 November 2095\n\n"
        "Annex\n\n"
        "1.\nWe, Heads of State and Government, have gathered in Doha.\n"
        "2.\nWe request the Secretary-General to report on this declaration to the Assembly.\n"
    )
    res = parse_resolution(text)
    assert res.body == "General Assembly"
    (only,) = res.operative  # the declaration's paragraphs are the annex's, not operative
    assert (only.number, only.verb, only.actor) == (1, "adopts", Actor.OTHER)
    assert res.annex[-1].startswith("2. We request the Secretary-General")


def test_a_footnote_opening_with_a_plural_noun_is_a_footnote() -> None:
    text = (
        "The General Assembly,\n\n"
        "Acknowledging the Relationship Agreement, 3 which forms a framework for cooperation,\n\n"
        "1. Underlines that States need to adopt appropriate measures to investigate and\n"
        "prosecute;\n"
        "__________________\n\n"
        "2 A/58/874 and A/58/874/Add.1.\n\n"
        "3 Articles 10 and 13 of the Relationship Agreement.\n\n"
        "4 A/80/342.\n\n"
        "2. Requests the Secretary-General to report to the Assembly at its next session.\n"
    )
    first, second = parse_resolution(text).operative
    assert first.text == (
        "Underlines that States need to adopt appropriate measures to investigate and prosecute;"
    )
    assert second.verb == "requests"


def test_a_wrapped_line_opening_with_a_day_after_the_footnotes_is_text() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling the conferences on the humanitarian impact of nuclear weapons held in Vienna on\n"
        "__________________\n\n"
        "1 See A/1.\n\n"
        "2 See A/2.\n\n"
        "3 See A/3.\n\n"
        "4 See A/4.\n\n"
        "3 December 2093, and recalling also the Pledge issued there,\n\n"
        "__________________\n\n"
        "5 See CD/2039.\n\n"
        "1. Urges all States to act.\n"
    )
    res = parse_resolution(text)
    assert res.preambular == (
        "Recalling the conferences on the humanitarian impact of nuclear weapons held in Vienna on"
        " 3 December 2093, and recalling also the Pledge issued there,",
    )  # (a day is not footnote 3 again)
    assert [f.mark for f in res.footnotes] == ["1", "2", "3", "4", "5"]


def test_the_title_repeated_alone_at_a_page_top_is_left_out() -> None:
    text = (
        "95/16. Open-ended working group on security of and in the use of\n"
        "information technologies\n\n"
        "The General Assembly,\n\n"
        "1. Requests the Secretary-General to support the Global Mechanism, as endorsed by the"
        " General Assembly in its\n\n"
        "Open-ended working group on security of and in the use of\n\n"
        "resolution 94/237, and to ensure a smooth transition;\n\n"
        "2. Decides to include the item in the provisional agenda of its ninety-sixth session.\n"
    )
    first = parse_resolution(text).operative[0]
    assert first.text == (
        "Requests the Secretary-General to support the Global Mechanism, as endorsed by the General"
        " Assembly in its resolution 94/237, and to ensure a smooth transition;"
    )


def test_a_paragraph_and_the_closing_line_appended_to_the_last_footnote_are_taken_back() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling the guidelines on confidence-building measures,[^1]\n\n"
        "1. Requests the Secretary-General to submit a report containing the views of Member States;\n\n"
        "---\n\n"
        "[^1]: Official Records of the General Assembly, Forty-eighth Session, annex II, sect. III.A."
        " 2. Decides to include in the provisional agenda of its ninety-first session the sub-item"
        " entitled “Confidence-building measures”. 52nd plenary meeting 1 December 2095\n"
    )
    res = parse_resolution(text)
    assert [(p.number, p.verb) for p in res.operative] == [(1, "requests"), (2, "decides")]
    assert res.operative[1].text.endswith("the sub-item entitled “Confidence-building measures”.")
    assert [f.text for f in res.footnotes] == [
        "Official Records of the General Assembly, Forty-eighth Session, annex II, sect. III.A."
    ]
