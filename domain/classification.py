"""Rules that classify an operative paragraph of a resolution.

Everything a reader needs to follow or extend the classification is data in
this module: each rule is a named, documented item, and the functions at the
bottom only apply the tables in order. To teach the engine a new wording, add
a pattern to the relevant table; to add a new kind of mandate, add a member to
:class:`domain.vocabulary.MandateKind` and a :class:`KindRule` for it.

The tables, in the order the parser uses them:

* :data:`OPERATIVE_VERBS` and :data:`VERB_ADVERBS`: the leading verb phrase of
  an operative paragraph ("Requests", "Also requests", "Calls upon", ...).
* :data:`TASKING_VERBS`, :data:`CLAUSE_VERBS` and :data:`REQUEST_NOUNS`: the
  verbs that give someone work, and where a later clause of a paragraph
  starts ("..., and requests the Secretary-General to ...").
* :data:`ACTOR_RULES` and :data:`KNOWN_ADDRESSEES`: who a clause addresses,
  read from the words after its verb ("the Secretariat", "States parties",
  "the Peacebuilding Commission").
* :data:`KIND_RULES`: what a clause asks for (dialogue, exploring a
  memorandum of understanding, collecting information, reporting), each
  wording strong or weak.
* :data:`CONFIDENTIALITY_RULE`: whether it asks to protect information.
* :data:`REPORT_TARGET_PATTERNS` and :data:`REPORTING_BODIES`: to whom a
  paragraph asks to report.
* :data:`REPORTING_FREQUENCY_RULES` and :data:`REPORT_DUE_PATTERNS`: how often
  and by when.
* :data:`REVIEW_RULES` and :data:`SUNSET_RULES`: whether the paragraph says
  when it will be reviewed or when it ends.
* :data:`RESOURCE_CONSTRAINT_RULES`: the resources the mandate is bound to.

All patterns are regular expressions matched case-insensitively against the
cleaned paragraph text (one line, single spaces, no Markdown, no footnote
markers) unless a rule says otherwise.

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from domain.vocabulary import Actor, MandateKind, ReportingFrequency

__all__ = [
    "ACTOR_RULES",
    "CLAUSE_VERBS",
    "CONFIDENTIALITY_RULE",
    "DECISION_VERBS",
    "KIND_RULES",
    "KNOWN_ADDRESSEES",
    "OPERATIVE_VERBS",
    "POSTPOSED_ADVERBS",
    "REPORTING_BODIES",
    "REPORTING_FREQUENCY_RULES",
    "REPORT_DUE_PATTERNS",
    "REPORT_TARGET_PATTERNS",
    "REQUEST_NOUNS",
    "RESOURCE_CONSTRAINT_RULES",
    "REVIEW_RULES",
    "SUNSET_RULES",
    "TASKING_VERBS",
    "VERB_ADVERBS",
    "ActorRule",
    "Addressee",
    "Classification",
    "ClauseReading",
    "ConfidentialityRule",
    "FrequencyRule",
    "KindRule",
    "ReportingBody",
    "ResourceConstraintRule",
    "TimeRule",
    "classify_actor",
    "classify_kinds",
    "classify_paragraph",
    "find_clause_verb",
    "find_report_due",
    "find_reporting_frequency",
    "find_reports_to",
    "find_resource_constraint",
    "find_review_clause",
    "find_sunset_clause",
    "is_confidential",
    "looks_like_operative_start",
    "read_addressee",
    "read_clauses",
    "split_leading_verb",
    "starts_with_operative_verb",
    "weak_kinds",
]


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    """Compile a rule pattern once (case-insensitive)."""
    return re.compile(pattern, re.IGNORECASE)


# ---------------------------------------------------------------------------
# Verb phrases
# ---------------------------------------------------------------------------

OPERATIVE_VERBS: tuple[str, ...] = (
    "accepts",
    "acknowledges",
    "adopts",
    "affirms",
    "agrees",
    "appeals",
    "appreciates",
    "approves",
    "asks",
    "authorizes",
    "calls for",
    "calls on",
    "calls upon",
    "commends",
    "concurs",
    "condemns",
    "confirms",
    "considers",
    "decides",
    "declares",
    "demands",
    "deplores",
    "designates",
    "determines",
    "directs",
    "emphasizes",
    "encourages",
    "endorses",
    "entrusts",
    "establishes",
    "expresses",
    "extends",
    "highlights",
    "instructs",
    "invites",
    "looks forward",
    "mandates",
    "notes",
    "proclaims",
    "reaffirms",
    "recalls",
    "recognizes",
    "recommends",
    "regrets",
    "reiterates",
    "reminds",
    "renews",
    "requests",
    "resolves",
    "stresses",
    "supports",
    "takes note",
    "underlines",
    "underscores",
    "urges",
    "welcomes",
)
"""Known operative verb phrases, lower case.

The parser reports the phrase as written (lower-cased), so "Calls upon" gives
``calls upon``, "REQUESTS" gives ``requests`` and "Takes note with appreciation
of" gives ``takes note``. A paragraph whose verb is not listed still parses:
its verb is then the emphasised opening words, or the first capitalised word
(see :func:`split_leading_verb`).
"""

VERB_ADVERBS: tuple[str, ...] = (
    "also",
    "again",
    "earnestly",
    "equally",
    "finally",
    "firmly",
    "fully",
    "further",
    "furthermore",
    "hereby",
    "kindly",
    "moreover",
    "once again",
    "once more",
    "respectfully",
    "sincerely",
    "strongly",
    "therefore",
    "urgently",
    "warmly",
)
"""Adverbs that may precede the verb and are part of the verb phrase ("also requests")."""

POSTPOSED_ADVERBS: tuple[str, ...] = ("also", "further")
"""Adverbs that may follow the verb and are part of the verb phrase ("decides also")."""

DECISION_VERBS: frozenset[str] = frozenset(
    {"adopts", "agrees", "declares", "decides", "determines", "resolves"}
)
"""Verbs by which the adopting body acts itself: "Decides that ..." addresses the Conference."""

TASKING_VERBS: frozenset[str] = frozenset(
    {
        "appeals",
        "asks",
        "authorizes",
        "calls",
        "charges",
        "directs",
        "encourages",
        "entrusts",
        "instructs",
        "invites",
        "mandates",
        "recommends",
        "requests",
        "tasks",
        "urges",
    }
)
"""Base verbs that give the words after them work to do ("Requests the Secretariat to ...").

Only these (and the decision verbs, "Decides that the Secretariat shall ...") can make
a paragraph a Secretariat mandate: "Welcomes the work of the Secretariat" or "Takes note
of the report of the Secretary-General" gives the Secretariat nothing to do."""

REQUEST_NOUNS: tuple[str, ...] = ("request", "requests", "call", "calls", "invitation", "appeal")
"""Nouns by which a paragraph repeats an earlier request: "Reiterates its request to the
Secretary-General to ...", "Reaffirms its call upon States ..."."""

CLAUSE_VERBS: tuple[str, ...] = (
    "appeals to",
    "asks",
    "authorizes",
    "calls on",
    "calls upon",
    "directs",
    "encourages",
    "entrusts",
    "instructs",
    "invites",
    "mandates",
    "reaffirms its request",
    "recalls its request",
    "recommends",
    "reiterates its call",
    "reiterates its invitation",
    "reiterates its request",
    "renews its call",
    "renews its invitation",
    "renews its request",
    "repeats its request",
    "requests",
    "urges",
)
"""Verb phrases that open a later clause of a paragraph ("..., and also requests the
Secretariat to report ..."). A later clause starts at one of them, lower case, after a
comma, a semicolon or "and" (with "in this regard" allowed between), or, capitalised or
as a participle ("Requesting"), at a sub-paragraph. "Decides to request the Secretary-
General to ..." also opens one."""

PARTICIPLES: dict[str, str] = {
    "requesting": "requests",
    "inviting": "invites",
    "encouraging": "encourages",
    "urging": "urges",
    "calling upon": "calls upon",
    "calling on": "calls on",
    "directing": "directs",
    "instructing": "instructs",
    "mandating": "mandates",
    "entrusting": "entrusts",
    "authorizing": "authorizes",
    "asking": "asks",
}
"""Participles that open a sub-paragraph ("(i) Requesting the Department of Global
Communications ... to ..."), with the verb they stand for."""


def _alternation(phrases: tuple[str, ...] | list[str]) -> str:
    """Regex alternation of phrases, longest first, spaces matching any whitespace."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered)


_ADVERBS_RX = rf"(?:(?:{_alternation(VERB_ADVERBS)})\s+)*"


def _base_form(verb: str) -> str:
    """'requests' -> 'request', 'expresses' -> 'express', 'calls upon' -> 'call upon'."""
    first, _, tail = verb.partition(" ")
    first = first[:-2] if first.endswith(("sses", "shes", "ches", "xes")) else first[:-1]
    return f"{first} {tail}".strip()


_CONTINUED_VERBS = tuple(
    f"continues to {_base_form(verb)}" for verb in OPERATIVE_VERBS if verb.split()[0].endswith("s")
)
"""'Continues to welcome', 'Continues to call upon': an operative verb, continued."""
_VERBS_AROUND_ADVERBS_RX = "|".join(
    rf"\s+{_ADVERBS_RX}".join(map(re.escape, phrase.split()))
    for phrase in sorted((*OPERATIVE_VERBS, *_CONTINUED_VERBS), key=len, reverse=True)
)
"""The operative verbs (and those continued), with adverbs between the words of a phrase
("Calls once again upon")."""
_VERB_RE = re.compile(
    rf"^(?P<verb>{_ADVERBS_RX}(?:{_VERBS_AROUND_ADVERBS_RX})"
    rf"(?:\s+(?:{_alternation(POSTPOSED_ADVERBS)}))?)(?![\w-])",
    re.IGNORECASE,
)
_FALLBACK_VERB_RE = re.compile(rf"^(?P<verb>{_ADVERBS_RX}[A-Za-z][a-z]*)(?![\w-])", re.IGNORECASE)
_OPERATIVE_START_RE = re.compile(rf"^{_ADVERBS_RX}[A-Z][a-z]*s\b", re.IGNORECASE)
_LEAD_VERB_RE = re.compile(
    rf"^(?P<lead>[A-Z][^;:]{{0,300}}?),\s+(?P<verb>(?:(?:{_alternation(VERB_ADVERBS)})\s+)*"
    rf"(?:{_alternation(OPERATIVE_VERBS)}))(?![\w-])"
)


def looks_like_operative_start(text: str) -> bool:
    """Tell whether text (after its paragraph number) opens like an operative paragraph.

    It does when it starts with a known verb phrase (:data:`OPERATIVE_VERBS`),
    or with a capitalised verb in the third person ("Proclaims", "Also
    reiterates"), so "1. United Nations, Treaty Series" is not operative.

    Args:
        text: The cleaned text following "N. ".

    Returns:
        True when the text starts with an operative verb phrase.
    """
    if not text or not text[0].isupper():
        return False
    if _VERB_RE.match(text):
        return True
    return _OPERATIVE_START_RE.match(text) is not None


def starts_with_operative_verb(text: str) -> bool:
    """Tell whether text opens with a known operative verb phrase (:data:`OPERATIVE_VERBS`),
    not merely a capitalised word ending in "s" ("Articles 10 and 13 ...")."""
    return _VERB_RE.match(text) is not None


def find_clause_verb(text: str) -> tuple[str, int] | None:
    """Find the operative verb after an opening phrase: "Pending ..., urges those States ...".

    Args:
        text: The cleaned paragraph text, without its number.

    Returns:
        ``(verb, end)``: the verb phrase in lower case and where it ends in
        text, or None when the text does not read that way.
    """
    match = _LEAD_VERB_RE.match(text)
    if match is None or _VERB_RE.match(match.group("lead")):
        return None
    return " ".join(match.group("verb").split()).lower(), match.end()


def split_leading_verb(text: str, emphasized: str | None = None) -> tuple[str, str]:
    """Split an operative paragraph into its leading verb phrase and the rest.

    Args:
        text: The cleaned paragraph text, without its number ("Requests the ...").
        emphasized: The words the source emphasised at the start of the
            paragraph (``*Takes note with appreciation*``), if any; used when
            the verb is not in :data:`OPERATIVE_VERBS`.

    Returns:
        ``(verb, rest)``: the verb phrase in lower case (single spaces) and the
        text after it, stripped. The verb is empty when the text has no word.
        After an opening phrase ("Pending ..., urges") the verb is the one
        that follows it.
    """
    match = _VERB_RE.match(text)
    if match is None and emphasized:
        words = emphasized.split()
        prefix = re.match(r"\s*".join(map(re.escape, words)), text) if words else None
        if prefix is not None and len(words) <= 6:
            return " ".join(words).lower(), text[prefix.end() :].strip()
    if match is None:
        lead = find_clause_verb(text)
        if lead is not None:
            return lead[0], text[lead[1] :].strip()
        match = _FALLBACK_VERB_RE.match(text)
    if match is None:
        return "", text.strip()
    verb = " ".join(match.group("verb").split()).lower()
    return verb, text[match.end() :].strip()


def _third_person(base: str) -> str:
    """'request' -> 'requests', 'express' -> 'expresses', 'call upon' -> 'calls upon'."""
    first, _, tail = base.partition(" ")
    ending = "es" if first.endswith(("ss", "sh", "ch", "x")) else "s"
    return f"{first}{ending} {tail}".strip()


def _base_verb(verb: str) -> str:
    """The main verb of a verb phrase: 'also requests' -> 'requests', 'decides also' -> 'decides',
    'continues to request' -> 'requests'."""
    words = [w for w in verb.split() if w not in VERB_ADVERBS]
    if len(words) > 2 and words[0] == "continues" and words[1] == "to":
        return _third_person(" ".join(words[2:])).split()[0]
    return words[0] if words else ""


# ---------------------------------------------------------------------------
# Actor
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActorRule:
    """Who a paragraph addresses, recognised from the words after its verb.

    Attributes:
        name: Short identifier of the rule.
        actor: The actor the rule assigns.
        pattern: Regex (case-sensitive) matched at the start of the text following the verb
            phrase (after a leading ", ... ," clause and adverbs are dropped),
            and at the start of each addressee of a list ("the Secretary-General
            and the President of the General Assembly").
        description: What the rule recognises, for a reader.
        verbs: When not empty, the rule applies only if the base verb (the
            last word of the phrase before any postposed adverb) is one of them.
    """

    name: str
    actor: Actor
    pattern: str
    description: str
    verbs: frozenset[str] = field(default_factory=frozenset)


_SECRETARIAT_HEADS = (
    r"(?i:secretariat)|Secretary-General|Secretary\s+General|Deputy\s+Secretary-General"
    r"|(?:Under|Assistant)-Secretary-General\b[\w\s-]{0,60}?"
    r"|Executive\s+Director(?!\s+of\s+(?:the\s+)?(?:[\w’'-]+\s+){0,8}?(?:Fund|Programme)\b"
    r"|\s+of\s+(?:UN-Women|UNICEF|UNFPA|UNAIDS|UNOPS|UN-Habitat|WFP)\b)"  # (a fund's or programme's)
    r"|Executive\s+Secretary|Director-General|Director\s+General"
    r"|(?:United\s+Nations\s+)?High\s+Commissioner(?!\s+for\s+Refugees)"
    r"|Special\s+(?:Representative|Envoy|Adviser)s?\s+of\s+the"
    r"\s+Secretary-General|United\s+Nations\s+Office\s+on\s+Drugs\s+and\s+Crime|UNODC|OHCHR|DESA"
    r"|High\s+Representative\s+for\s+Disarmament\s+Affairs|Emergency\s+Relief\s+Coordinator"
    r"|(?:United\s+Nations\s+)?(?:Office|Department)\s+(?:of|for|on)\s+(?:the\s+)?"
    r"(?!President\b|Project\s+Services\b|United\s+Nations\s+High\s+Commissioner\s+for\s+Refugees\b)[A-Z]"
    r"|(?:[A-Z][\w-]*\s+){1,5}(?:Support\s+)?Office\b(?!\s+of\s+the\s+President|\s+for\s+Project\s+Services)"
)
ACTOR_RULES: tuple[ActorRule, ...] = (
    ActorRule(
        name="secretariat",
        actor=Actor.SECRETARIAT,
        pattern=(
            r"^(?:that\s+)?(?:[Tt]he\s+)?(?:United\s+Nations\s+)?(?:" + _SECRETARIAT_HEADS + r")(?!s\b)"
            r"(?![’'`]s\b)|^(?:that\s+)?(?:[Tt]he\s+)?(?:[A-Z][\w-]*\s+|(?:of|on|for|and)\s+){0,8}?"
            r"of\s+the\s+(?:United\s+Nations\s+)?(?i:secretariat)\b"
        ),
        description=(
            "'Requests the Secretariat', 'the Secretary-General', 'the Executive Director',"
            " 'the Executive Secretary', 'the Director-General', 'the High Commissioner',"
            " 'the United Nations Office on Drugs and Crime', 'the Emergency Relief Coordinator',"
            " 'the High Representative for Disarmament Affairs', an office or department of the"
            " Secretariat ('the Peacebuilding Support Office', 'the Department of Global"
            " Communications of the Secretariat', 'the Office for Disarmament Affairs')."
            " Not the Office of the High Commissioner for Refugees or the United Nations Office"
            " for Project Services (bodies of their own), not 'the secretariats of other"
            " mechanisms', not 'the Secretary-General's report', and only after a verb that"
            " gives work (see TASKING_VERBS)."
        ),
        verbs=TASKING_VERBS | DECISION_VERBS,
    ),
    ActorRule(
        name="states_parties",
        actor=Actor.STATES_PARTIES,
        pattern=(
            r"^(?:that\s+)?(?:(?:all|[Tt]he|those|other|interested|relevant|concerned|affected|donor"
            r"|developed|developing|neighbouring|nuclear-weapon|non-nuclear-weapon"
            r"|(?!United\b)[A-Z][a-z]+(?=\s+(?:States|countries)\b))\s+){0,3}"
            r"(?:States\s+(?i:parties)|Member\s+States|States|Parties|Governments|countries)\b"
        ),
        description="'Calls upon States parties', 'Urges all States parties', 'Member States',"
        " 'those nuclear-weapon States', 'African States', 'countries receiving support'"
        " (not 'the United States').",
    ),
    ActorRule(
        name="conference",
        actor=Actor.CONFERENCE,
        pattern=r"^(?:that\s+)?(?:[Tt]he\s+)?Conference\b",
        description="'Decides that the Conference ...', 'Requests the Conference ...'.",
    ),
    ActorRule(
        name="acts_itself",
        actor=Actor.CONFERENCE,
        pattern=r"^to\s",
        description="'Decides to ...', 'Agrees to ...': the adopting body acts itself.",
    ),
    ActorRule(
        name="decides_that",
        actor=Actor.CONFERENCE,
        pattern=r"^that\b",
        description="'Decides that ...' about anything else: a decision of the adopting body.",
        verbs=DECISION_VERBS,
    ),
)
"""Actor rules, tried in order; the first that matches wins, else :attr:`Actor.OTHER`."""

KNOWN_ADDRESSEES: tuple[str, ...] = (
    r"^(?:that\s+)?(?:[Tt]he\s+)?(?:[A-Z][\w’'-]*\s+|(?:of|on|for|and|the|to)\s+){0,8}(?:Commission|Council"
    r"|Committee|Board|Bureau|Forum|Group|Panel|Court|Tribunal|Agency|Fund|Programme|Organization"
    r"|Union|Bank|Assembly|Meeting|Mechanism|Network|Centre|Center|Institute|University|Parliament"
    r"|Movement|Alliance|Federation|Facility|Partnership|Commissions|Councils|Committees)\b",
    r"^(?:that\s+)?(?:[Tt]he\s+)?(?:(?:[A-Z][\w-]*|Vice|Co)[\s-]+){0,3}(?:President|Presidents|Chair|Chairs"
    r"|Chairperson|Chairpersons|Co-Chairs?|Co-facilitators?|Rapporteurs?|Special\s+Rapporteurs?"
    r"|Independent\s+Experts?|Ombudsperson|Prosecutor|Registrar|Presidency|Facilitators?)\b",
    r"^(?:that\s+)?(?:(?:all|[Tt]he|relevant|other|those|its|their|interested|concerned|international"
    r"|regional|subregional|national|local|multilateral|bilateral|United\s+Nations|financing"
    r"|development|humanitarian)\s+)*(?:specialized\s+agencies|agencies|funds|programmes|organizations"
    r"|entities|institutions|bodies|organs|actors|stakeholders|partners|donors|civil\s+society"
    r"|private\s+sector|non-governmental|international\s+community|parliaments|academia|media"
    r"|resident\s+coordinators?|country\s+teams?|mandate\s+holders|treaty\s+bodies|intergovernmental"
    r"|international\s+financial\s+institutions|(?:the\s+)?United\s+Nations\s+system|sporting"
    r"|the\s+public|women|youth|people|peoples|experts|members|observers|movements|federations"
    r"|associations|committees|commissions|councils|boards|secretariats|regions|subregions|parties"
    r"|communities)\b",
)
"""Addressees (case-sensitive patterns) the engine knows are not the Secretariat, States or the adopting body
(bodies, presiding officers, agencies, organizations, stakeholders). An addressee that no
rule and none of these recognises is marked unsure ("the heads of field presences in the
region ...")."""

_LEADING_CLAUSE_RE = re.compile(r"^,[^,]{0,200},\s*")
_LEADING_ADVERB_RE = re.compile(rf"^(?:{_alternation(VERB_ADVERBS)})\b[\s,]*", re.IGNORECASE)
_REQUEST_NOUN_RE = re.compile(
    rf"^its\s+(?:(?:{_alternation(VERB_ADVERBS)})\s+)?(?:{_alternation(REQUEST_NOUNS)})\s+(?:to|upon|on)?\s*",
    re.IGNORECASE,
)
_INFINITIVE_RE = re.compile(
    r",?\s+to\s+(?:be\s+)?(?!(?:the|a|an|its|his|her|their|this|that|these|those|all|each|every|any"
    r"|such|both|other|which|whom|what|date|and|or|it|them|him|be)\b)[a-z][a-z-]+"
)
_THAT_VERB_RE = re.compile(
    r"\s+(?:shall|should|will|would|must|may|be|is|are|continue|continues|undertake|consider|ensure"
    r"|make|take|provide|submit|report|include|prepare)\b"
)
_PARENTHETICAL_RE = re.compile(
    r"^(?:and\s+|or\s+)?(?:in|within|as|where|when|through|upon|with|without|subject|at|on|inter|including"
    r"|under|by|for|from|taking|bearing|building|acting|together|after|before|while|if|pursuant"
    r"|consistent|according|notably|particularly|especially|also|further|once|again|inter\s+alia"
    r"|each|both|respectively|among|whenever|wherever|drawing|based|mindful|recalling|recognizing)\b",
    re.IGNORECASE,
)
_OBJECT_NOUN_RE = re.compile(
    r"^(?:[a-z]+\s+){0,3}?(?:efforts|measures|steps|action"
    r"|actions|support|investments?|attention|consideration)\b"
)
_LIST_SPLIT_RE = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s+as\s+well\s+as\s+")


@dataclass(frozen=True, slots=True)
class Addressee:
    """Whom a clause addresses.

    Attributes:
        phrase: The addressee as written ("the Secretary-General"), or None.
        actor: The actor it stands for.
        placed: Whether a rule recognised it.
        asked: Whether the clause asks it to do something ("the X to ...",
            "that the X shall ..."), so that an addressee no rule places is
            worth a coordinator's look.
    """

    phrase: str | None
    actor: Actor
    placed: bool
    asked: bool


@lru_cache(maxsize=64)
def _compile_cased(pattern: str) -> re.Pattern[str]:
    """Compile an addressee pattern once, case-sensitively (names are capitalised)."""
    return re.compile(pattern)


def _actor_of(part: str, base: str) -> Actor | None:
    """The actor one addressee stands for, by :data:`ACTOR_RULES`, or None."""
    for rule in ACTOR_RULES:
        if rule.verbs and base not in rule.verbs:
            continue
        if _compile_cased(rule.pattern).match(part):
            return rule.actor
    return None


def read_addressee(verb: str, rest: str) -> Addressee:
    """Read whom a clause addresses from the words after its verb.

    The addressee runs up to the infinitive ("the Secretary-General, in
    consultation with ..., to prepare"); commas that open a parenthesis ("in
    consultation with ...") end it, a list ("the Secretary-General and the
    President of the General Assembly") is read part by part: the clause
    addresses the Secretariat when any part is the Secretariat.

    Args:
        verb: The clause's verb phrase, lower case.
        rest: The clause text after the verb phrase.

    Returns:
        The addressee; its actor is :attr:`Actor.OTHER` when no rule applies.
    """
    head = rest.strip()
    head = _LEADING_CLAUSE_RE.sub("", head, count=1)
    head = _LEADING_ADVERB_RE.sub("", head, count=1)
    repeated = _REQUEST_NOUN_RE.match(head)
    base = _base_verb(verb)
    if base == "appeals" and head.startswith("to "):
        head = head[3:]
    if repeated is not None:
        head = head[repeated.end() :]
        base = "requests"
    whole = _actor_of(head, base)
    zone_end = len(head)
    asked = False
    infinitive = _INFINITIVE_RE.search(head, 0, 400)
    that = head.startswith("that ")
    if that:
        found = _THAT_VERB_RE.search(head, 5, 300)
        if found is not None:
            zone_end, asked = found.start(), True
    elif infinitive is not None:
        zone_end, asked = infinitive.start(), True
    stop = re.search(r"[;.:]|\s\((?:[a-z]{1,2}|[ivx]{1,5}|\d{1,2})\)\s", head[:zone_end])
    if stop is not None:  # a colon opens what is asked ("the Director-General: (1) to ..."): the ask stands
        zone_end, asked = stop.start(), asked and stop.group() == ":"
    zone = head[:zone_end].strip().rstrip(",")
    if that:
        zone = zone[5:]
    segments = zone.split(",")
    kept = [segments[0]]
    for segment in segments[1:]:
        if _PARENTHETICAL_RE.match(segment.strip()):
            break
        kept.append(segment)
    phrase = ",".join(kept).strip()
    if len(phrase) > 200:
        phrase = phrase[:200].rsplit(" ", 1)[0]
    parts = [p.strip() for p in _LIST_SPLIT_RE.split(phrase) if p.strip()] if asked else [phrase]
    actors = [_actor_of(("that " if that else "") + p, base) for p in parts]
    if whole is Actor.CONFERENCE and (head.startswith("to ") or that) and Actor.SECRETARIAT not in actors:
        return Addressee(None, whole, True, False)
    if Actor.SECRETARIAT in actors:
        actor: Actor | None = Actor.SECRETARIAT
    else:
        actor = next((a for a in actors if a is not None), None)
        if actor is None and whole is not None and whole is not Actor.SECRETARIAT:
            actor = whole
    placed = actor is not None or any(
        _compile_cased(p).match(part) for p in KNOWN_ADDRESSEES for part in parts
    )
    asked = asked and base in TASKING_VERBS and not _OBJECT_NOUN_RE.match(phrase)
    return Addressee(phrase or None, actor or Actor.OTHER, placed, asked)


def classify_actor(verb: str, rest: str) -> Actor:
    """Tell who a paragraph (or a clause) addresses.

    Args:
        verb: The leading verb phrase, lower case (from :func:`split_leading_verb`).
        rest: The paragraph text after the verb phrase.

    Returns:
        The actor of the first matching rule in :data:`ACTOR_RULES` (for each
        addressee of a list), else :attr:`Actor.OTHER`.
    """
    return read_addressee(verb, rest).actor


# ---------------------------------------------------------------------------
# Kinds of mandate
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindRule:
    """A kind of mandate and the wordings that reveal it.

    Attributes:
        kind: The kind the rule assigns.
        patterns: Regexes searched anywhere in the text; any match assigns the kind.
        description: What the rule recognises, for a reader.
        weak: Wordings that suggest the kind without saying it plainly ("cooperate
            with" for a dialogue): they assign the kind, marked unsure.
    """

    kind: MandateKind
    patterns: tuple[str, ...]
    description: str
    weak: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        """Tell whether any of the rule's patterns, strong or weak, occurs in text."""
        return self.matches_plainly(text) or any(_compile(p).search(text) for p in self.weak)

    def matches_plainly(self, text: str) -> bool:
        """Tell whether any of the rule's strong patterns occurs in text."""
        return any(_compile(p).search(text) for p in self.patterns)


KIND_RULES: tuple[KindRule, ...] = (
    KindRule(
        kind=MandateKind.DIALOGUE,
        patterns=(
            r"\bdialogues?\b",
            # "consultations with" and "consult with", but not the manner
            # clause "in consultation with States parties".
            r"(?<!\bin )\bconsultations?\s+with\b",
            r"\bconsult(?:s|ing)?\s+(?:with\b|closely\b|States\b|Member\s+States\b)",
            r"\bengag(?:e|es|ing)\s+(?:\w+\s+){0,2}?with\b",
            r"\bmaintain(?:s|ing)?\s+(?:\w+\s+){0,2}?contacts?\s+with\b",
            r"\bliais(?:e|es|ing)\s+with\b",
            r"\bseek(?:s|ing)?\s+(?:the\s+)?views\s+of\b(?=[^;]{0,80}\b(?:States|Governments|Parties))",
        ),
        weak=(
            r"\bcooperat(?:e|es|ing)\s+(?:\w+ly\s+)?with\b|(?<!\bforms\sof\s)\bcooperation\s+with\b",
            r"\bwork(?:s|ing)?\s+closely\s+with\b",
        ),
        description=(
            "Holding a dialogue or consultations: 'continue its dialogue with',"
            " 'hold consultations with', 'consult with', 'engage with', 'maintain contacts"
            " with', 'liaise with'. 'in consultation with States parties' alone is a manner,"
            " not a mandate. Weak: 'cooperate with', 'its cooperation with', 'work closely with'."
        ),
    ),
    KindRule(
        kind=MandateKind.MOU_EXPLORATION,
        patterns=(
            r"\bmemorand(?:um|a|ums)\s+of\s+understanding\b",
            r"\bMOUs?\b",
            r"\bcooperation\s+(?:arrangements?|agreements?)\b",
            r"\bpartnership\s+(?:arrangements?|agreements?)\b",
            r"\bcooperative\s+arrangements?\b",
            r"\bforms\s+of\s+cooperation\b",
            r"\badministrative\s+and\s+contractual\s+arrangements?\b",
            r"\b(?:framework|relationship|liaison|host\s+country|headquarters)\s+agreements?\b",
            r"\bletters?\s+of\s+(?:intent|agreement)\b",
            r"\bnegotiat(?:e|es|ing|ions?)\b[^;.]{0,80}?\bagreements?\b",
        ),
        description=(
            "Exploring formal cooperation: 'memorandums of understanding',"
            " 'cooperation arrangements', 'cooperation agreements', 'partnership"
            " arrangements', 'forms of cooperation', 'administrative and contractual"
            " arrangements', 'framework agreements', 'host country agreement', 'letters of"
            " intent', 'negotiations ... on an agreement'."
        ),
    ),
    KindRule(
        kind=MandateKind.INFORMATION_COLLECTION,
        patterns=(
            r"\b(?:collect|gather|compile|share|exchange|obtain|seek)(?:s|ed|ing)?\s+"
            r"(?:[\w-]+\s+){0,3}?(?:information|data)\b",
            r"\b(?:collection|gathering|compilation|sharing|exchange)\s+of\s+"
            r"(?:[\w-]+\s+){0,2}?(?:information|data)\b",
            r"\b(?:collect|gather|compile|solicit|seek|invite|request)(?:s|ed|ing)?\s+"
            r"(?:[\w-]+\s+){0,3}?(?:contributions|inputs|views|submissions|comments)\b",
            r"\bseek(?:s|ing)?\s+from\s+(?:[\w-]+\s+){1,4}?(?:views|contributions|inputs|information)\b",
            r"\b(?:request|invit|solicit)\w*\s+(?:the\s+)?submission\s+of\b",
            r"\b(?:conduct|carry\s+out|undertake|circulate|send|disseminate)(?:s|ed|ing)?\s+"
            r"(?:[\w-]+\s+){0,3}?(?:surveys?|questionnaires?)\b",
        ),
        description=(
            "Collecting or exchanging information: 'collect information',"
            " 'gather data', 'compile information', 'share information with',"
            " 'exchange of relevant information', 'gather contributions from',"
            " 'seek their views', 'seek from those States their views', 'solicit inputs',"
            " 'requesting the submission of', 'conduct a survey', 'circulate a questionnaire'."
        ),
    ),
    KindRule(
        kind=MandateKind.REPORTING,
        patterns=(
            r"\bto\s+report\b",
            r"\breport(?:s|ing)?\s+back\b",
            r"\b(?:and|or|shall|will|should|must|also|further|regularly|annually|periodically|then)"
            r"\s+report(?:s)?\s+(?:on|to|thereon|annually|regularly|periodically)\b",
            r"\b(?:submit|prepare|present|provide|issue)(?:s|ing)?\b[^;.]{0,160}?\breports?\b",
            r"\b(?:submit|present)(?:s|ting|ing)?\s+(?:it|them|this|these|its\s+\w+|the\s+\w+)?\s*to\s+the"
            r"\s+(?:[A-Z][\w-]*\s+){0,6}(?:Assembly|Conference|Council|Commission|Committee|Board|Group"
            r"|Forum)\b",
            r"\bin\s+(?:a|an|his|her|its|the)\s+(?:\w+\s+){0,2}?reports?\s+to\s+be\s+(?:submitted|presented)\b",
            r"\binclude\b[^;.]{0,120}?\bin\s+(?:his|her|its|their|the)\s+(?:next\s+|forthcoming\s+"
            r"|annual\s+|regular\s+|periodic\s+)?reports?\b",
            r"\b(?:inform|apprise)(?:s|ing)?\s+the\s+(?:[A-Z][\w-]*\s+){0,6}(?:Conference|Group"
            r"|Assembly|Council|Commission|Committee)\b",
            r"\bkeep\s+(?:the\s+)?[\w\s]{1,60}?\b(?:informed|apprised)\b",
            r"\bprovide\s+(?:the|its)\s+(?:[A-Z][\w-]*\s+){1,8}with\s+(?:information|an\s+update|updates"
            r"|a\s+report|a\s+briefing|an\s+overview)\b",
            r"\b(?:prepare|present|submit|provide|make\s+available)(?:s|ing)?\b[^;.]{0,80}?\b(?:analysis"
            r"|study|overview|assessment|compilation|review|summary|note|paper)\b[^;.]{0,500}?"
            r"\bfor\s+(?:presentation|consideration|submission|discussion)\s+(?:at|to|by)\b",
        ),
        description=(
            "Reporting back: 'to report', 'report back', 'and report on', 'submit a report'"
            " 'submit it to the General Assembly',"
            " (also with many words between), 'in a report to be submitted to', 'include in"
            " his next report', 'to inform the Conference at its next session', 'keep the"
            " Assembly informed', 'provide the Commission with information', 'prepare an"
            " analysis for presentation at'. A mere mention of a report ('the report of',"
            " 'his reports on') is not a reporting mandate."
        ),
    ),
)
"""Kind rules; a paragraph gets every kind whose rule matches."""

_KIND_ORDER: dict[MandateKind, int] = {kind: i for i, kind in enumerate(MandateKind)}


def classify_kinds(text: str) -> tuple[MandateKind, ...]:
    """Find every kind of mandate a paragraph asks for.

    Args:
        text: The cleaned paragraph text.

    Returns:
        The kinds whose :data:`KIND_RULES` match (strong or weak wordings), in
        the order :class:`MandateKind` declares them; empty when none applies.
    """
    found = {rule.kind for rule in KIND_RULES if rule.matches(text)}
    return tuple(sorted(found, key=_KIND_ORDER.__getitem__))


def weak_kinds(text: str) -> tuple[MandateKind, ...]:
    """The kinds text suggests only by a weak wording (no strong wording of the kind).

    Args:
        text: The cleaned paragraph text.

    Returns:
        Those kinds, in :class:`MandateKind` order.
    """
    found = {rule.kind for rule in KIND_RULES if rule.matches(text) and not rule.matches_plainly(text)}
    return tuple(sorted(found, key=_KIND_ORDER.__getitem__))


# ---------------------------------------------------------------------------
# Confidentiality
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfidentialityRule:
    """Wordings by which a paragraph asks to protect information.

    Attributes:
        patterns: Regexes searched anywhere in the paragraph.
        description: What the rule recognises, for a reader.
    """

    patterns: tuple[str, ...]
    description: str


CONFIDENTIALITY_RULE = ConfidentialityRule(
    patterns=(r"\bconfidential(?:ity|ly)?\b",),
    description="'confidential nature', 'confidentiality', 'confidential', 'confidentially'.",
)
"""The confidentiality rule."""


def is_confidential(text: str) -> bool:
    """Tell whether a paragraph asks to protect the information it concerns.

    Args:
        text: The cleaned paragraph text.

    Returns:
        True when :data:`CONFIDENTIALITY_RULE` matches.
    """
    return any(_compile(p).search(text) for p in CONFIDENTIALITY_RULE.patterns)


# ---------------------------------------------------------------------------
# Reporting target
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportingBody:
    """A body a paragraph may ask to report to, with its canonical name.

    Attributes:
        name: The canonical name reported as ``reports_to``.
        pattern: Regex matched at the start of the captured target phrase
            (and of the adopting body, for "at its ninth session").
        description: Which wordings map to the name.
    """

    name: str
    pattern: str
    description: str


REPORTING_BODIES: tuple[ReportingBody, ...] = (
    ReportingBody(
        name="Implementation Review Group",
        pattern=r"^Implementation\s+Review\s+Group\b",
        description="The Implementation Review Group of the Conference.",
    ),
    ReportingBody(
        name="Conference",
        pattern=r"^Conference\b(?!\s+on\s+Disarmament)",
        description=(
            "'the Conference', 'the Conference of the States Parties', 'the Conference at its ninth session'."
        ),
    ),
    ReportingBody(
        name="General Assembly",
        pattern=r"^(?:General\s+)?Assembly\b",
        description="The General Assembly ('the Assembly').",
    ),
)
"""Known reporting bodies, tried in order; other targets are reported as written."""

_TARGET = r"(?P<target>[A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|of|on|for|and|the|against|to(?=\s+[A-Z])))*)"
_SESSION = (
    r"at\s+its\s+(?:next|[a-z]+(?:-[a-z]+)?|\d{1,3}(?:st|nd|rd|th))\s+"
    r"(?:regular\s+|special\s+|substantive\s+)?session"
)
REPORT_TARGET_PATTERNS: tuple[str, ...] = (
    r"(?:\bto\s+report\b|\breport(?:s|ing)?(?=\s+(?:back|on|to|thereon)\b)|\bsubmit(?:s|ted|ting)?\b)"
    r"[^;]{0,300}?\bto\s+the\s+" + _TARGET,
    r"\b(?:inform|apprise)(?:s|ing)?\s+the\s+" + _TARGET,
    r"\bkeep\s+the\s+" + _TARGET + r"[^;]{0,80}?\b(?:informed|apprised)\b",
    r"\bprovide\s+(?:the|its)\s+" + _TARGET + r"\s+with\s+(?:information|an\s+update|updates|a\s+report"
    r"|a\s+briefing|an\s+overview)\b",
    r"\bfor\s+(?:presentation|consideration|submission|discussion)\s+(?:to|by|at)\s+the\s+" + _TARGET,
)
"""Where to find the body reported to: the first capitalised 'to the X' after 'to report',
'report back/on/to' or 'submit(ted)'; 'inform (apprise) the X'; 'keep the X informed'; 'provide the
X with information'; 'for consideration by (presentation at) the X'. Matched case-sensitively, so 'to the
extent' is skipped and the noun in 'the report of' is no trigger. Failing these, 'at its
ninth session' (or 'to it') after a reporting wording names the adopting body."""

_TRAILING_CONNECTORS = ("of", "on", "for", "and", "the", "against", "to")
_OWN_SESSION_RE = re.compile(
    r"(?:\bto\s+report\b|\breport|\bsubmit|\bpresent|\binform|\bapprise|\bprovide)[^;]{0,300}?(?:\b"
    + _SESSION
    + r"|\bto\s+it\b)"
)


def _words_of(text: str) -> str:
    return " ".join(text.split())


def _canonical_body(target: str) -> str:
    """The canonical name of a reporting body, or the target as written."""
    for body in REPORTING_BODIES:
        if re.match(body.pattern, target):
            return body.name
    return target


_NOT_A_BODY_RE = re.compile(r"(?:the\s+)?(?:Secretary-General|Secretariat|secretariat)\b")
"""Who is given information but is not a body reported to ("provide the Secretary-General
with information": the States inform the Secretariat, nobody reports)."""


def find_reports_to(text: str, body: str | None = None) -> str | None:
    """Find the body a paragraph asks to report to.

    Args:
        text: The cleaned paragraph (or clause) text.
        body: The adopting body, which "at its ninth session" refers to.

    Returns:
        The canonical name from :data:`REPORTING_BODIES` when the target is a
        known body, else the capitalised target phrase as written, else the
        adopting body when the text reports "at its ... session"; None when no
        target is named.
    """
    best: tuple[int, str] | None = None
    for pattern in REPORT_TARGET_PATTERNS:
        found = (m for m in re.finditer(pattern, text) if not _NOT_A_BODY_RE.match(m.group("target")))
        match = next(found, None)
        if match is not None and (best is None or match.start() < best[0]):
            best = (match.start(), match.group("target"))
    if best is None:
        if body and _OWN_SESSION_RE.search(text):
            return _canonical_body(body)
        return None
    words = best[1].split()
    while words and words[-1] in _TRAILING_CONNECTORS:
        words.pop()
    target = " ".join(words)
    if not target:
        return None
    canonical = _canonical_body(target)
    if canonical == target and body and " " not in target and body.endswith(f" {target}"):
        return _words_of(body)  # "the Council" of a Human Rights Council resolution
    return canonical


# ---------------------------------------------------------------------------
# Reporting frequency, due session or date, review and sunset clauses
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrequencyRule:
    """Wordings that say how often to report.

    Attributes:
        frequency: The frequency the rule assigns.
        pattern: Regex searched in a reporting clause.
        description: What the rule recognises, for a reader.
    """

    frequency: ReportingFrequency
    pattern: str
    description: str


REPORTING_FREQUENCY_RULES: tuple[FrequencyRule, ...] = (
    FrequencyRule(
        ReportingFrequency.BIENNIAL,
        r"\bbienni(?:al(?:ly)?|um)\b|\bevery\s+(?:two|2|other)\s+years?\b",
        "'biennially', 'every two years', 'every other year', 'once a biennium'.",
    ),
    FrequencyRule(
        ReportingFrequency.TRIENNIAL,
        r"\btriennial(?:ly)?\b|\bevery\s+(?:three|3)\s+years\b",
        "'triennially', 'every three years'.",
    ),
    FrequencyRule(
        ReportingFrequency.QUADRENNIAL,
        r"\bquadrennial(?:ly)?\b|\bevery\s+(?:four|4)\s+years\b",
        "'quadrennially', 'every four years'.",
    ),
    FrequencyRule(
        ReportingFrequency.PERIODIC,
        r"\bevery\s+(?:\d{1,3}|two|three|four|six)\s+(?:days|weeks|months)\b|\bevery\s+(?:month|quarter)\b"
        r"|\b(?:quarterly|monthly|semi-annual(?:ly)?|biannual(?:ly)?)\b",
        "'every 90 days', 'every six months', 'quarterly', 'semi-annually'.",
    ),
    FrequencyRule(
        ReportingFrequency.ANNUAL,
        r"\bannual(?:ly)?\b|\b(?:each|every)\s+year\b|\byearly\b|\bon\s+an\s+annual\s+basis\b",
        "'annually', 'an annual report', 'each year', 'on an annual basis'.",
    ),
    FrequencyRule(
        ReportingFrequency.EVERY_SESSION,
        r"\bat\s+(?:each|every)\s+(?:of\s+its\s+)?(?:regular\s+|future\s+)?sessions?\b",
        "'at each session', 'at each of its sessions'.",
    ),
    FrequencyRule(
        ReportingFrequency.PERIODIC,
        r"\b(?:regularly|periodically|periodic|regular)\b",
        "'regularly', 'periodically', 'periodic reports'.",
    ),
    FrequencyRule(
        ReportingFrequency.ONCE,
        r"\b" + _SESSION + r"\b|\b(?:by|before|no\s+later\s+than|not\s+later\s+than)\s+(?:the\s+end\s+of\s+)?"
        r"(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?(?:19|20)\d\d\b",
        "A report at one named session ('at its next session', 'at its eighty-first"
        " session') or by a date ('by 31 March 2027'), with no period said.",
    ),
)
"""Frequency rules for reporting clauses, tried in order; the first that matches wins."""


def find_reporting_frequency(text: str) -> ReportingFrequency | None:
    """How often a reporting clause asks to report.

    Args:
        text: The cleaned text of a clause (or paragraph) that asks for a report.

    Returns:
        The frequency of the first matching :data:`REPORTING_FREQUENCY_RULES`, or None.
    """
    for rule in REPORTING_FREQUENCY_RULES:
        if _compile(rule.pattern).search(text):
            return rule.frequency
    return None


_MONTHS = ("January February March April May June July August September October November December").split()
REPORT_DUE_PATTERNS: tuple[str, ...] = (
    r"\bat\s+its\s+(?P<session>(?:next|[a-z]+(?:-[a-z]+)?|\d{1,3}(?:st|nd|rd|th))\s+(?:regular\s+|special\s+"
    r"|substantive\s+)?session)\b",
    r"\bat\s+the\s+(?P<session>(?:next|[a-z]+(?:-[a-z]+)?|\d{1,3}(?:st|nd|rd|th))\s+session)\s+of\s+the\b",
    r"\b(?:by|before|no\s+later\s+than|not\s+later\s+than)\s+(?:the\s+end\s+of\s+)?(?P<date>(?:\d{1,2}\s+)?"
    r"(?:(?:" + "|".join(_MONTHS) + r")\s+)?(?:19|20)\d\d)\b",
)
"""Where a report is due: 'at its eighty-first session', 'at the next session of the
Commission', 'by 31 March 2027', 'before June 2026', 'by the end of 2026'."""


def _parse_date(text: str) -> date | None:
    """A date from "31 March 2027", "June 2026" (its last day) or "2026" (31 December)."""
    words = text.split()
    try:
        year = int(words[-1])
        month = _MONTHS.index(words[-2].capitalize()) + 1 if len(words) >= 2 else 12
        day = int(words[0]) if len(words) == 3 else calendar.monthrange(year, month)[1]
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def find_report_due(text: str) -> tuple[str | None, date | None]:
    """The session or date a reporting clause names for its report.

    Args:
        text: The cleaned text of a clause (or paragraph) that asks for a report.

    Returns:
        ``(session, date)``: the session as written, lower case ("eighty-first
        session"), and the date (a month alone means its last day, a year alone
        31 December); either may be None.
    """
    session: str | None = None
    due: date | None = None
    for pattern in REPORT_DUE_PATTERNS:
        match = _compile(pattern).search(text)
        if match is None:
            continue
        found = match.groupdict()
        if found.get("session") and session is None:
            session = " ".join(found["session"].lower().split())
        if found.get("date") and due is None:
            due = _parse_date(found["date"])
    return session, due


@dataclass(frozen=True, slots=True)
class TimeRule:
    """A wording that sets when a mandate is reviewed or when it ends.

    Attributes:
        name: Short identifier of the rule.
        pattern: Regex searched anywhere in the paragraph; the matched phrase is reported.
        description: What the rule recognises, for a reader.
    """

    name: str
    pattern: str
    description: str


_WHEN = (
    r"(?:at\s+its\s+[a-z]+(?:-[a-z]+)?\s+(?:regular\s+|special\s+)?session|in\s+(?:19|20)\d\d"
    r"|(?:by|before|no\s+later\s+than)\s+(?:the\s+end\s+of\s+)?(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?(?:19|20)\d\d"
    r"|after\s+\w+\s+years?|within\s+\w+\s+years?)"
)
REVIEW_RULES: tuple[TimeRule, ...] = (
    TimeRule(
        name="decides_to_review",
        pattern=r"\b(?:decides|agrees|resolves)\s+(?:also\s+|further\s+)?to\s+(?:consider|review|revisit"
        r"|reconsider|assess|evaluate|take\s+stock\s+of|continue\s+(?:its\s+|the\s+)?consideration\s+of)"
        r"\b[^;]{0,200}?\b" + _WHEN,
        description="'decides to consider the matter at its ninth session', 'decides to review ... in 2028',"
        " 'decides to continue its consideration of the question ... at its sixty-third session'.",
    ),
    TimeRule(
        name="review_in",
        pattern=r"\b(?:an?\s+|the\s+)?(?:(?:further|comprehensive|periodic|mid-term|midterm|full|independent"
        r"|external|thorough)\s+)*"
        r"(?:review|evaluation|assessment)\s+of\s+[^;]{0,150}?\b" + _WHEN,
        description="'a further comprehensive review of ... in 2030', 'an evaluation of ... after 3 years'.",
    ),
    TimeRule(
        name="intends_to_review",
        pattern=r"\b(?:intention|intends|decides|agrees)\s+to\s+review\s+(?:the\s+)?(?:mandate|situation"
        r"|arrangements?|implementation|matter|question)\b[^;]{0,120}?\b" + _WHEN,
        description="'expresses its intention to review the mandate by 31 March 2096'.",
    ),
    TimeRule(
        name="review_resolution",
        pattern=r"\breview\s+(?:the\s+)?(?:implementation\s+of\s+)?(?:the\s+present|this)\s+resolution\b",
        description="'review the implementation of the present resolution'.",
    ),
)
"""Review clauses: the paragraph says when it (or the resolution) will be reviewed.
'Decides to include in the provisional agenda of its eighty-first session the item'
keeps an item on the agenda; it is not a review of the mandate and is not listed."""

SUNSET_RULES: tuple[TimeRule, ...] = (
    TimeRule(
        name="period",
        pattern=r"\bfor\s+(?:a|an\s+initial|a\s+further|an\s+additional|a\s+new)\s+(?:period|term)\s+of\s+"
        r"(?:[a-z]+|\d{1,2})\s+(?:years?|months?)\b",
        description="'for a period of three years', 'for a further period of one year'.",
    ),
    TimeRule(
        name="until",
        pattern=r"\b(?:until|through|up\s+to)\s+(?:the\s+end\s+of\s+)?(?:\d{1,2}\s+)?(?:(?:"
        + "|".join(_MONTHS)
        + r")\s+)?(?:19|20)\d\d\b",
        description="'until 31 December 2027', 'until the end of 2030'.",
    ),
    TimeRule(
        name="only_during",
        pattern=r"\bonly\s+(?:during|for|until)\s+(?:the|its)\s+[a-z]+(?:-[a-z]+)?\s+session\b",
        description="'shall apply only during the ninety-ninth session'.",
    ),
    TimeRule(
        name="expires",
        pattern=r"\b(?:shall|will)\s+(?:expire|terminate|cease\s+to\s+exist|lapse)\b",
        description="'the mandate shall expire', 'will terminate'.",
    ),
)
"""Sunset clauses: the paragraph says when the mandate (or the measure) ends."""


def _first_phrase(rules: tuple[TimeRule, ...], text: str) -> str | None:
    """The earliest phrase matched by any of the rules, as written (single spaces)."""
    best: re.Match[str] | None = None
    for rule in rules:
        match = _compile(rule.pattern).search(text)
        if match is not None and (best is None or match.start() < best.start()):
            best = match
    return " ".join(best.group(0).split()) if best is not None else None


def find_review_clause(text: str) -> str | None:
    """The paragraph's review clause as written ("decides to consider ... at its ninth session"), or None."""
    return _first_phrase(REVIEW_RULES, text)


def find_sunset_clause(text: str) -> str | None:
    """The paragraph's sunset clause as written ("for a period of three years"), or None."""
    return _first_phrase(SUNSET_RULES, text)


# ---------------------------------------------------------------------------
# Resource constraint
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResourceConstraintRule:
    """A wording that binds a mandate to some resources.

    Attributes:
        name: Short identifier of the rule.
        pattern: Regex searched anywhere in the paragraph; the matched phrase,
            lower-cased, is reported as ``resource_constraint``.
        description: What the rule recognises, for a reader.
    """

    name: str
    pattern: str
    description: str


RESOURCE_CONSTRAINT_RULES: tuple[ResourceConstraintRule, ...] = (
    ResourceConstraintRule(
        name="availability",
        pattern=(
            r"\bsubject\s+to\s+(?:the\s+)?availability\s+of\s+(?:[\w-]+\s+){0,2}?"
            r"(?:resources|funds|funding)\b"
        ),
        description=(
            "'subject to the availability of extrabudgetary resources',"
            " 'subject to the availability of resources'."
        ),
    ),
    ResourceConstraintRule(
        name="existing",
        pattern=(
            r"\bwithin\s+(?:the\s+)?(?:existing|available)\s+(?:[\w-]+\s+){0,2}?"
            r"(?:resources|funds|funding)\b"
        ),
        description="'within existing resources', 'within available regular budget resources'.",
    ),
    ResourceConstraintRule(
        name="extrabudgetary",
        pattern=r"\b(?:from|through|with)\s+extrabudgetary\s+(?:resources|funds|funding|contributions)\b",
        description="'from extrabudgetary resources', 'through extrabudgetary contributions'.",
    ),
)
"""Resource constraint rules; the earliest phrase in the paragraph wins."""


def find_resource_constraint(text: str) -> str | None:
    """Find the resource constraint a paragraph sets, as written (lower-cased).

    Args:
        text: The cleaned paragraph text.

    Returns:
        The earliest phrase matched by :data:`RESOURCE_CONSTRAINT_RULES`,
        lower-cased with single spaces, or None.
    """
    best: re.Match[str] | None = None
    for rule in RESOURCE_CONSTRAINT_RULES:
        match = _compile(rule.pattern).search(text)
        if match is not None and (best is None or match.start() < best.start()):
            best = match
    return " ".join(best.group(0).lower().split()) if best is not None else None


# ---------------------------------------------------------------------------
# Clauses
# ---------------------------------------------------------------------------

_CONNECTOR = r"(?:[,;:]\s+(?:and,?\s+|but,?\s+)?|\s(?:and|but),?\s+)"
_REGARD = (
    r"(?:(?:in\s+(?:this|that)\s+(?:regard|respect|context|connection)|to\s+(?:this|that)\s+end"
    r"|for\s+(?:this|that)\s+purpose|accordingly)\s*,?\s+)?"
)
_LATER_CLAUSE_RE = re.compile(
    rf"{_CONNECTOR}{_REGARD}(?P<verb>(?:(?:also|further|once\s+again|again|strongly|urgently)\s+)*"
    rf"(?:{_alternation(CLAUSE_VERBS)}))(?=\s+(?:the|all|that|its|those|relevant|other|each|both|[A-Z]))"
)
_SUB_CLAUSE_RE = re.compile(
    r"(?:^|[;:]\s+)(?:\((?:[a-z]{1,2}|[ivxl]{1,6}|\d{1,2})\)\s+)?(?P<verb>(?:(?:also|further)\s+)?(?:"
    + _alternation([*CLAUSE_VERBS, *PARTICIPLES])
    + r"))(?=\s+(?:the|all|that|its|those|relevant|other|each|both|[A-Z]))",
    re.IGNORECASE,
)
_OTHER_CLAUSE_RE = re.compile(
    rf"[,;]\s+and\s+(?P<verb>(?:(?:{_alternation(VERB_ADVERBS)})\s+)*(?:{_alternation(OPERATIVE_VERBS)}))"
    r"(?=\s+(?:its|the|that|to|with|all|[A-Z]))"
)
_NEED_FOR_RE = re.compile(
    r"\b(?:need|necessity)\s+(?P<verb>for)\s+(?=(?:the\s+)?(?:Secretary-General|Secretariat)\s+to\s)"
)
"""'Stresses the need for the Secretary-General to ...': a task, read as a call for it."""
_DECIDES_TO_RE = re.compile(
    r"\b(?:decides|agrees|resolves)\s+(?:also\s+|further\s+)?(?P<verb>to\s+(?:request|invite|entrust|mandate"
    r"|instruct|direct|authorize|ask|task))\s+(?=the\b|all\b|[A-Z])"
)


@dataclass(frozen=True, slots=True)
class ClauseReading:
    """One clause of a paragraph: a verb, whom it addresses and what it asks.

    Attributes:
        verb: The clause's verb phrase, lower case ("requests", "also requests",
            "requesting", "reiterates its request").
        addressee: Whom the clause addresses, as written, or None.
        actor: The actor the addressee stands for.
        kinds: The kinds of mandate the clause asks for.
        weak_kinds: Those of ``kinds`` found by a weak wording only.
        reports_to: The body it asks to report to, if any.
        text: The clause's text.
        addressee_unplaced: The clause asks someone to act whom no rule places.
    """

    verb: str
    addressee: str | None
    actor: Actor
    kinds: tuple[MandateKind, ...]
    weak_kinds: tuple[MandateKind, ...]
    reports_to: str | None
    text: str
    addressee_unplaced: bool


def _clause_verb(found: str) -> str:
    """A clause verb in lower case with single spaces; a participle stands for its verb."""
    verb = " ".join(found.lower().split())
    words = verb.split()
    for participle, finite in PARTICIPLES.items():
        if verb.endswith(participle):
            return " ".join([*words[: len(words) - len(participle.split())], finite])
    return verb.removeprefix("to ").replace("request", "requests") if verb.startswith("to ") else verb


def read_clauses(
    text: str, emphasized: str | None = None, body: str | None = None
) -> tuple[ClauseReading, ...]:
    """Cut a paragraph into clauses and read each.

    The first clause opens with the paragraph's leading verb. A later clause
    opens at a verb of :data:`CLAUSE_VERBS` after a comma, a semicolon or "and"
    ("..., and requests the Secretary-General to ..."), at a sub-paragraph that
    opens with such a verb or a participle ("(i) Requesting the Department ...
    to ..."), at "decides to request the X to ...", or at any operative verb
    after ", and" ("..., and expresses its intention to ...").

    Args:
        text: The cleaned paragraph text without its number.
        emphasized: The words the source emphasised at the start, if any.
        body: The adopting body, which "at its ninth session" refers to.

    Returns:
        The clauses in order; never empty for a non-empty text.
    """
    verb, rest = split_leading_verb(text, emphasized)
    first_end = len(text) - len(rest)
    sites: list[tuple[int, int, str]] = [(0, first_end, verb)]
    for regex in (_LATER_CLAUSE_RE, _SUB_CLAUSE_RE, _DECIDES_TO_RE, _OTHER_CLAUSE_RE, _NEED_FOR_RE):
        for match in regex.finditer(text, first_end):
            start = match.start("verb")
            if start < first_end or any(abs(start - s) < 3 for s, _, _ in sites):
                continue
            found = "calls for" if regex is _NEED_FOR_RE else _clause_verb(match.group("verb"))
            sites.append((start, match.end("verb"), found))
    sites.sort()
    # "and decides to request the X": the clause is the request; drop a site with no words of its own.
    sites = [
        site
        for n, site in enumerate(sites)
        if n == 0 or n + 1 == len(sites) or text[site[1] : sites[n + 1][0]].strip()
    ]
    clauses: list[ClauseReading] = []
    for n, (start, verb_end, clause_verb) in enumerate(sites):
        end = sites[n + 1][0] if n + 1 < len(sites) else len(text)
        clause_text = text[start:end].strip()
        clause_text = re.sub(r"(?:[,;]\s*|\s)(?:and|but)$", "", clause_text).rstrip(" ,")
        after = text[verb_end:end]
        addressee = read_addressee(clause_verb, after)
        kinds = classify_kinds(clause_text)
        reports_to = find_reports_to(clause_text, body) if MandateKind.REPORTING in kinds else None
        clauses.append(
            ClauseReading(
                verb=clause_verb,
                addressee=addressee.phrase if addressee.asked or addressee.placed else None,
                actor=addressee.actor,
                kinds=kinds,
                weak_kinds=weak_kinds(clause_text),
                reports_to=reports_to,
                text=clause_text,
                addressee_unplaced=addressee.asked and not addressee.placed,
            )
        )
    return tuple(clauses)


# ---------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Classification:
    """What the rules say about one operative paragraph.

    Attributes:
        verb: The leading verb phrase, lower case.
        actor: Who the paragraph addresses: the Secretariat when any clause gives
            it work, else the first clause's addressee.
        kinds: The kinds of mandate, in :class:`MandateKind` order: those of the
            Secretariat's clauses when there are any, else of the whole paragraph.
        confidential: Whether it asks to protect information.
        reports_to: The body to report to, when a clause asks to report.
        resource_constraint: The resource constraint phrase, lower case.
        clauses: The paragraph's clauses.
        unsure: What the rules are unsure of, one short phrase each.
        reporting_frequency: How often to report, when the paragraph asks to.
        report_due_session: The session a report is due at ("eighty-first session").
        report_due_date: The date a report is due by.
        review_clause: The review clause as written, if any.
        sunset_clause: The sunset clause as written, if any.
    """

    verb: str
    actor: Actor
    kinds: tuple[MandateKind, ...]
    confidential: bool
    reports_to: str | None
    resource_constraint: str | None
    clauses: tuple[ClauseReading, ...] = ()
    unsure: tuple[str, ...] = ()
    reporting_frequency: ReportingFrequency | None = None
    report_due_session: str | None = None
    report_due_date: date | None = None
    review_clause: str | None = None
    sunset_clause: str | None = None


def classify_paragraph(text: str, emphasized: str | None = None, body: str | None = None) -> Classification:
    """Apply every table of this module to one operative paragraph.

    Args:
        text: The cleaned paragraph text without its number, sub-paragraphs
            included ("Requests the Secretariat ... (a) ...; (b) ...").
        emphasized: The words the source emphasised at the start, if any.
        body: The adopting body ("General Assembly"), which "at its eighty-first
            session" refers to.

    Returns:
        The classification. ``reports_to`` is only looked for in clauses with
        the reporting kind.
    """
    verb, _ = split_leading_verb(text, emphasized)
    clauses = read_clauses(text, emphasized, body) if text else ()
    tasked = [c for c in clauses if c.actor is Actor.SECRETARIAT]
    if tasked:
        actor = Actor.SECRETARIAT
        kind_set = {k for c in tasked for k in c.kinds}
        weak = {k for k in kind_set if all(k in c.weak_kinds for c in tasked if k in c.kinds)}
    else:
        actor = clauses[0].actor if clauses else Actor.OTHER
        kind_set = set(classify_kinds(text))
        weak = set(weak_kinds(text))
    kinds = tuple(sorted(kind_set, key=_KIND_ORDER.__getitem__))
    reporting = [c for c in (tasked or clauses) if MandateKind.REPORTING in c.kinds]
    reports_to = next((c.reports_to for c in reporting if c.reports_to), None)
    if reports_to is None and not tasked:
        reports_to = next((c.reports_to for c in clauses if c.reports_to), None)
    reporting_text = " ".join(c.text for c in reporting)
    session, due = find_report_due(reporting_text) if reporting else (None, None)
    unsure: list[str] = []
    if not _VERB_RE.match(text) and find_clause_verb(text) is None:
        unsure.append("verb")
    for clause in clauses:
        if clause.addressee_unplaced:
            unsure.append(f"addressee: {clause.addressee}")
    unsure.extend(f"kind: {kind.value} (weak wording)" for kind in kinds if kind in weak)
    if tasked and reporting and reports_to is None:
        unsure.append("reports to: no body named")
    return Classification(
        verb=verb,
        actor=actor,
        kinds=kinds,
        confidential=is_confidential(text),
        reports_to=reports_to,
        resource_constraint=find_resource_constraint(text),
        clauses=clauses,
        unsure=tuple(unsure),
        reporting_frequency=find_reporting_frequency(reporting_text) if reporting else None,
        report_due_session=session,
        report_due_date=due,
        review_clause=find_review_clause(text),
        sunset_clause=find_sunset_clause(text),
    )
