"""Rebuilding the read models: the log folded in memory, every row written once with COPY.

``read_models.apply_event`` applies one event with one statement. That suits the live
projector, which applies a few events at a time in the transaction that moves its
checkpoint; but a rebuild made of it waits for a round trip per event (about 3,000
events a second, BENCHMARKS.md). A rebuild starts from empty tables and replays the
whole log in order, so here each mandate's rows are kept in memory as plain objects,
changed as each event's statement in read_models.py would change them, and written
with COPY.

``ReadModelFold`` follows those statements one for one (each function below names its
statement). tests/projections/test_rebuild.py holds the two to the same rows, column
by column, on logs with every event type, followed paragraphs, other streams and
unknown event types. Events are read from their payload's text (``EVENT_READERS``),
which gives the events ``apply_event`` reads, in half the time; the next page of the
log is read while the current one is folded.

Memory is bounded: at most ``hold`` mandates' rows are kept. Beyond that, the rows
held are written and dropped, and an event that later touches one of those mandates
first takes its rows back out of the tables (``DELETE ... RETURNING``) to be written
again with the rest. All of it happens inside the rebuild's one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import decimal
import json
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

import asyncpg
from pydantic import BaseModel, ValidationError

from domain import events as ev
from domain.progress_report import FOLLOWED, read_followed
from projections.read_models import ProjectionInconsistent, plan_step_columns

PAGE_SIZE = 5_000
"""Events read per statement."""

HOLD_MANDATES = 20_000
"""Mandates whose rows are kept in memory before they are written out: about 140 MB for
mandates like the benchmark's (16 rows each)."""

_PAGE = """
SELECT position, stream_id, version, event_type, occurred_at, payload::text
FROM audit_events WHERE position > $1 ORDER BY position LIMIT $2
"""

_EXACT = decimal.Context(prec=decimal.MAX_PREC)
"""Sums of ``numeric`` values: exact, as in Postgres (the default context rounds to 28 digits)."""


# --- the rows, one class per table (columns in the table's order) -------------


@dataclass(slots=True)
class MandateRow:
    mandate_id: str
    resolution_slug: str
    resolution_symbol: str
    paragraph: int
    verb: str
    actor: str
    kinds: list[str]
    confidential: bool
    reports_to: str | None
    report_due: date | None
    coordinator: str | None
    title: str
    paragraph_text: str | None
    status: str
    current_step: str | None
    version: int
    effort_days: Decimal
    started_at: datetime | None
    ended_at: datetime | None
    withdrawal_reason: str | None
    first_position: int
    last_position: int
    last_event_at: datetime


@dataclass(slots=True, kw_only=True)
class StepRow:
    mandate_id: str
    step_id: str
    ordinal: int
    type: str
    title: str
    assignee: str | None
    body: str | None
    approvers: list[str]
    rule: str | None
    status: str = "pending"
    attempt: int = 0
    planned_due: datetime
    deadline: datetime | None = None
    deadline_set_at: datetime | None = None
    extensions: int = 0
    reminders_sent: list[int] = field(default_factory=list)
    overdue: bool = False
    escalations: int = 0
    closes_at: datetime | None = None
    confidential: bool = False
    closed_reason: str | None = None
    rejections: int = 0
    rework_comment: str | None = None
    outcome: str | None = None
    completed_at: datetime | None = None


@dataclass(slots=True)
class PartyRow:
    mandate_id: str
    step_id: str
    party: str
    ordinal: int
    status: str
    answered_at: datetime | None = None
    answered_position: int | None = None
    non_respondent: bool = False


@dataclass(slots=True)
class ApprovalRow:
    mandate_id: str
    step_id: str
    approver: str
    ordinal: int
    comment: str
    approved_at: datetime
    position: int


@dataclass(slots=True)
class DeadlineRow:
    mandate_id: str
    step_id: str
    set_position: int
    attempt: int
    deadline: datetime
    set_at: datetime
    previous: datetime | None = None
    reason: str | None = None
    set_by: str | None = None
    status: str = "open"
    overdue: bool = False
    closed_at: datetime | None = None
    closed_position: int | None = None


@dataclass(slots=True)
class CostRow:
    position: int
    mandate_id: str
    step_id: str
    occurred_at: datetime
    done_by: str
    effort_days: Decimal
    cost: Decimal
    currency: str


ROW_CLASSES: dict[str, type] = {
    "rm_mandates": MandateRow,
    "rm_steps": StepRow,
    "rm_consultation_parties": PartyRow,
    "rm_approvals": ApprovalRow,
    "rm_deadlines": DeadlineRow,
    "rm_costs": CostRow,
}
"""Each read-model table and the class of its rows (tests check the columns match)."""


def columns(row_class: type) -> list[str]:
    return [f.name for f in fields(row_class)]


@dataclass(slots=True)
class MandateRows:
    """Every read-model row of one mandate."""

    mandate: MandateRow
    steps: dict[str, StepRow] = field(default_factory=dict)
    parties: dict[str, dict[str, PartyRow]] = field(default_factory=dict)  # step -> party -> row
    approvals: dict[str, dict[str, ApprovalRow]] = field(default_factory=dict)  # step -> approver -> row
    deadlines: list[DeadlineRow] = field(default_factory=list)
    costs: list[CostRow] = field(default_factory=list)

    def open_deadlines(self, step_id: str | None = None) -> Iterable[DeadlineRow]:
        return (d for d in self.deadlines if d.status == "open" and (step_id is None or d.step_id == step_id))

    def close_deadline(self, step_id: str, at: datetime, position: int) -> None:
        """``_CLOSE_DEADLINE``: the step's open deadline is met, or missed if overdue or late."""
        for deadline in self.open_deadlines(step_id):
            deadline.status = "missed" if deadline.overdue or at > deadline.deadline else "met"
            deadline.closed_at = at
            deadline.closed_position = position


# --- the statements, one function each ------------------------------------------


def _step_started(rows: MandateRows, event: ev.StepStarted, position: int, at: datetime) -> None:
    """``_STEP_STARTED``: the step runs with a new open deadline; its approvals go."""
    mandate = rows.mandate
    mandate_id = mandate.mandate_id
    step = rows.steps.get(event.step_id)
    mandate.current_step = event.step_id
    if step is not None:
        step.status = "active"
        step.attempt = event.attempt
        step.deadline = event.deadline
        step.deadline_set_at = at
        step.reminders_sent = []
        step.overdue = False
        step.escalations = 0
        step.outcome = None
        step.completed_at = None
    rows.approvals.pop(event.step_id, None)
    rows.deadlines.append(DeadlineRow(mandate_id, event.step_id, position, event.attempt, event.deadline, at))


def _consultation_opened(
    rows: MandateRows, event: ev.ConsultationOpened, position: int, at: datetime
) -> None:
    """``_CONSULTATION_OPENED``: the parties consulted now await an answer; others go."""
    mandate_id = rows.mandate.mandate_id
    step = rows.steps.get(event.step_id)
    if step is not None:
        step.closes_at = event.closes_at
        step.confidential = event.confidential
        step.closed_reason = None
    if len(set(event.parties)) != len(event.parties):
        # ON CONFLICT DO UPDATE cannot change one row twice in a statement
        raise ProjectionInconsistent(f"event #{position} consults a party twice")
    before = rows.parties.get(event.step_id, {})
    parties = {}
    for ordinal, name in enumerate(event.parties, start=1):
        party = before.get(name)
        if party is None:
            party = PartyRow(mandate_id, event.step_id, name, ordinal, "awaiting")
        else:
            party.ordinal = ordinal
            party.status = "awaiting"
            party.answered_at = None
            party.answered_position = None
            party.non_respondent = False
        parties[name] = party
    rows.parties[event.step_id] = parties  # parties no longer consulted are deleted


def _response_received(rows: MandateRows, event: ev.ResponseReceived, position: int, at: datetime) -> None:
    """``_RESPONSE_RECEIVED``: the party has answered (a party not consulted is added)."""
    mandate_id = rows.mandate.mandate_id
    parties = rows.parties.setdefault(event.step_id, {})
    party = parties.get(event.party)
    if party is None:
        ordinal = len(parties) + 1
        parties[event.party] = PartyRow(
            mandate_id, event.step_id, event.party, ordinal, "answered", at, position
        )
    else:
        party.status = "answered"
        party.answered_at = at
        party.answered_position = position


def _reminder_due(rows: MandateRows, event: ev.ReminderDue, position: int, at: datetime) -> None:
    """``_REMINDER_DUE``: one more reminder sent for the step's deadline."""
    step = rows.steps.get(event.step_id)
    if step is not None:
        step.reminders_sent.append(event.days_before)


def _deadline_extended(rows: MandateRows, event: ev.DeadlineExtended, position: int, at: datetime) -> None:
    """``_DEADLINE_EXTENDED``: the open deadline is extended by a new open one."""
    mandate_id = rows.mandate.mandate_id
    step = rows.steps.get(event.step_id)
    attempt = step.attempt if step is not None else 0
    if step is not None:
        step.deadline = event.until
        step.deadline_set_at = at
        step.extensions += 1
        step.reminders_sent = []
        step.overdue = False
        step.escalations = 0
        if event.closes_at is not None:
            step.closes_at = event.closes_at
    for deadline in rows.open_deadlines(event.step_id):
        deadline.status = "extended"
        deadline.closed_at = at
        deadline.closed_position = position
    rows.deadlines.append(
        DeadlineRow(
            mandate_id, event.step_id, position, attempt, event.until, at,
            event.previous, event.reason, event.by,
        )
    )  # fmt: skip


def _step_overdue(rows: MandateRows, event: ev.StepOverdue, position: int, at: datetime) -> None:
    """``_STEP_OVERDUE``: the step and its open deadline are overdue."""
    step = rows.steps.get(event.step_id)
    if step is not None:
        step.overdue = True
    for deadline in rows.open_deadlines(event.step_id):
        deadline.overdue = True


def _escalated(rows: MandateRows, event: ev.Escalated, position: int, at: datetime) -> None:
    """``_ESCALATED``: the step's escalation count."""
    step = rows.steps.get(event.step_id)
    if step is not None:
        step.escalations = event.escalation


def _approval_requested(rows: MandateRows, event: ev.ApprovalRequested, position: int, at: datetime) -> None:
    """``_APPROVAL_REQUESTED``: who approves, by which rule; earlier approvals go."""
    step = rows.steps.get(event.step_id)
    if step is not None:
        step.approvers = list(event.approvers)
        step.rule = event.rule
    rows.approvals.pop(event.step_id, None)


def _approved(rows: MandateRows, event: ev.Approved, position: int, at: datetime) -> None:
    """``_APPROVED``: one more approval of the step."""
    mandate_id = rows.mandate.mandate_id
    approvals = rows.approvals.setdefault(event.step_id, {})
    if event.by in approvals:  # the INSERT fails on the primary key
        raise ProjectionInconsistent(f"event #{position}: {event.by} approved twice")
    ordinal = len(approvals) + 1
    approvals[event.by] = ApprovalRow(
        mandate_id, event.step_id, event.by, ordinal, event.comment, at, position
    )


def _rejected(rows: MandateRows, event: ev.Rejected, position: int, at: datetime) -> None:
    """``_REJECTED``: the steps from ``go_to`` to the rejected one are pending again."""
    mandate = rows.mandate
    step = rows.steps.get(event.step_id)
    mandate.current_step = None
    low = rows.steps[event.go_to].ordinal if event.go_to in rows.steps else None
    high = step.ordinal if step is not None else None
    for s in rows.steps.values():
        if low is not None and high is not None and low <= s.ordinal <= high:
            s.status = "pending"
        if s.step_id == event.step_id:
            s.rejections += 1
        if s.step_id == event.go_to:
            s.rework_comment = event.comment
    rows.close_deadline(event.step_id, at, position)


def _task_completed(rows: MandateRows, event: ev.TaskCompleted, position: int, at: datetime) -> None:
    """``_TASK_COMPLETED``: the outcome, and the effort and cost it took."""
    mandate = rows.mandate
    mandate_id = mandate.mandate_id
    step = rows.steps.get(event.step_id)
    mandate.effort_days = _EXACT.add(mandate.effort_days, event.effort_days)
    if step is not None:
        step.outcome = event.outcome
    rows.costs.append(
        CostRow(
            position, mandate_id, event.step_id, at, event.by, event.effort_days, event.cost,
            event.currency,
        )
    )  # fmt: skip


def _step_completed(rows: MandateRows, event: ev.StepCompleted, position: int, at: datetime) -> None:
    """``_STEP_COMPLETED``: the step is completed and its open deadline closed."""
    mandate = rows.mandate
    step = rows.steps.get(event.step_id)
    mandate.current_step = None
    if step is not None:
        step.status = "completed"
        step.completed_at = at
        if event.outcome != "":
            step.outcome = event.outcome
    rows.close_deadline(event.step_id, at, position)


def _consultation_closed(
    rows: MandateRows, event: ev.ConsultationClosed, position: int, at: datetime
) -> None:
    """``_CONSULTATION_CLOSED``: why it closed, and who did not answer."""
    step = rows.steps.get(event.step_id)
    if step is not None:
        step.closed_reason = event.reason
    non_respondents = set(event.non_respondents)
    for party in rows.parties.get(event.step_id, {}).values():
        party.non_respondent = party.party in non_respondents


def _mandate_completed(rows: MandateRows, event: ev.MandateCompleted, position: int, at: datetime) -> None:
    """``_MANDATE_COMPLETED``."""
    mandate = rows.mandate
    mandate.status = "completed"
    mandate.ended_at = at


def _mandate_withdrawn(rows: MandateRows, event: ev.MandateWithdrawn, position: int, at: datetime) -> None:
    """``_MANDATE_WITHDRAWN``: the mandate ends and its open deadlines are cancelled."""
    mandate = rows.mandate
    mandate.status = "withdrawn"
    mandate.ended_at = at
    mandate.withdrawal_reason = event.reason
    for deadline in rows.open_deadlines():
        deadline.status = "cancelled"
        deadline.closed_at = at
        deadline.closed_position = position


_CHANGES: dict[type, Callable[[MandateRows, Any, int, datetime], None]] = {
    ev.StepStarted: _step_started,
    ev.ConsultationOpened: _consultation_opened,
    ev.ResponseReceived: _response_received,
    ev.ReminderDue: _reminder_due,
    ev.DeadlineExtended: _deadline_extended,
    ev.StepOverdue: _step_overdue,
    ev.Escalated: _escalated,
    ev.ApprovalRequested: _approval_requested,
    ev.Approved: _approved,
    ev.Rejected: _rejected,
    ev.TaskCompleted: _task_completed,
    ev.StepCompleted: _step_completed,
    ev.ConsultationClosed: _consultation_closed,
    ev.MandateCompleted: _mandate_completed,
    ev.MandateWithdrawn: _mandate_withdrawn,
}
"""What each event's statement in read_models.py does besides ``_bump``, by event class."""


# --- reading an event from its payload -----------------------------------------


def _holds_decimal(annotation: Any, seen: set[type] | None = None) -> bool:
    """Whether a field annotation (or a model's fields, at any depth) holds a Decimal."""
    seen = set() if seen is None else seen
    if annotation is Decimal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        return any(_holds_decimal(f.annotation, seen) for f in annotation.model_fields.values())
    return any(_holds_decimal(arg, seen) for arg in typing.get_args(annotation))


def _reader(event_class: type[BaseModel]) -> Callable[[str], Any]:
    """How the rebuild reads events of one class from their payload's JSON text.

    ``apply_event`` gets its event from ``ev.from_payload(type, payload)``, the payload
    parsed by ``json.loads``. Validating the text itself (``model_validate_json``) gives
    the same event at half the cost, with one exception among the field types: a Decimal
    written as a JSON number (``json.loads`` makes it a float first, so ``1e2`` becomes
    ``Decimal('100.0')``, not ``Decimal('100')``). Classes with a Decimal anywhere are read
    the way ``apply_event`` reads them; so is any payload the direct way refuses (such as
    one holding its own ``type``), which then fails, or not, as it fails there.
    """
    event_type = event_class.model_fields["type"].default

    def as_apply_event_reads(payload_text: str) -> Any:
        return ev.from_payload(event_type, json.loads(payload_text))

    if _holds_decimal(event_class):
        return as_apply_event_reads

    def directly(payload_text: str) -> Any:
        try:
            return event_class.model_validate_json(payload_text)
        except ValidationError:
            return as_apply_event_reads(payload_text)

    return directly


EVENT_READERS: dict[str, Callable[[str], Any]] = {
    event_class.model_fields["type"].default: _reader(event_class)
    for event_class in (ev.MandateStarted, *_CHANGES)
}
"""The reader of each domain event type (``DOMAIN_EVENT_TYPES``)."""


# --- the fold -----------------------------------------------------------------


class ReadModelFold:
    """The read models of the events applied so far, as rows in memory (and rows written)."""

    def __init__(self) -> None:
        self.held: dict[str, MandateRows] = {}
        self.written: set[str] = set()  # mandates whose rows are in the tables and not held

    @staticmethod
    def target(stream_id: str, event_type: str, payload_text: str) -> str:
        """The mandate whose rows an event changes, if any: its stream's, or the followed
        paragraph's (whose payload may name another id)."""
        if event_type == FOLLOWED:
            return read_followed(stream_id, json.loads(payload_text)).mandate_id
        return stream_id

    def apply(
        self,
        position: int,
        stream_id: str,
        version: int,
        event_type: str,
        occurred_at: datetime,
        payload_text: str,
    ) -> bool:
        """Apply one event as ``read_models.apply_event`` would; False for an ignored one."""
        if event_type == FOLLOWED:
            self._followed(position, stream_id, version, occurred_at, json.loads(payload_text))
            return True
        read = EVENT_READERS.get(event_type)
        event = read(payload_text) if read is not None else None  # None: a type no statement knows
        if type(event) is ev.MandateStarted:
            self._started(position, stream_id, version, occurred_at, event)
            return True
        rows = self.held.get(stream_id)
        if rows is None:
            return False  # not a mandate's stream (or its start is not in the log)
        mandate = rows.mandate
        if mandate.version != version - 1:
            raise ProjectionInconsistent(
                f"event #{position} is version {version} of {stream_id}, "
                f"but the read model holds version {mandate.version}"
            )
        # ``_bump``: the mandate row moves to the event's version
        mandate.version = version
        mandate.last_position = position
        mandate.last_event_at = occurred_at
        if event is not None:
            _CHANGES[type(event)](rows, event, position, occurred_at)
        return True

    def _followed(
        self, position: int, stream_id: str, version: int, at: datetime, payload: dict[str, Any]
    ) -> None:
        """``_MANDATE_FOLLOWED``: insert the paragraph's row, or set the columns its
        ``ON CONFLICT ... DO UPDATE`` sets."""
        f = read_followed(stream_id, payload)
        values = {
            "resolution_slug": f.resolution_slug,
            "resolution_symbol": f.resolution_symbol,
            "paragraph": f.paragraph,
            "verb": f.verb,
            "actor": f.actor,
            "kinds": list(f.kinds),
            "reports_to": f.reports_to,
            "paragraph_text": f.text,
            "status": "followed",
            "version": version,
            "last_position": position,
            "last_event_at": at,
        }
        rows = self.held.get(f.mandate_id)
        if rows is not None:
            _set(rows.mandate, values)
            return
        self.held[f.mandate_id] = MandateRows(
            MandateRow(
                mandate_id=f.mandate_id,
                confidential=False,
                report_due=None,
                coordinator=None,
                title="",
                current_step=None,
                effort_days=Decimal(0),
                started_at=None,
                ended_at=None,
                withdrawal_reason=None,
                first_position=position,
                **values,
            )
        )

    def _started(
        self, position: int, stream_id: str, version: int, at: datetime, event: ev.MandateStarted
    ) -> None:
        """``_MANDATE_STARTED``: insert the mandate's row (or set the columns its
        ``ON CONFLICT ... DO UPDATE`` sets), and insert its steps."""
        mandate = event.mandate
        steps = [StepRow(mandate_id=stream_id, **step) for step in plan_step_columns(mandate, event.at)]
        values = {
            "resolution_slug": mandate.resolution_slug,
            "resolution_symbol": mandate.resolution_symbol,
            "paragraph": mandate.paragraph,
            "verb": mandate.verb,
            "actor": mandate.actor.value,
            "kinds": [k.value for k in mandate.kinds],
            "confidential": mandate.confidential,
            "reports_to": mandate.reports_to,
            "report_due": mandate.report_due,
            "coordinator": mandate.coordinator,
            "title": mandate.title,
            "status": "active",
            "current_step": None,
            "version": version,
            "started_at": at,
            "last_position": position,
            "last_event_at": at,
        }
        rows = self.held.get(stream_id)
        if rows is None:
            rows = self.held[stream_id] = MandateRows(
                MandateRow(
                    mandate_id=stream_id,
                    paragraph_text=None,
                    effort_days=Decimal(0),
                    ended_at=None,
                    withdrawal_reason=None,
                    first_position=position,
                    **values,
                )
            )
        else:
            taken = [s.step_id for s in steps if s.step_id in rows.steps]
            if taken:  # the statement's INSERT INTO rm_steps fails on its primary key
                raise ProjectionInconsistent(
                    f"event #{position} starts {stream_id} again, but its steps {taken} are in the read model"
                )
            _set(rows.mandate, values)
        for step in steps:
            rows.steps[step.step_id] = step

    # --- rows in and out of the tables ---------------------------------------

    def records(self) -> dict[str, Iterable[tuple[Any, ...]]]:
        """The rows held, table by table, as tuples in column order."""
        held = list(self.held.values())
        rows: dict[str, Iterable[Any]] = {
            "rm_mandates": (r.mandate for r in held),
            "rm_steps": (s for r in held for s in r.steps.values()),
            "rm_consultation_parties": (p for r in held for ps in r.parties.values() for p in ps.values()),
            "rm_approvals": (a for r in held for ap in r.approvals.values() for a in ap.values()),
            "rm_deadlines": (d for r in held for d in r.deadlines),
            "rm_costs": (c for r in held for c in r.costs),
        }
        return {table: map(attrgetter(*columns(ROW_CLASSES[table])), rows[table]) for table in ROW_CLASSES}

    def taken_out(self, records: dict[str, Sequence[asyncpg.Record]]) -> None:
        """Hold again the rows of mandates taken back out of the tables."""
        for record in records["rm_mandates"]:
            self.held[record["mandate_id"]] = MandateRows(MandateRow(**record))
            self.written.discard(record["mandate_id"])
        for record in sorted(records["rm_steps"], key=lambda r: r["ordinal"]):
            self.held[record["mandate_id"]].steps[record["step_id"]] = StepRow(**record)
        for record in sorted(records["rm_consultation_parties"], key=lambda r: r["ordinal"]):
            rows = self.held[record["mandate_id"]]
            rows.parties.setdefault(record["step_id"], {})[record["party"]] = PartyRow(**record)
        for record in sorted(records["rm_approvals"], key=lambda r: r["ordinal"]):
            rows = self.held[record["mandate_id"]]
            rows.approvals.setdefault(record["step_id"], {})[record["approver"]] = ApprovalRow(**record)
        for record in sorted(records["rm_deadlines"], key=lambda r: r["set_position"]):
            self.held[record["mandate_id"]].deadlines.append(DeadlineRow(**record))
        for record in sorted(records["rm_costs"], key=lambda r: r["position"]):
            self.held[record["mandate_id"]].costs.append(CostRow(**record))


def _set(row: MandateRow, values: dict[str, Any]) -> None:
    """The ``DO UPDATE SET`` of an upsert."""
    for name, value in values.items():
        setattr(row, name, value)


async def _write(conn: asyncpg.Connection, fold: ReadModelFold) -> None:
    """COPY the rows held into the tables; they are then no longer held."""
    for table, records in fold.records().items():
        await conn.copy_records_to_table(table, records=records, columns=columns(ROW_CLASSES[table]))
    fold.written.update(fold.held)
    fold.held.clear()


async def _take_out(conn: asyncpg.Connection, fold: ReadModelFold, mandate_ids: list[str]) -> None:
    """Move written rows of these mandates from the tables back into the fold."""
    records = {
        table: await conn.fetch(
            f"DELETE FROM {table} WHERE mandate_id = ANY ($1::text[]) RETURNING *", mandate_ids
        )
        for table in ROW_CLASSES
    }
    fold.taken_out(records)


async def rebuild_read_models(
    conn: asyncpg.Connection,
    *,
    page_size: int = PAGE_SIZE,
    hold: int = HOLD_MANDATES,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Replay the whole log into empty read-model tables, inside the caller's transaction.

    Returns the number of events replayed and the position of the last one (0 for an
    empty log). ``progress`` is called with the count so far after each page.

    The next page is read while the current one is folded, so Postgres and Python
    work side by side.
    """
    fold = ReadModelFold()
    replayed, position = 0, 0
    page = await conn.fetch(_PAGE, position, page_size)
    while page:
        if fold.written:
            wanted = {fold.target(row[1], row[3], row[5]) for row in page} & fold.written
            if wanted:
                await _take_out(conn, fold, sorted(wanted))
        position = page[-1][0]
        reading = asyncio.create_task(conn.fetch(_PAGE, position, page_size))
        await asyncio.sleep(0)  # let it send the query: Postgres reads the page while this one is folded
        try:
            for row in page:
                fold.apply(*row)
            replayed += len(page)
            if progress is not None:
                progress(replayed)
        except BaseException:
            with contextlib.suppress(Exception):  # the connection must be free for the rollback
                await reading
            raise
        page = await reading
        if len(fold.held) > hold:
            await _write(conn, fold)
    await _write(conn, fold)
    return replayed, position
