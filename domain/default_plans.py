"""A sensible default plan for each kind of mandate, and their merge for several kinds.

Relative deadlines (``due_in_days``) count from the mandate's start. When a
mandate has several kinds, their plans run one after another in the order of
``MandateKind`` (reporting last, since it reports on the rest): the later
plan's relative deadlines are shifted to start where the earlier one ends, and
step ids stay unique.

A reporting plan with a known session date (``report_due``) takes absolute
deadlines before that session: compile ten weeks, approve eight weeks and
submit six weeks before it (the documents' processing time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from domain.plan import Plan, start_of_day, validate_plan
from domain.vocabulary import MandateKind

STATES_PARTIES: tuple[str, ...] = ("States parties",)
PARTNER_SECRETARIATS: tuple[str, ...] = (
    "Council of Europe (GRECO)",
    "OECD Working Group on Bribery",
    "OAS (MESICIC)",
)
SECTION_CHIEF = "chief.of.section"
LEGAL_AFFAIRS = "legal-affairs"
IMPLEMENTATION_REVIEW_GROUP = "Implementation Review Group"


def _dialogue(states: Sequence[str], partners: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"type": "task", "id": "identify-interlocutors", "due_in_days": 21,
         "title": "Identify interlocutors in States parties and partner secretariats"},
        {"type": "consultation", "id": "dialogue-consultation", "due_in_days": 75,
         "title": "Consult States parties and partner secretariats",
         "parties": [*states, *partners]},
        {"type": "task", "id": "summarise-dialogue", "due_in_days": 95,
         "title": "Summarise the dialogue"},
        {"type": "approval", "id": "approve-dialogue-summary", "due_in_days": 105,
         "title": "Approve the summary of the dialogue", "approvers": [SECTION_CHIEF],
         "rule": "any", "on_reject_go_to": "summarise-dialogue"},
    ]  # fmt: skip


def _mou(states: Sequence[str], partners: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"type": "task", "id": "scope-partners", "due_in_days": 30,
         "title": "Scope the partners for a memorandum of understanding"},
        {"type": "consultation", "id": "consult-partner-secretariats", "due_in_days": 75,
         "title": "Consult the partner secretariats", "parties": list(partners)},
        {"type": "task", "id": "draft-mou", "due_in_days": 105,
         "title": "Draft the memorandum of understanding"},
        {"type": "approval", "id": "legal-approval", "due_in_days": 120,
         "title": "Legal approval of the draft", "approvers": [LEGAL_AFFAIRS],
         "rule": "all", "on_reject_go_to": "draft-mou"},
        {"type": "consultation", "id": "consult-states-parties-on-mou", "due_in_days": 165,
         "title": "Consult States parties on the draft", "parties": list(states)},
        {"type": "approval", "id": "final-mou-approval", "due_in_days": 180,
         "title": "Final approval of the memorandum", "approvers": [SECTION_CHIEF, LEGAL_AFFAIRS],
         "rule": "all", "on_reject_go_to": "draft-mou"},
        {"type": "task", "id": "record-signature", "due_in_days": 210,
         "title": "Record the signature of the memorandum", "concludes": True},
    ]  # fmt: skip


def _information(partners: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"type": "consultation", "id": "request-information", "due_in_days": 45,
         "title": "Request information from the partner secretariats",
         "parties": list(partners), "confidential": True},
        {"type": "task", "id": "compile-information", "due_in_days": 65,
         "title": "Compile the information received"},
        {"type": "approval", "id": "approve-information-sharing", "due_in_days": 80,
         "title": "Approve what may be shared", "approvers": [SECTION_CHIEF],
         "rule": "any", "on_reject_go_to": "compile-information"},
    ]  # fmt: skip


def _reporting(body: str, session: date | None) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        {"type": "task", "id": "compile-report", "title": f"Compile the report to the {body}",
         "compiles_report": True},
        {"type": "approval", "id": "approve-report", "title": "Approve the report",
         "approvers": [SECTION_CHIEF], "rule": "any", "on_reject_go_to": "compile-report"},
        {"type": "report", "id": "submit-report", "title": f"Submit the report to the {body}",
         "body": body, "session_date": session},
    ]  # fmt: skip
    weeks_before = (10, 8, 6)
    relative = (60, 75, 90)
    for step, weeks, days in zip(steps, weeks_before, relative, strict=True):
        if session is not None:
            step["due"] = start_of_day(session - timedelta(weeks=weeks))
        else:
            step["due_in_days"] = days
    return steps


def default_plan(
    kinds: Sequence[MandateKind],
    *,
    reports_to: str | None = None,
    report_due: date | None = None,
    states_parties: Sequence[str] = STATES_PARTIES,
    partner_secretariats: Sequence[str] = PARTNER_SECRETARIATS,
) -> Plan:
    """The default plan for a mandate of these kinds (merged when there are several)."""
    blocks: list[list[dict[str, Any]]] = []
    for kind in MandateKind:
        if kind in kinds:
            blocks.append(_block(kind, reports_to, report_due, states_parties, partner_secretariats))
    if not blocks:
        raise ValueError("a mandate needs at least one kind")
    return validate_plan({"steps": merge_steps(blocks)})


def _block(
    kind: MandateKind,
    reports_to: str | None,
    report_due: date | None,
    states_parties: Sequence[str],
    partner_secretariats: Sequence[str],
) -> list[dict[str, Any]]:
    """The default steps of one kind, each saying the kind it serves."""
    match kind:
        case MandateKind.DIALOGUE:
            steps = _dialogue(states_parties, partner_secretariats)
        case MandateKind.MOU_EXPLORATION:
            steps = _mou(states_parties, partner_secretariats)
        case MandateKind.INFORMATION_COLLECTION:
            steps = _information(partner_secretariats)
        case MandateKind.REPORTING:
            steps = _reporting(reports_to or IMPLEMENTATION_REVIEW_GROUP, report_due)
    return [{**step, "serves": kind.value} for step in steps]


_UNSUFFIXED = re.compile(r"-\d+$")


def with_step_roles(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan recorded before steps said what they serve, read as it was meant.

    Such a plan (every step without ``serves``) got its meaning from the default plans'
    step ids, a merged plan's copies suffixed ``-2``, ``-3``: the kind whose default plan
    has the id, ``record-signature`` concluding a memorandum, ``compile-report`` compiling
    the progress report. Plans that say it themselves are returned as they are.
    """
    steps = plan.get("steps") if isinstance(plan, dict) else None
    if not isinstance(steps, list) or any(isinstance(s, dict) and "serves" in s for s in steps):
        return plan
    serves = {s["id"]: kind.value for kind in MandateKind for s in _block(kind, None, None, (), ())}
    read = []
    for step in steps:
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            base = _UNSUFFIXED.sub("", step["id"])
            step = {**step, "serves": serves.get(step["id"]) or serves.get(base)}
            if base == "record-signature":
                step["concludes"] = True
            if base == "compile-report" and step.get("type") in ("task", "report"):
                step["compiles_report"] = True
        read.append(step)
    return {**plan, "steps": read}


def merge_steps(blocks: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Concatenate step blocks: shift relative deadlines so each block starts where the
    previous ones end, and suffix any repeated step id (``-2``, ``-3``...)."""
    merged: list[dict[str, Any]] = []
    used: set[str] = set()
    offset = 0
    for block in blocks:
        renamed: dict[str, str] = {}
        for step in block:
            new_id, n = step["id"], 1
            while new_id in used:
                n += 1
                new_id = f"{step['id']}-{n}"
            renamed[step["id"]] = new_id
            used.add(new_id)
        last = offset
        for step in block:
            copy = dict(step, id=renamed[step["id"]])
            if copy.get("on_reject_go_to"):
                copy["on_reject_go_to"] = renamed[copy["on_reject_go_to"]]
            if copy.get("due_in_days") is not None:
                copy["due_in_days"] += offset
                last = max(last, copy["due_in_days"])
            merged.append(copy)
        offset = last
    return merged
