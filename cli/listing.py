"""``mandates list`` and ``mandates show``: read from the read models and the audit log.

Neither needs Temporal, so both work while it is down and after workflow histories
have gone with retention. The read models hold no response text: ``show`` reads the
answers from the audit log (``mandate_answers``), and prints a confidential one only to
those who may read it; the timeline says who answered, not what they said.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import typer

from cli.output import echo, fail, hint, print_json, run, table
from domain.mandate import KIND_LABELS
from domain.values import money, person_days
from domain.vocabulary import ACTOR_LABELS, MandateKind
from usecases import Engine
from usecases.reading import (
    STATUSES,
    AnswerText,
    MandateAnswers,
    MandateDetail,
    MandateSummary,
    StepDetail,
    list_mandates,
    mandate_answers,
    projection_status,
    reader_names,
    show_mandate,
)

KINDS = tuple(k.value for k in MandateKind)


def _day(value: datetime | None) -> str:
    return value.astimezone(UTC).date().isoformat() if value is not None else ""


def _kinds(kinds: list[str]) -> str:
    return " + ".join(KIND_LABELS[MandateKind(k)] if k in KINDS else k for k in kinds) or "-"


async def _behind(engine: Engine) -> int:
    return (await projection_status(engine)).behind


def _lag_note(behind: int) -> None:
    if behind > 0:
        plural = "s" if behind != 1 else ""
        echo(
            f"note: the read models are {behind} event{plural} behind the audit log "
            + hint("(is the projector running? `mandates projections status`)"),
            err=True,
        )


async def _list(
    engine: Engine, status: str | None, kind: str | None, overdue: bool
) -> tuple[list[MandateSummary], int]:
    rows = await list_mandates(engine, status=status, kind=kind, overdue=overdue)
    return rows, await _behind(engine)


def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    status: str | None = typer.Option(None, "--status", help=f"Only mandates that are {'|'.join(STATUSES)}."),
    kind: str | None = typer.Option(None, "--kind", help=f"Only mandates of this kind ({'|'.join(KINDS)})."),
    overdue: bool = typer.Option(
        False, "--overdue", help="Only active mandates whose current step is overdue."
    ),
) -> None:
    """List the mandates, by resolution and paragraph, with their current step and deadline."""
    if status is not None and status not in STATUSES:
        fail(f"unknown status {status!r} (expected {', '.join(STATUSES)})", code=2)
    if kind is not None and kind not in KINDS:
        fail(f"unknown kind {kind!r} (expected {', '.join(KINDS)})", code=2)
    rows, behind = run(lambda engine: _list(engine, status, kind, overdue))
    _lag_note(behind)
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not rows:
        filtered = status or kind or overdue
        echo("no mandates" + (" match" if filtered else hint(" yet (see `mandates import`)")))
        return
    echo(
        table(
            ["mandate", "resolution", "para", "kinds", "status", "current step", "due", "waiting on"],
            [
                (
                    r.mandate_id,
                    r.resolution,
                    r.paragraph,
                    _kinds(r.kinds),
                    r.status,
                    r.current_step or "",
                    _day(r.next_deadline) + (" OVERDUE" if r.overdue else ""),
                    ", ".join(r.awaiting),
                )
                for r in rows
            ],
        )
    )


async def _show(
    engine: Engine, mandate_id: str, confidential: bool
) -> tuple[MandateDetail | None, MandateAnswers | None, int]:
    names = reader_names(engine)
    if names is None and not confidential:
        names = set()  # (no identities to judge by: confidential answers only when asked for)
    answers = await mandate_answers(engine, mandate_id, reader_names=names)
    return await show_mandate(engine, mandate_id), answers, await _behind(engine)


def show_command(
    mandate_id: str = typer.Argument(..., metavar="ID", help="The mandate id (see `mandates list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    confidential: bool = typer.Option(
        False,
        "--confidential",
        help="Where no identities are configured, print confidential answers too (with identities, "
        "the mandate's coordinator and approvers read them, and no one else).",
    ),
) -> None:
    """Show a mandate: its state, steps, deadlines, the answers, costs and audit timeline."""
    detail, answers, behind = run(lambda engine: _show(engine, mandate_id, confidential))
    if detail is None:
        fail(f"no mandate {mandate_id!r} (see `mandates list`)")
    _lag_note(behind)
    if as_json:
        print_json(
            detail.model_dump(mode="json")
            | {"answers": answers.model_dump(mode="json")["steps"] if answers is not None else {}}
        )
        return
    echo(describe(detail, answers))


def describe(d: MandateDetail, answers: MandateAnswers | None = None) -> str:
    """The human view of one mandate (with its consultations' answers, when given)."""
    actor = ACTOR_LABELS.get(d.actor, d.actor)
    lines = [
        d.mandate_id,
        f"{d.resolution_symbol} para {d.paragraph} · {_kinds(d.kinds)} · {d.verb} {actor}".rstrip(),
    ]
    if d.title:
        lines.append(d.title)
    facts = [f"status: {d.status}", f"version {d.version}"]
    if d.confidential:
        facts.append("information collected is confidential")
    if d.reports_to:
        facts.append(f"reports to {d.reports_to}")
    lines.append(" · ".join(facts))
    if d.withdrawal_reason:
        lines.append(f"withdrawn: {d.withdrawal_reason}")
    current = next((s for s in d.steps if s.step_id == d.current_step), None)
    if current is not None:
        overdue = " · OVERDUE" if current.overdue else ""
        lines.append(
            f"current step: {current.step_id} ({current.title}) · due {_day(current.deadline)}{overdue}"
        )
        lines.append(f"waiting on: {', '.join(d.awaiting) or 'nobody'}")
    if d.paragraph_text:
        lines += ["", d.paragraph_text]
    if d.steps:
        lines += ["", "STEPS"]
        lines.append(
            table(
                ["#", "step", "type", "status", "deadline", "note"],
                [
                    (n, s.step_id, s.type, s.status, _day(s.deadline or s.planned_due), _note(s, current))
                    for n, s in enumerate(d.steps, 1)
                ],
            )
        )
    waiting = [
        s for s in d.steps if s.parties or s.approvals or (s.type == "approval" and s.status == "active")
    ]
    if waiting:
        lines += ["", "CONSULTATIONS AND APPROVALS"]
        for s in waiting:
            lines.append(f"{s.step_id}:{' (confidential)' if s.confidential else ''}")
            given = answers.steps.get(s.step_id, {}) if answers is not None else {}
            for p in s.parties:
                when = f" {_day(p.answered_at)}" if p.answered_at else ""
                answer = given.get(p.party) if p.status == "answered" else None
                lines.append(f"  {p.party}: {p.status}{when}{_answer_note(answer)}")
                if answer is not None:
                    lines += [f"    {line}" for line in answer.shown().splitlines() or [""]]
            approved = {a.approver: a for a in s.approvals}
            for approver in s.approvers if s.type == "approval" else []:
                a = approved.get(approver)
                lines.append(
                    f"  {approver}: " + (f"approved {_day(a.approved_at)}" if a else "not yet approved")
                )
    if d.deadlines:
        lines += ["", "DEADLINES"]
        lines.append(
            table(
                ["step", "deadline", "set", "status", "reason"],
                [
                    (
                        x.step_id,
                        _day(x.deadline),
                        _day(x.set_at) + (f" by {x.set_by}" if x.set_by else ""),
                        x.status + (" (overdue)" if x.overdue and x.status == "open" else ""),
                        x.reason or "",
                    )
                    for x in d.deadlines
                ],
            )
        )
    if d.cost_lines:
        lines += ["", "EFFORT AND COSTS"]
        lines.append(
            table(
                ["step", "date", "by", "effort (days)", "cost"],
                [
                    (
                        c.step_id,
                        _day(c.at),
                        c.by,
                        _num(c.effort_days),
                        money(c.cost, c.currency) if c.cost else "",
                    )
                    for c in d.cost_lines
                ],
            )
        )
        totals = [person_days(d.effort_days), *(money(a, c) for c, a in d.costs.items() if a)]
        lines.append("total: " + " · ".join(totals))
    lines += ["", "TIMELINE (audit log)"]
    lines.append(
        table(
            ["#", "v", "at", "event", "actor", "summary"],
            [
                (
                    t.position,
                    t.version,
                    t.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                    t.type,
                    t.actor,
                    t.summary,
                )
                for t in d.timeline
            ],
        )
    )
    return "\n".join(lines)


def _answer_note(answer: AnswerText | None) -> str:
    if answer is None:
        return ""
    notes = [f"revision {answer.revision}"] if answer.revision else []
    if answer.by:
        notes.append(f"recorded by {answer.by}")
    return f" ({'; '.join(notes)})" if notes else ""


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _note(s: StepDetail, current: StepDetail | None = None) -> str:
    notes = []
    if s.status == "pending" and current is not None and current.deadline is not None:
        if s.planned_due < current.deadline:  # (a report held before its session, say)
            notes.append("planned before the current step's deadline")
    if s.overdue and s.status == "active":
        notes.append("overdue")
    if s.extensions:
        notes.append(f"extended {s.extensions}×")
    if s.rejections:
        notes.append(f"returned {s.rejections}×")
    if s.outcome and s.status == "completed":
        notes.append(s.outcome)
    return "; ".join(notes)
