"""What ``mandates list`` and ``mandates show`` read: the read models, and the audit log
for a mandate's timeline (the statements are ``store.read_models``'). Nothing here needs
Temporal.

``mandate_view(pool, id)`` and ``view_of_state(state)`` give the same normalized
shape (status, current step, each step's status, deadline and overdue flag, each
party's status, approvals, effort and costs) from the read models and from a
fold of the mandate's events, so the two can be compared.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict

from domain.state import MandateState
from domain.timeline import describe_event
from store import read_models as tables

# --- the normalized view ------------------------------------------------------


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _num(value: Decimal | int | str) -> str:
    return format(Decimal(value).normalize(), "f")


def view_of_state(state: MandateState) -> dict[str, Any]:
    """The normalized view of a mandate's state (the fold of its events)."""
    return {
        "mandate_id": state.mandate_id,
        "status": state.status.value,
        "version": state.version,
        "current_step": state.current_step,
        "steps": [
            {
                "step_id": s.step_id,
                "type": s.type,
                "status": s.status.value,
                "attempt": s.attempt,
                "planned_due": _ts(s.planned_due),
                "deadline": _ts(s.deadline),
                "deadline_set_at": _ts(s.deadline_set_at),
                "extensions": s.extensions,
                "reminders_sent": list(s.reminders_sent),
                "overdue": s.overdue,
                "escalations": s.escalations,
                "parties": [[party, status.value] for party, status in s.parties.items()],
                "closes_at": _ts(s.closes_at),
                "confidential": s.confidential,
                "non_respondents": list(s.non_respondents),
                "approvals": list(s.approvals),
                "rejections": s.rejections,
                "rework_comment": s.rework_comment,
                "outcome": s.outcome,
                "completed_at": _ts(s.completed_at),
            }
            for s in state.steps.values()
        ],
        "effort_days": _num(state.effort_days),
        "costs": {currency: _num(total) for currency, total in sorted(state.costs.items())},
    }


class _Rows:
    """Every read-model row of one mandate."""

    def __init__(self, conn_rows: dict[str, Any]) -> None:
        self.mandate: asyncpg.Record = conn_rows["mandate"]
        self.steps: list[asyncpg.Record] = conn_rows["steps"]
        self.parties: dict[str, list[asyncpg.Record]] = {}
        for row in conn_rows["parties"]:
            self.parties.setdefault(row["step_id"], []).append(row)
        self.approvals: dict[str, list[asyncpg.Record]] = {}
        for row in conn_rows["approvals"]:
            self.approvals.setdefault(row["step_id"], []).append(row)
        self.deadlines: list[asyncpg.Record] = conn_rows["deadlines"]
        self.costs: list[asyncpg.Record] = conn_rows["costs"]

    def cost_totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for row in self.costs:
            if row["cost"]:  # (a cost of 0 is none: as the fold counts)
                totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + row["cost"]
        return dict(sorted(totals.items()))

    def current(self) -> asyncpg.Record | None:
        """The step under way, if the mandate is active and a step is running."""
        if self.mandate["status"] != "active" or self.mandate["current_step"] is None:
            return None
        step = next((s for s in self.steps if s["step_id"] == self.mandate["current_step"]), None)
        return step if step is not None and step["status"] == "active" else None

    def awaiting(self) -> list[str]:
        """Who the current step waits on (as ``MandateState.awaiting``)."""
        step = self.current()
        if step is None:
            return []
        if step["type"] == "consultation":
            return [p["party"] for p in self.parties.get(step["step_id"], []) if p["status"] == "awaiting"]
        if step["type"] == "approval":
            given = {a["approver"] for a in self.approvals.get(step["step_id"], [])}
            return [a for a in step["approvers"] if a not in given]
        return [step["assignee"]] if step["assignee"] else []


async def _rows(conn: asyncpg.Connection, mandate_id: str) -> _Rows | None:
    rows = await tables.mandate_rows(conn, mandate_id)
    return _Rows(rows) if rows is not None else None


def _step_view(
    s: asyncpg.Record, parties: list[asyncpg.Record], approvals: list[asyncpg.Record]
) -> dict[str, Any]:
    return {
        "step_id": s["step_id"],
        "type": s["type"],
        "status": s["status"],
        "attempt": s["attempt"],
        "planned_due": _ts(s["planned_due"]),
        "deadline": _ts(s["deadline"]),
        "deadline_set_at": _ts(s["deadline_set_at"]),
        "extensions": s["extensions"],
        "reminders_sent": list(s["reminders_sent"]),
        "overdue": s["overdue"],
        "escalations": s["escalations"],
        "parties": [[p["party"], p["status"]] for p in parties],
        "closes_at": _ts(s["closes_at"]),
        "confidential": s["confidential"],
        "non_respondents": [p["party"] for p in parties if p["non_respondent"]],
        "approvals": [a["approver"] for a in approvals],
        "rejections": s["rejections"],
        "rework_comment": s["rework_comment"],
        "outcome": s["outcome"],
        "completed_at": _ts(s["completed_at"]),
    }


def _view_of_rows(rows: _Rows) -> dict[str, Any]:
    m = rows.mandate
    return {
        "mandate_id": m["mandate_id"],
        "status": m["status"],
        "version": m["version"],
        "current_step": m["current_step"],
        "steps": [
            _step_view(s, rows.parties.get(s["step_id"], []), rows.approvals.get(s["step_id"], []))
            for s in rows.steps
        ],
        "effort_days": _num(m["effort_days"]),
        "costs": {currency: _num(total) for currency, total in rows.cost_totals().items()},
    }


async def mandate_view(pool: asyncpg.Pool, mandate_id: str) -> dict[str, Any] | None:
    """The normalized view of a mandate from the read models (None if there is none)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await _rows(conn, mandate_id)
    return _view_of_rows(rows) if rows is not None else None


# --- mandates list ------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class MandateSummary(_Out):
    """One line of ``mandates list``."""

    mandate_id: str
    resolution: str
    paragraph: int
    kinds: list[str]
    status: str
    current_step: str | None
    next_deadline: datetime | None
    overdue: bool
    awaiting: list[str]
    version: int


def _awaiting(row: asyncpg.Record) -> list[str]:
    match row["step_type"]:
        case None:
            return []
        case "consultation":
            return list(row["awaiting_parties"])
        case "approval":
            return [a for a in row["approvers"] if a not in row["approved"]]
    return [row["assignee"]] if row["assignee"] else []


async def list_mandates(
    pool: asyncpg.Pool,
    *,
    now: datetime,
    status: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
    resolution: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[MandateSummary]:
    """The mandates, by resolution and paragraph; ``overdue``: active ones whose current
    step is overdue (flagged by the engine, or past its deadline at ``now``); ``resolution``:
    one resolution's (slug or symbol); ``text``: found in the id, title, paragraph or verb."""
    rows = await tables.list_rows(
        pool, status=status, kind=kind, overdue=overdue, now=now, resolution=resolution, text=text,
        limit=limit, offset=offset,
    )  # fmt: skip
    return [
        MandateSummary(
            mandate_id=r["mandate_id"],
            resolution=r["resolution_symbol"],
            paragraph=r["paragraph"],
            kinds=list(r["kinds"]),
            status=r["status"],
            current_step=r["current_step"],
            next_deadline=r["deadline"],
            overdue=bool(r["current_step"]) and bool(r["step_overdue"] or r["deadline"] < now),
            awaiting=_awaiting(r),
            version=r["version"],
        )
        for r in rows
    ]


async def count_mandates(
    pool: asyncpg.Pool,
    *,
    now: datetime,
    status: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
    resolution: str | None = None,
    text: str | None = None,
) -> int:
    """How many mandates ``list_mandates`` gives without a limit."""
    return await tables.count_rows(
        pool, status=status, kind=kind, overdue=overdue, now=now, resolution=resolution, text=text
    )


class WorkItem(_Out):
    """A current step that waits on someone: what it is, when it is due, who it waits on."""

    mandate_id: str
    resolution: str
    paragraph: int
    title: str
    step_id: str
    step_type: str
    step_title: str
    deadline: datetime | None
    overdue: bool
    why: str  # "approval", "task", "consultation"
    awaiting: list[str]


async def count_work(pool: asyncpg.Pool, names: set[str]) -> int:
    """How many steps wait for these names (``work_for`` without a limit)."""
    return await tables.work_count(pool, sorted(names))


async def work_for(
    pool: asyncpg.Pool, names: set[str], now: datetime, limit: int | None = None
) -> list[WorkItem]:
    """What waits for these names (a person and their roles), soonest deadline first:
    approvals not yet given by them, tasks and reports they are assigned or coordinate, and
    consultations they coordinate that still wait on parties (the first ``limit``)."""
    items = []
    for r in await tables.work_rows(pool, sorted(names), limit):
        kind, deadline = r["current_type"], r["current_deadline"]
        awaiting = list(r["waiting_on"])
        if kind == "approval":
            awaiting = [a for a in awaiting if a in names]
        items.append(
            WorkItem(
                mandate_id=r["mandate_id"],
                resolution=r["resolution_symbol"],
                paragraph=r["paragraph"],
                title=r["title"],
                step_id=r["current_step"],
                step_type=kind,
                step_title=r["step_title"],
                deadline=deadline,
                overdue=bool(r["overdue"] or (deadline is not None and deadline < now)),
                why=kind if kind in ("approval", "consultation") else "task",
                awaiting=awaiting,
            )
        )
    return items


# --- mandates show ------------------------------------------------------------


class PartyDetail(_Out):
    party: str
    status: str  # awaiting | answered | no answer
    answered_at: datetime | None


class ApprovalDetail(_Out):
    approver: str
    approved_at: datetime
    comment: str


class StepDetail(_Out):
    step_id: str
    title: str
    type: str
    status: str  # pending | active | completed | stopped (under way when the mandate was withdrawn)
    attempt: int
    planned_due: datetime
    deadline: datetime | None
    overdue: bool
    extensions: int
    escalations: int
    confidential: bool
    closes_at: datetime | None
    parties: list[PartyDetail]
    approvers: list[str]
    approvals: list[ApprovalDetail]
    rejections: int
    outcome: str | None
    completed_at: datetime | None


class DeadlineDetail(_Out):
    step_id: str
    deadline: datetime
    set_at: datetime
    previous: datetime | None
    reason: str | None
    set_by: str | None
    status: str
    overdue: bool
    closed_at: datetime | None


class CostDetail(_Out):
    step_id: str
    at: datetime
    by: str
    effort_days: Decimal
    cost: Decimal
    currency: str


class TimelineEntry(_Out):
    position: int
    version: int
    type: str
    at: datetime
    actor: str
    summary: str


class MandateDetail(_Out):
    """Everything ``mandates show`` prints; no response text anywhere."""

    mandate_id: str
    resolution_symbol: str
    resolution_slug: str
    paragraph: int
    verb: str
    actor: str
    kinds: list[str]
    title: str
    confidential: bool
    coordinator: str | None
    reports_to: str | None
    paragraph_text: str | None
    status: str
    version: int
    current_step: str | None
    awaiting: list[str]
    started_at: datetime | None
    ended_at: datetime | None
    withdrawal_reason: str | None
    effort_days: Decimal
    costs: dict[str, Decimal]
    steps: list[StepDetail]
    deadlines: list[DeadlineDetail]
    cost_lines: list[CostDetail]
    timeline: list[TimelineEntry]


def _party_status(row: asyncpg.Record) -> str:
    if row["status"] == "answered":
        return "answered"
    return "no answer" if row["non_respondent"] else "awaiting"


async def mandate_version(pool: asyncpg.Pool, mandate_id: str) -> int:
    """How far the read models have the mandate: its version there (0: not yet)."""
    return await tables.mandate_version(pool, mandate_id)


async def mandate_detail(pool: asyncpg.Pool, mandate_id: str) -> MandateDetail | None:
    """The mandate as ``mandates show`` prints it (None if there is none)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await _rows(conn, mandate_id)
        if rows is None:
            return None
        timeline = await tables.timeline_rows(conn, mandate_id)
    m = rows.mandate
    return MandateDetail(
        mandate_id=m["mandate_id"],
        resolution_symbol=m["resolution_symbol"],
        resolution_slug=m["resolution_slug"],
        paragraph=m["paragraph"],
        verb=m["verb"],
        actor=m["actor"],
        kinds=list(m["kinds"]),
        title=m["title"],
        confidential=m["confidential"],
        coordinator=m["coordinator"],
        reports_to=m["reports_to"],
        paragraph_text=m["paragraph_text"],
        status=m["status"],
        version=m["version"],
        current_step=rows.current()["step_id"] if rows.current() is not None else None,
        awaiting=rows.awaiting(),
        started_at=m["started_at"],
        ended_at=m["ended_at"],
        withdrawal_reason=m["withdrawal_reason"],
        effort_days=m["effort_days"],
        costs=rows.cost_totals(),
        steps=[
            StepDetail(
                step_id=s["step_id"],
                title=s["title"],
                type=s["type"],
                status="stopped" if s["status"] == "active" and m["status"] != "active" else s["status"],
                attempt=s["attempt"],
                planned_due=s["planned_due"],
                deadline=s["deadline"],
                overdue=s["overdue"],
                extensions=s["extensions"],
                escalations=s["escalations"],
                confidential=s["confidential"],
                closes_at=s["closes_at"],
                parties=[
                    PartyDetail(party=p["party"], status=_party_status(p), answered_at=p["answered_at"])
                    for p in rows.parties.get(s["step_id"], [])
                ],
                approvers=list(s["approvers"]),
                approvals=[
                    ApprovalDetail(approver=a["approver"], approved_at=a["approved_at"], comment=a["comment"])
                    for a in rows.approvals.get(s["step_id"], [])
                ],
                rejections=s["rejections"],
                outcome=s["outcome"],
                completed_at=s["completed_at"],
            )
            for s in rows.steps
        ],
        deadlines=[
            DeadlineDetail(
                step_id=d["step_id"],
                deadline=d["deadline"],
                set_at=d["set_at"],
                previous=d["previous"],
                reason=d["reason"],
                set_by=d["set_by"],
                status=d["status"],
                overdue=d["overdue"],
                closed_at=d["closed_at"],
            )
            for d in rows.deadlines
        ],
        cost_lines=[
            CostDetail(
                step_id=c["step_id"],
                at=c["occurred_at"],
                by=c["done_by"],
                effort_days=c["effort_days"],
                cost=c["cost"],
                currency=c["currency"],
            )
            for c in rows.costs
        ],
        timeline=[
            TimelineEntry(
                position=t["position"],
                version=t["version"],
                type=t["event_type"],
                at=t["occurred_at"],
                actor=t["actor"],
                summary=describe_event(t["event_type"], json.loads(t["payload"])),
            )
            for t in timeline
        ],
    )
