"""Tests of the resolution parser (pure: no servers, no I/O beyond reading fixtures)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.errors import DomainError
from domain.resolution import (
    OperativeParagraph,
    Resolution,
    ResolutionUnreadable,
    SubParagraph,
    parse_resolution,
)
from domain.vocabulary import Actor, MandateKind

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "resolutions" / "cosp-7-synergies.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

D = MandateKind.DIALOGUE
M = MandateKind.MOU_EXPLORATION
I = MandateKind.INFORMATION_COLLECTION  # noqa: E741
R = MandateKind.REPORTING


def all_texts(resolution: Resolution) -> list[str]:
    """Every paragraph text of a resolution."""
    texts = list(resolution.preambular)
    for paragraph in resolution.operative:
        texts.append(paragraph.text)
        texts.extend(sub.text for sub in paragraph.subparagraphs)
    return texts


# ---------------------------------------------------------------------------
# The reference document
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> Resolution:
    return parse_resolution(REFERENCE.read_bytes())


def test_reference_header(reference: Resolution) -> None:
    assert reference.symbol is None
    assert reference.title == (
        "Enhancing synergies between relevant multilateral organizations responsible for"
        " review mechanisms in the field of anti-corruption"
    )
    assert reference.body == (
        "Conference of the States Parties to the United Nations Convention against Corruption"
    )
    assert reference.session == "Seventh session"
    assert reference.place == "Vienna"
    assert reference.date == "6–10 November 2017"
    assert reference.sponsors == (
        "Argentina",
        "Austria",
        "Belarus",
        "Belgium",
        "Estonia",
        "Mexico",
        "Netherlands",
        "Portugal",
    )


def test_reference_slug_is_derived_from_body_session_and_title(reference: Resolution) -> None:
    assert reference.slug.startswith("cosp-7-enhancing-synergies")
    assert SLUG_RE.match(reference.slug)
    assert len(reference.slug) <= 60


def test_reference_str_and_bytes_give_the_same_result(reference: Resolution) -> None:
    assert parse_resolution(REFERENCE.read_text(encoding="utf-8")) == reference


def test_reference_preamble(reference: Resolution) -> None:
    pre = reference.preambular
    assert len(pre) == 8
    assert pre[0].startswith("Recognizing the United Nations Convention against Corruption as")
    assert pre[1].startswith("Recalling its resolution 6/1 of 6 November 2015")
    assert pre[1].endswith(
        "to report to the Implementation Review Group on actions undertaken in that regard,"
    )
    assert pre[-1].startswith("Bearing in mind that")
    assert all(p.endswith(",") for p in pre)


def test_reference_split_preambular_paragraph_is_whole(reference: Resolution) -> None:
    noting_also = [p for p in reference.preambular if p.startswith("Noting also")]
    assert noting_also == [
        "Noting also the initiative by the United Nations Office on Drugs and Crime to"
        " organize, as a peer-learning exercise in September 2016, a joint workshop on"
        " enhancing synergies and sharing good practices in the conduct of anti-corruption"
        " reviews, in cooperation with the secretariats of the Organization of American"
        " States, the Organization for Economic Cooperation and Development and the"
        " Council of Europe,"
    ]


def test_reference_texts_are_clean(reference: Resolution) -> None:
    for text in all_texts(reference):
        assert "¹" not in text and "²" not in text
        assert "*" not in text
        assert "Treaty Series" not in text
        assert "  " not in text and "\n" not in text
    assert "Convention against Corruption and the terms of reference" in (reference.operative[0].text)
    assert "Transnational Organized Crime, as well as" in reference.preambular[3]


def test_reference_operative_paragraphs(reference: Resolution) -> None:
    ops = reference.operative
    assert [p.number for p in ops] == [1, 2, 3, 4, 5]
    assert [p.verb for p in ops] == ["requests", "invites", "calls upon", "calls upon", "requests"]
    assert [p.actor for p in ops] == [
        Actor.SECRETARIAT,
        Actor.SECRETARIAT,
        Actor.SECRETARIAT,
        Actor.STATES_PARTIES,
        Actor.SECRETARIAT,
    ]
    assert [p.kinds for p in ops] == [(D, R), (M, R), (I,), (), (R,)]
    assert [p.confidential for p in ops] == [False, False, True, False, False]
    irg = "Implementation Review Group"
    assert [p.reports_to for p in ops] == [irg, irg, None, None, irg]
    assert [p.resource_constraint for p in ops] == [
        None,
        None,
        None,
        None,
        "within existing resources",
    ]
    assert all(p.subparagraphs == () for p in ops)


def test_reference_operative_texts(reference: Resolution) -> None:
    ops = reference.operative
    assert ops[0].text.startswith("Requests the Secretariat, within its mandate outlined")
    assert ops[0].text.endswith(
        "also requests the Secretariat to report back to the Implementation Review Group on"
        " progress made in this regard;"
    )
    assert ops[2].text.startswith("Calls upon the Secretariat to continue its efforts to collect")
    assert ops[4].text == (
        "Requests the Secretariat, within existing resources, to undertake the activities"
        " outlined in this resolution and to report on the work undertaken to the"
        " Implementation Review Group."
    )


def test_reference_recalling_paragraph_is_not_operative(reference: Resolution) -> None:
    assert not any(p.text.startswith("Recalling") for p in reference.operative)


def test_reference_summary(reference: Resolution) -> None:
    summary = reference.operative[2].to_summary()
    assert list(summary) == [
        "paragraph",
        "verb",
        "actor",
        "kinds",
        "confidential",
        "reports_to",
        "resource_constraint",
        "text",
    ]
    assert summary["paragraph"] == 3
    assert summary["verb"] == "calls upon"
    assert summary["actor"] == "secretariat"
    assert summary["kinds"] == ["information_collection"]
    assert summary["confidential"] is True
    assert summary["reports_to"] is None
    assert summary["resource_constraint"] is None
    assert json.loads(json.dumps(summary)) == summary
    assert reference.operative[0].to_summary()["kinds"] == ["dialogue", "reporting"]


def test_reference_with_crlf_and_form_feeds_gives_the_same_result(reference: Resolution) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    crlf = text.replace("\n", "\r\n")
    assert parse_resolution(crlf.encode("utf-8")) == reference
    paged = text.replace("\n\n\n\nreviews,", "\n\f\nreviews,")
    assert paged != text
    assert parse_resolution(paged) == reference
    with_bom = b"\xef\xbb\xbf" + text.encode("utf-8")
    assert parse_resolution(with_bom) == reference


def test_reference_without_emphasis_gives_the_same_result(reference: Resolution) -> None:
    plain = REFERENCE.read_text(encoding="utf-8").replace("*", "")
    assert parse_resolution(plain) == reference


def test_models_are_frozen(reference: Resolution) -> None:
    with pytest.raises(ValidationError):
        reference.title = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        reference.operative[0].verb = "decides"  # type: ignore[misc]


def test_model_dump_is_json_ready(reference: Resolution) -> None:
    dumped = reference.model_dump(mode="json")
    assert dumped["operative"][0]["actor"] == "secretariat"
    assert dumped["operative"][0]["kinds"] == ["dialogue", "reporting"]
    assert Resolution.model_validate(dumped) == reference


# ---------------------------------------------------------------------------
# Other documents
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def l7() -> Resolution:
    return parse_resolution((FIXTURES / "cac-cosp-2019-l7.txt").read_bytes())


def test_l7_header(l7: Resolution) -> None:
    assert l7.symbol == "CAC/COSP/2019/L.7"
    assert l7.slug == "cac-cosp-2019-l-7"
    assert l7.title == ("Strengthening technical assistance for the implementation of the Convention")
    assert l7.body == ("Conference of the States Parties to the United Nations Convention against Corruption")
    assert l7.session == "Eighth session"
    assert l7.place == "Abu Dhabi"
    assert l7.date == "16–20 December 2019"
    assert l7.sponsors == (
        "Austria",
        "Bosnia and Herzegovina",
        "France",
        "Trinidad and Tobago",
        "United Kingdom of Great Britain and Northern Ireland",
    )
    assert l7.preambular == (
        "Recalling its resolution 7/3 of 10 November 2017, in which it requested the"
        " Secretariat to continue to provide technical assistance,",
        "Recognizing that technical assistance is a fundamental part of the implementation"
        " of the Convention,",
    )


def test_l7_operative(l7: Resolution) -> None:
    ops = l7.operative
    assert [p.verb for p in ops] == ["welcomes", "decides", "urges", "encourages", "also requests"]
    # Paragraph 4 encourages "States parties and the Secretariat": the Secretariat is given work.
    assert [p.actor for p in ops] == [
        Actor.OTHER,
        Actor.CONFERENCE,
        Actor.STATES_PARTIES,
        Actor.SECRETARIAT,
        Actor.SECRETARIAT,
    ]
    assert [p.kinds for p in ops] == [(), (), (I,), (D,), (I, R)]
    assert ops[4].confidential is True
    assert ops[4].reports_to == "Conference"
    assert ops[4].resource_constraint == ("subject to the availability of extrabudgetary resources")


def test_l7_subparagraphs(l7: Resolution) -> None:
    para = l7.operative[3]
    assert [s.label for s in para.subparagraphs] == ["a", "b", "c"]
    assert para.subparagraphs[0] == SubParagraph(
        label="a", text="Identifying the technical assistance needs of States parties;"
    )
    assert para.subparagraphs[2].text == (
        "Developing tools and products, in particular: (i) Guides for practitioners; (ii) Training materials;"
    )
    assert para.text == (
        "Encourages States parties and the Secretariat to engage with relevant international"
        " and regional organizations, with a view to: (a) Identifying the technical assistance"
        " needs of States parties; (b) Avoiding duplication of effort; (c) Developing tools"
        " and products, in particular: (i) Guides for practitioners; (ii) Training materials;"
    )


def test_l7_page_break_with_footnotes_inside_an_operative_paragraph(l7: Resolution) -> None:
    text = l7.operative[4].text
    assert text == (
        "Also requests the Secretariat, subject to the availability of extrabudgetary"
        " resources, to gather data on the delivery of technical assistance and to compile"
        " information on good practices in the field of anti-corruption assistance, while"
        " respecting the confidentiality of the information provided, and to submit a report"
        " on the implementation of the present resolution to the Conference at its ninth"
        " session."
    )
    for t in all_texts(l7):
        assert "Treaty Series" not in t and "42146" not in t and "V.19" not in t
        assert "plenary meeting" not in t
        assert not any(ch in t for ch in SUPERSCRIPTS)


def test_l7_crlf(l7: Resolution) -> None:
    raw = (FIXTURES / "cac-cosp-2019-l7.txt").read_text(encoding="utf-8")
    assert parse_resolution(raw.replace("\n", "\r\n")) == l7


@pytest.fixture(scope="module")
def markdown() -> Resolution:
    return parse_resolution((FIXTURES / "cosp-9-civil-society.txt").read_text(encoding="utf-8"))


def test_markdown_header(markdown: Resolution) -> None:
    assert markdown.symbol is None
    assert markdown.title == "Promoting dialogue with civil society in the prevention of corruption"
    assert markdown.body == (
        "Conference of the States Parties to the United Nations Convention against Corruption"
    )
    assert markdown.session == "Ninth session"
    assert markdown.place == "Sharm el-Sheikh, Egypt"
    assert markdown.date == "13–17 December 2021"
    assert markdown.sponsors == (
        "Bolivia (Plurinational State of)",
        "Egypt",
        "Saint Vincent and the Grenadines",
        "Peru",
    )
    assert markdown.slug.startswith("cosp-9-promoting-dialogue")
    assert markdown.preambular == (
        "Mindful of the role of civil society in the prevention of corruption,",
        "Welcoming the contribution of non-governmental organizations,",
    )


def test_markdown_operative(markdown: Resolution) -> None:
    ops = markdown.operative
    assert [p.verb for p in ops] == [
        "further requests",
        "takes note",
        "calls on",
        "decides",
        "invites",
        "proclaims",
        "requests",
    ]
    assert [p.actor for p in ops] == [
        Actor.SECRETARIAT,
        Actor.OTHER,
        Actor.STATES_PARTIES,
        Actor.CONFERENCE,
        Actor.SECRETARIAT,
        Actor.OTHER,
        Actor.SECRETARIAT,
    ]
    assert [p.kinds for p in ops] == [(D, M), (), (M, I), (), (D, R), (), (R,)]
    assert [p.reports_to for p in ops] == [
        None,
        None,
        None,
        None,
        "Conference",
        None,
        "General Assembly",
    ]
    assert ops[5].resource_constraint == "within available resources"
    assert ops[3].text == (
        "Decides that the Implementation Review Group shall hold a briefing for"
        " non-governmental organizations;"
    )
    for text in all_texts(markdown):
        assert "*" not in text and "_" not in text and "^" not in text and "[" not in text


NO_EMPHASIS_CRLF = """Commission on Crime Prevention and Criminal Justice
Twenty-eighth session
Vienna, 20-24 May 2019
Draft resolution submitted by the Chair
Countering the smuggling of migrants
The Commission on Crime Prevention and Criminal Justice,
Recalling its resolution 27/1, in which it requested the United Nations Office
on Drugs and Crime to report,
Concerned about the smuggling of migrants by land, sea and air,
1. Requests the United Nations Office on Drugs and Crime to collect information
on trends in the smuggling of migrants and to report thereon to the Commission on
Crime Prevention and Criminal Justice at its thirtieth session;
2. Encourages States to exchange information and to cooperate in anti-
corruption matters;
3. Decides also to keep the matter under review.
""".replace("\n", "\r\n")


def test_single_newline_document_with_crlf_and_no_emphasis() -> None:
    res = parse_resolution(NO_EMPHASIS_CRLF.encode("utf-8"))
    assert res.body == "Commission on Crime Prevention and Criminal Justice"
    assert res.session == "Twenty-eighth session"
    assert (res.place, res.date) == ("Vienna", "20-24 May 2019")
    assert res.title == "Countering the smuggling of migrants"
    assert res.sponsors == ()
    assert res.slug == "ccpcj-28-countering-smuggling"
    assert res.preambular == (
        "Recalling its resolution 27/1, in which it requested the United Nations Office on"
        " Drugs and Crime to report,",
        "Concerned about the smuggling of migrants by land, sea and air,",
    )
    ops = res.operative
    assert [p.verb for p in ops] == ["requests", "encourages", "decides also"]
    assert [p.actor for p in ops] == [Actor.SECRETARIAT, Actor.STATES_PARTIES, Actor.CONFERENCE]
    assert [p.kinds for p in ops] == [(I, R), (I,), ()]
    assert ops[0].reports_to == "Commission on Crime Prevention and Criminal Justice"
    assert ops[1].text == (
        "Encourages States to exchange information and to cooperate in anti-corruption matters;"
    )


PAGE_BREAK = (
    "Conference of the States Parties to the United Nations Convention against Corruption\n"
    "\n"
    "CAC/COSP/2021/L.3\n"
    "\n"
    "Ninth session\n"
    "\n"
    "Safeguarding information\n"
    "\n"
    "The Conference of the States Parties to the United Nations Convention against Corruption,\n"
    "\n"
    "1. Decides that the Conference will review the matter;\n"
    "\n"
    "2. Urges States parties to engage in a dialogue with the Secretariat on the\n"
    "confidentiality of information shared during country reviews, and requests the\n"
    "Secretariat, within existing resources, to report to the Conference³ at its\n"
    "\n"
    "³ See CAC/COSP/2019/17.\n"
    "\f"
    "CAC/COSP/2021/L.3\n"
    "\n"
    "\n"
    "\n"
    "tenth session on the dialogue;\n"
    "\n"
    "3. Welcomes the cooperation agreements concluded with regional organizations.\n"
)


def test_page_break_inside_an_operative_paragraph_with_a_footnote() -> None:
    res = parse_resolution(PAGE_BREAK)
    assert res.symbol == "CAC/COSP/2021/L.3"
    assert res.title == "Safeguarding information"
    assert res.preambular == ()
    assert [p.number for p in res.operative] == [1, 2, 3]
    first, second, third = res.operative
    assert (first.verb, first.actor, first.kinds) == ("decides", Actor.CONFERENCE, ())
    assert second.text == (
        "Urges States parties to engage in a dialogue with the Secretariat on the"
        " confidentiality of information shared during country reviews, and requests the"
        " Secretariat, within existing resources, to report to the Conference at its tenth"
        " session on the dialogue;"
    )
    # The later clause "and requests the Secretariat ... to report" gives the Secretariat work.
    assert second.actor is Actor.SECRETARIAT
    assert [(c.verb, c.actor) for c in second.clauses] == [
        ("urges", Actor.STATES_PARTIES),
        ("requests", Actor.SECRETARIAT),
    ]
    assert second.kinds == (D, R)
    assert second.confidential is True
    assert second.reports_to == "Conference"
    assert second.resource_constraint == "within existing resources"
    assert (third.verb, third.actor, third.kinds) == ("welcomes", Actor.OTHER, (M,))


def test_minimal_document_gets_a_stable_digest_slug() -> None:
    text = "1. Requests the secretariat to compile information on asset recovery."
    res = parse_resolution(text)
    assert res.title is None and res.body is None and res.session is None
    assert res.slug.startswith("resolution-")
    assert SLUG_RE.match(res.slug)
    assert parse_resolution(text).slug == res.slug
    (para,) = res.operative
    assert (para.verb, para.actor, para.kinds) == ("requests", Actor.SECRETARIAT, (I,))


def test_numbered_lines_that_are_not_operative_are_ignored() -> None:
    text = (
        "The General Assembly,\n\n"
        "Recalling its resolutions,\n\n"
        "1. United Nations, Treaty Series, vol. 2349.\n\n"
        "1. Welcomes the report;\n\n"
        "1. Notes the duplicate number which continues the paragraph;\n\n"
        "2. Requests the Secretary-General to submit a report to the General Assembly"
        " at its eightieth session.\n"
    )
    res = parse_resolution(text)
    assert res.body == "General Assembly"
    assert res.slug.startswith("ga")
    assert [p.number for p in res.operative] == [1, 2]
    assert res.operative[0].text == (
        "Welcomes the report; 1. Notes the duplicate number which continues the paragraph;"
    )
    assert res.operative[1].actor is Actor.SECRETARIAT
    assert res.operative[1].reports_to == "General Assembly"


GENERAL_ASSEMBLY = """General Assembly

Seventieth session

Resolution adopted by the General Assembly on 25 September 2015

[without reference to a Main Committee (A/70/L.1)]

70/1. Transforming our world: the 2030 Agenda for Sustainable Development

The General Assembly,

Recalling its resolution 69/315,

1. Adopts the following outcome document;

2. Requests the Secretary-General to report on progress to the General Assembly.
"""


def test_general_assembly_style_header() -> None:
    res = parse_resolution(GENERAL_ASSEMBLY)
    assert res.symbol is None  # a symbol quoted in brackets is not the document's own
    assert res.body == "General Assembly"
    assert res.session == "Seventieth session"
    assert res.title == "Transforming our world: the 2030 Agenda for Sustainable Development"
    assert res.slug == "ga-70-transforming-world"
    assert res.preambular == ("Recalling its resolution 69/315,",)
    assert [(p.verb, p.actor) for p in res.operative] == [
        ("adopts", Actor.OTHER),
        ("requests", Actor.SECRETARIAT),
    ]
    assert res.operative[1].reports_to == "General Assembly"


def test_header_without_adopting_line() -> None:
    text = (
        "Working Group on Prevention\n"
        "Tenth session\n"
        "Recalling the mandate,\n"
        "Noting with concern the lack\n"
        "of information,\n"
        "1. Requests the secretariat to report;\n"
    )
    res = parse_resolution(text)
    assert res.body == "Working Group on Prevention"
    assert res.session == "Tenth session"
    assert res.title is None
    assert res.preambular == ("Recalling the mandate,", "Noting with concern the lack of information,")
    assert res.slug == "wgp-10"


def test_inline_parenthesised_letter_is_not_a_subparagraph() -> None:
    text = (
        "1. Requests the Secretariat to act in accordance with paragraphs 5, 27\n"
        "(c) and 31 of the terms of reference;\n"
    )
    (para,) = parse_resolution(text).operative
    assert para.subparagraphs == ()
    assert para.text == (
        "Requests the Secretariat to act in accordance with paragraphs 5, 27 (c) and 31 of"
        " the terms of reference;"
    )


def test_slug_is_short() -> None:
    text = (
        "Conference of the States Parties to the United Nations Convention against Corruption\n\n"
        "Twenty-third session\n\n" + "Very " * 40 + "long title\n\n1. Requests the Secretariat to report.\n"
    )
    res = parse_resolution(text)
    assert res.slug.startswith("cosp-23-very-very")
    assert len(res.slug) <= 60 and SLUG_RE.match(res.slug)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "the file is empty"),
        (b"", "the file is empty"),
        ("   \n\t\r\n  \f ", "the file is empty"),
        (b"\xef\xbb\xbf \n", "the file is empty"),
        (b"\x00\x01\xff", "binary"),
        ("text with a NUL \x00 inside\n1. Requests the Secretariat;", "binary"),
        (b"\xff\xfe\x41\x00", "binary"),
        (b"caf\xe9 au lait\n1. Requests the Secretariat;", "not UTF-8"),
        ("\x01\x02\x03\x04 abc", "binary"),
        ("Recalling its resolution 6/1,\n\nNoting the report.\n", "no operative paragraphs"),
        ("1. United Nations, Treaty Series.\n2. ibid.", "no operative paragraphs"),
    ],
)
def test_unreadable(data: str | bytes, message: str) -> None:
    with pytest.raises(ResolutionUnreadable) as caught:
        parse_resolution(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.code == "resolution_unreadable"
    assert isinstance(caught.value, DomainError)


def test_no_operative_message_is_helpful() -> None:
    helpful = r"^no operative paragraphs found \(paragraphs such as '1\. Requests \.\.\.', or, after"
    with pytest.raises(ResolutionUnreadable, match=helpful):
        parse_resolution("The Conference,\n\nRecalling things,")


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "1. ",
        "2. ",
        "3. ",
        "10. ",
        "*Requests* ",
        "**Calls upon** ",
        "_Decides_ ",
        "Also requests ",
        "the Secretariat ",
        "States parties ",
        "to report back to the Implementation Review Group",
        "to collect information ",
        "memorandums of understanding ",
        "within existing resources",
        "confidential ",
        "(a) ",
        "(b) ",
        "(i) ",
        "¹",
        "² United Nations, *Treaty Series*.",
        "^1 ",
        "[^2]: note",
        "The Conference,",
        "Recalling ",
        "Seventh session",
        "Vienna, 6–10 November 2017",
        "CAC/COSP/2017/L.5",
        "Argentina and Austria: draft resolution",
        "V.17-08044",
        "reviews, ",
        "anti-",
        "# ",
        ",",
        ";",
        ".",
        ":",
        " ",
        "\n",
        "\n\n",
        "\r\n",
        "\f",
        "\t",
    ]
)
RESOLUTION_LIKE = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=60).map("".join)


def check_result(result: Resolution) -> None:
    """Invariants of any successful parse."""
    assert result.operative
    assert SLUG_RE.match(result.slug) and len(result.slug) <= 60
    numbers = [p.number for p in result.operative]
    assert numbers == sorted(set(numbers))
    order = list(MandateKind)
    for paragraph in result.operative:
        assert list(paragraph.kinds) == sorted(paragraph.kinds, key=order.index)
        assert isinstance(paragraph.actor, Actor)
        assert paragraph.verb == paragraph.verb.lower()
        assert set(paragraph.to_summary()) == {
            "paragraph",
            "verb",
            "actor",
            "kinds",
            "confidential",
            "reports_to",
            "resource_constraint",
            "text",
        }
        json.dumps(paragraph.to_summary())
    for text in all_texts(result):
        assert "*" not in text
        assert "\n" not in text and "\r" not in text and "\f" not in text
        assert not any(ch in text for ch in SUPERSCRIPTS)


def parse_or_unreadable(data: str | bytes) -> None:
    try:
        result = parse_resolution(data)
    except ResolutionUnreadable as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(result, Resolution)
        check_result(result)


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(st.text(max_size=2000))
def test_arbitrary_text_never_crashes(text: str) -> None:
    parse_or_unreadable(text)


@PROPERTY_SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    parse_or_unreadable(data)


@PROPERTY_SETTINGS
@given(RESOLUTION_LIKE)
def test_resolution_like_text_never_crashes(text: str) -> None:
    parse_or_unreadable(text)
    parse_or_unreadable(text.encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["\n", "\r\n"]), st.integers(min_value=1, max_value=5))
def test_reference_survives_line_ending_and_blank_line_variations(eol: str, blanks: int) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    text = re.sub(r"\n\n+", "\n" * (blanks + 1), text).replace("\n", eol)
    result = parse_resolution(text)
    assert [p.verb for p in result.operative] == [
        "requests",
        "invites",
        "calls upon",
        "calls upon",
        "requests",
    ]
    assert any(p.startswith("Noting also") and "anti-corruption reviews," in p for p in result.preambular)


def test_operative_paragraph_can_be_built_directly() -> None:
    para = OperativeParagraph(
        number=1, verb="requests", actor=Actor.SECRETARIAT, kinds=(R,), text="Requests."
    )
    assert para.to_summary()["kinds"] == ["reporting"]
