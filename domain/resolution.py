"""Read a resolution from its text into a structured, classified model.

A resolution as published is a header (adopting body, symbol, session, place
and date, sponsors, title), preambular paragraphs ("Recalling ...,") and
numbered operative paragraphs ("1. *Requests* the Secretariat ...;"), possibly
with sub-paragraphs "(a)", "(b)", then perhaps a closing line and an annex.
:func:`parse_resolution` reads it in three steps:

1. Decoding: bytes must be UTF-8 text (no NUL bytes, nothing ``domain.values.unstorable``
   names); a BOM is dropped; CRLF
   and CR become LF; a form feed stays, as a page break.
2. Layout (:mod:`domain.layout`): page furniture, footnotes, footnote
   markers, wrapped lines, paragraph numbers set apart, quoted and flattened
   text are taken out or put right; the result is the header, the preamble,
   the operative paragraphs with their sub-paragraphs and footnotes, and the
   annex.
3. Classification (:mod:`domain.classification`): each operative paragraph
   is cut into clauses; each clause's addressee and kinds are read, and the
   paragraph's reporting target, frequency and due session or date, review
   and sunset clauses, and what the rules are unsure of.

Document formats (PDF, Word, HTML) are read into text by the ``documents``
package before this module sees them. This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.classification import classify_paragraph
from domain.errors import DomainError
from domain.layout import Footnote, LaidOutParagraph, lay_out
from domain.values import unstorable
from domain.vocabulary import Actor, MandateKind, ReportingFrequency

__all__ = [
    "BODY_ABBREVIATIONS",
    "Clause",
    "Footnote",
    "OperativeParagraph",
    "Resolution",
    "ResolutionUnreadable",
    "SubParagraph",
    "parse_resolution",
]

MAX_SLUG_LENGTH = 60
"""Longest slug :func:`parse_resolution` derives."""

NO_OPERATIVE_MESSAGE = (
    "no operative paragraphs found (paragraphs such as '1. Requests ...', or, after 'The General"
    " Assembly,', paragraphs opening with a verb such as 'Requests ...')"
)


class ResolutionUnreadable(DomainError):
    """The text given as a resolution cannot be read as one."""

    code = "resolution_unreadable"


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class SubParagraph(BaseModel):
    """A lettered sub-paragraph "(a) ..." of an operative paragraph.

    Attributes:
        label: The letter (or roman numeral) without parentheses, e.g. "a".
        text: The cleaned text after the label, nested "(i) ..." items included.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    text: str


class Clause(BaseModel):
    """One clause of an operative paragraph: a verb, whom it addresses, what it asks.

    Attributes:
        verb: The clause's verb phrase, lower case ("requests", "also requests").
        addressee: Whom it addresses, as written ("the Secretary-General"), or None.
        actor: The actor the addressee stands for.
        kinds: The kinds of mandate the clause asks for.
        reports_to: The body it asks to report to, or None.
        text: The clause's text.
    """

    model_config = ConfigDict(frozen=True)

    verb: str
    addressee: str | None = None
    actor: Actor = Actor.OTHER
    kinds: tuple[MandateKind, ...] = ()
    reports_to: str | None = None
    text: str


class OperativeParagraph(BaseModel):
    """A numbered operative paragraph and what it asks for.

    Attributes:
        number: The paragraph number as written.
        verb: The leading operative verb phrase, lower case ("also requests").
        actor: Who the paragraph addresses.
        kinds: The kinds of mandate it asks for, in :class:`MandateKind` order.
        confidential: Whether it asks to protect the information it concerns.
        reports_to: The body it asks to report to ("Implementation Review Group"), or None.
        resource_constraint: The resources it is bound to, as written in lower
            case ("within existing resources"), or None.
        text: The whole paragraph, cleaned, without its number; sub-paragraphs
            are included as "(a) ...".
        subparagraphs: The lettered sub-paragraphs.
        clauses: The paragraph's clauses, each with its verb and addressee.
        footnotes: The footnotes the paragraph refers to.
        reporting_frequency: How often it asks for a report, if it asks for one.
        report_due_session: The session a report is due at ("eighty-first session").
        report_due_date: The date a report is due by.
        review_clause: Its review clause as written ("decides to consider ... at
            its ninth session"), or None.
        sunset_clause: Its sunset clause as written ("for a period of three
            years"), or None.
        unsure: What the importer is unsure of ("addressee: ...", "kind: dialogue
            (weak wording)"), for the coordinator to check.
    """

    model_config = ConfigDict(frozen=True)

    number: int
    verb: str
    actor: Actor
    kinds: tuple[MandateKind, ...] = ()
    confidential: bool = False
    reports_to: str | None = None
    resource_constraint: str | None = None
    text: str
    subparagraphs: tuple[SubParagraph, ...] = ()
    clauses: tuple[Clause, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    reporting_frequency: ReportingFrequency | None = None
    report_due_session: str | None = None
    report_due_date: date | None = None
    review_clause: str | None = None
    sunset_clause: str | None = None
    unsure: tuple[str, ...] = ()

    def to_summary(self) -> dict[str, Any]:
        """Summarise the paragraph with JSON-ready values.

        Returns:
            A dict with exactly the keys ``paragraph``, ``verb``, ``actor``,
            ``kinds``, ``confidential``, ``reports_to``,
            ``resource_constraint`` and ``text``.
        """
        return {
            "paragraph": self.number,
            "verb": self.verb,
            "actor": self.actor.value,
            "kinds": [kind.value for kind in self.kinds],
            "confidential": self.confidential,
            "reports_to": self.reports_to,
            "resource_constraint": self.resource_constraint,
            "text": self.text,
        }

    def to_record(self) -> dict[str, Any]:
        """Everything the importer found in the paragraph, with JSON-ready values.

        Returns:
            The keys of :meth:`to_summary`, then ``subparagraphs``, ``clauses``,
            ``footnotes``, ``reporting_frequency``, ``report_due_session``,
            ``report_due_date``, ``review_clause``, ``sunset_clause`` and ``unsure``.
        """
        dumped = self.model_dump(mode="json")
        return {
            **self.to_summary(),
            "subparagraphs": dumped["subparagraphs"],
            "clauses": dumped["clauses"],
            "footnotes": dumped["footnotes"],
            "reporting_frequency": dumped["reporting_frequency"],
            "report_due_session": self.report_due_session,
            "report_due_date": dumped["report_due_date"],
            "review_clause": self.review_clause,
            "sunset_clause": self.sunset_clause,
            "unsure": list(self.unsure),
        }


class Resolution(BaseModel):
    """A parsed resolution.

    Attributes:
        slug: A stable identifier, [a-z0-9-], at most 60 characters: the
            symbol when there is one ("cac-cosp-2019-l-7"), else derived from
            body, session and title ("cosp-7-enhancing-synergies").
        symbol: The document symbol ("CAC/COSP/2017/L.5"), or None.
        title: The title, or None.
        body: The adopting body ("Conference of the States Parties to ..."), or None.
        session: The session as written ("Seventh session"), or None.
        place: The place of the session ("Vienna"), or None.
        date: The date as written ("6–10 November 2017"), or None.
        sponsors: The sponsoring States, in the order written.
        preambular: The preambular paragraphs, cleaned.
        operative: The operative paragraphs, in order.
        annex: The annex's paragraphs, if the resolution has one.
        footnotes: Every footnote, in order.
    """

    model_config = ConfigDict(frozen=True)

    slug: str
    symbol: str | None = None
    title: str | None = None
    body: str | None = None
    session: str | None = None
    place: str | None = None
    date: str | None = None
    sponsors: tuple[str, ...] = ()
    preambular: tuple[str, ...] = ()
    operative: tuple[OperativeParagraph, ...]
    annex: tuple[str, ...] = ()
    footnotes: tuple[Footnote, ...] = ()


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------

_LINE_BREAKS_RE = re.compile(r"\r\n?|[\v\x1c\x1d\x1e\x85\u2028\u2029]")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1c\x1d\x1e\x85")


def _decode(data: str | bytes) -> str:
    """Turn the input into text with LF line ends, or raise ResolutionUnreadable."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if b"\x00" in raw:
            raise ResolutionUnreadable(
                "the file looks binary (it contains NUL bytes), not a plain-text resolution"
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ResolutionUnreadable(
                f"the file is not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start})"
            ) from None
    elif isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        raise ResolutionUnreadable(f"a resolution must be given as text or bytes, not {type(data).__name__}")
    if "\x00" in text:
        raise ResolutionUnreadable(
            "the file looks binary (it contains NUL characters), not a plain-text resolution"
        )
    problem = unstorable(text)
    if problem is not None:
        raise ResolutionUnreadable(f"the file holds {problem}: it is not a plain-text resolution")
    controls = sum(1 for ch in text if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc")
    if controls and controls * 10 > len(text):
        raise ResolutionUnreadable(
            "the file looks binary (too many control characters), not a plain-text resolution"
        )
    if not text.strip():
        raise ResolutionUnreadable("the file is empty")
    text = _LINE_BREAKS_RE.sub("\n", text)
    if controls:
        text = "".join(
            " " if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc" else ch for ch in text
        )
    return text


# ---------------------------------------------------------------------------
# Operative paragraphs
# ---------------------------------------------------------------------------


def _build_operative(paragraph: LaidOutParagraph, body: str | None) -> OperativeParagraph:
    """Classify a laid-out paragraph into an OperativeParagraph."""
    subs = tuple(SubParagraph(label=label, text=text) for label, text in paragraph.subparagraphs)
    text = paragraph.text
    found = classify_paragraph(text, paragraph.emphasized, body)
    return OperativeParagraph(
        number=paragraph.number,
        verb=found.verb,
        actor=found.actor,
        kinds=found.kinds,
        confidential=found.confidential,
        reports_to=found.reports_to,
        resource_constraint=found.resource_constraint,
        text=text,
        subparagraphs=subs,
        clauses=tuple(
            Clause(
                verb=c.verb,
                addressee=c.addressee,
                actor=c.actor,
                kinds=c.kinds,
                reports_to=c.reports_to,
                text=c.text,
            )
            for c in found.clauses
        ),
        footnotes=paragraph.footnotes,
        reporting_frequency=found.reporting_frequency,
        report_due_session=found.report_due_session,
        report_due_date=found.report_due_date,
        review_clause=found.review_clause,
        sunset_clause=found.sunset_clause,
        unsure=found.unsure,
    )


# ---------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = rf"\d{{1,2}}(?:\s+(?:{_MONTHS}))?(?:\s*[–—-]\s*\d{{1,2}})?\s+(?:{_MONTHS})\s+\d{{4}}"
_DATE_RE = re.compile(rf"^(?P<date>{_DATE})\.?$")
_PLACE_DATE_RE = re.compile(rf"^(?P<place>[A-Z][^\d]{{0,80}}?),\s*(?P<date>{_DATE})\.?$")
_SESSION_RE = re.compile(r"^(?:[A-Z][\w-]*\s+){1,4}session$", re.IGNORECASE)
_SYMBOL_RE = re.compile(r"(?:^|\s)(?P<symbol>[A-Z][A-Z0-9.]{0,11}(?:/[A-Za-z0-9.\-]{1,20}){2,8})(?=\s|$)")
_SESSION_LEAD_RE = re.compile(r"^(?P<session>(?:[A-Z][\w-]*\s+){1,3}session)\s+(?:Agenda\s+item|Item)\b")
_DISTRIBUTION_DATE_RE = re.compile(rf"\bDistr\.?:?\s+\w+\s+(?P<date>{_DATE})\b")
_SPONSORS_RE = re.compile(
    r"^(?P<names>.+?):\s*(?:(?:further\s+)?revised\s+)?draft\s+(?:resolution|decision)\b",
    re.IGNORECASE,
)
_HEADER_FIELD_RES = (
    re.compile(r"^Distr\.?\b", re.IGNORECASE),
    re.compile(r"^Original\s*:", re.IGNORECASE),
    re.compile(r"^Agenda\s+item\b", re.IGNORECASE),
    re.compile(r"^Item\s+\d", re.IGNORECASE),
    re.compile(r"^(?:Resolution\s+)?adopted\s+by\b", re.IGNORECASE),
    re.compile(r"^\[.*\]$"),
    re.compile(r"^(?:(?:further\s+)?revised\s+)?draft\s+(?:resolution|decision)\b", re.IGNORECASE),
    re.compile(r"^(?:General|Limited|Restricted)$", re.IGNORECASE),
    re.compile(r"^(?:English|French|Spanish|Arabic|Chinese|Russian)$", re.IGNORECASE),
    re.compile(r"^United Nations$", re.IGNORECASE),
)
_RESOLUTION_NUMBER_RE = re.compile(r"^(?:Resolution\s+)?\d{1,3}/\d{1,3}\.?\s*")
_BODY_WORDS_RE = re.compile(
    r"\b(?:Conference|Assembly|Council|Commission|Committee|Meeting|Board|Parties|Group)\b"
)
_COMPOUND_STATES = (
    "Antigua and Barbuda",
    "Bosnia and Herzegovina",
    "Heard Island and McDonald Islands",
    "Saint Kitts and Nevis",
    "Saint Vincent and the Grenadines",
    "Sao Tome and Principe",
    "Trinidad and Tobago",
    "United Kingdom of Great Britain and Northern Ireland",
)


_NOISE_RE = re.compile(
    r"^(?:[A-Z]\.\d{2}-\d{4,6}\b.{0,40}|\d{1,3}\s*/\s*\d{1,3}|\d{2}-\d{5}(?:\s*\([A-Z]\))?)$"
)


@dataclass(frozen=True, slots=True)
class _Header:
    """Fields read from the header."""

    symbol: str | None
    title: str | None
    body: str | None
    session: str | None
    place: str | None
    date: str | None
    sponsors: tuple[str, ...]


def _find_symbol(lines: list[str]) -> str | None:
    """The first document symbol ("CAC/COSP/2017/L.5") standing apart on a header line.

    A symbol quoted inside text or brackets ("(A/70/L.1)") is not the document's own.
    """
    for line in lines:
        match = _SYMBOL_RE.search(line)
        if match is not None and any(ch.isdigit() for ch in match.group("symbol")):
            return match.group("symbol").rstrip(".")
    return None


def _split_sponsors(names: str) -> tuple[str, ...]:
    """Split "Argentina, Austria and Portugal" into State names."""
    protected = names
    for i, state in enumerate(_COMPOUND_STATES):
        protected = protected.replace(state, f"\x00{i}\x00")
    parts: list[str] = []
    depth = 0
    current = ""
    tokens = re.split(r"(\(|\)|,|\s+and\s+)", protected)
    for token in tokens:
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        if depth == 0 and (token == "," or re.fullmatch(r"\s+and\s+", token or "")):
            parts.append(current)
            current = ""
        else:
            current += token or ""
    parts.append(current)

    def restore(part: str) -> str:
        return re.sub(r"\x00(\d+)\x00", lambda m: _COMPOUND_STATES[int(m.group(1))], part)

    return tuple(s for s in (" ".join(restore(p).split()) for p in parts) if s)


def _is_header_field(text: str, symbol: str | None) -> bool:
    """Tell whether a header unit is a known field rather than the title."""
    if symbol is not None and symbol in text and len(text) <= len(symbol) + 30:
        return True
    return bool(
        any(rx.match(text) for rx in _HEADER_FIELD_RES)
        or _SESSION_RE.match(text)
        or _DATE_RE.match(text)
        or _PLACE_DATE_RE.match(text)
        or _SPONSORS_RE.match(text)
        or _NOISE_RE.match(text) is not None
    )


def _read_header(units: list[str], adopting_body: str | None) -> _Header:
    """Read the header fields from the header units (before preamble or operative part)."""
    symbol = _find_symbol(units)
    session = place = date = fallback_date = None
    sponsors: tuple[str, ...] = ()
    for unit in units:
        if session is None and _SESSION_RE.match(unit) and len(unit) <= 60:
            session = unit
        elif session is None and (lead := _SESSION_LEAD_RE.match(unit)):
            session = lead.group("session")  # "Eightieth session Agenda item 62 ..." on one line
        if fallback_date is None and (dated := _DISTRIBUTION_DATE_RE.search(unit)):
            fallback_date = dated.group("date")  # "General Assembly Distr.: General 1 December 2025"
        place_date = _PLACE_DATE_RE.match(unit)
        if place is None and place_date is not None:
            place, date = place_date.group("place").strip(), place_date.group("date")
        elif fallback_date is None and (bare := _DATE_RE.match(unit)):
            fallback_date = bare.group("date")
        found = _SPONSORS_RE.match(unit)
        if not sponsors and found is not None:
            sponsors = _split_sponsors(found.group("names"))
    body = adopting_body
    if body is None:
        body = next(
            (u for u in units if _BODY_WORDS_RE.search(u) and not _is_header_field(u, symbol)),
            None,
        )
    title = None
    for unit in reversed(units):
        if unit != body and not _is_header_field(unit, symbol):
            title = _RESOLUTION_NUMBER_RE.sub("", unit).strip() or None
            break
    return _Header(
        symbol=symbol,
        title=title,
        body=body,
        session=session,
        place=place,
        date=date or fallback_date,
        sponsors=sponsors,
    )


# ---------------------------------------------------------------------------
# Slug
# ---------------------------------------------------------------------------

BODY_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"^Conference of the States Parties\b", "cosp"),
    (r"^Conference of the Parties\b", "cop"),
    (r"^General Assembly\b", "ga"),
    (r"^Human Rights Council\b", "hrc"),
    (r"^Security Council\b", "sc"),
    (r"^Economic and Social Council\b", "ecosoc"),
    (r"^Commission on Crime Prevention and Criminal Justice\b", "ccpcj"),
    (r"^Commission on Narcotic Drugs\b", "cnd"),
)
"""Short names of adopting bodies used in slugs (regex on the body, abbreviation).
Other bodies are abbreviated by the initials of their capitalised words."""

_UNITS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
    " thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_TENTHS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}  # fmt: skip


def _ordinal(word: str) -> int | None:
    """The number of an ordinal word: "seventh" -> 7, "twenty-eighth" -> 28, "9th" -> 9."""
    word = word.lower()
    if match := re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)", word):
        return int(match.group(1))
    if word in _UNITS:
        return _UNITS.index(word) + 1
    if word in _TENTHS:
        return _TENTHS[word]
    tens, _, unit = word.partition("-")
    if tens in _TENS and unit in _UNITS[:9]:
        return _TENS[tens] + _UNITS.index(unit) + 1
    return None


def _slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def _truncate_slug(slug: str) -> str:
    """Cut a slug to MAX_SLUG_LENGTH at a word boundary where possible."""
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    cut = slug[: MAX_SLUG_LENGTH + 1]
    cut = cut[: cut.rfind("-")] if "-" in cut[1:] else cut[:MAX_SLUG_LENGTH]
    return cut.strip("-")[:MAX_SLUG_LENGTH]


def _body_abbreviation(body: str) -> str:
    """Short name of an adopting body for the slug."""
    for pattern, abbreviation in BODY_ABBREVIATIONS:
        if re.match(pattern, body):
            return abbreviation
    return "".join(w[0] for w in re.findall(r"\b[A-Z][A-Za-z]*", body))[:8].lower()


def _session_slug(session: str) -> str:
    """Session part of the slug: "Seventh session" -> "7"."""
    words = session.split()
    numbers = [n for n in (_ordinal(w) for w in words) if n is not None]
    return str(numbers[0]) if numbers else _slugify(session.replace("session", ""))


TITLE_SLUG_WORDS = 2
"""How many significant title words a slug keeps: "cosp-7-enhancing-synergies"."""

_SLUG_STOPWORDS = frozenset(
    "a an and as at between by for from in into its of on or our relevant the their to with within".split()
)


def _title_words(title: str) -> str:
    """The first significant words of a title, for a short, typeable slug."""
    words = [w for w in _slugify(title).split("-") if w not in _SLUG_STOPWORDS]
    return "-".join(words[:TITLE_SLUG_WORDS])


def _make_slug(header: _Header, operative: tuple[OperativeParagraph, ...]) -> str:
    """A stable slug: from the symbol, else body + session + title, else a digest."""
    if header.symbol:
        slug = _truncate_slug(_slugify(header.symbol))
        if slug:
            return slug
    parts = [
        _body_abbreviation(header.body) if header.body else "",
        _session_slug(header.session) if header.session else "",
        _title_words(header.title) if header.title else "",
    ]
    slug = _truncate_slug("-".join(_slugify(p) for p in parts if _slugify(p)))
    if slug:
        return slug
    digest = hashlib.sha1(
        "\n".join(p.text for p in operative).encode("utf-8"), usedforsecurity=False
    ).hexdigest()[:10]
    return f"resolution-{digest}"


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def parse_resolution(text: str | bytes) -> Resolution:
    """Read a resolution from plain text.

    Args:
        text: The resolution as text, or as bytes which must be UTF-8.

    Returns:
        The parsed resolution with its operative paragraphs classified.

    Raises:
        ResolutionUnreadable: The input is empty or whitespace only, is not
            UTF-8 text (binary, NUL bytes, invalid bytes), or has no numbered
            operative paragraph. The message is one line.
    """
    layout = lay_out(_decode(text))
    if not layout.operative:
        raise ResolutionUnreadable(NO_OPERATIVE_MESSAGE)
    header = _read_header(list(layout.header), layout.adopting_body)
    operative = tuple(_build_operative(p, header.body) for p in layout.operative)
    return Resolution(
        slug=_make_slug(header, operative),
        symbol=header.symbol,
        title=header.title,
        body=header.body,
        session=header.session,
        place=header.place,
        date=header.date,
        sponsors=header.sponsors,
        preambular=layout.preamble,
        operative=operative,
        annex=layout.annex,
        footnotes=layout.footnotes,
    )
