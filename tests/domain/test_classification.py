"""Tests of the paragraph classification rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.classification import (
    ACTOR_RULES,
    KIND_RULES,
    OPERATIVE_VERBS,
    REPORTING_BODIES,
    RESOURCE_CONSTRAINT_RULES,
    classify_actor,
    classify_kinds,
    classify_paragraph,
    find_reports_to,
    find_resource_constraint,
    is_confidential,
    looks_like_operative_start,
    split_leading_verb,
)
from domain.vocabulary import Actor, MandateKind

D = MandateKind.DIALOGUE
M = MandateKind.MOU_EXPLORATION
I = MandateKind.INFORMATION_COLLECTION  # noqa: E741
R = MandateKind.REPORTING


def test_rule_tables_are_documented_and_compile() -> None:
    assert {rule.kind for rule in KIND_RULES} == set(MandateKind)
    for rule in KIND_RULES:
        assert rule.description and rule.patterns
        for pattern in rule.patterns:
            re.compile(pattern)
    for rule in ACTOR_RULES:
        assert rule.name and rule.description
        re.compile(rule.pattern)
    for body in REPORTING_BODIES:
        assert body.name and body.description
    for constraint in RESOURCE_CONSTRAINT_RULES:
        assert constraint.name and constraint.description
    assert OPERATIVE_VERBS == tuple(sorted(OPERATIVE_VERBS))


@pytest.mark.parametrize(
    ("text", "verb", "rest"),
    [
        ("Requests the Secretariat", "requests", "the Secretariat"),
        ("Also requests the Secretariat", "also requests", "the Secretariat"),
        ("Further requests the Secretariat", "further requests", "the Secretariat"),
        ("Calls upon States parties", "calls upon", "States parties"),
        ("Calls on Member States", "calls on", "Member States"),
        ("Takes note with appreciation of", "takes note", "with appreciation of"),
        ("Decides also to keep", "decides also", "to keep"),
        ("Once again urges all States", "once again urges", "all States"),
        ("Strongly encourages", "strongly encourages", ""),
        ("Proclaims 9 December", "proclaims", "9 December"),
        ("Welcomes the report", "welcomes", "the report"),
    ],
)
def test_split_leading_verb(text: str, verb: str, rest: str) -> None:
    assert split_leading_verb(text) == (verb, rest)


def test_split_leading_verb_prefers_the_table_then_emphasis() -> None:
    assert split_leading_verb("Requests the Secretariat", emphasized="Requests") == (
        "requests",
        "the Secretariat",
    )
    assert split_leading_verb("Bids farewell to the Chair", emphasized="Bids farewell") == (
        "bids farewell",
        "to the Chair",
    )
    assert split_leading_verb("") == ("", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Requests the Secretariat", True),
        ("Also reiterates its call", True),
        ("Proclaims the day", True),
        ("United Nations, Treaty Series", False),
        ("See resolution 6/1", False),
        ("ibid.", False),
        ("", False),
    ],
)
def test_looks_like_operative_start(text: str, expected: bool) -> None:
    assert looks_like_operative_start(text) is expected


@pytest.mark.parametrize(
    ("verb", "rest", "actor"),
    [
        ("requests", "the Secretariat, within existing resources, to", Actor.SECRETARIAT),
        ("requests", "the secretariat to", Actor.SECRETARIAT),
        ("invites", "the United Nations Office on Drugs and Crime to", Actor.SECRETARIAT),
        ("invites", "UNODC to", Actor.SECRETARIAT),
        ("requests", "the Executive Director to", Actor.SECRETARIAT),
        ("requests", "the Secretary-General to", Actor.SECRETARIAT),
        ("requests", ", within existing resources, the Secretariat to", Actor.SECRETARIAT),
        ("requests", "that the Secretariat", Actor.SECRETARIAT),
        ("calls upon", "States parties that are members", Actor.STATES_PARTIES),
        ("urges", "all States parties to", Actor.STATES_PARTIES),
        ("encourages", "Member States to", Actor.STATES_PARTIES),
        ("recommends", "that States parties", Actor.STATES_PARTIES),
        ("decides", "that the Conference shall", Actor.CONFERENCE),
        ("decides", "to convene", Actor.CONFERENCE),
        ("decides also", "to convene", Actor.CONFERENCE),
        ("decides", "also that the Group shall", Actor.CONFERENCE),
        ("agrees", "to continue", Actor.CONFERENCE),
        ("stresses", "that the review mechanism", Actor.OTHER),
        ("calls upon", "the secretariats of other mechanisms", Actor.OTHER),
        ("invites", "donors to", Actor.OTHER),
        ("welcomes", "the work of the Secretariat", Actor.OTHER),
        ("notes", "with appreciation the efforts", Actor.OTHER),
    ],
)
def test_classify_actor(verb: str, rest: str, actor: Actor) -> None:
    assert classify_actor(verb, rest) is actor


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("to continue its dialogue with States parties", (D,)),
        ("to hold consultations with civil society", (D,)),
        ("to consult with relevant organizations", (D,)),
        ("to engage with regional bodies", (D,)),
        ("to engage actively with regional bodies", (D,)),
        ("as necessary and in consultation with States parties, to act", ()),
        (
            "to explore the possibility of cooperation arrangements, including memorandums of understanding",
            (M,),
        ),
        ("to conclude a memorandum of understanding", (M,)),
        ("to negotiate cooperation agreements", (M,)),
        ("to conclude a cooperation agreement", (M,)),
        ("to explore partnership arrangements with academia", (M,)),
        ("to collect information from other secretariats", (I,)),
        ("to gather data on trends", (I,)),
        ("to compile information on good practices", (I,)),
        ("to share information with other secretariats", (I,)),
        ("to promote the exchange of relevant information", (I,)),
        ("to share its good practices", ()),
        ("to report", (R,)),
        ("and report back to the Implementation Review Group", (R,)),
        ("to submit a report to the Conference", (R,)),
        ("to prepare and submit reports", (R,)),
        ("to inform the Conference at its next session", (R,)),
        ("to keep the Conference informed", (R,)),
        ("Takes note of the report of the Secretariat", ()),
        ("Welcomes the report on the implementation", ()),
        ("to fulfil their reporting obligations", ()),
        ("to continue its dialogue with States and to report back to the Group", (D, R)),
        (
            "to report on consultations with partners, to gather data and to sign memorandums"
            " of understanding",
            (D, M, I, R),
        ),
    ],
)
def test_classify_kinds(text: str, kinds: tuple[MandateKind, ...]) -> None:
    assert classify_kinds(text) == kinds


def test_kinds_are_in_enum_order() -> None:
    text = "to report back, to collect information, to sign a memorandum of understanding and dialogue"
    assert classify_kinds(text) == (D, M, I, R)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("while upholding the confidential nature of that information", True),
        ("respecting the confidentiality of the information", True),
        ("information treated as confidential", True),
        ("Confidentiality shall be preserved", True),
        ("with full transparency", False),
    ],
)
def test_is_confidential(text: str, expected: bool) -> None:
    assert is_confidential(text) is expected


IRG = "Implementation Review Group"
CCPCJ = "Commission on Crime Prevention and Criminal Justice"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("to report back to the Implementation Review Group on progress", IRG),
        ("to report on the work undertaken to the Implementation Review Group.", IRG),
        ("to submit a report on it to the Conference at its ninth session.", "Conference"),
        ("to report to the Conference of the States Parties at its tenth session", "Conference"),
        ("to inform the Conference at its next session", "Conference"),
        ("to keep the General Assembly informed", "General Assembly"),
        ("to report thereon to the Commission on Crime Prevention and Criminal Justice at", CCPCJ),
        (
            "to report, to the extent possible, to the Working Group on Asset Recovery",
            "Working Group on Asset Recovery",
        ),
        ("Takes note of the report of the Secretariat to the Conference", None),
        ("to report regularly", None),
    ],
)
def test_find_reports_to(text: str, target: str | None) -> None:
    assert find_reports_to(text) == target


@pytest.mark.parametrize(
    ("text", "constraint"),
    [
        ("Requests the Secretariat, within existing resources, to", "within existing resources"),
        (
            "subject to the availability of extrabudgetary resources, to",
            "subject to the availability of extrabudgetary resources",
        ),
        ("Subject to the Availability of Resources", "subject to the availability of resources"),
        ("within available regular budget resources", "within available regular budget resources"),
        ("from extrabudgetary resources", "from extrabudgetary resources"),
        (
            "within existing resources and subject to the availability of extrabudgetary funds",
            "within existing resources",
        ),
        ("with all resources at its disposal", None),
    ],
)
def test_find_resource_constraint(text: str, constraint: str | None) -> None:
    assert find_resource_constraint(text) == constraint


def test_classify_paragraph_only_looks_for_a_target_when_reporting() -> None:
    found = classify_paragraph("Requests the Secretariat to transmit its views to the Conference;")
    assert found.kinds == ()
    assert found.reports_to is None
    found = classify_paragraph(
        "Requests the Secretariat, within existing resources, to report to the Conference;"
    )
    assert (found.verb, found.actor, found.kinds) == ("requests", Actor.SECRETARIAT, (R,))
    assert found.reports_to == "Conference"
    assert found.resource_constraint == "within existing resources"
    assert found.confidential is False


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500), st.text(max_size=12))
def test_rules_never_crash(text: str, emphasized: str) -> None:
    found = classify_paragraph(text, emphasized or None)
    assert found.verb == found.verb.lower()
    assert list(found.kinds) == sorted(found.kinds, key=list(MandateKind).index)
