"""Questionnaires: the form a consultation step may carry, and the answers to it.

A form (``Form``) asks questions, each of a type (``text``, ``number``, ``money``, ``date``,
``choice``, ``yes_no``), and may hold tables whose rows a party fills in (e.g. "your review
schedule for 2027-2029": State, cycle, stage, start, end). It is part of the plan
(``domain.plan.ConsultationStep.form``) and validated with it.

Two kinds of answer feed the synergies work of the reference resolution:

- a table mapped to the review calendar (``Table.calendar``: which column, or the answering
  party, is the mechanism, the State, the cycle, the stage, the first and the last day):
  each row becomes a stage of the calendar (``domain.calendar``);
- a money question marked as the cost of one country review (``Question.review_cost``: of
  the mechanism the answering party is, or the one another question names): it feeds the
  comparison of the mechanisms' costs.

``validate_answers(form, raw)`` turns what a party sent (JSON values, or the text of CSV
cells) into the canonical answers the audit log keeps (``FormAnswers``), or refuses with one
message naming each bad field (``AnswersInvalid``): nothing is recorded. Canonical answers
validate to themselves, so a page that checked them first sends them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import DomainError
from domain.reviews import (
    ReviewsInvalid,
    csv_records,
    decode_text,
    listed,
    name_cell_problem,
    parse_day,
    tidy,
    yes_no,
)
from domain.values import AMOUNT_PLACES, MAX_AMOUNT, MAX_TEXT, Name, unstorable

FieldType = Literal["text", "number", "money", "date", "choice", "yes_no"]
FIELD_TYPES: tuple[str, ...] = ("text", "number", "money", "date", "choice", "yes_no")
FieldId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=60)]
PARTY = "@party"
"""In a calendar mapping or a cost question: the answering party (a mechanism's secretariat
answering for its mechanism, a State answering for itself)."""
MAX_QUESTIONS = 200
MAX_TABLES = 20
MAX_COLUMNS = 30
MAX_ROWS = 5_000
"""Rows of one table in one answer (a schedule of every State for years fits)."""
MAX_CHOICES = 100
MAX_CELL = 2_000
"""Characters in a text cell of a table (a question's text answer may be as long as a response)."""
CALENDAR_FIELDS = ("mechanism", "state", "cycle", "stage", "start", "end")


class AnswersInvalid(DomainError):
    """Answers that do not fit the step's form: ``problems`` names each bad field; the
    message lists them all on one line (``answers: q1: required; schedule row 3: ...``)."""

    code = "answers_invalid"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = listed(problems)
        super().__init__("answers: " + "; ".join(self.problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Question(_Frozen):
    """One question. ``choices``: the answers a ``choice`` question takes. ``review_cost``
    (a ``money`` question only): the answer is the cost of one country review of a mechanism,
    the one the answering party is (``"@party"``) or the one the question of that id names."""

    id: FieldId
    label: Name
    type: FieldType
    required: bool = False
    choices: Annotated[list[Name], Field(max_length=MAX_CHOICES)] = []
    review_cost: str | None = None

    @model_validator(mode="after")
    def _fits(self) -> Question:
        _choices(f"question {self.id!r}", self.type, self.choices)
        if self.review_cost is not None and self.type != "money":
            raise ValueError(f"question {self.id!r} is a review cost but not a money question")
        return self


class Column(_Frozen):
    """One column of a table; ``not_before``: the id of a date column this date may not precede."""

    id: FieldId
    label: Name
    type: FieldType = "text"
    required: bool = False
    choices: Annotated[list[Name], Field(max_length=MAX_CHOICES)] = []
    not_before: str | None = None

    @model_validator(mode="after")
    def _fits(self) -> Column:
        _choices(f"column {self.id!r}", self.type, self.choices)
        if self.not_before is not None and self.type != "date":
            raise ValueError(f"column {self.id!r} has not_before but is not a date column")
        return self


class CalendarMapping(_Frozen):
    """Which column of a table is each field of a review stage (``"@party"``: the answering
    party), and optionally which yes/no column says a row is confidential (a row of a
    confidential consultation is confidential anyway)."""

    mechanism: str
    state: str
    cycle: str
    stage: str
    start: str
    end: str
    confidential: str | None = None


class Table(_Frozen):
    """A table of rows a party fills in; ``calendar``: its rows are stages of the review calendar."""

    id: FieldId
    label: Name
    columns: Annotated[list[Column], Field(min_length=1, max_length=MAX_COLUMNS)]
    required: bool = False  # at least one row
    calendar: CalendarMapping | None = None

    @model_validator(mode="after")
    def _fits(self) -> Table:
        ids = [c.id for c in self.columns]
        if len(set(ids)) != len(ids):
            raise ValueError(f"table {self.id!r} names a column twice")
        types = {c.id: c.type for c in self.columns}
        for column in self.columns:
            if column.not_before is not None and types.get(column.not_before) != "date":
                raise ValueError(
                    f"column {column.id!r} of table {self.id!r}: not_before {column.not_before!r} "
                    "is not a date column of the table"
                )
        if self.calendar is not None:
            for field in (*CALENDAR_FIELDS, "confidential"):
                source = getattr(self.calendar, field)
                if source is None or (source == PARTY and field in ("mechanism", "state")):
                    continue
                wanted = {"start": ("date",), "end": ("date",), "confidential": ("yes_no",)}.get(
                    field, ("text", "choice")
                )
                if types.get(source) not in wanted:
                    raise ValueError(
                        f"table {self.id!r} maps the calendar's {field} to {source!r}, "
                        f"which is not a {' or '.join(wanted)} column of the table"
                    )
        return self

    def column(self, column_id: str) -> Column:
        return next(c for c in self.columns if c.id == column_id)


class Form(_Frozen):
    """The questions and tables of a consultation step (at least one of either)."""

    questions: Annotated[list[Question], Field(max_length=MAX_QUESTIONS)] = []
    tables: Annotated[list[Table], Field(max_length=MAX_TABLES)] = []

    @model_validator(mode="after")
    def _fits(self) -> Form:
        ids = [q.id for q in self.questions] + [t.id for t in self.tables]
        if not ids:
            raise ValueError("a form needs at least one question or table")
        if len(set(ids)) != len(ids):
            raise ValueError("a form names a question or table twice")
        questions = {q.id: q for q in self.questions}
        for question in self.questions:
            named = question.review_cost
            if named is not None and named != PARTY:
                other = questions.get(named)
                if other is None or other.type not in ("text", "choice"):
                    raise ValueError(
                        f"question {question.id!r}: review_cost {named!r} is neither {PARTY!r} "
                        "nor a text or choice question of the form"
                    )
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def table(self, table_id: str) -> Table | None:
        return next((t for t in self.tables if t.id == table_id), None)

    @property
    def feeds_synergies(self) -> bool:
        """Whether its answers feed the review calendar or the comparison of costs."""
        return any(t.calendar for t in self.tables) or any(q.review_cost for q in self.questions)

    def field_labels(self) -> list[tuple[str, str, bool]]:
        """``(id, label, required)`` of each question, then each table."""
        return [(q.id, q.label, q.required) for q in self.questions] + [
            (t.id, t.label, t.required) for t in self.tables
        ]


def _choices(what: str, kind: str, choices: Sequence[str]) -> None:
    if kind == "choice" and not choices:
        raise ValueError(f"{what} is a choice with no choices")
    if kind != "choice" and choices:
        raise ValueError(f"{what} has choices but is not a choice")
    if len({c.casefold() for c in choices}) != len(choices):
        raise ValueError(f"{what} lists a choice twice")


# --- answers ---------------------------------------------------------------------------------


class FormAnswers(BaseModel):
    """Canonical answers as the audit log keeps them: text as given (trimmed), a number as its
    decimal text, money as ``{"amount": "1500.00", "currency": "EUR"}``, a date as
    ``YYYY-MM-DD``, a choice as the form writes it, yes/no as a boolean. A question left
    unanswered is absent; a table is a list of rows, each a mapping of column id to value."""

    model_config = ConfigDict(frozen=True)

    questions: dict[str, Any] = {}
    tables: dict[str, list[dict[str, Any]]] = {}

    def answered(self) -> set[str]:
        return set(self.questions) | {t for t, rows in self.tables.items() if rows}


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool):
        return None, "is not a number"
    try:
        number = (
            Decimal(str(value).strip().replace(",", "")) if isinstance(value, str) else Decimal(str(value))
        )
    except (InvalidOperation, ValueError):
        return None, f"{str(value)[:40]!r} is not a number"
    if not number.is_finite():
        return None, "is not a finite number"
    if abs(number) > MAX_AMOUNT:
        return None, f"is beyond {MAX_AMOUNT:,}"
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_PLACES:
        return None, f"has more than {AMOUNT_PLACES} decimal places"
    return number, None


def _money(value: Any) -> tuple[dict[str, str] | None, str | None]:
    if isinstance(value, Mapping):
        amount, currency = value.get("amount"), value.get("currency")
    elif isinstance(value, str) and len(value.split()) == 2:
        amount, currency = value.split()
        if _CURRENCY.match(amount.upper()) and not _CURRENCY.match(currency.upper()):
            amount, currency = currency, amount  # "EUR 1500"
    else:
        return None, "is not an amount with its currency (e.g. 1500 EUR)"
    number, problem = _number(amount)
    if problem is not None or number is None:
        return None, f"amount {problem}"
    if number < 0:
        return None, "amount is negative"
    code = str(currency or "").strip().upper()
    if not _CURRENCY.match(code):
        return None, f"currency {str(currency)[:20]!r} is not a three-letter code (e.g. EUR)"
    return {"amount": format(number, "f"), "currency": code}, None


def _value(kind: str, choices: Sequence[str], value: Any, limit: int) -> tuple[Any, str | None]:
    """The canonical value of one answer, or why it is wrong."""
    match kind:
        case "text":
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                return None, "is not text"
            text = str(value).strip()
            problem = unstorable(text)
            if problem is not None:
                return None, f"holds {problem}"
            if len(text) > limit:
                return None, f"is longer than {limit:,} characters"
            return text, None
        case "number":
            number, problem = _number(value)
            return (format(number, "f") if number is not None else None), problem
        case "money":
            return _money(value)
        case "date":
            if isinstance(value, date):
                value = value.isoformat()
            if not isinstance(value, str):
                return None, "is not a date (YYYY-MM-DD)"
            day, problem = parse_day(value)
            return (day.isoformat() if day is not None else None), problem
        case "choice":
            text = str(value).strip() if isinstance(value, str | int) else ""
            match = next((c for c in choices if c.casefold() == text.casefold()), None)
            if match is None:
                return None, f"{text[:40]!r} is not one of {', '.join(choices)}"
            return match, None
        case "yes_no":
            if isinstance(value, bool):
                return value, None
            answer = yes_no(str(value)) if isinstance(value, str) else None
            if answer is None:
                return None, f"{str(value)[:20]!r} is not yes or no"
            return answer, None
    return None, f"has an unknown type {kind!r}"  # pragma: no cover (the form's type is checked)


def _row(table: Table, number: int, row: Any, party: str, problems: list[str]) -> dict[str, Any] | None:
    where = f"{table.id} row {number}"
    if not isinstance(row, Mapping):
        problems.append(f"{where}: is not a row of named values")
        return None
    known = {c.id for c in table.columns}
    problems += [f"{where}: {str(k)[:40]!r} is not a column of the table" for k in row if k not in known]
    values: dict[str, Any] = {}
    for column in table.columns:
        raw = row.get(column.id)
        if _blank(raw):
            if column.required:
                problems.append(f"{where}: {column.id}: required")
            continue
        value, problem = _value(column.type, column.choices, raw, MAX_CELL)
        if problem is not None:
            problems.append(f"{where}: {column.id}: {problem}")
        else:
            values[column.id] = value
    for column in table.columns:
        later, earlier = values.get(column.id), values.get(column.not_before or "")
        if later is not None and earlier is not None and later < earlier:
            problems.append(f"{where}: {column.id} ({later}) is before {column.not_before} ({earlier})")
    mapping = table.calendar
    if mapping is not None:
        for field in ("mechanism", "state", "cycle", "stage"):
            source = getattr(mapping, field)
            raw = party if source == PARTY else values.get(source)
            if source != PARTY and source not in values and not _blank(row.get(source)):
                continue  # its own problem is reported already
            problem = name_cell_problem(str(raw or ""), source if source != PARTY else field)
            if problem is not None:
                problems.append(f"{where}: {problem}")
        start, end = values.get(mapping.start), values.get(mapping.end)
        for name, value in ((mapping.start, start), (mapping.end, end)):
            if value is None and not _blank(row.get(name)):
                continue
            if value is None:
                problems.append(f"{where}: {name}: required (a stage of the review calendar)")
        if (
            start is not None
            and end is not None
            and end < start
            and table.column(mapping.end).not_before != mapping.start
        ):
            problems.append(f"{where}: {mapping.end} ({end}) is before {mapping.start} ({start})")
    return values


def validate_answers(form: Form, raw: Mapping[str, Any] | FormAnswers, party: str = "") -> FormAnswers:
    """The canonical answers ``raw`` gives (question and table ids to values; a table's value a
    list of rows), for the answering ``party``.

    Raises:
        AnswersInvalid: every bad field, named: a required question unanswered, a value of
            the wrong type, a choice not offered, a date before the one it follows, a row of a
            calendar table that names no State or has its end before its start, an unknown id.
    """
    if isinstance(raw, FormAnswers):
        raw = {**raw.questions, **raw.tables}
    problems: list[str] = []
    known = {q.id for q in form.questions} | {t.id for t in form.tables}
    problems += [f"{key}: not a question or table of this form" for key in raw if key not in known]
    questions: dict[str, Any] = {}
    for question in form.questions:
        value = raw.get(question.id)
        if _blank(value):
            if question.required:
                problems.append(f"{question.id}: required")
            continue
        canonical, problem = _value(question.type, question.choices, value, MAX_TEXT)
        if problem is not None:
            problems.append(f"{question.id}: {problem}")
        else:
            questions[question.id] = canonical
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in form.tables:
        rows = raw.get(table.id)
        if rows is None or rows == []:
            if table.required:
                problems.append(f"{table.id}: required (at least one row)")
            continue
        if not isinstance(rows, list):
            problems.append(f"{table.id}: is not a list of rows")
            continue
        if len(rows) > MAX_ROWS:
            problems.append(f"{table.id}: {len(rows):,} rows, more than {MAX_ROWS:,}")
            continue
        kept = [_row(table, n, row, party, problems) for n, row in enumerate(rows, start=1)]
        tables[table.id] = [r for r in kept if r]
    if problems:
        raise AnswersInvalid(problems)
    return FormAnswers(questions=questions, tables=tables)


def unanswered(form: Form, answers: FormAnswers | None) -> list[tuple[str, str, bool]]:
    """``(id, label, required)`` of each question or table the answers leave empty (all of
    them when there are none)."""
    given = answers.answered() if answers is not None else set()
    return [field for field in form.field_labels() if field[0] not in given]


def summary(form: Form, answers: FormAnswers) -> str:
    """One line on what answers hold, for the response's text when a party sent only answers."""
    parts = (
        [f"{len(answers.questions)} of {len(form.questions)} questions answered"] if form.questions else []
    )
    parts += [f"{t.label}: {len(answers.tables.get(t.id, []))} rows" for t in form.tables]
    return "Answers to the questionnaire: " + "; ".join(parts) + "."


def table_rows_from_csv(table: Table, data: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of a table from a CSV file whose header names its columns (by id or label,
    in any case and order); blank lines skipped.

    Raises:
        AnswersInvalid: the file is not UTF-8 CSV, or its header names a column the table lacks.
    """
    try:
        records = list(csv_records(decode_text(data, filename), filename))
    except ReviewsInvalid as exc:
        raise AnswersInvalid(exc.problems) from None
    if not records:
        raise AnswersInvalid([f"{filename}: the file is empty; it needs a header naming the columns"])
    names = {c.id.casefold(): c.id for c in table.columns} | {
        tidy(c.label).casefold(): c.id for c in table.columns
    }
    (header_line, header), *rows = records
    columns = [names.get(tidy(cell).casefold()) for cell in header]
    problems = [
        f"{filename}: line {header_line}: {tidy(cell)!r} is not a column of {table.id} "
        f"({', '.join(c.id for c in table.columns)})"
        for cell, column in zip(header, columns, strict=True)
        if column is None
    ]
    if len(rows) > MAX_ROWS:
        problems.append(f"{filename}: {len(rows):,} rows, more than {MAX_ROWS:,} for one table")
    if problems:
        raise AnswersInvalid(problems)
    out: list[dict[str, str]] = []
    for line, cells in rows:
        if len(cells) > len(columns):
            problems.append(f"{filename}: line {line}: {len(cells)} fields, the header has {len(columns)}")
            continue
        out.append({c: v for c, v in zip(columns, cells, strict=False) if c is not None and v.strip()})
    if problems:
        raise AnswersInvalid(problems)
    return out
