"""The layout stage: from a resolution's extracted text to its parts.

A resolution reaches the engine as the text of a PDF, a Word document, a web
page or a plain-text file. That text carries the layout of the printed page:
page headers and footers, footnotes at the foot of each page, paragraph
numbers set apart from their paragraph, lines wrapped at the margin.
:func:`lay_out` removes the layout and returns the resolution's parts: the
header lines, the preambular paragraphs, the operative paragraphs with their
sub-paragraphs and footnotes, the annex, and every footnote.

Classes of layout noise, each handled by one step below:

* **Page breaks**: a form feed (``\\f``), as the document readers put between
  pages, or blank lines.
* **Page furniture**: job numbers ("91-10101 (E)", "V.17-08044"), bar codes
  ("*2517552*"), page numbers ("3/5", "- 2 -", "Page 2 of 5"), the document
  symbol repeated at the top of a page ("A/RES/91/5"), and the running title
  (the title, or a piece of it, repeated next to that furniture).
* **Footnotes**: a rule ("_____", "---") then lines "6 A/77/126, para. 106.",
  or lines opening with a marker ("¹ ...", "^1 ...", "[^1]: ..."); a footnote
  may land in the middle of a paragraph at a page break, and two footnotes may
  share a line (a two-column footnote area). They are taken out of the text
  and attached to the paragraph that refers to them.
* **Footnote markers** glued to words ("Convention1", "79/7;1", "20242"),
  set apart by spaces ("Child, 4  which") or written as superscripts or
  ``^1``: removed from the text.
* **Paragraph numbers alone on their line** ("1." then "Takes note ...") and
  sub-paragraph labels alone ("(a)" then "The State ..."): joined to the text.
* **Paragraphs cut by a page break**: joined when the first part is
  incomplete or the second starts in lower case; nothing after a break is
  dropped.
* **Quoted text**: every paragraph opening with a quotation mark (a decision
  quoting the text it adopts): the marks are removed.
* **Flattened text**: a whole resolution on a few long lines: cut before each
  paragraph number in sequence, each sub-paragraph label and each preambular
  paragraph.
* **Headings** between operative paragraphs ("Peacebuilding financing",
  "I. Global context"): left out of the paragraphs.
* **The end of the resolution**: the closing line ("22nd plenary meeting")
  and an annex ("Annex"), whose numbered paragraphs are not operative.
* **Unnumbered operative paragraphs** (a resolution of one paragraph, a
  decision that numbers none): after the adopting line, each paragraph that
  opens with an operative verb is numbered in order.
* **Sections that number their own paragraphs** ("A", "The General
  Assembly,", "1. ...", then "B", "The General Assembly,", "1. ..."): each
  section's heading and preamble are left out and its paragraphs numbered on.

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from domain.classification import find_clause_verb, looks_like_operative_start, starts_with_operative_verb

__all__ = ["Footnote", "LaidOutParagraph", "Layout", "lay_out"]


class Footnote(BaseModel):
    """A footnote of the resolution.

    Attributes:
        mark: The footnote's number or sign as printed ("6", "*").
        text: The footnote text, on one line.
    """

    model_config = ConfigDict(frozen=True)

    mark: str
    text: str


@dataclass(frozen=True, slots=True)
class LaidOutParagraph:
    """An operative paragraph as the layout gives it, before classification.

    Attributes:
        number: The paragraph number.
        intro: The text before the first sub-paragraph, without the number.
        emphasized: The words the source emphasised at the start, if any.
        subparagraphs: ``(label, text)`` pairs of the lettered sub-paragraphs.
        footnotes: The footnotes the paragraph refers to.
    """

    number: int
    intro: str
    emphasized: str | None
    subparagraphs: tuple[tuple[str, str], ...]
    footnotes: tuple[Footnote, ...]

    @property
    def text(self) -> str:
        """The whole paragraph on one line, sub-paragraphs as "(a) ..."."""
        return " ".join([self.intro, *(f"({label}) {text}" for label, text in self.subparagraphs)])


@dataclass(frozen=True, slots=True)
class Layout:
    """The parts of a resolution.

    Attributes:
        header: The header's units (symbol, body, session, title, ...), in order.
        adopting_body: The body named by the adopting line ("The General Assembly,"), if any.
        preamble: The preambular paragraphs.
        operative: The operative paragraphs.
        annex: The annex's paragraphs (after "Annex"), if any.
        footnotes: Every footnote, in order.
    """

    header: tuple[str, ...]
    adopting_body: str | None
    preamble: tuple[str, ...]
    operative: tuple[LaidOutParagraph, ...]
    annex: tuple[str, ...] = ()
    footnotes: tuple[Footnote, ...] = ()


# ---------------------------------------------------------------------------
# Characters and lines
# ---------------------------------------------------------------------------

PAGE_BREAK = "\f"
_CHARACTERS = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\t": " ",
    }
)

_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPT_VALUE = str.maketrans(_SUPERSCRIPT_DIGITS, "0123456789")
_MARKED_FOOTNOTE_RE = re.compile(
    rf"^(?:(?P<sup>[{_SUPERSCRIPT_DIGITS}]+)|\^(?P<caret>\d+)|\[\^(?P<bracket>[^\]\s]{{1,12}})\]:)\s*(?P<text>.*)$"
)
_NUMBERED_FOOTNOTE_RE = re.compile(r"^(?P<mark>\d{1,3}|\*{1,3})\s+(?P<text>\S.*)$")
_RULE_RE = re.compile(r"^\s*(?:_{3,}|-{3,}|[—–]{2,}|\*{3,}|={3,})\s*$")
_TRAILING_RULE_RE = re.compile(r"^(?P<text>.*\S)\s+(?:_{3,}|-{3,})\s*$")
_HEADING_MARK_RE = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)+")
_ASTERISKS_RE = re.compile(r"\*+")
_UNDERSCORES_RE = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_EMPHASIS_START_RE = re.compile(
    r"^\s*[“\"]?\s*\d{1,4}\s*\.\s*(?P<mark>\*{1,3}|_{1,3})(?P<words>[^*_\n]{1,80}?)(?P=mark)"
)

_FURNITURE_RES = (
    re.compile(r"^[A-Z]\.\d{2}-\d{4,6}\b.{0,40}$"),  # job numbers: "V.17-08044 (E)"
    re.compile(r"^\d{2}-\d{5}(?:\s*\([A-Z]\))?(?:\s+\d{1,3}\s*/\s*\d{1,3})?$"),  # "91-10101 (E)"
    re.compile(r"^\d{1,3}\s*/\s*\d{1,3}(?:\s+\d{2}-\d{5}(?:\s*\([A-Z]\))?)?$"),  # "2/3", "2/3 91-10101"
    re.compile(r"^-\s*\d{1,3}\s*-$"),  # "- 2 -"
    re.compile(r"^Page\s+\d{1,3}(?:\s+of\s+\d{1,3})?$", re.IGNORECASE),
    re.compile(r"^\*?\d{5,}\*?$"),  # bar codes
)
_SYMBOL_LINE_RE = re.compile(r"^[A-Z][A-Z0-9.]{0,11}(?:/[A-Za-z0-9.\-]{1,20}){2,8}$")
_ADOPTING_RE = re.compile(
    r"^The\s+(?P<body>[A-Z][^,;:.]{1,200}?),$"
    r"|^The\s+(?P<bare>(?:[A-Z][\w-]*\s+|(?:of|the|to|on|for|and|against)\s+){0,14}?"
    r"(?:Assembly|Council|Conference|Commission|Board|Committee|Parties|Forum|Meeting))$"
)
"""The adopting line: "The General Assembly," (or without its comma, as printed above a
resolution of one paragraph: "The General Assembly" then "Adopts ...")."""
_CLOSING_RE = re.compile(
    r"^(?:(?:\d{1,3}(?:st|nd|rd|th)|(?-i:[A-Z][a-z]*(?:-[a-z]+)?(?:st|nd|rd|th)))\s+(?:plenary\s+)?"
    r"|(?-i:Plenary)\s+)meeting"
    r"(?:,?\s+\d{1,2}\s+[A-Z][a-z]+\s+\d{4})?\.?$",
    re.IGNORECASE,
)
"""The closing line: "22nd plenary meeting", "Eighth plenary meeting, 30 May 2023",
"Plenary meeting" (an ordinal in words, or "Plenary" without one, is capitalised: "at
its\nfifth meeting." is a paragraph's last line)."""
_ANNEX_RE = re.compile(r"^Annex(?:es)?(?:\s+(?:[IVXL]{1,6}|\d{1,2}))?\.?$")
_SUB_LABEL = r"[a-z]{1,2}|[ivxl]{1,6}|\d{1,2}"
"""A sub-paragraph's label between brackets: "(a)", "(iv)", "(2)"."""
_LABEL_ONLY_RE = re.compile(rf"^(?:\d{{1,3}}\.|\((?:{_SUB_LABEL})\)|[IVXL]{{1,6}}\.|[A-H]\.)$")
_OPERATIVE_LINE_RE = re.compile(r"^(?P<number>\d{1,4})\s*\.\s+(?P<rest>\S.*)$")
_SUB_LINE_RE = re.compile(rf"^\((?P<label>{_SUB_LABEL})\)\s*(?P<rest>\S.*)$")
_QUOTED_START_RE = re.compile(rf"^[“\"]\s*(?=\d{{1,3}}\s*\.\s|\((?:{_SUB_LABEL})\)\s|[A-Z])")
_MAX_FOOTNOTE_GAP = 2
"""How far a footnote's number may run ahead of the last one seen (a lost footnote)."""


@dataclass(slots=True)
class _Row:
    """One line of the text and what the layout made of it."""

    kind: str  # text, blank, page, rule, furniture, footnote
    raw: str = ""  # the line as written (Markdown kept), for text rows
    plain: str = ""  # without Markdown, outer spaces removed
    footnote: int = -1  # for footnote rows: index into the footnotes found


def _strip_markup(raw: str) -> str:
    """Remove Markdown emphasis and heading marks from one line."""
    line = _HEADING_MARK_RE.sub("", raw)
    line = _ASTERISKS_RE.sub("", line)
    return _UNDERSCORES_RE.sub("", line)


def _is_furniture(text: str) -> bool:
    """Tell whether a line is page furniture (job number, page number, bar code)."""
    return any(rx.match(text) for rx in _FURNITURE_RES)


def _words(text: str) -> str:
    """Text with white space collapsed."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# Flattened text
# ---------------------------------------------------------------------------

FLAT_LINE_LENGTH = 800
"""A line at least this long may hold several paragraphs (a flattened resolution)."""

_PREAMBLE_OPENER_WORDS = (
    "Also|Alarmed|Aware|Bearing|Cognizant|Concerned|Conscious|Convinced|Deeply|Desirous|Determined"
    "|Emphasizing|Encouraged|Expressing|Further|Gravely|Guided|Having|Mindful|Noting|Pleased|Reaffirming"
    "|Recalling|Recognizing|Reiterating|Seriously|Stressing|Taking|Underlining|Welcoming"
)
_FLAT_CUTS_RE = re.compile(
    r"(?P<number>(?<=[;:.,”\]])\s+(?=(?P<n>\d{1,3})\.\s+[“\"]?[A-Z]))"
    r"|(?P<sub>(?<=[;:])\s+(?=\((?:[a-h]|[ivx]{1,4})\)\s+[A-Z“]))"
    rf"|(?P<preamble>(?<=,)\s+(?=(?:{_PREAMBLE_OPENER_WORDS})(?:\s+(?:also|further))?"
    r"\s+(?:that|the|its|their|a|an|all|in|of|to|on|with|into|upon|note|account|mind)\b))"
    r"|(?P<adopting>(?<=[\].)a-z])\s+(?=The\s+(?:[A-Z][\w-]*\s+){0,10}?[A-Z][\w-]*,\s+[A-Z]))"
    r"|(?P<closing>(?<=[.;])\s+(?=\d{1,3}(?:st|nd|rd|th)\s+(?:plenary\s+)?meeting\b))"
)
_AFTER_ADOPTING_RE = re.compile(r"^(The\s+(?:[A-Z][\w-]*\s+){0,10}?[A-Z][\w-]*,)\s+(?=[A-Z])")


def _unflatten(lines: list[str]) -> list[str]:
    """Cut long lines that hold several paragraphs before each paragraph start.

    A paragraph number cuts a line only when it continues the sequence of
    operative paragraphs, so that "paragraph 5. This" inside a sentence stays.
    """
    out: list[str] = []
    expected = 1
    for line in lines:
        start = _OPERATIVE_LINE_RE.match(line.strip())
        if start is not None and int(start.group("number")) == expected:
            expected += 1
        if len(line) < FLAT_LINE_LENGTH:
            out.append(line)
            continue
        cuts: list[int] = []
        for match in _FLAT_CUTS_RE.finditer(line):
            if match.group("number") is not None:
                if int(match.group("n")) != expected:
                    continue
                expected += 1
            cuts.append(match.start())
        pieces = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
        for piece in pieces:
            adopting = _AFTER_ADOPTING_RE.match(piece)
            if adopting is not None and len(piece) > FLAT_LINE_LENGTH // 4:
                out.extend([adopting.group(1), piece[adopting.end() :]])
            else:
                out.append(piece)
    return out


# ---------------------------------------------------------------------------
# Rows: blank, page, rule, text
# ---------------------------------------------------------------------------


_TAIL_PARAGRAPH_RE = re.compile(r"(?<=[.;”\"])\s+(?=\d{1,3}\.\s+(?P<rest>[A-Z].*))")
_TAIL_CLOSING_RE = re.compile(r"(?<=[.;”\"])\s+(?=\d{1,3}(?:st|nd|rd|th)\s+(?:plenary\s+)?meeting\b)")


def _footnote_tails(lines: list[str]) -> list[str]:
    """Cut off what an extraction appended to a marked footnote's line: an operative paragraph
    ("[^1]: Official Records ..., sect. III.A. 9. Decides to include ...") and the closing line
    after it ("... context”. 52nd plenary meeting 1 December 2025")."""
    out: list[str] = []
    for line in lines:
        if _MARKED_FOOTNOTE_RE.match(line.strip()) is None:
            out.append(line)
            continue
        found = _TAIL_PARAGRAPH_RE.finditer(line)
        cut = next((m.end() for m in found if starts_with_operative_verb(m.group("rest"))), None)
        if cut is None:
            out.append(line)
            continue
        out.append(line[:cut].rstrip())
        out.extend(piece.strip() for piece in _TAIL_CLOSING_RE.split(line[cut:]))
    return out


def _rows(text: str) -> list[_Row]:
    """Cut decoded text into rows; a form feed is a page row."""
    text = text.translate(_CHARACTERS)
    lines: list[str] = []
    for part in text.split("\n"):
        if PAGE_BREAK in part:
            pieces = part.split(PAGE_BREAK)
            for i, piece in enumerate(pieces):
                if i:
                    lines.append(PAGE_BREAK)
                lines.append(piece)
        else:
            lines.append(part)
    lines = _unflatten(_footnote_tails(lines))
    rows: list[_Row] = []
    for line in lines:
        if line == PAGE_BREAK:
            rows.append(_Row("page"))
            continue
        if _RULE_RE.match(line):
            rows.append(_Row("rule"))
            continue
        trailing = _TRAILING_RULE_RE.match(line)
        if trailing is not None:
            line = trailing.group("text")
        plain = _strip_markup(line).strip()
        if not plain:
            rows.append(_Row("blank"))
        else:
            rows.append(_Row("text", raw=line, plain=plain))
        if trailing is not None:
            rows.append(_Row("rule"))
    return rows


def _header_end(rows: list[_Row]) -> int:
    """The index of the adopting line or of the first operative paragraph (else 0)."""
    for i, row in enumerate(rows):
        if row.kind != "text":
            continue
        plain = _QUOTED_START_RE.sub("", row.plain)
        if _ADOPTING_RE.match(plain):
            return i
        start = _OPERATIVE_LINE_RE.match(plain)
        if start is not None and looks_like_operative_start(start.group("rest")):
            return i
    return 0


# ---------------------------------------------------------------------------
# Page furniture and footnotes
# ---------------------------------------------------------------------------


def _symbol_of(rows: list[_Row], end: int) -> str | None:
    """The document symbol on a header line of its own, if any."""
    for row in rows[:end]:
        if row.kind == "text":
            for token in row.plain.split():
                if _SYMBOL_LINE_RE.match(token) and any(ch.isdigit() for ch in token):
                    return token.rstrip(".")
    return None


def _mark_furniture(rows: list[_Row], header_end: int) -> None:
    """Mark job numbers, page numbers, bar codes and repeated symbols as furniture."""
    symbol = _symbol_of(rows, header_end)
    for row in rows[header_end:]:
        if row.kind != "text":
            continue
        plain = _words(row.plain)
        if _is_furniture(plain) or plain == symbol or _SYMBOL_LINE_RE.match(plain):
            row.kind = "furniture"
    for row in rows[:header_end]:
        if row.kind == "text" and _is_furniture(_words(row.plain)):
            row.kind = "furniture"


_REFERENCE_RE = re.compile(
    r"^(?:See\b|Ibid\b|Idem\b|Resolution\b|Decision\b|Official\s+Records\b|United\s+Nations\b|Including\b"
    r"|Adopted\b|Available\b|Report\b|Document\b|Annex\b|Contained\b|Reproduced\b|Issued\b|Supplement\b"
    r"|Ibid\.|[A-Z]{1,10}/)"
    r"|\b[A-Z][A-Z0-9.]*(?:/[\w.()\-]+){1,8}|\bresolution\s+\d|\bTreaty\s+Series\b|\bvol\.\s*\d"
)
_SYMBOL_REFERENCE_RE = re.compile(r"^(?:See\s+|Ibid\.?,?\s*)?[A-Z][A-Z0-9.]{0,11}(?:/[\w.()\-]+){1,8}")
_GLUED_MARK_RE = re.compile(r"(?:(?<=[A-Za-z\)\]”’\"',;:.])|(?<=\b(?:1[89]|20)\d\d))(\d{1,3})(?![\d/])")


def _markers_in(text: str) -> set[int]:
    """Numbers that may be footnote markers in a line of text."""
    found = {int(m.group(1)) for m in _GLUED_MARK_RE.finditer(text)}
    found |= {int(m) for m in re.findall(r"\s(\d{1,3})\s{2,}", text)}
    found |= {int(m.translate(_SUPERSCRIPT_VALUE)) for m in re.findall(f"[{_SUPERSCRIPT_DIGITS}]+", text)}
    return found


_ABBREVIATION_END_RE = re.compile(
    r"\b(?:No|Nos|vol|Vol|para|paras|sect|chap|p|pp|art|Corr|Add|Rev|e\.g|i\.e|Sales|Ser|Suppl)\.$"
)


def _footnote_complete(text: str) -> bool:
    """Tell whether a footnote's text so far ends like a footnote (a full stop, no open parenthesis)."""
    return (
        text.rstrip(" \"'”’)]").endswith(".")
        and not _ABBREVIATION_END_RE.search(text)
        and text.count("(") <= text.count(")")
    )


def _split_footnote_line(mark: str, text: str) -> list[tuple[str, str]]:
    """Cut a line holding several footnotes side by side ("4 Resolution 70/1. 5 See A/80/1.")."""
    if not mark.isdigit():
        return [(mark, text)]
    nxt = int(mark) + 1
    for match in re.finditer(r"(?<=[.)])\s+(?P<n>\d{1,3})\s+(?=[A-Z“\"(])", text):
        if int(match.group("n")) == nxt:
            rest = text[match.end() :]
            return [(mark, text[: match.start()].strip()), *_split_footnote_line(str(nxt), rest)]
    return [(mark, text)]


def _find_footnotes(rows: list[_Row]) -> list[tuple[str, str, int]]:
    """Mark footnote rows; return the footnotes as (mark, text, row index of the footnote).

    A footnote block opens at a rule or at a line opening with a footnote mark;
    a numbered line "6 Text" outside a block is a footnote only when it follows
    a break, carries the next footnote number, and reads like a reference or
    answers a marker seen in the text. A footnote goes on over the lines that
    follow it directly until it ends with a full stop.
    """
    notes: list[list[object]] = []  # [mark, text, row index]
    in_block = False
    current: list[object] | None = None
    after_break = True
    expected = 1
    seen: set[int] = set()
    for i, row in enumerate(rows):
        if row.kind in ("page", "furniture"):
            in_block = False
            current = None
            after_break = True
            continue
        if row.kind == "rule":
            in_block = True
            current = None
            after_break = True
            continue
        if row.kind == "blank":
            current = None
            after_break = True
            continue
        if row.kind != "text":
            continue
        plain = _words(row.plain)
        marked = _MARKED_FOOTNOTE_RE.match(plain)
        numbered = _NUMBERED_FOOTNOTE_RE.match(plain)
        start: tuple[str, str] | None = None
        if marked is not None:
            mark = marked.group("sup") or marked.group("caret") or marked.group("bracket") or ""
            start = (mark.translate(_SUPERSCRIPT_VALUE), marked.group("text"))
        elif numbered is not None and not (
            # below a rule only a known verb ("6 Requests ...") is no footnote: "3 Articles 10 and 13
            # of the Agreement." is one
            starts_with_operative_verb(numbered.group("text"))
            if in_block and after_break
            else looks_like_operative_start(numbered.group("text"))
        ):
            mark, rest = numbered.group("mark"), numbered.group("text")
            number = int(mark) if mark.isdigit() else None
            if (
                in_block
                and after_break
                and (number is None or number == 1 or expected <= number <= expected + 5 * _MAX_FOOTNOTE_GAP)
            ):  # (not a number already passed: "8 and 9 December 2014, ..." is a wrapped line)
                start = (mark, rest)
            elif (
                in_block
                and current is not None
                and number == expected
                and _footnote_complete(str(current[1]))
            ):
                start = (mark, rest)  # the next footnote on the next line, no blank line between
            elif (
                after_break
                and number is not None
                and expected <= number <= expected + _MAX_FOOTNOTE_GAP
                and (number in seen or _REFERENCE_RE.search(rest))
            ):
                start = (mark, rest)
            elif number == expected and number in seen and _SYMBOL_REFERENCE_RE.match(rest):
                start = (mark, rest)  # "6 A/77/126, para. 106." between two lines of a paragraph
        if start is not None:
            for mark, text in _split_footnote_line(*start):
                current = [mark, text, i]
                notes.append(current)
                if mark.isdigit():
                    expected = int(mark) + 1
            row.kind = "footnote"
            row.footnote = len(notes) - 1
            in_block = True
            after_break = False
            continue
        if current is not None and not after_break:
            text = str(current[1])
            ends = _footnote_complete(text)
            if (not ends or plain[:1] in "(0123456789") and not _OPERATIVE_LINE_RE.match(plain):
                current[1] = _join(text, plain)
                row.kind = "footnote"
                row.footnote = len(notes) - 1
                continue
        in_block = False
        current = None
        after_break = False
        seen |= _markers_in(row.plain)
    return [(str(m), _words(str(t)), int(str(i))) for m, t, i in notes]


def _mark_running_titles(rows: list[_Row], header_end: int) -> None:
    """Mark lines that repeat the title next to page furniture or footnotes.

    The running title at the top of a page repeats the title (or a piece of it,
    wrapped differently) from the header. A line is taken for it when it is a
    piece of the header's text, is not punctuated like a sentence, and stands
    within three lines of furniture, a footnote, a rule or a page break; or when
    it is the numbered title's first line itself, alone between blank lines (the
    furniture beside it lost in the extraction).
    """
    header_text = _words(" ".join(r.plain for r in rows[:header_end] if r.kind == "text"))
    header_text = re.sub(r"^\d{1,3}/\d{1,3}\.\s*", "", header_text)
    if not header_text:
        return
    noise = {"furniture", "footnote", "rule", "page"}
    candidates = [
        i
        for i, row in enumerate(rows)
        if i > header_end
        and row.kind == "text"
        and len(_words(row.plain).split()) >= 2
        and not _words(row.plain).endswith((",", ";", ":"))
        and _words(row.plain) in header_text
        and _OPERATIVE_LINE_RE.match(row.plain) is None
    ]
    titles = {
        _words(_NUMBERED_TITLE_RE.sub("", r.plain))
        for r in rows[:header_end]
        if r.kind == "text" and _NUMBERED_TITLE_RE.match(r.plain)
    }
    for i in candidates:  # the title's first line alone between blank lines: its furniture lost
        alone = all(0 <= j < len(rows) and rows[j].kind == "blank" for j in (i - 1, i + 1))
        if alone and len(_words(rows[i].plain).split()) >= 4 and _words(rows[i].plain) in titles:
            rows[i].kind = "furniture"
    changed = True
    while changed:
        changed = False
        for i in candidates:
            if rows[i].kind != "text":
                continue
            near = 0
            for step in (-1, 1):
                j, seen = i + step, 0
                while 0 <= j < len(rows) and seen < 3:
                    if rows[j].kind in noise:
                        near += 1
                        break
                    if rows[j].kind == "text":
                        seen += 1
                    j += step
                if step == -1 and j < 0:
                    near += 1  # the top of the text
            if near:
                rows[i].kind = "furniture"
                changed = True


# ---------------------------------------------------------------------------
# Labels alone on their line, quoted paragraphs
# ---------------------------------------------------------------------------


def _join_labels(rows: list[_Row]) -> None:
    """Join a paragraph number or sub-paragraph label alone on its line to the next text line."""
    for i, row in enumerate(rows):
        if row.kind != "text":
            continue
        plain = _QUOTED_START_RE.sub("", row.plain).strip()
        if not _LABEL_ONLY_RE.match(plain):
            continue
        j = i + 1
        while j < len(rows) and rows[j].kind != "text":  # blank lines, a page break, footnotes
            j += 1
        if j < len(rows) and rows[j].kind == "text" and not _LABEL_ONLY_RE.match(rows[j].plain):
            rows[j].raw = f"{row.raw.strip()} {rows[j].raw.strip()}"
            rows[j].plain = f"{row.plain.strip()} {rows[j].plain.strip()}"
            for k in range(i, j):
                rows[k].kind = "blank"


def _unquote(rows: list[_Row]) -> None:
    """Remove the quotation mark that opens every paragraph of a quoted text."""
    quoted = [r for r in rows if r.kind == "text" and re.match(r"^[“\"]\s*(?:\d{1,3}\s*\.\s|The\s)", r.plain)]
    if len(quoted) < 2:
        return
    for row in rows:
        if row.kind == "text" and _QUOTED_START_RE.match(row.plain):
            row.plain = _QUOTED_START_RE.sub("", row.plain)
            row.raw = _QUOTED_START_RE.sub("", row.raw.lstrip())


# ---------------------------------------------------------------------------
# Footnote markers in the text
# ---------------------------------------------------------------------------

_CARET_MARK_RE = re.compile(r"\^(\d+)|\[\^([^\]\s]{1,12})\]")
_SYMBOL_TAIL_RE = re.compile(r"/[A-Za-z0-9.\-]*$")  # "CAC/COSP/2021/L." before "3": a symbol, not a marker
_LOWER_GLUED_RE = re.compile(r"(?<=[a-z]{3})\d{1,2}(?=[\s,;.:)]|$)")
_REFERENCE_WORDS = frozenset(
    "paragraph paragraphs para paras article articles item items annex annexes no vol chapter"
    " section sect rule rules goal goals target targets principle principles resolution resolutions"
    " decision decisions page pages part parts table figure phase step level levels".split()
)


@dataclass(slots=True)
class _Markers:
    """Walks the text in order, taking out the marker of each footnote in turn."""

    numbers: list[int]
    next: int = 0

    def take(self, text: str) -> tuple[str, list[int]]:
        """Remove the footnote markers from one line; return the line and the numbers found."""
        found: list[int] = []
        for match in reversed(list(re.finditer(f"[{_SUPERSCRIPT_DIGITS}]+", text))):
            found.append(int(match.group(0).translate(_SUPERSCRIPT_VALUE)))
            text = text[: match.start()] + " " + text[match.end() :]
        for match in reversed(list(_CARET_MARK_RE.finditer(text))):
            value = match.group(1) or match.group(2)
            if value.isdigit():
                found.append(int(value))
            text = text[: match.start()] + " " + text[match.end() :]
        found.sort()
        if found:
            while self.next < len(self.numbers) and self.numbers[self.next] <= found[-1]:
                self.next += 1
        position = 0
        while self.next < len(self.numbers):
            hit = self._find(text, position)
            if hit is None:
                break
            start, end, number = hit
            found.append(number)
            text = text[:start] + " " + text[end:]
            position = start
        text = _LOWER_GLUED_RE.sub("", text)
        return text, found

    def _find(self, text: str, position: int) -> tuple[int, int, int] | None:
        """The next footnote's marker (or the one after, if a marker was lost) from position."""
        for skip in range(2):
            if self.next + skip >= len(self.numbers):
                return None
            number = self.numbers[self.next + skip]
            digits = str(number)
            glued = re.compile(
                rf"(?:(?<=[A-Za-z\)\]”’\"',;:])|(?<=[A-Za-z]{{2}}\.)|(?<=\b(?:1[89]|20)\d\d))"
                rf"{digits}(?![\d/])"
            )
            match = glued.search(text, position)
            while match is not None and _SYMBOL_TAIL_RE.search(text, 0, match.start()):
                match = glued.search(text, match.end())
            if match is None:
                spaced = re.compile(rf"(?<=[,;.”’a-z)])\s+{digits}(?:\s{{2,}}|\s+(?=[a-z])|\s*$)")
                match = spaced.search(text, position)
                if match is not None:
                    before = re.findall(r"[A-Za-z]+", text[: match.start()])
                    if before and before[-1].lower() in _REFERENCE_WORDS:
                        match = None
            if match is not None:
                self.next += skip + 1
                return match.start(), match.end(), number
        return None


def _clean_inline(text: str) -> str:
    """Collapse white space and close the gaps left by removed markers."""
    text = _words(text)
    text = re.sub(r" ([,;:.])", r"\1", text)
    return re.sub(r"(?<=[a-z])- (?!(?:and|or|to|nor|as)\b)(?=[a-z])", "-", text)


# ---------------------------------------------------------------------------
# Body lines
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    """A cleaned body line."""

    text: str
    emphasized: str | None
    row: int
    markers: list[int] = field(default_factory=list)


def _body(rows: list[_Row], markers: _Markers) -> list[_Line | None]:
    """The body lines in order; None stands for a break (blank, page, footnote, furniture)."""
    items: list[_Line | None] = []
    for i, row in enumerate(rows):
        if row.kind != "text":
            items.append(None)
            continue
        text, found = markers.take(row.plain)
        text = _clean_inline(text)
        if not text:
            items.append(None)
            continue
        emphasis = _EMPHASIS_START_RE.match(row.raw)
        emphasized = _words(emphasis.group("words")) if emphasis else None
        items.append(_Line(text, emphasized, i, found))
    return items


# ---------------------------------------------------------------------------
# Paragraph assembly
# ---------------------------------------------------------------------------

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
_NUMBERED_TITLE_RE = re.compile(r"^\d{1,3}/\d{1,3}\.\s")
_HEADING_RE = re.compile(r"^(?:(?:[IVXL]{1,6}|[A-H])\.\s+)?[A-Z“\"][^.;:,]{0,150}$")


def _starts_lower(text: str) -> bool:
    """Tell whether text starts with a lower-case letter (a continuation)."""
    return bool(text) and text[0].islower()


def _is_complete(text: str) -> bool:
    """Tell whether text ends like a paragraph: with , ; . or : (closing quotes aside)."""
    return text.rstrip(" \"'”’)]").endswith((",", ";", ".", ":"))


def _join(left: str, right: str) -> str:
    """Join two pieces of a wrapped paragraph; a line-end hyphen joins without a space."""
    if left.endswith("-") and _starts_lower(right):
        return left + right
    return f"{left} {right}"


def is_preamble_opener(text: str) -> bool:
    """Tell whether a line opens a preambular paragraph ("Recalling", "Aware", ...)."""
    match = re.match(r"[A-Z][a-z]+", text)
    if match is None:
        return False
    word = match.group(0)
    return word.endswith("ing") or word in _PREAMBLE_OPENERS


def _operative_start(line: _Line, expected: int) -> tuple[int, str] | None:
    """The number and the rest of a line that starts an operative paragraph, if it does.

    It does when the text after the number opens with an operative verb, or,
    for the number that continues the sequence, when a verb follows an opening
    phrase ("2. Pending the total elimination ..., urges ...").
    """
    match = _OPERATIVE_LINE_RE.match(line.text)
    if match is None:
        return None
    number, rest = int(match.group("number")), match.group("rest")
    if looks_like_operative_start(rest):
        return number, rest
    if number == expected and rest[:1].isupper() and find_clause_verb(rest) is not None:
        return number, rest
    return None


def _header_units(items: list[_Line | None]) -> list[tuple[int, int, str]]:
    """Assemble header lines into units: (first item index, last item index, text).

    Header lines stay apart ("Seventh session" / "Vienna, ...") unless a line
    ends with a connector ("... Netherlands and" / "Portugal: ..."), the
    next line starts in lower case (a wrapped title), or the line is a
    numbered title ("91/5. Strengthening ... small island" / "States").
    """
    units: list[tuple[int, int, str]] = []
    gap = False
    for index, line in enumerate(items):
        if line is None:
            gap = True
            continue
        if units:
            first, _, text = units[-1]
            if gap:
                joins = not _is_complete(text) and _starts_lower(line.text)
            else:
                joins = (
                    _starts_lower(line.text)
                    or bool(_CONNECTOR_END_RE.search(text))
                    or (bool(_NUMBERED_TITLE_RE.match(text)) and not _ADOPTING_RE.match(line.text))
                )
            if joins:
                units[-1] = (first, index, _join(text, line.text))
                gap = False
                continue
        units.append((index, index, line.text))
        gap = False
    return units


@dataclass(slots=True)
class _Unit:
    """A preambular paragraph being assembled."""

    text: str
    rows: list[int]


def _preamble_units(items: list[_Line | None]) -> list[str]:
    """Assemble preambular paragraphs.

    Within a run of lines a new paragraph starts at an opener ("Recalling")
    after a line ending with punctuation; across a break (blank lines, page
    break, footnotes) the parts join when the first is incomplete or the
    second starts in lower case. A heading between paragraphs is left out.
    """
    units: list[str] = []
    gap = True
    lines = [line for line in items if line is not None]
    position = 0
    for line in items:
        if line is None:
            gap = True
            continue
        position += 1
        following = lines[position] if position < len(lines) else None
        if (
            gap
            and (not units or _is_complete(units[-1]))
            and _is_heading([line])
            and (following is None or is_preamble_opener(following.text))
        ):
            continue  # a heading ("Peacebuilding Commission") before a paragraph or the operative part
        if units:
            text = units[-1]
            if gap:
                joins = not _is_complete(text) or _starts_lower(line.text)
            else:
                joins = not (_is_complete(text) and is_preamble_opener(line.text))
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
    markers: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    sub_style: str = ""  # "letters", "roman" or "numbers"
    nested: str = ""  # last nested roman label inside the current sub-paragraph

    def tail(self) -> str:
        """The text assembled last (the current sub-paragraph or the intro)."""
        return self.subs[-1][1] if self.subs else self.intro

    def append(self, line: _Line) -> None:
        """Append a continuation to the current sub-paragraph or the intro."""
        if self.subs:
            self.subs[-1][1] = _join(self.subs[-1][1], line.text)
        else:
            self.intro = _join(self.intro, line.text)
        self.markers.extend(line.markers)
        self.rows.append(line.row)


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


def _next_number(label: str) -> str:
    """The number label after label ("2" after "1")."""
    return str(int(label) + 1) if label.isdigit() else ""


_SUB_STYLES = {"a": "letters", "i": "roman", "1": "numbers"}
"""The style of the sub-paragraphs a first label opens."""
_NEXT_LABEL = {"letters": _next_letter, "roman": _next_roman, "numbers": _next_number}


def _sub_may_start(tail: str) -> bool:
    """Tell whether a "(x)" line can open a sub-paragraph after the text so far."""
    tail = tail.rstrip()
    return tail.endswith((":", ";", ",")) or bool(re.search(r"[;,]\s+(?:and|or)$", tail))


def _place_sub(draft: _Draft, label: str, rest: str) -> bool:
    """Add a "(label) rest" line to the draft as a sub-paragraph; False if it is not one."""
    if not _sub_may_start(draft.tail()):
        return False
    if not draft.subs:
        style = _SUB_STYLES.get(label)
        if style is None:
            return False
        draft.sub_style = style
        draft.subs.append([label, rest])
        return True
    last = draft.subs[-1][0]
    expected = _NEXT_LABEL[draft.sub_style](last)
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


def _is_heading(lines: list[_Line]) -> bool:
    """Tell whether lines standing between two operative paragraphs are a heading."""
    text = " ".join(line.text for line in lines)
    return len(lines) <= 3 and bool(_HEADING_RE.match(text)) and not _is_complete(text)


def _operative_drafts(items: list[_Line | None]) -> tuple[list[_Draft], int]:
    """Assemble the operative paragraphs and their sub-paragraphs.

    A new paragraph starts at "N. Verb" with N above the last number. Other
    lines continue the current paragraph (or sub-paragraph), whatever breaks
    stand between them. Lines that stand between two paragraphs and read like
    a heading are left out. The closing line ("8th plenary meeting") or an
    annex ends the operative part.

    Returns:
        The drafts, and the index in items where the operative part ends.
    """
    drafts: list[_Draft] = []
    pending: list[_Line] = []  # lines after a finished paragraph: a heading, or more text
    gap = False
    for index, line in enumerate(items):
        if line is None:
            gap = True
            continue
        if _CLOSING_RE.match(line.text) or _ANNEX_RE.match(line.text):
            return drafts, index
        expected = drafts[-1].number + 1 if drafts else 1
        started = _operative_start(line, expected)
        if started is not None and (not drafts or started[0] > drafts[-1].number):
            if pending and not _is_heading(pending):
                for held in pending:
                    drafts[-1].append(held)
            pending = []
            drafts.append(_Draft(started[0], started[1], line.emphasized, [], list(line.markers), [line.row]))
            gap = False
            continue
        if not drafts:
            continue
        draft = drafts[-1]
        sub = _SUB_LINE_RE.match(line.text)
        if not pending and sub is not None and _place_sub(draft, sub.group("label"), sub.group("rest")):
            draft.markers.extend(line.markers)
            draft.rows.append(line.row)
            gap = False
            continue
        tail = draft.tail().rstrip(" \"'”’)]")
        if pending or (gap and tail.endswith((";", ".")) and _HEADING_RE.match(line.text)):
            pending.append(line)
            if not _is_heading(pending):
                for held in pending:
                    draft.append(held)
                pending = []
            gap = False
            continue
        draft.append(line)
        gap = False
    for held in pending:
        drafts[-1].append(held)
    return drafts, len(items)


def _close_quotes(text: str) -> str:
    """Drop a closing quotation mark left over from a quoted text ("... session.”")."""
    if text.endswith("”") and text.count("”") > text.count("“"):
        return text[:-1].rstrip()
    if text.endswith('"') and text.count('"') % 2 == 1:
        return text[:-1].rstrip()
    return text


def _annex_paragraphs(items: list[_Line | None]) -> tuple[str, ...]:
    """The annex's text, one entry per paragraph (lines joined across wraps)."""
    start = next((i for i, line in enumerate(items) if line is not None and _ANNEX_RE.match(line.text)), None)
    if start is None:
        return ()
    paragraphs: list[str] = []
    gap = True
    for line in items[start:]:
        if line is None:
            gap = True
            continue
        if (
            paragraphs
            and (not gap or not _is_complete(paragraphs[-1]))
            and not _OPERATIVE_LINE_RE.match(line.text)
        ):
            paragraphs[-1] = _join(paragraphs[-1], line.text)
        else:
            paragraphs.append(line.text)
        gap = False
    return tuple(paragraphs)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _first_operative(items: list[_Line | None]) -> int | None:
    """Where the first numbered operative paragraph starts in items, if one does."""
    return next(
        (i for i, line in enumerate(items) if line is not None and _operative_start(line, 1) is not None),
        None,
    )


def _number_on_across_sections(items: list[_Line | None], op_start: int) -> None:
    """Number on the operative paragraphs of a resolution in sections that each number
    their own ("A / Information in the service of humanity / The General Assembly, /
    ... / 1. Urges ...", then "B / ... / The General Assembly, / ... / 1. Reaffirms ..."),
    so that no paragraph of a later section is taken for the text of the one before.

    A section opens at an adopting line after the first operative paragraph: its heading
    (the lines after the last complete one), the adopting line and the section's preamble
    are taken out, and its paragraphs are numbered on from the last number before it.
    """
    last = 0
    offset = 0
    index = op_start
    while index < len(items):
        line = items[index]
        if line is not None and (_CLOSING_RE.match(line.text) or _ANNEX_RE.match(line.text)):
            return
        if line is not None and _ADOPTING_RE.match(line.text) and last > 0:
            back = index - 1
            while back > op_start and (items[back] is None or not _is_complete(items[back].text)):
                items[back] = None  # the section's heading ("B", its title)
                back -= 1
            offset = last
            while index < len(items) and (items[index] is None or _operative_start(items[index], 1) is None):
                if items[index] is not None and _CLOSING_RE.match(items[index].text):
                    return
                items[index] = None  # the adopting line and the section's preamble
                index += 1
            continue
        if line is not None:
            started = _operative_start(line, last + 1 - offset)
            if started is not None and started[0] + offset > last:
                last = started[0] + offset
                if offset:
                    line.text = f"{last}. {started[1]}"
        index += 1


def _number_unnumbered(items: list[_Line | None]) -> bool:
    """Number the operative paragraphs of a resolution that does not number them (a
    resolution of one operative paragraph, or a decision whose paragraphs stand unnumbered):
    after the adopting line ("The General Assembly,"), each paragraph that opens with an
    operative verb ("Decides ...", "Also requests ...") rather than a preambular word
    ("Recalling ...") is given the next number, up to the closing line or an annex.

    A paragraph opens after a break or after a line that ends like one (``, ; . :``).
    Returns whether any paragraph was numbered (nothing is changed otherwise).
    """
    adopting = next(
        (i for i, line in enumerate(items) if line is not None and _ADOPTING_RE.match(line.text)), None
    )
    if adopting is None:
        return False
    starts: list[_Line] = []
    opens = True
    for line in items[adopting + 1 :]:
        if line is None:
            opens = True
            continue
        if _CLOSING_RE.match(line.text) or _ANNEX_RE.match(line.text):
            break
        if opens and looks_like_operative_start(line.text):
            starts.append(line)
        opens = _is_complete(line.text)
    for number, line in enumerate(starts, start=1):
        line.text = f"{number}. {line.text}"
    return bool(starts)


def lay_out(text: str) -> Layout:
    """Take the layout out of a resolution's text.

    Args:
        text: The resolution's text with LF line ends; a form feed marks a
            page break.

    Returns:
        The resolution's parts. ``operative`` is empty when no numbered
        operative paragraph was found.
    """
    rows = _rows(text)
    header_end = _header_end(rows)
    _mark_furniture(rows, header_end)
    found = _find_footnotes(rows)
    _mark_running_titles(rows, header_end)
    _join_labels(rows)
    _unquote(rows)
    numbers = sorted({int(mark) for mark, _, _ in found if mark.isdigit()})
    items = _body(rows, _Markers(numbers))
    footnotes = tuple(Footnote(mark=mark, text=text) for mark, text, _ in found)

    op_start = _first_operative(items)
    if op_start is None and _number_unnumbered(items):
        op_start = _first_operative(items)
    if op_start is not None:
        _number_on_across_sections(items, op_start)
    if op_start is None:
        return Layout(header=(), adopting_body=None, preamble=(), operative=(), footnotes=footnotes)

    before = items[:op_start]
    units = _header_units(before)
    adopting = next((u for u in units if _ADOPTING_RE.match(u[2])), None)
    if adopting is not None:
        header = [u[2] for u in units if u[1] < adopting[0]]
        preamble_from = adopting[1] + 1
        match = _ADOPTING_RE.match(adopting[2])
        body = _words(match.group("body") or match.group("bare")) if match else None
    else:
        opener = next((u for u in units if is_preamble_opener(u[2]) and _is_complete(u[2])), None)
        header = [u[2] for u in units if opener is None or u[1] < opener[0]]
        preamble_from = opener[0] if opener is not None else op_start
        body = None
    preamble = tuple(_close_quotes(p) for p in _preamble_units(items[preamble_from:op_start]))

    drafts, end = _operative_drafts(items[op_start:])
    annex = _annex_paragraphs(items[op_start + end :])
    by_mark = {note.mark: note for note in footnotes}
    marked = {str(m) for line in items if line is not None for m in line.markers}
    row_of_note = {mark: row for mark, _, row in found if mark not in marked}
    operative: list[LaidOutParagraph] = []
    for n, draft in enumerate(drafts):
        marks = [str(m) for m in draft.markers]
        first_row = draft.rows[0] if draft.rows else -1
        next_row = drafts[n + 1].rows[0] if n + 1 < len(drafts) and drafts[n + 1].rows else len(rows)
        marks.extend(m for m, row in row_of_note.items() if first_row < row < next_row and m not in marks)
        attached = tuple(by_mark[m] for m in marks if m in by_mark)
        subs = [(label, _close_quotes(sub)) for label, sub in draft.subs]
        intro = draft.intro if subs else _close_quotes(draft.intro)
        if subs and n == len(drafts) - 1:
            subs[-1] = (subs[-1][0], _close_quotes(subs[-1][1]))
        operative.append(
            LaidOutParagraph(
                number=draft.number,
                intro=intro,
                emphasized=draft.emphasized,
                subparagraphs=tuple(subs),
                footnotes=attached,
            )
        )
    return Layout(
        header=tuple(header),
        adopting_body=body,
        preamble=preamble,
        operative=tuple(operative),
        annex=annex,
        footnotes=footnotes,
    )
