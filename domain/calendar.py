"""The review calendar as a fold of the audit log: one fold for the read model, the report
and the import's comparison alike.

Three kinds of record make it:

- the calendar's own events (``domain.reviews``: a stage scheduled, changed or withdrawn by
  an import), in the stream ``REVIEW_STREAM``;
- a mandate's start whose plan has a form feeding the synergies work (a table mapped to the
  calendar, a money question that is the cost of a review): the fold remembers the form;
- a party's answer to such a form (``ResponseReceived`` with ``answers``): each row of a
  calendar table becomes a stage (its source: that party's answer to that step), and each
  review cost a cost. A later answer of the same party to the same step (a revision)
  replaces what its earlier one gave.

A stage is one per key (mechanism, State, cycle, stage, spelling aside): the latest record
that names it wins. Each name is shown as the calendar first recorded it (or as its alias
table writes it), so that one State is one row. Every stage and cost keeps the audit
positions it comes from.

Pure: records in (any object with position, stream id, type, time and payload), state out.
The projection (``projections.reviews``) takes the parts a batch touches out of its tables,
folds with ``ReviewCalendar`` and writes them back, as the mandates' projection does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.forms import PARTY, Form, FormAnswers, Table
from domain.reviews import (
    REVIEW_EVENT_TYPES,
    Review,
    ReviewChanged,
    ReviewWithdrawn,
    Stage,
    mechanism_name,
    name_key,
    review_event_of,
    state_name,
    tidy,
)
from domain.values import RECORDED

RESPONSE = "ResponseReceived"
STARTED = "MandateStarted"
CALENDAR_RECORD_TYPES = frozenset({*REVIEW_EVENT_TYPES, RESPONSE, STARTED})
"""The types of record the calendar reads (of those, a start only with a form, an answer only
with answers)."""


def answer_source(mandate_id: str, step_id: str, party: str) -> str:
    """The source of what one party's answer to one step gives the calendar."""
    return f"answer:{mandate_id}:{step_id}:{party}"


class CostAnswer(BaseModel):
    """The cost of one country review of a mechanism, as a party answered it."""

    model_config = ConfigDict(frozen=True)

    mechanism: str
    amount: Decimal
    currency: str
    party: str
    mandate_id: str
    step_id: str
    question: str
    confidential: bool = False
    source: str
    ref: int | None = None


# --- what a record holds, for the calendar ----------------------------------------------------


@dataclass(frozen=True)
class FormsStarted:
    """A mandate's start: the forms of its steps that feed the calendar or the costs."""

    mandate_id: str
    forms: dict[str, Form]


@dataclass(frozen=True)
class Answered:
    """A party's answers to a step's form."""

    mandate_id: str
    step_id: str
    party: str
    answers: FormAnswers
    confidential: bool

    @property
    def source(self) -> str:
        return answer_source(self.mandate_id, self.step_id, self.party)


@dataclass(frozen=True)
class Read:
    """A record as the calendar reads it."""

    position: int
    at: datetime
    what: Any  # a calendar event, FormsStarted or Answered


def _payload(payload: Mapping[str, Any] | str) -> Mapping[str, Any]:
    return json.loads(payload) if isinstance(payload, str) else payload


def read_record(
    position: int, stream_id: str, event_type: str, occurred_at: datetime, payload: Mapping[str, Any] | str
) -> Read | None:
    """What a record gives the calendar, or None (a record it does not read, a start without
    a form that feeds it, an answer without answers).

    Raises:
        pydantic.ValidationError: a calendar event or a form or answers that do not fit.
    """
    if event_type not in CALENDAR_RECORD_TYPES:
        return None
    data = _payload(payload)
    if event_type in REVIEW_EVENT_TYPES:
        return Read(position, occurred_at, review_event_of(event_type, data))
    if event_type == STARTED:
        mandate = data.get("mandate") if isinstance(data.get("mandate"), dict) else {}
        steps = (mandate.get("plan") or {}).get("steps") or []
        forms = {
            str(step.get("id")): Form.model_validate(step["form"], context=RECORDED)
            for step in steps
            if isinstance(step, dict) and isinstance(step.get("form"), dict)
        }
        feeding = {step_id: form for step_id, form in forms.items() if form.feeds_synergies}
        if not feeding:
            return None
        return Read(position, occurred_at, FormsStarted(str(mandate.get("id") or stream_id), feeding))
    answers = data.get("answers")
    if not isinstance(answers, dict):
        return None
    return Read(
        position,
        occurred_at,
        Answered(
            mandate_id=stream_id,
            step_id=str(data.get("step_id", "")),
            party=str(data.get("party", "")),
            answers=FormAnswers.model_validate(answers),
            confidential=bool(data.get("confidential")),
        ),
    )


# --- what answers give --------------------------------------------------------------------------


def _note(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return f"{value.get('amount', '')} {value.get('currency', '')}".strip()
    return str(value)


def _stage_of_row(table: Table, row: Mapping[str, Any], party: str, confidential: bool) -> Review | None:
    mapping = table.calendar
    assert mapping is not None

    def field_value(source: str) -> Any:
        return party if source == PARTY else row.get(source)

    names = [field_value(getattr(mapping, f)) for f in ("mechanism", "state", "cycle", "stage")]
    start, end = row.get(mapping.start), row.get(mapping.end)
    if (
        not all(isinstance(n, str) and tidy(n) for n in names)
        or not isinstance(start, str)
        or not isinstance(end, str)
    ):
        return None  # (answers are validated before they are recorded; a row lacking a field gives nothing)
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        return None
    if last < first:
        return None
    used = {
        getattr(mapping, f) for f in ("mechanism", "state", "cycle", "stage", "start", "end", "confidential")
    }
    notes = {
        column.label: _note(row[column.id])
        for column in table.columns
        if column.id not in used and column.id in row
    }
    marked = row.get(mapping.confidential) is True if mapping.confidential else False
    return Review(
        mechanism=mechanism_name(names[0]),
        state=state_name(names[1]),
        cycle=tidy(names[2]),
        stage=tidy(names[3]),
        start=first,
        end=last,
        confidential=confidential or marked,
        notes=notes,
    )


def answer_reviews(form: Form, answered: Answered) -> list[Review]:
    """The stages of the calendar the rows of an answer's calendar tables give."""
    reviews = []
    for table in form.tables:
        if table.calendar is None:
            continue
        for row in answered.answers.tables.get(table.id, []):
            review = _stage_of_row(table, row, answered.party, answered.confidential)
            if review is not None:
                reviews.append(review)
    return reviews


def answer_costs(form: Form, answered: Answered, ref: int | None) -> list[CostAnswer]:
    """The review costs an answer gives (a money question marked as the cost of a review)."""
    costs = []
    for question in form.questions:
        value = answered.answers.questions.get(question.id)
        if question.review_cost is None or not isinstance(value, dict):
            continue
        named = (
            answered.party
            if question.review_cost == PARTY
            else answered.answers.questions.get(question.review_cost)
        )
        if not isinstance(named, str) or not tidy(named):
            continue
        try:
            amount = Decimal(str(value.get("amount")))
        except ArithmeticError:
            continue
        costs.append(
            CostAnswer(
                mechanism=mechanism_name(named),
                amount=amount,
                currency=str(value.get("currency", "")),
                party=answered.party,
                mandate_id=answered.mandate_id,
                step_id=answered.step_id,
                question=question.id,
                confidential=answered.confidential,
                source=answered.source,
                ref=ref,
            )
        )
    return costs


# --- the fold -------------------------------------------------------------------------------------


def mechanism_name_key(name: str) -> str:
    return "m:" + name_key(mechanism_name(name))


def state_name_key(name: str) -> str:
    return "s:" + name_key(state_name(name))


@dataclass
class ReviewCalendar:
    """The calendar's stages by key, the names as first recorded, the forms that feed it
    (by mandate and step) and the costs answered (by source).

    A projection holds only the part a batch touches (``touched``); the report and the import
    fold the whole log."""

    stages: dict[str, Stage] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    forms: dict[tuple[str, str], Form] = field(default_factory=dict)
    costs: dict[str, list[CostAnswer]] = field(default_factory=dict)
    new_forms: set[tuple[str, str]] = field(default_factory=set)
    new_names: set[str] = field(default_factory=set)

    def _name(self, key: str, display: str) -> str:
        if key not in self.names:
            self.names[key] = display
            self.new_names.add(key)
        return self.names[key]

    def _stage(self, review: Review, source: str, refs: tuple[int, ...]) -> Stage:
        return Stage(
            key=review.key,
            mechanism=self._name(mechanism_name_key(review.mechanism), review.mechanism),
            state=self._name(state_name_key(review.state), review.state),
            cycle=review.cycle,
            stage=review.stage,
            start=review.start,
            end=review.end,
            confidential=review.confidential,
            notes=dict(review.notes),
            source=source,
            refs=refs,
        )

    def form_of(self, answered: Answered) -> Form | None:
        return self.forms.get((answered.mandate_id, answered.step_id))

    def apply(self, read: Read) -> None:
        """Fold one record the calendar reads (``read_record``)."""
        what, position = read.what, read.position
        if isinstance(what, FormsStarted):
            for step_id, form in what.forms.items():
                self.forms[(what.mandate_id, step_id)] = form
                self.new_forms.add((what.mandate_id, step_id))
        elif isinstance(what, Answered):
            form = self.form_of(what)
            if form is None:
                return
            for key in [k for k, s in self.stages.items() if s.source == what.source]:
                del self.stages[key]
            for review in answer_reviews(form, what):
                self.stages[review.key] = self._stage(review, what.source, (position,))
            self.costs[what.source] = answer_costs(form, what, position)
        elif isinstance(what, ReviewWithdrawn):
            self.stages.pop(what.review.key, None)
        else:
            held = self.stages.get(what.review.key)
            first = held.refs[:1] if isinstance(what, ReviewChanged) and held is not None else ()
            self.stages[what.review.key] = self._stage(
                what.review, "import", tuple(dict.fromkeys((*first, position)))
            )

    def fold(self, records: Iterable[Any]) -> ReviewCalendar:
        """Fold audit records (objects with ``position``, ``stream_id``, ``type``,
        ``occurred_at`` and ``payload``) in the order of their positions."""
        for record in sorted(records, key=lambda r: r.position):
            read = read_record(
                record.position, record.stream_id, record.type, record.occurred_at, record.payload
            )
            if read is not None:
                self.apply(read)
        return self

    def all_costs(self) -> list[CostAnswer]:
        return sorted(
            (c for costs in self.costs.values() for c in costs), key=lambda c: (c.ref or 0, c.question)
        )


def touched(
    reads: Iterable[Read], forms: Mapping[tuple[str, str], Form]
) -> tuple[set[str], set[str], set[str]]:
    """What a batch of records touches in the calendar: the keys of the stages, the answer
    sources and the name keys (``forms``: those of the answered steps, as far as known)."""
    keys: set[str] = set()
    sources: set[str] = set()
    names: set[str] = set()
    known = dict(forms)

    def reviews(review: Review) -> None:
        keys.add(review.key)
        names.update({mechanism_name_key(review.mechanism), state_name_key(review.state)})

    for read in reads:
        what = read.what
        if isinstance(what, FormsStarted):
            known.update({(what.mandate_id, s): f for s, f in what.forms.items()})
        elif isinstance(what, Answered):
            form = known.get((what.mandate_id, what.step_id))
            if form is not None:
                sources.add(what.source)
                for review in answer_reviews(form, what):
                    reviews(review)
        else:
            reviews(what.review)
    return keys, sources, names


class CostComparison(BaseModel):
    """What the parties answered of the cost of one country review of one mechanism, in one
    currency (amounts are not converted): how many answers, their average, lowest and highest,
    who answered (parties of a confidential consultation are not named) and where the log
    says so."""

    model_config = ConfigDict(frozen=True)

    mechanism: str
    currency: str
    answers: int
    average: Decimal
    lowest: Decimal
    highest: Decimal
    sources: list[str]
    confidential: int = 0
    refs: tuple[int, ...] = ()


CENT = Decimal("0.01")


def compare_costs(costs: Iterable[CostAnswer]) -> list[CostComparison]:
    """The costs answered, per mechanism and currency, by mechanism then currency."""
    groups: dict[tuple[str, str], list[CostAnswer]] = {}
    for cost in costs:
        groups.setdefault((name_key(cost.mechanism), cost.currency), []).append(cost)
    rows = []
    for (_, currency), group in groups.items():
        amounts = [c.amount for c in group]
        rows.append(
            CostComparison(
                mechanism=group[0].mechanism,
                currency=currency,
                answers=len(group),
                average=(sum(amounts, Decimal(0)) / len(amounts)).quantize(CENT, rounding=ROUND_HALF_EVEN),
                lowest=min(amounts),
                highest=max(amounts),
                sources=sorted({c.party for c in group if not c.confidential}),
                confidential=sum(1 for c in group if c.confidential),
                refs=tuple(sorted({c.ref for c in group if c.ref is not None})),
            )
        )
    return sorted(rows, key=lambda r: (name_key(r.mechanism), r.currency))


def unreadable(exc: ValidationError) -> str:
    """Where a record does not fit (for a one-line error)."""
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]) or "its payload"
