"""Read a resolution from plain text into a structured, classified model.

A resolution as published is plain text (UTF-8, LF or CRLF, Markdown emphasis
allowed) with a header (adopting body, symbol, session, place and date,
sponsors, title), preambular paragraphs ("Recalling ...,") and numbered
operative paragraphs ("1. *Requests* the Secretariat ...;"), possibly with
sub-paragraphs "(a)", "(b)". Real documents are noisy: footnote markers glued
to words, footnote lines, page breaks and wrapped lines that cut paragraphs in
two. :func:`parse_resolution` reassembles each paragraph whole and classifies
each operative paragraph with the rules of :mod:`domain.classification`.

How the text is read, step by step:

1. Decoding: bytes must be UTF-8 text (no NUL bytes, nothing ``domain.values.unstorable``
   names); a BOM is dropped; CRLF
   and CR become LF; a form feed is a page break (blank lines).
2. Lines: Markdown emphasis (``*``, ``**``, ``_``) and heading marks are
   removed; a line starting with a footnote marker (``¹``, ``^1``, ``[^1]:``)
   is a footnote and is dropped together with its wrapped continuation; page
   furniture (job numbers such as "V.17-08044", page numbers "2/3", the
   symbol repeated as a page header) is dropped; footnote markers inside lines
   are removed.
3. Regions: the operative part starts at the first line "N. Verb ...". Before
   it, the line "The <body>," separates the header from the preamble.
4. Paragraphs: lines separated by blank lines, page breaks or footnotes are
   joined when the first part is incomplete (does not end with ``,`` ``;``
   ``.`` ``:``) or the second starts with a lower-case letter.

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.classification import classify_paragraph, looks_like_operative_start
from domain.errors import DomainError
from domain.values import unstorable
from domain.vocabulary import Actor, MandateKind

__all__ = [
    "BODY_ABBREVIATIONS",
    "OperativeParagraph",
    "Resolution",
    "ResolutionUnreadable",
    "SubParagraph",
    "parse_resolution",
]

MAX_SLUG_LENGTH = 60
"""Longest slug :func:`parse_resolution` derives."""

NO_OPERATIVE_MESSAGE = "no operative paragraphs found (numbered paragraphs such as '1. Requests ...')"


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
    text = _LINE_BREAKS_RE.sub("\n", text).replace("\f", "\n\n")
    if controls:
        text = "".join(
            " " if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc" else ch for ch in text
        )
    return text


# ---------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------

_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FOOTNOTE_LINE_RE = re.compile(rf"^(?:[{_SUPERSCRIPT_DIGITS}]+|\^\d+|\[\^[^\]\s]{{1,12}}\]:)")
_FOOTNOTE_MARK_RE = re.compile(rf"[{_SUPERSCRIPT_DIGITS}]+|\^\d+|\[\^[^\]\s]{{1,12}}\]")
_HEADING_RE = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)+")
_ASTERISKS_RE = re.compile(r"\*+")
_UNDERSCORES_RE = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_EMPHASIS_START_RE = re.compile(
    r"^\s*\d{1,4}\s*\.\s*(?P<mark>\*{1,3}|_{1,3})(?P<words>[^*_\n]{1,80}?)(?P=mark)"
)
_NOISE_RES = (
    re.compile(r"^[A-Z]\.\d{2}-\d{4,6}\b.{0,40}$"),  # job numbers: "V.17-08044 (E)"
    re.compile(r"^\d{1,3}\s*/\s*\d{1,3}$"),  # page numbers: "2/3"
    re.compile(r"^-\s*\d{1,3}\s*-$"),  # page numbers: "- 2 -"
    re.compile(r"^Page\s+\d{1,3}(?:\s+of\s+\d{1,3})?$", re.IGNORECASE),
    re.compile(r"^\d{5,}$"),  # bar codes
)
_MAX_FOOTNOTE_CONTINUATION = 4


@dataclass(frozen=True, slots=True)
class _Line:
    """A cleaned non-blank line, with the emphasised words it opened with."""

    text: str
    emphasized: str | None


def _strip_markup(raw: str) -> str:
    """Remove Markdown emphasis and heading marks from one line."""
    line = _HEADING_RE.sub("", raw)
    line = _ASTERISKS_RE.sub("", line)
    return _UNDERSCORES_RE.sub("", line)


def _clean_inline(line: str) -> str:
    """Remove footnote markers and collapse white space."""
    marked = _FOOTNOTE_MARK_RE.search(line) is not None
    line = " ".join(_FOOTNOTE_MARK_RE.sub(" ", line).split())
    return re.sub(r" ([,;:.])", r"\1", line) if marked else line


def _is_noise(text: str) -> bool:
    """Tell whether a line is page furniture (job number, page number, bar code)."""
    return any(rx.match(text) for rx in _NOISE_RES)


def _starts_lower(text: str) -> bool:
    """Tell whether text starts with a lower-case letter (a continuation)."""
    return bool(text) and text[0].islower()


def _is_complete(text: str) -> bool:
    """Tell whether text ends like a paragraph: with , ; . or : (closing quotes aside)."""
    return text.rstrip(" \"'”’)]").endswith((",", ";", ".", ":"))


def _footnote_ends(text: str) -> bool:
    """Tell whether a footnote line ends its footnote (footnotes end with a full stop)."""
    return text.rstrip(" \"'”’)]").endswith(".")


def _lines(text: str) -> list[_Line | None]:
    """Cut text into cleaned lines; None stands for a break (blank, footnote, furniture)."""
    items: list[_Line | None] = []
    footnote_lines = 0
    for raw in text.split("\n"):
        plain = _strip_markup(raw).strip()
        if not plain:
            items.append(None)
            footnote_lines = 0
            continue
        if _FOOTNOTE_LINE_RE.match(plain):
            items.append(None)
            footnote_lines = 0 if _footnote_ends(plain) else 1
            continue
        if (
            0 < footnote_lines <= _MAX_FOOTNOTE_CONTINUATION
            and not _starts_lower(plain)
            and _OPERATIVE_LINE_RE.match(plain) is None
        ):
            items.append(None)
            footnote_lines = 0 if _footnote_ends(plain) else footnote_lines + 1
            continue
        footnote_lines = 0
        cleaned = _clean_inline(plain)
        if not cleaned or _is_noise(cleaned):
            items.append(None)
            continue
        emphasis = _EMPHASIS_START_RE.match(raw)
        emphasized = " ".join(emphasis.group("words").split()) if emphasis else None
        items.append(_Line(cleaned, emphasized))
    return items


# ---------------------------------------------------------------------------
# Paragraph assembly
# ---------------------------------------------------------------------------

_OPERATIVE_LINE_RE = re.compile(r"^(?P<number>\d{1,4})\s*\.\s+(?P<rest>\S.*)$")
_SUB_LINE_RE = re.compile(r"^\((?P<label>[a-z]{1,2}|[ivxl]{1,6})\)\s*(?P<rest>\S.*)$")
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv")
_PREAMBLE_OPENERS = frozenset(
    {
        "Also",
        "Alarmed",
        "Aware",
        "Cognizant",
        "Concerned",
        "Conscious",
        "Convinced",
        "Deeply",
        "Desirous",
        "Determined",
        "Encouraged",
        "Further",
        "Gravely",
        "Guided",
        "Mindful",
        "Pleased",
        "Reaffirming",
        "Seriously",
    }
)
_CONNECTOR_END_RE = re.compile(
    r"(?:^|\s)(?:and|or|of|the|to|for|on|in|between|against|with|by|a|an)$", re.IGNORECASE
)
_ADOPTING_RE = re.compile(r"^The\s+(?P<body>[A-Z][^,;:.]{1,200}?),$")


def _join(left: str, right: str) -> str:
    """Join two pieces of a wrapped paragraph; a line-end hyphen joins without a space."""
    if left.endswith("-") and _starts_lower(right):
        return left + right
    return f"{left} {right}"


def _is_preamble_opener(text: str) -> bool:
    """Tell whether a line opens a preambular paragraph ("Recalling", "Aware", ...)."""
    match = re.match(r"[A-Z][a-z]+", text)
    if match is None:
        return False
    word = match.group(0)
    return word.endswith("ing") or word in _PREAMBLE_OPENERS


def _operative_number(line: _Line) -> tuple[int, str] | None:
    """The number and the rest of a line that starts an operative paragraph, if it does."""
    match = _OPERATIVE_LINE_RE.match(line.text)
    if match is None or not looks_like_operative_start(match.group("rest")):
        return None
    return int(match.group("number")), match.group("rest")


def _header_units(items: list[tuple[int, _Line | None]]) -> list[tuple[int, int, str]]:
    """Assemble header lines into units: (first item index, last item index, text).

    Header lines stay apart ("Seventh session" / "Vienna, ...") unless a line
    ends with a connector ("... Netherlands and" / "Portugal: ...") or the
    next line starts in lower case (a wrapped title).
    """
    units: list[tuple[int, int, str]] = []
    gap = False
    for index, line in items:
        if line is None:
            gap = True
            continue
        if units:
            first, _, text = units[-1]
            if gap:
                joins = not _is_complete(text) and _starts_lower(line.text)
            else:
                joins = _starts_lower(line.text) or bool(_CONNECTOR_END_RE.search(text))
            if joins:
                units[-1] = (first, index, _join(text, line.text))
                gap = False
                continue
        units.append((index, index, line.text))
        gap = False
    return units


def _preamble_units(items: list[tuple[int, _Line | None]]) -> list[str]:
    """Assemble preambular paragraphs.

    Within a run of lines a new paragraph starts at an opener ("Recalling")
    after a line ending with punctuation; across a break (blank lines, page
    break, footnotes) the parts join when the first is incomplete or the
    second starts in lower case.
    """
    units: list[str] = []
    gap = False
    for _, line in items:
        if line is None:
            gap = True
            continue
        if units:
            text = units[-1]
            if gap:
                joins = not _is_complete(text) or _starts_lower(line.text)
            else:
                joins = not (_is_complete(text) and _is_preamble_opener(line.text))
            if joins:
                units[-1] = _join(text, line.text)
                gap = False
                continue
        units.append(line.text)
        gap = False
    return units


@dataclass(slots=True)
class _Draft:
    """An operative paragraph being assembled."""

    number: int
    intro: str
    emphasized: str | None
    subs: list[list[str]]  # [label, text] pairs
    sub_style: str = ""  # "letters" or "roman"
    nested: str = ""  # last nested roman label inside the current sub-paragraph

    def tail(self) -> str:
        """The text assembled last (the current sub-paragraph or the intro)."""
        return self.subs[-1][1] if self.subs else self.intro

    def append(self, text: str) -> None:
        """Append a continuation to the current sub-paragraph or the intro."""
        if self.subs:
            self.subs[-1][1] = _join(self.subs[-1][1], text)
        else:
            self.intro = _join(self.intro, text)


def _next_letter(label: str) -> str:
    """The letter label after label: "a" -> "b", "z" -> "aa"."""
    if label == "z":
        return "aa"
    if len(label) == 2 and label[0] == label[1] and label[0] != "z":
        return chr(ord(label[0]) + 1) * 2
    return chr(ord(label[-1]) + 1) if len(label) == 1 else ""


def _next_roman(label: str) -> str:
    """The roman label after label, or "" past the table."""
    try:
        return _ROMAN[_ROMAN.index(label) + 1]
    except (ValueError, IndexError):
        return ""


def _sub_may_start(tail: str) -> bool:
    """Tell whether a "(x)" line can open a sub-paragraph after the text so far."""
    tail = tail.rstrip()
    return tail.endswith((":", ";", ",")) or bool(re.search(r"[;,]\s+(?:and|or)$", tail))


def _place_sub(draft: _Draft, label: str, rest: str) -> bool:
    """Add a "(label) rest" line to the draft as a sub-paragraph; False if it is not one."""
    if not _sub_may_start(draft.tail()):
        return False
    if not draft.subs:
        if label not in ("a", "i"):
            return False
        draft.sub_style = "letters" if label == "a" else "roman"
        draft.subs.append([label, rest])
        return True
    last = draft.subs[-1][0]
    expected = _next_letter(last) if draft.sub_style == "letters" else _next_roman(last)
    if label == expected:
        draft.subs.append([label, rest])
        draft.nested = ""
        return True
    if draft.sub_style == "letters" and label == (_next_roman(draft.nested) or "i"):
        if draft.nested or label == "i":
            draft.subs[-1][1] = _join(draft.subs[-1][1], f"({label}) {rest}")
            draft.nested = label
            return True
    return False


def _operative_drafts(items: list[tuple[int, _Line | None]]) -> list[_Draft]:
    """Assemble the operative paragraphs and their sub-paragraphs.

    A new paragraph starts at "N. Verb" with N above the last number. Other
    lines continue the current paragraph (or sub-paragraph); after a break
    they continue it when it is incomplete, ends with , ; or :, or the line
    starts in lower case. Text after a paragraph that ends with "." and is
    not a continuation (a closing "8th plenary meeting") is ignored.
    """
    drafts: list[_Draft] = []
    gap = False
    skipping = False
    for _, line in items:
        if line is None:
            gap = True
            continue
        started = _operative_number(line)
        if started is not None and (not drafts or started[0] > drafts[-1].number):
            drafts.append(_Draft(started[0], started[1], line.emphasized, []))
            gap = skipping = False
            continue
        if not drafts:
            continue
        draft = drafts[-1]
        if skipping:
            continue
        sub = _SUB_LINE_RE.match(line.text)
        if sub is not None and _place_sub(draft, sub.group("label"), sub.group("rest")):
            gap = False
            continue
        if gap and draft.tail().rstrip(" \"'”’)]").endswith(".") and not _starts_lower(line.text):
            skipping = True
            continue
        draft.append(line.text)
        gap = False
    return drafts


def _build_operative(draft: _Draft) -> OperativeParagraph:
    """Classify an assembled draft into an OperativeParagraph."""
    subs = tuple(SubParagraph(label=label, text=text) for label, text in draft.subs)
    text = " ".join([draft.intro, *(f"({s.label}) {s.text}" for s in subs)])
    found = classify_paragraph(text, draft.emphasized)
    return OperativeParagraph(
        number=draft.number,
        verb=found.verb,
        actor=found.actor,
        kinds=found.kinds,
        confidential=found.confidential,
        reports_to=found.reports_to,
        resource_constraint=found.resource_constraint,
        text=text,
        subparagraphs=subs,
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
_SPONSORS_RE = re.compile(
    r"^(?P<names>.+?):\s*(?:(?:further\s+)?revised\s+)?draft\s+(?:resolution|decision)\b",
    re.IGNORECASE,
)
_HEADER_FIELD_RES = (
    re.compile(r"^Distr\.?\b", re.IGNORECASE),
    re.compile(r"^Original\s*:", re.IGNORECASE),
    re.compile(r"^Agenda\s+item\b", re.IGNORECASE),
    re.compile(r"^Item\s+\d", re.IGNORECASE),
    re.compile(r"^Resolution\s+adopted\s+by\b", re.IGNORECASE),
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
        or _is_noise(text)
    )


def _read_header(units: list[str], adopting_body: str | None) -> _Header:
    """Read the header fields from the header units (before preamble or operative part)."""
    symbol = _find_symbol(units)
    session = place = date = fallback_date = None
    sponsors: tuple[str, ...] = ()
    for unit in units:
        if session is None and _SESSION_RE.match(unit) and len(unit) <= 60:
            session = unit
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
    items = list(enumerate(_lines(_decode(text))))
    op_start = next(
        (i for i, line in items if line is not None and _operative_number(line) is not None),
        None,
    )
    if op_start is None:
        raise ResolutionUnreadable(NO_OPERATIVE_MESSAGE)

    # Drop the symbol repeated as a page header after the first page.
    before = items[:op_start]
    symbol = _find_symbol([line.text for _, line in before if line is not None])
    if symbol is not None:
        first_seen = False
        for position, (index, line) in enumerate(items):
            if line is None:
                continue
            if first_seen and line.text == symbol:
                items[position] = (index, None)
            first_seen = first_seen or symbol in line.text

    units = _header_units(before)
    adopting = next((u for u in units if _ADOPTING_RE.match(u[2])), None)
    if adopting is not None:
        header_units = [u for u in units if u[1] < adopting[0]]
        preamble_from = adopting[1] + 1
        match = _ADOPTING_RE.match(adopting[2])
        body = " ".join(match.group("body").split()) if match else None
    else:
        opener = next((u for u in units if _is_preamble_opener(u[2]) and _is_complete(u[2])), None)
        header_units = [u for u in units if opener is None or u[1] < opener[0]]
        preamble_from = opener[0] if opener is not None else op_start
        body = None
    header = _read_header([u[2] for u in header_units], body)
    preambular = tuple(_preamble_units(items[preamble_from:op_start]))

    operative = tuple(_build_operative(d) for d in _operative_drafts(items[op_start:]))
    if not operative:
        raise ResolutionUnreadable(NO_OPERATIVE_MESSAGE)
    return Resolution(
        slug=_make_slug(header, operative),
        symbol=header.symbol,
        title=header.title,
        body=header.body,
        session=header.session,
        place=header.place,
        date=header.date,
        sponsors=header.sponsors,
        preambular=preambular,
        operative=operative,
    )
