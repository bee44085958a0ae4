"""Rules that classify an operative paragraph of a resolution.

Everything a reader needs to follow or extend the classification is data in
this module: each rule is a named, documented item, and the functions at the
bottom only apply the tables in order. To teach the engine a new wording, add
a pattern to the relevant table; to add a new kind of mandate, add a member to
:class:`domain.vocabulary.MandateKind` and a :class:`KindRule` for it.

The tables, in the order the parser uses them:

* :data:`OPERATIVE_VERBS` and :data:`VERB_ADVERBS`: the leading verb phrase of
  an operative paragraph ("Requests", "Also requests", "Calls upon", ...).
* :data:`ACTOR_RULES`: who the paragraph addresses, read from the words right
  after the verb phrase ("the Secretariat", "States parties", "to ...").
* :data:`KIND_RULES`: what the paragraph asks for (dialogue, exploring a
  memorandum of understanding, collecting information, reporting).
* :data:`CONFIDENTIALITY_RULE`: whether it asks to protect information.
* :data:`REPORT_TARGET_PATTERNS` and :data:`REPORTING_BODIES`: to whom a
  paragraph asks to report.
* :data:`RESOURCE_CONSTRAINT_RULES`: the resources the mandate is bound to.

All patterns are regular expressions matched case-insensitively against the
cleaned paragraph text (one line, single spaces, no Markdown, no footnote
markers) unless a rule says otherwise.

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from domain.vocabulary import Actor, MandateKind

__all__ = [
    "ACTOR_RULES",
    "CONFIDENTIALITY_RULE",
    "DECISION_VERBS",
    "KIND_RULES",
    "OPERATIVE_VERBS",
    "POSTPOSED_ADVERBS",
    "REPORTING_BODIES",
    "REPORT_TARGET_PATTERNS",
    "RESOURCE_CONSTRAINT_RULES",
    "VERB_ADVERBS",
    "ActorRule",
    "Classification",
    "ConfidentialityRule",
    "KindRule",
    "ReportingBody",
    "ResourceConstraintRule",
    "classify_actor",
    "classify_kinds",
    "classify_paragraph",
    "find_reports_to",
    "find_resource_constraint",
    "is_confidential",
    "looks_like_operative_start",
    "split_leading_verb",
]


@lru_cache(maxsize=512)
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
    "deplores",
    "designates",
    "determines",
    "directs",
    "emphasizes",
    "encourages",
    "endorses",
    "entrusts",
    "expresses",
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
``calls upon`` and "Takes note with appreciation of" gives ``takes note``.
A paragraph whose verb is not listed still parses: its verb is then the
emphasised opening words, or the first capitalised word (see
:func:`split_leading_verb`).
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


def _alternation(phrases: tuple[str, ...]) -> str:
    """Regex alternation of phrases, longest first, spaces matching any whitespace."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered)


_ADVERBS_RX = rf"(?:(?:{_alternation(VERB_ADVERBS)})\s+)*"
_VERB_RE = re.compile(
    rf"^(?P<verb>{_ADVERBS_RX}(?:{_alternation(OPERATIVE_VERBS)})"
    rf"(?:\s+(?:{_alternation(POSTPOSED_ADVERBS)}))?)(?![\w-])",
    re.IGNORECASE,
)
_FALLBACK_VERB_RE = re.compile(rf"^(?P<verb>{_ADVERBS_RX}[A-Za-z][a-z]*)(?![\w-])", re.IGNORECASE)
_OPERATIVE_START_RE = re.compile(rf"^{_ADVERBS_RX}[A-Z][a-z]*s\b", re.IGNORECASE)


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
    """
    match = _VERB_RE.match(text)
    if match is None and emphasized:
        words = emphasized.split()
        prefix = re.match(r"\s*".join(map(re.escape, words)), text) if words else None
        if prefix is not None and len(words) <= 6:
            return " ".join(words).lower(), text[prefix.end() :].strip()
    if match is None:
        match = _FALLBACK_VERB_RE.match(text)
    if match is None:
        return "", text.strip()
    verb = " ".join(match.group("verb").split()).lower()
    return verb, text[match.end() :].strip()


# ---------------------------------------------------------------------------
# Actor
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActorRule:
    """Who a paragraph addresses, recognised from the words after its verb.

    Attributes:
        name: Short identifier of the rule.
        actor: The actor the rule assigns.
        pattern: Regex matched at the start of the text following the verb
            phrase (after a leading ", ... ," clause and adverbs are dropped).
        description: What the rule recognises, for a reader.
        verbs: When not empty, the rule applies only if the base verb (the
            last word of the phrase before any postposed adverb) is one of them.
    """

    name: str
    actor: Actor
    pattern: str
    description: str
    verbs: frozenset[str] = field(default_factory=frozenset)


ACTOR_RULES: tuple[ActorRule, ...] = (
    ActorRule(
        name="secretariat",
        actor=Actor.SECRETARIAT,
        pattern=(
            r"^(?:that\s+)?(?:the\s+)?(?:Secretariat|Secretary-General|Executive\s+Director"
            r"|United\s+Nations\s+Office\s+on\s+Drugs\s+and\s+Crime|UNODC)\b(?!s)"
        ),
        description=(
            "'Requests the Secretariat', 'Invites the United Nations Office on Drugs and"
            " Crime', 'Requests the Executive Director', 'Requests that the secretariat'."
            " Not 'the secretariats of other mechanisms'."
        ),
    ),
    ActorRule(
        name="states_parties",
        actor=Actor.STATES_PARTIES,
        pattern=(
            r"^(?:that\s+)?(?:all\s+)?(?:the\s+)?(?:States\s+parties|Member\s+States"
            r"|States|Parties|Governments)\b"
        ),
        description="'Calls upon States parties', 'Urges all States parties', 'Member States'.",
    ),
    ActorRule(
        name="conference",
        actor=Actor.CONFERENCE,
        pattern=r"^(?:that\s+)?(?:the\s+)?Conference\b",
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

_LEADING_CLAUSE_RE = re.compile(r"^,[^,]{0,200},\s*")
_LEADING_ADVERB_RE = re.compile(rf"^(?:{_alternation(VERB_ADVERBS)})\b[\s,]*", re.IGNORECASE)


def _base_verb(verb: str) -> str:
    """The main verb of a verb phrase: 'also requests' -> 'requests', 'decides also' -> 'decides'."""
    words = [w for w in verb.split() if w not in VERB_ADVERBS]
    return words[0] if words else ""


def classify_actor(verb: str, rest: str) -> Actor:
    """Tell who a paragraph addresses.

    Args:
        verb: The leading verb phrase, lower case (from :func:`split_leading_verb`).
        rest: The paragraph text after the verb phrase.

    Returns:
        The actor of the first matching rule in :data:`ACTOR_RULES`, else
        :attr:`Actor.OTHER`.
    """
    head = rest.strip()
    head = _LEADING_CLAUSE_RE.sub("", head, count=1)
    head = _LEADING_ADVERB_RE.sub("", head, count=1)
    base = _base_verb(verb)
    for rule in ACTOR_RULES:
        if rule.verbs and base not in rule.verbs:
            continue
        if _compile(rule.pattern).match(head):
            return rule.actor
    return Actor.OTHER


# ---------------------------------------------------------------------------
# Kinds of mandate
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindRule:
    """A kind of mandate and the wordings that reveal it.

    Attributes:
        kind: The kind the rule assigns.
        patterns: Regexes searched anywhere in the paragraph; any match assigns the kind.
        description: What the rule recognises, for a reader.
    """

    kind: MandateKind
    patterns: tuple[str, ...]
    description: str

    def matches(self, text: str) -> bool:
        """Tell whether any of the rule's patterns occurs in text."""
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
        ),
        description=(
            "Holding a dialogue or consultations: 'continue its dialogue with',"
            " 'hold consultations with', 'consult with', 'engage with'."
            " 'in consultation with States parties' alone is a manner, not a mandate."
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
        ),
        description=(
            "Exploring formal cooperation: 'memorandums of understanding',"
            " 'cooperation arrangements', 'cooperation agreements',"
            " 'partnership arrangements'."
        ),
    ),
    KindRule(
        kind=MandateKind.INFORMATION_COLLECTION,
        patterns=(
            r"\b(?:collect|gather|compile|share|exchange|obtain|seek)(?:s|ed|ing)?\s+"
            r"(?:[\w-]+\s+){0,3}?(?:information|data)\b",
            r"\b(?:collection|gathering|compilation|sharing|exchange)\s+of\s+"
            r"(?:[\w-]+\s+){0,2}?(?:information|data)\b",
        ),
        description=(
            "Collecting or exchanging information: 'collect information',"
            " 'gather data', 'compile information', 'share information with',"
            " 'exchange of relevant information'."
        ),
    ),
    KindRule(
        kind=MandateKind.REPORTING,
        patterns=(
            r"\bto\s+report\b",
            r"\breport(?:s|ing)?\s+back\b",
            r"(?<!\bthe )(?<!\ba )(?<!\bits )\breport(?:s|ing)?\s+(?:on|to|thereon)\b",
            r"\b(?:submit|prepare|present|provide|issue)(?:s|ing)?\b[^;.]{0,60}?\breports?\b",
            r"\binform(?:s|ing)?\s+the\s+(?:Conference|Implementation\s+Review\s+Group"
            r"|General\s+Assembly|Commission|Working\s+Group)\b",
            r"\bkeep\s+(?:the\s+)?[\w\s]{1,60}?\binformed\b",
        ),
        description=(
            "Reporting back: 'to report', 'report back', 'report on ... to',"
            " 'submit a report', 'to inform the Conference at its next session'."
            " A mere mention of 'the report of' is not a reporting mandate."
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
        The kinds whose :data:`KIND_RULES` match, in the order
        :class:`MandateKind` declares them; empty when none applies.
    """
    found = {rule.kind for rule in KIND_RULES if rule.matches(text)}
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
        pattern: Regex matched at the start of the captured target phrase.
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
        pattern=r"^Conference\b",
        description=(
            "'the Conference', 'the Conference of the States Parties', 'the Conference at its ninth session'."
        ),
    ),
    ReportingBody(
        name="General Assembly",
        pattern=r"^General\s+Assembly\b",
        description="The General Assembly.",
    ),
)
"""Known reporting bodies, tried in order; other targets are reported as written."""

_TARGET = r"(?P<target>[A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|of|on|for|and|the|against|to(?=\s+[A-Z])))*)"
REPORT_TARGET_PATTERNS: tuple[str, ...] = (
    r"(?:\bto\s+report\b|\breport(?:s|ing)?(?=\s+(?:back|on|to|thereon)\b)|\bsubmit(?:s|ting)?\b)"
    r"[^;]{0,300}?\bto\s+the\s+" + _TARGET,
    r"\binform(?:s|ing)?\s+the\s+" + _TARGET,
    r"\bkeep\s+the\s+" + _TARGET + r"[^;]{0,80}?\binformed\b",
)
"""Where to find the body reported to: the first capitalised 'to the X' after 'to report',
'report back/on/to' or 'submit'; 'inform the X'; 'keep the X informed'. Matched
case-sensitively, so 'to the extent' is skipped and the noun in 'the report of' is no trigger."""

_TRAILING_CONNECTORS = ("of", "on", "for", "and", "the", "against", "to")


def find_reports_to(text: str) -> str | None:
    """Find the body a paragraph asks to report to.

    Args:
        text: The cleaned paragraph text.

    Returns:
        The canonical name from :data:`REPORTING_BODIES` when the target is a
        known body, else the capitalised target phrase as written, or None
        when no target is named.
    """
    best: tuple[int, str] | None = None
    for pattern in REPORT_TARGET_PATTERNS:
        match = re.search(pattern, text)
        if match is not None and (best is None or match.start() < best[0]):
            best = (match.start(), match.group("target"))
    if best is None:
        return None
    words = best[1].split()
    while words and words[-1] in _TRAILING_CONNECTORS:
        words.pop()
    target = " ".join(words)
    for body in REPORTING_BODIES:
        if re.match(body.pattern, target):
            return body.name
    return target or None


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
# Everything at once
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Classification:
    """What the rules say about one operative paragraph.

    Attributes:
        verb: The leading verb phrase, lower case.
        actor: Who the paragraph addresses.
        kinds: The kinds of mandate, in :class:`MandateKind` order.
        confidential: Whether it asks to protect information.
        reports_to: The body to report to, when the paragraph asks to report.
        resource_constraint: The resource constraint phrase, lower case.
    """

    verb: str
    actor: Actor
    kinds: tuple[MandateKind, ...]
    confidential: bool
    reports_to: str | None
    resource_constraint: str | None


def classify_paragraph(text: str, emphasized: str | None = None) -> Classification:
    """Apply every table of this module to one operative paragraph.

    Args:
        text: The cleaned paragraph text without its number, sub-paragraphs
            included ("Requests the Secretariat ... (a) ...; (b) ...").
        emphasized: The words the source emphasised at the start, if any.

    Returns:
        The classification. ``reports_to`` is only looked for when the
        paragraph has the reporting kind.
    """
    verb, rest = split_leading_verb(text, emphasized)
    kinds = classify_kinds(text)
    return Classification(
        verb=verb,
        actor=classify_actor(verb, rest),
        kinds=kinds,
        confidential=is_confidential(text),
        reports_to=find_reports_to(text) if MandateKind.REPORTING in kinds else None,
        resource_constraint=find_resource_constraint(text),
    )
