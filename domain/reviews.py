"""The review calendar: when which mechanism reviews which State, and the burden it makes.

The reference resolution asks the Secretariat to limit "the burden on States parties that
are reviewed under different review mechanisms with similar thematic areas" and to share
good practices on "schedules of reviews". The calendar joins the schedules of the review
mechanisms (the UNCAC Implementation Review Mechanism, the OECD Working Group on Bribery,
GRECO, MESICIC, ...) State by State. Everything here is pure:

- **names**: a State or a mechanism is one row whatever its spelling: case, spacing, accents
  and apostrophes do not count (``name_key``), and a small alias table gives the usual short
  names their canonical one ("GRECO" is "Council of Europe (GRECO)");
- **a review stage** (``Review``): a mechanism, a State, a cycle or round, a stage, its first
  and last day (both included), whether its details are confidential, and notes;
- **events**: ``ReviewScheduled``, ``ReviewChanged``, ``ReviewWithdrawn``, appended to the
  calendar's own audit stream (``REVIEW_STREAM``), never a mandate's;
- **CSV**: ``parse_reviews_csv`` reads an import file and reports every problem, one line
  each (``ReviewsInvalid``), before anything is recorded; ``plan_changes`` compares the rows
  with the calendar as it stands, so that re-importing the same rows records nothing;
- **figures**: ``find_overlaps`` (stages of two different mechanisms for one State that
  overlap or lie within N days of each other) and ``burden`` (per State, the mechanisms,
  stages and days under review in a window, overlapping days counted once).

Formula injection: the calendar's own columns (mechanism, State, cycle, stage) may not start
with a character a spreadsheet runs as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return): such a cell is refused at import. Notes are kept as given, and every export cell
goes through ``spreadsheet_safe`` (a leading ``'``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.errors import DomainError
from domain.values import MAX_NAME, RECORDED, name_problem, unstorable

REVIEW_STREAM = "review-calendar"
"""The audit stream of the calendar's own events (imports): one stream, one writer at a time."""
CONFIDENTIAL = "a confidential review"
"""What exports, the report and viewers without the right say instead of a confidential review's details."""
REQUIRED_COLUMNS = ("mechanism", "state", "cycle", "stage", "start", "end")
OPTIONAL_COLUMNS = ("confidential", "status")
MAX_IMPORT_ROWS = 50_000
"""Rows in one import file (the four mechanisms' calendars for every State over decades fit)."""
MAX_LISTED_PROBLEMS = 50
"""Problems listed one per line; beyond them, one line says how many more."""
MAX_NOTE = 1_000
"""Characters in one note (a column the calendar keeps without reading it)."""
MAX_NOTES = 30
"""Note columns in one file."""
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 3_650
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet reads as the start of a formula (OWASP's CSV injection list)."""


class ReviewsInvalid(DomainError):
    """A review calendar file (or a table of answers) breaks rules: ``problems`` lists each,
    one line each; the message is the first and how many more. Nothing was recorded."""

    code = "reviews_invalid"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = listed(problems)
        more = len(problems) - 1
        tail = f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(f"{problems[0]}{tail}; nothing recorded")


def listed(problems: Sequence[str], limit: int = MAX_LISTED_PROBLEMS) -> list[str]:
    """The problems to print one per line: the first ``limit``, then how many more."""
    if len(problems) <= limit:
        return list(problems)
    return [*problems[:limit], f"... and {len(problems) - limit} more problems"]


# --- names ---------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_SAME_CHARACTER = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-"})

MECHANISM_ALIASES: dict[str, tuple[str, ...]] = {
    "UNCAC Implementation Review Mechanism": (
        "UNCAC IRM", "IRM", "UNCAC", "Implementation Review Mechanism", "UNCAC Review Mechanism",
        "Mechanism for the Review of Implementation of the United Nations Convention against Corruption",
    ),
    "OECD Working Group on Bribery": (
        "OECD WGB", "WGB", "OECD", "Working Group on Bribery", "OECD Working Group on Bribery in "
        "International Business Transactions",
    ),
    "Council of Europe (GRECO)": (
        "GRECO", "Council of Europe GRECO", "CoE GRECO", "CoE (GRECO)", "Group of States against Corruption",
    ),
    "OAS (MESICIC)": (
        "MESICIC", "OAS MESICIC", "OAS", "Follow-up Mechanism for the Implementation of the Inter-American "
        "Convention against Corruption",
    ),
}  # fmt: skip
"""The review mechanisms' canonical names (as the default plans name their secretariats) and
the short names they go by."""
STATE_ALIASES: dict[str, tuple[str, ...]] = {
    "United States of America": ("USA", "US", "United States"),
    "United Kingdom of Great Britain and Northern Ireland": ("United Kingdom", "UK"),
    "Russian Federation": ("Russia",),
    "Republic of Korea": ("South Korea", "Korea, Republic of"),
    "Republic of Moldova": ("Moldova",),
    "Türkiye": ("Turkey",),
    "Netherlands (Kingdom of the)": ("Netherlands", "The Netherlands"),
}
"""A few States whose short and official names both occur in the mechanisms' calendars."""


def name_key(text: str) -> str:
    """What makes two spellings one name: case, runs of spaces, accents and the kind of
    apostrophe or dash do not count."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SAME_CHARACTER))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain).strip().casefold()


def _aliases(table: Mapping[str, Sequence[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, aliases in table.items():
        for name in (canonical, *aliases):
            out[name_key(name)] = canonical
    return out


_MECHANISMS = _aliases(MECHANISM_ALIASES)
_STATES = _aliases(STATE_ALIASES)
_SMALL_WORDS = frozenset({"and", "of", "the", "de", "du", "la", "le", "des", "del", "da", "dos", "for"})


def tidy(text: str) -> str:
    """``text`` with its runs of white space made one space, and trimmed."""
    return _SPACES.sub(" ", text).strip()


def _capitalised(word: str, first: bool) -> str:
    if not first and word in _SMALL_WORDS:
        return word
    if word[:2] in ("d'", "l'") and len(word) > 2:
        return word[:2] + word[2:3].upper() + word[3:]
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def _cased(name: str) -> str:
    """A name written all in capitals or all in small letters, as names are written
    ("BOSNIA AND HERZEGOVINA" as "Bosnia and Herzegovina"); other names as they are."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) <= 3 or not (name == name.upper() or name == name.lower()):
        return name
    return " ".join(_capitalised(w, i == 0) for i, w in enumerate(name.lower().split(" ")))


def mechanism_name(text: str) -> str:
    """The canonical name of a review mechanism (its alias table's, or as written, tidied)."""
    return _MECHANISMS.get(name_key(text), tidy(text))


def state_name(text: str) -> str:
    """The name of a State: its alias table's, or as written, tidied and cased."""
    return _STATES.get(name_key(text)) or _cased(tidy(text))


def formula_problem(raw: str) -> str | None:
    """Why a cell would run as a formula in a spreadsheet (its first character), or None."""
    for text in (raw, raw.strip()):
        if text[:1] in FORMULA_STARTS:
            return f"starts with {text[:1]!r}, which a spreadsheet would run as a formula"
    return None


def spreadsheet_safe(text: str) -> str:
    """``text`` for a cell of an export: a leading ``'`` when it would start a formula."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


# --- a review stage ------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Review(_Frozen):
    """One stage of one review of one State by one mechanism: ``start`` to ``end``, both days
    included. ``confidential``: its details (mechanism, dates) are shown only to the roles
    allowed (``domain.access.may_see_confidential_reviews``)."""

    mechanism: str
    state: str
    cycle: str
    stage: str
    start: date
    end: date
    confidential: bool = False
    notes: dict[str, str] = {}

    @property
    def mechanism_key(self) -> str:
        return name_key(mechanism_name(self.mechanism))

    @property
    def state_key(self) -> str:
        return name_key(state_name(self.state))

    @property
    def key(self) -> str:
        """What one review stage is: its mechanism, State, cycle and stage, spelling aside."""
        return review_key(self.mechanism, self.state, self.cycle, self.stage)

    def same_facts(self, other: Review) -> bool:
        """Whether ``other`` says the same of this stage (its dates, confidentiality, notes)."""
        return (self.start, self.end, self.confidential, self.notes) == (
            other.start,
            other.end,
            other.confidential,
            other.notes,
        )

    def label(self) -> str:
        return f"{self.mechanism}, {self.state}, {self.cycle}, {self.stage}"


def review_key(mechanism: str, state: str, cycle: str, stage: str) -> str:
    """The key of a review stage (names through their alias tables and ``name_key``)."""
    parts = (mechanism_name(mechanism), state_name(state), cycle, stage)
    return "\x1f".join(name_key(p) for p in parts)


def review_uid(key: str) -> str:
    """A stable, opaque id of a review stage (an iCalendar UID, a console anchor)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


# --- events of the calendar's stream --------------------------------------------------------


class _ReviewEvent(_Frozen):
    at: AwareDatetime
    review: Review
    by: str
    source: str = ""  # the file it came from
    line: int | None = None  # its line in that file

    @property
    def actor(self) -> str:
        return self.by


class ReviewScheduled(_ReviewEvent):
    """A review stage the calendar did not hold."""

    type: Literal["ReviewScheduled"] = "ReviewScheduled"


class ReviewChanged(_ReviewEvent):
    """New facts (dates, confidentiality, notes) of a review stage the calendar holds."""

    type: Literal["ReviewChanged"] = "ReviewChanged"
    previous: Review


class ReviewWithdrawn(_ReviewEvent):
    """A review stage taken off the calendar (``review``: as it stood)."""

    type: Literal["ReviewWithdrawn"] = "ReviewWithdrawn"


ReviewEvent = Annotated[ReviewScheduled | ReviewChanged | ReviewWithdrawn, Field(discriminator="type")]
REVIEW_EVENT_TYPES = frozenset({"ReviewScheduled", "ReviewChanged", "ReviewWithdrawn"})
_REVIEW_ADAPTER: TypeAdapter[ReviewEvent] = TypeAdapter(ReviewEvent)
_EVENTS_ADAPTER: TypeAdapter[list[ReviewEvent]] = TypeAdapter(list[ReviewEvent])


def review_payload(event: ReviewScheduled | ReviewChanged | ReviewWithdrawn) -> tuple[str, dict[str, Any]]:
    """The audit store's ``(type, payload)`` of a calendar event."""
    return event.type, event.model_dump(mode="json", exclude={"type"})


def review_event_of(event_type: str, payload: Mapping[str, Any]) -> ReviewEvent:
    """The calendar event an audit record holds, read as it was written.

    Raises:
        pydantic.ValidationError: the payload does not fit the event its type names.
    """
    return _REVIEW_ADAPTER.validate_python({**payload, "type": event_type}, context=RECORDED)


def events_json(events: Sequence[ReviewEvent]) -> bytes:
    """Calendar events as the JSON the worker is handed (``events_from_json`` reads it back)."""
    return _EVENTS_ADAPTER.dump_json(list(events))


def events_from_json(data: bytes | str) -> list[ReviewEvent]:
    return _EVENTS_ADAPTER.validate_json(data)


# --- a calendar file -----------------------------------------------------------------------


class ImportRow(_Frozen):
    """One line of an import file: the review stage it names, and whether it withdraws it."""

    line: int
    review: Review
    withdrawn: bool = False


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0", ""})


def parse_day(text: str) -> tuple[date | None, str | None]:
    """An ISO day (``YYYY-MM-DD``), or why ``text`` is not one."""
    value = text.strip()
    if not value:
        return None, "is empty"
    if not _DATE.match(value):
        return None, f"{value!r} is not a date (YYYY-MM-DD)"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, f"{value!r} is not a date of the calendar"
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return None, f"{value} is outside {EARLIEST_DAY.year} to {LATEST_DAY.year}"
    return day, None


def yes_no(text: str) -> bool | None:
    """``yes``/``no`` (and ``true``/``false``, ``y``/``n``, ``1``/``0``; empty is no), or None."""
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


def name_cell_problem(raw: str, column: str) -> str | None:
    """Why a cell cannot name a mechanism, a State, a cycle or a stage, or None."""
    value = tidy(raw)
    if not value:
        return f"{column} is empty"
    formula = formula_problem(raw)
    if formula is not None:
        return f"{column} {formula}"
    if len(value) > MAX_NAME:
        return f"{column} is longer than {MAX_NAME} characters"
    problem = name_problem(value)
    return f"{column} {problem}" if problem is not None else None


def review_of(
    fields: Mapping[str, str], notes: Mapping[str, str] | None = None
) -> tuple[Review | None, list[str]]:
    """The review stage a row's fields name (``mechanism``, ``state``, ``cycle``, ``stage``,
    ``start``, ``end`` and optionally ``confidential``), or every problem with them."""
    problems = [p for c in REQUIRED_COLUMNS[:4] if (p := name_cell_problem(fields.get(c, ""), c)) is not None]
    start, start_problem = parse_day(fields.get("start", ""))
    end, end_problem = parse_day(fields.get("end", ""))
    problems += [f"{c} {p}" for c, p in (("start", start_problem), ("end", end_problem)) if p is not None]
    if start is not None and end is not None and end < start:
        problems.append(f"end ({end}) is before start ({start})")
    confidential = yes_no(fields.get("confidential", ""))
    if confidential is None:
        problems.append(f"confidential is {fields.get('confidential', '').strip()!r}, not yes or no")
    kept: dict[str, str] = {}
    for column, value in (notes or {}).items():
        text = value.strip()
        if not text:
            continue
        issue = unstorable(text)
        if issue is not None:
            problems.append(f"{column} holds {issue}")
        elif len(text) > MAX_NOTE:
            problems.append(f"{column} is longer than {MAX_NOTE} characters")
        else:
            kept[column] = text
    if problems:
        return None, problems
    assert start is not None and end is not None
    return (
        Review(
            mechanism=mechanism_name(fields["mechanism"]),
            state=state_name(fields["state"]),
            cycle=tidy(fields["cycle"]),
            stage=tidy(fields["stage"]),
            start=start,
            end=end,
            confidential=bool(confidential),
            notes=kept,
        ),
        [],
    )


def decode_text(data: bytes, filename: str, what: str = "a CSV file") -> str:
    """UTF-8 text of a file (a byte order mark dropped), or ``ReviewsInvalid`` in one line
    saying where it is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReviewsInvalid([f"{filename}: the file is UTF-16 text; save it as UTF-8 ({what})"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise ReviewsInvalid(
            [f"{filename}: not UTF-8 text (byte 0x{byte:02X} on line {line}); save it as UTF-8 ({what})"]
        ) from None
    if "\x00" in text:
        raise ReviewsInvalid([f"{filename}: the file holds NUL characters; it is not {what}"])
    return text.removeprefix("\ufeff")


def csv_records(text: str, filename: str) -> Iterator[tuple[int, list[str]]]:
    """The records of CSV text with the line each begins on; blank lines are skipped
    (``ReviewsInvalid`` when the text is not usable CSV)."""
    reader = csv.reader(io.StringIO(text))
    ended = 0
    try:
        for row in reader:
            number, ended = ended + 1, reader.line_num
            if any(cell.strip() for cell in row):
                yield number, row
    except csv.Error as exc:
        raise ReviewsInvalid([f"{filename}: line {ended + 1}: not usable CSV: {exc}"]) from None


def _header(cells: Sequence[str], line: int, required: Sequence[str]) -> tuple[list[str], list[str]]:
    header = [tidy(c).lower() for c in cells]
    problems = [f"line {line}: column {n} has no name" for n, h in enumerate(header, start=1) if not h]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(f"line {line}: the column {name!r} is named twice")
        seen.add(name)
    problems += [f"line {line}: the header lacks the column {c!r}" for c in required if c not in header]
    return header, problems


def parse_reviews_csv(data: bytes, filename: str) -> list[ImportRow]:
    """The rows of a review calendar file: CSV with a header line holding at least
    ``mechanism,state,cycle,stage,start,end`` (ISO days, ``end`` on or after ``start``), and
    optionally ``confidential`` (yes/no) and ``status`` (``scheduled``, the default, or
    ``withdrawn``); any other column is kept as a note.

    Raises:
        ReviewsInvalid: every problem, one line each (the file's encoding, its size, its
            header, each bad field of each line, a stage named twice).
    """
    text = decode_text(data, filename)
    records = csv_records(text, filename)
    first = next(records, None)
    if first is None:
        raise ReviewsInvalid(
            [f"{filename}: the file is empty; it needs a header line {','.join(REQUIRED_COLUMNS)}"]
        )
    header, problems = _header(first[1], first[0], REQUIRED_COLUMNS)
    if problems:
        raise ReviewsInvalid(problems)
    lines: list[tuple[int, list[str]]] = []
    count = 0
    for record in records:
        count += 1
        if count <= MAX_IMPORT_ROWS:
            lines.append(record)
    if count > MAX_IMPORT_ROWS:
        raise ReviewsInvalid(
            [f"{filename}: {count:,} rows; an import takes at most {MAX_IMPORT_ROWS:,} (split the file)"]
        )
    if not lines:
        raise ReviewsInvalid([f"{filename}: no reviews, only a header"])
    note_columns = [h for h in header if h not in REQUIRED_COLUMNS and h not in OPTIONAL_COLUMNS]
    if len(note_columns) > MAX_NOTES:
        raise ReviewsInvalid([f"line {first[0]}: {len(note_columns)} note columns, more than {MAX_NOTES}"])
    rows: list[ImportRow] = []
    problems = []
    seen: dict[str, int] = {}
    for number, cells in lines:
        if len(cells) > len(header):
            problems.append(f"line {number}: {len(cells)} fields, the header has {len(header)}")
            continue
        fields = dict(zip(header, cells, strict=False))
        status = fields.get("status", "").strip().lower() or "scheduled"
        review, found = review_of(fields, {c: fields.get(c, "") for c in note_columns})
        if status not in ("scheduled", "withdrawn"):
            found.append(f"status is {fields.get('status', '').strip()!r}, not scheduled or withdrawn")
        problems += [f"line {number}: {p}" for p in found]
        if review is None or found:
            continue
        earlier = seen.setdefault(review.key, number)
        if earlier != number:
            problems.append(f"line {number}: the same review stage as line {earlier} ({review.label()})")
            continue
        rows.append(ImportRow(line=number, review=review, withdrawn=status == "withdrawn"))
    if problems:
        raise ReviewsInvalid(problems)
    return rows


class ImportOutcome(_Frozen):
    """What an import file changes in the calendar: the events to record, and the counts."""

    events: list[ReviewEvent]
    scheduled: int = 0
    changed: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    not_found: int = 0  # rows withdrawing a stage the calendar does not hold

    def line(self) -> str:
        parts = [f"{self.scheduled} scheduled", f"{self.changed} changed", f"{self.withdrawn} withdrawn"]
        parts.append(f"{self.unchanged} unchanged")
        if self.not_found:
            parts.append(f"{self.not_found} to withdraw not in the calendar")
        return ", ".join(parts)


def plan_changes(
    rows: Iterable[ImportRow], current: Mapping[str, Review], *, by: str, at: Any, source: str
) -> ImportOutcome:
    """The events that bring ``current`` (the calendar's stages by key) to what ``rows`` say:
    a stage it lacks is scheduled, one with other facts changed, one a row withdraws withdrawn;
    a row that says what the calendar holds records nothing."""
    events: list[ReviewEvent] = []
    counts = {"scheduled": 0, "changed": 0, "withdrawn": 0, "unchanged": 0, "not_found": 0}
    for row in rows:
        held = current.get(row.review.key)
        common = {"at": at, "by": by, "source": source, "line": row.line}
        if row.withdrawn:
            if held is None:
                counts["not_found"] += 1
            else:
                events.append(ReviewWithdrawn(review=held, **common))
                counts["withdrawn"] += 1
        elif held is None:
            events.append(ReviewScheduled(review=row.review, **common))
            counts["scheduled"] += 1
        elif held.same_facts(row.review):
            counts["unchanged"] += 1
        else:
            events.append(ReviewChanged(review=row.review, previous=held, **common))
            counts["changed"] += 1
    return ImportOutcome(events=events, **counts)


# --- the figures ---------------------------------------------------------------------------


class Stage(_Frozen):
    """A review stage as the calendar holds it: the names resolved to the spelling the
    calendar first recorded, where it came from (``source``: an import, or the answer of a
    party to a questionnaire) and the audit positions that put it there (``refs``)."""

    key: str
    mechanism: str
    state: str
    cycle: str
    stage: str
    start: date
    end: date
    confidential: bool = False
    notes: dict[str, str] = {}
    source: str = "import"
    refs: tuple[int, ...] = ()

    @property
    def mechanism_key(self) -> str:
        return name_key(self.mechanism)

    @property
    def state_key(self) -> str:
        return name_key(self.state)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def order(self) -> tuple[Any, ...]:
        return (self.start, self.end, self.mechanism_key, self.key)


class Overlap(_Frozen):
    """Two stages of two different mechanisms for one State: ``a`` starts first; ``gap_days``
    is the days from the end of the earlier to the start of the later (0 or less: they
    overlap, by 1 - gap_days days)."""

    state: str
    a: Stage
    b: Stage
    gap_days: int

    @property
    def refs(self) -> tuple[int, ...]:
        return tuple(sorted({*self.a.refs, *self.b.refs}))


def gap_days(a: Stage, b: Stage) -> int:
    """Days between two stages: the later start less the earlier end (<= 0 when they overlap)."""
    return (max(a.start, b.start) - min(a.end, b.end)).days


def window_problem(window_days: int) -> str | None:
    if not 0 <= window_days <= MAX_WINDOW_DAYS:
        return f"the window is {window_days} days; it is 0 to {MAX_WINDOW_DAYS}"
    return None


def by_state(stages: Iterable[Stage]) -> dict[str, list[Stage]]:
    groups: dict[str, list[Stage]] = {}
    for stage in stages:
        groups.setdefault(stage.state_key, []).append(stage)
    return groups


def find_overlaps(
    stages: Iterable[Stage], window_days: int = DEFAULT_WINDOW_DAYS, state: str | None = None
) -> list[Overlap]:
    """Every pair of stages of two different mechanisms for the same State whose periods
    overlap or lie within ``window_days`` of each other, sorted by State then date.

    A sweep per State in order of start: each stage is paired with the earlier ones that
    end no more than ``window_days`` before it starts (``O(n log n + pairs)``).
    """
    wanted = name_key(state_name(state)) if state is not None else None
    found: list[Overlap] = []
    for key, group in by_state(stages).items():
        if wanted is not None and key != wanted:
            continue
        reach: list[Stage] = []
        for later in sorted(group, key=Stage.order):
            reach = [s for s in reach if (later.start - s.end).days <= window_days]
            found.extend(
                Overlap(state=later.state, a=s, b=later, gap_days=gap_days(s, later))
                for s in reach
                if s.mechanism_key != later.mechanism_key
            )
            reach.append(later)
    return sorted(found, key=overlap_order)


def overlap_order(o: Overlap) -> tuple[Any, ...]:
    return (o.a.state_key, o.a.start, o.b.start, o.a.order(), o.b.order())


class Burden(_Frozen):
    """The reviews of one State in a window: the mechanisms, the stages and the days under
    review (a day under several stages counted once), with the positions they come from."""

    state: str
    mechanisms: list[str]
    stages: int
    days_under_review: int
    confidential_stages: int = 0
    public_mechanisms: list[str] = []  # those with a stage that is not confidential
    refs: tuple[int, ...] = ()

    def mechanisms_shown(self, reveal: bool) -> list[str]:
        """The mechanisms as a viewer may see them: a mechanism known only from confidential
        stages is ``CONFIDENTIAL`` unless ``reveal``."""
        if reveal or not self.confidential_stages:
            return list(self.mechanisms)
        return [*self.public_mechanisms, CONFIDENTIAL]


def union_days(spans: Iterable[tuple[date, date]]) -> int:
    """Days covered by inclusive ``(first, last)`` spans, each day once."""
    total, reached = 0, None
    for first, last in sorted(spans):
        if reached is not None and first <= reached:
            first = reached + timedelta(days=1)
        if first <= last:
            total += (last - first).days + 1
        reached = last if reached is None else max(reached, last)
    return total


def burden(stages: Iterable[Stage], start: date | None = None, end: date | None = None) -> list[Burden]:
    """Per State, the stages that fall (at least partly) between ``start`` and ``end`` (both
    included; either open), the mechanisms they belong to, and the days under review in the
    window; ranked from the heaviest (days, then stages, then the State's name)."""
    rows: list[Burden] = []
    for group in by_state(stages).values():
        inside = [s for s in group if (start is None or s.end >= start) and (end is None or s.start <= end)]
        if not inside:
            continue
        spans = [
            (max(s.start, start) if start else s.start, min(s.end, end) if end else s.end) for s in inside
        ]
        rows.append(
            Burden(
                state=inside[0].state,
                mechanisms=sorted({s.mechanism for s in inside}),
                stages=len(inside),
                days_under_review=union_days(spans),
                confidential_stages=sum(1 for s in inside if s.confidential),
                public_mechanisms=sorted({s.mechanism for s in inside if not s.confidential}),
                refs=tuple(sorted({r for s in inside for r in s.refs})),
            )
        )
    return sorted(rows, key=lambda b: (-b.days_under_review, -b.stages, name_key(b.state)))


# --- what a viewer is shown ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageView:
    """A stage as a viewer sees it: a confidential stage shown to one without the right is
    ``CONFIDENTIAL`` and nothing else (``hidden``). A plain dataclass: an answer may hold tens
    of thousands (the overlaps of a large calendar)."""

    mechanism: str
    state: str
    cycle: str | None
    stage: str | None
    start: date | None
    end: date | None
    confidential: bool
    hidden: bool = False
    uid: str | None = None  # stable id of the stage (None when hidden)
    notes: dict[str, str] = field(default_factory=dict)
    refs: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """``mechanism``, ``cycle``, ``stage``, ``start``, ``end`` (the issue's JSON shape)."""
        return {
            "mechanism": self.mechanism,
            "cycle": self.cycle,
            "stage": self.stage,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


def view_of(
    uid: str,
    mechanism: str,
    state: str,
    cycle: str,
    stage: str,
    start: date,
    end: date,
    confidential: bool,
    refs: tuple[int, ...],
    reveal: bool,
    notes: dict[str, str] | None = None,
) -> StageView:
    """A stage's view from its fields (``stage_view`` of a ``Stage``; the overlap query's rows)."""
    if confidential and not reveal:
        return StageView(CONFIDENTIAL, state, None, None, None, None, True, True, None, {}, refs)
    return StageView(mechanism, state, cycle, stage, start, end, confidential, False, uid, notes or {}, refs)


def stage_view(stage: Stage, reveal: bool, *, notes: bool = True) -> StageView:
    return view_of(
        review_uid(stage.key), stage.mechanism, stage.state, stage.cycle, stage.stage, stage.start, stage.end,
        stage.confidential, stage.refs, reveal, dict(stage.notes) if notes else None,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OverlapView:
    """An overlap as a viewer sees it; with a side hidden, its gap is not shown either (it
    would tell the dates)."""

    state: str
    a: StageView
    b: StageView
    gap_days: int | None
    refs: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "a": self.a.as_json(), "b": self.b.as_json(), "gap_days": self.gap_days}


def overlap_of(state: str, a: StageView, b: StageView, gap: int) -> OverlapView:
    refs = tuple(sorted({*a.refs, *b.refs})) if a.refs or b.refs else ()
    return OverlapView(state, a, b, None if a.hidden or b.hidden else gap, refs)


def overlap_view(overlap: Overlap, reveal: bool) -> OverlapView:
    """An overlap as a viewer sees it (its stages without their notes)."""
    a, b = stage_view(overlap.a, reveal, notes=False), stage_view(overlap.b, reveal, notes=False)
    return overlap_of(overlap.state, a, b, overlap.gap_days)


@dataclass(frozen=True, slots=True)
class BurdenView:
    """A State's burden as a viewer sees it (``Burden.mechanisms_shown``)."""

    state: str
    mechanisms: list[str]
    stages: int
    days_under_review: int
    refs: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "mechanisms": self.mechanisms,
            "stages": self.stages,
            "days_under_review": self.days_under_review,
        }


def burden_view(row: Burden, reveal: bool) -> BurdenView:
    return BurdenView(row.state, row.mechanisms_shown(reveal), row.stages, row.days_under_review, row.refs)


class Lane(_Frozen):
    """One mechanism's stages for one State, in order; ``overlapping``: the uids of its stages
    that overlap (or come within the window of) another mechanism's."""

    mechanism: str
    stages: list[StageView]
    overlapping: list[str] = []


class StateTimeline(_Frozen):
    """One State's reviews: a lane per mechanism, the overlaps, and how many confidential
    stages are not shown (they are counted in the burden)."""

    state: str
    lanes: list[Lane]
    overlaps: list[OverlapView]
    hidden: int = 0
    burden: BurdenView | None = None


def state_timeline(stages: Sequence[Stage], window_days: int, reveal: bool) -> StateTimeline | None:
    """The timeline of one State's stages (None when there are none)."""
    if not stages:
        return None
    overlaps = find_overlaps(stages, window_days)
    marked = {review_uid(s.key) for o in overlaps for s in (o.a, o.b)}
    lanes: dict[str, list[StageView]] = {}
    hidden = 0
    for stage in sorted(stages, key=Stage.order):
        view = stage_view(stage, reveal)
        if view.hidden:
            hidden += 1
            continue
        lanes.setdefault(view.mechanism, []).append(view)
    (row,) = burden(stages)
    return StateTimeline(
        state=stages[0].state,
        lanes=[
            Lane(mechanism=m, stages=views, overlapping=[v.uid for v in views if v.uid in marked and v.uid])
            for m, views in sorted(lanes.items(), key=lambda item: name_key(item[0]))
        ],
        overlaps=[overlap_view(o, reveal) for o in overlaps],
        hidden=hidden,
        burden=burden_view(row, reveal),
    )
