"""The public timeline of a mandate: one line on what each audit event records.

``describe_event(type, payload)`` reads a payload defensively (a missing key prints as
``?``), since it serves any record of the log, and never prints response text: a
response is shown by who sent it and to which step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.mandate import KIND_LABELS
from domain.values import money, person_days
from domain.vocabulary import ACTOR_LABELS, MandateKind


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, str):
        return value[:10]
    return str(value)


def _names(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) and value else "nobody"


def _count(items: Any, one: str, many: str) -> str:
    n = len(items) if isinstance(items, list) else 0
    return f"{n} {one if n == 1 else many}"


def _review(review: Any) -> str:
    """A review stage in a line: "a confidential review" for a confidential one."""
    if not isinstance(review, dict):
        return "a review"
    if review.get("confidential"):
        return f"a confidential review of {review.get('state', '?')}"
    return (
        f"{review.get('mechanism', '?')} review of {review.get('state', '?')}, {review.get('cycle', '?')}, "
        f"{review.get('stage', '?')} ({_day(review.get('start'))} to {_day(review.get('end'))})"
    )


def kinds_label(kinds: Sequence[str]) -> str:
    """``"dialogue + reporting"`` from kind values (an unknown kind as it is written)."""
    return " + ".join(KIND_LABELS[MandateKind(k)] if k in _KIND_VALUES else k for k in kinds)


_KIND_VALUES = frozenset(k.value for k in MandateKind)


def _effort_and_cost(p: dict[str, Any]) -> str:
    """``": 2 person-days, USD 1,500.00"`` of a completion (what it gave of either)."""
    parts = []
    try:
        effort, cost = Decimal(str(p.get("effort_days") or 0)), Decimal(str(p.get("cost") or 0))
    except (ArithmeticError, ValueError):
        return ""
    if effort:
        parts.append(person_days(effort))
    if cost:
        parts.append(money(cost, str(p.get("currency") or "?")))
    return f": {', '.join(parts)}" if parts else ""


def describe_event(event_type: str, payload: dict[str, Any]) -> str:
    """One public line on what an audit event records; never any response text."""
    p = payload
    step = p.get("step_id", "?")
    match event_type:
        case "MandateStarted":
            mandate = p.get("mandate") or {}
            steps = (mandate.get("plan") or {}).get("steps") or []
            kinds = kinds_label([str(k) for k in mandate.get("kinds") or []])
            return (
                f"mandate started: {mandate.get('resolution_symbol', '?')} para "
                f"{mandate.get('paragraph', '?')} ({kinds}), {len(steps)} steps"
            )
        case "StepStarted":
            attempt = p.get("attempt", 1)
            again = f" (attempt {attempt})" if attempt and attempt != 1 else ""
            return f"step {step} started{again}, due {_day(p.get('deadline'))}"
        case "ConsultationOpened":
            confidential = ", confidential" if p.get("confidential") else ""
            return (
                f"consultation {step} opened: {_count(p.get('parties'), 'party', 'parties')} asked, "
                f"due {_day(p.get('deadline'))}, closes {_day(p.get('closes_at'))}{confidential}"
            )
        case "ResponseReceived":
            confidential = " (confidential, not shown)" if p.get("confidential") else ""
            revised = f", revision {p['revision']}" if p.get("revision") else ""
            by = f" (recorded by {p['by']})" if p.get("by") else ""
            form = " with answers to the questionnaire" if isinstance(p.get("answers"), dict) else ""
            return f"response from {p.get('party', '?')} to {step}{form}{revised}{by}{confidential}"
        case "ReviewScheduled" | "ReviewChanged" | "ReviewWithdrawn":
            what = {
                "ReviewScheduled": "scheduled",
                "ReviewChanged": "changed",
                "ReviewWithdrawn": "withdrawn",
            }
            return f"review calendar: {_review(p.get('review'))} {what[event_type]} by {p.get('by', '?')}"
        case "ReminderDue":
            return (
                f"reminder {p.get('days_before', '?')} days before the {step} deadline "
                f"({_day(p.get('deadline'))}) to {_names(p.get('recipients'))}"
            )
        case "DeadlineExtended":
            later = p.get("later")
            moved = f"; {_count(list(later), 'later step', 'later steps')} moved" if later else ""
            return (
                f"{step} deadline extended from {_day(p.get('previous'))} to {_day(p.get('until'))} "
                f"by {p.get('by', '?')}: {p.get('reason', '')}{moved}"
            )
        case "StepOverdue":
            deadline = _day(p.get("deadline"))
            return f"{step} overdue (deadline {deadline}), waiting on {_names(p.get('recipients'))}"
        case "Escalated":
            return f"{step}: escalation {p.get('escalation', '?')} to {p.get('recipient', '?')}"
        case "ApprovalRequested":
            return f"approval of {step} requested from {_names(p.get('approvers'))} ({p.get('rule', 'all')})"
        case "Approved":
            return f"{p.get('by', '?')} approved {step}"
        case "Rejected":
            return (
                f"{p.get('by', '?')} rejected {step}, back to {p.get('go_to', '?')}: {p.get('comment', '')}"
            )
        case "TaskCompleted":
            return f"{step} done by {p.get('by', '?')}" + _effort_and_cost(p)
        case "StepCompleted":
            outcome = p.get("outcome")
            return f"step {step} completed" + (f": {outcome}" if outcome else "")
        case "ConsultationClosed":
            answered = len(p.get("respondents") or [])
            silent = len(p.get("non_respondents") or [])
            reason = "all answered" if p.get("reason") == "all_answered" else "deadline passed"
            return f"consultation {step} closed ({reason}): {answered} answered, {silent} did not"
        case "MandateCompleted":
            return "mandate completed"
        case "MandateWithdrawn":
            return f"mandate withdrawn by {p.get('by', '?')}: {p.get('reason', '')}"
        case "MandateFollowed":
            actor = str(p.get("actor") or "other")
            return (
                f"paragraph {p.get('paragraph', '?')} followed: addressed to {ACTOR_LABELS.get(actor, actor)}"
            )
    return event_type
