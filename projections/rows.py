"""The read models as a mapping of the fold: a mandate's state → its rows, table by table.

``domain.state`` folds a mandate's events; every read-model row (migration 003) is a
plain function of that state, written here once. Each table's columns are listed in
``store.read_models.TABLES``; ``rows_of(state)`` gives a mandate's rows as tuples in that order, ready to
be written with COPY. Response text never reaches these rows: a ``ResponseReceived``
shows as who answered and when.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.plan import ReportStep, TaskStep
from domain.state import MandateState, MandateStatus

STATE_SCHEMA = 3
"""The shape of ``MandateState`` the stored states have; a projector that finds another
rebuilds the read models (``projections.projector``)."""


def state_text(state: MandateState) -> str:
    """A mandate's state as the projector stores it between batches."""
    return state.model_dump_json()


def state_of(text: str) -> MandateState:
    return MandateState.model_validate_json(text)


def _mandate_row(mandate_id: str, s: MandateState) -> tuple[Any, ...]:
    m, f = s.mandate, s.followed
    current = s.active_step()
    followed = s.status is MandateStatus.FOLLOWED or m is None
    if followed and f is not None:
        slug, symbol, paragraph, verb = f.resolution_slug, f.resolution_symbol, f.paragraph, f.verb
        actor, kinds, reports_to = f.addressee, list(f.kinds), f.reports_to
    else:
        assert m is not None
        slug, symbol, paragraph, verb = m.resolution_slug, m.resolution_symbol, m.paragraph, m.verb
        actor, kinds, reports_to = m.actor.value, [k.value for k in m.kinds], m.reports_to
    return (
        mandate_id, slug, symbol, paragraph, verb, actor, kinds,
        m.confidential if m is not None else False,
        reports_to,
        m.report_due if m is not None else None,
        m.coordinator if m is not None else None,
        m.title if m is not None else "",
        (m.text or None) if m is not None and m.text else (f.text if f is not None else None),
        s.status.value, s.current_step, s.version, s.effort_days, s.started_at, s.ended_at,
        s.withdrawal_reason, s.first_position, s.last_position, s.last_event_at,
        current.type if current is not None else None,
        current.deadline if current is not None else None,
        [name for name in s.awaiting() if name],
    )  # fmt: skip


def rows_of(mandate_id: str, s: MandateState) -> dict[str, Iterator[tuple[Any, ...]]]:
    """Every read-model row of one mandate's state, table by table, each in its ``TABLES`` order."""
    return {
        "rm_mandates": iter((_mandate_row(mandate_id, s),)),
        "rm_steps": _steps(mandate_id, s),
        "rm_consultation_parties": _parties(mandate_id, s),
        "rm_approvals": _approvals(mandate_id, s),
        "rm_deadlines": _deadlines(mandate_id, s),
        "rm_costs": _costs(mandate_id, s),
        "rm_mandate_states": iter(((mandate_id, state_text(s)),)),
    }


def _steps(mandate_id: str, s: MandateState) -> Iterator[tuple[Any, ...]]:
    if s.mandate is None:
        return
    for ordinal, planned in enumerate(s.mandate.plan.steps, start=1):
        st = s.steps[planned.id]
        yield (
            mandate_id, planned.id, ordinal, planned.type, planned.title,
            planned.assignee if isinstance(planned, TaskStep | ReportStep) else None,
            planned.body if isinstance(planned, ReportStep) else None,
            st.approvers, st.rule, st.status.value, st.attempt, st.planned_due, st.deadline,
            st.deadline_set_at, st.extensions, st.reminders_sent, st.overdue, st.escalations,
            st.closes_at, st.confidential, st.closed_reason, st.rejections, st.rework_comment,
            st.outcome, st.completed_at,
        )  # fmt: skip


def _parties(mandate_id: str, s: MandateState) -> Iterator[tuple[Any, ...]]:
    for step_id, st in s.steps.items():
        silent = set(st.non_respondents)
        for ordinal, (party, status) in enumerate(st.parties.items(), start=1):
            answer = st.answers.get(party) if status == "answered" else None
            yield (
                mandate_id, step_id, party, ordinal, status.value,
                answer.at if answer is not None else None,
                answer.ref if answer is not None else None,
                party in silent,
            )  # fmt: skip


def _approvals(mandate_id: str, s: MandateState) -> Iterator[tuple[Any, ...]]:
    for step_id, st in s.steps.items():
        for ordinal, a in enumerate(st.approval_details, start=1):
            yield (mandate_id, step_id, a.by, ordinal, a.comment, a.at, a.ref)


def _deadlines(mandate_id: str, s: MandateState) -> Iterator[tuple[Any, ...]]:
    for d in s.deadlines:
        yield (
            mandate_id, d.step_id, d.set_ref, d.attempt, d.deadline, d.set_at, d.previous, d.reason,
            d.set_by, d.status, d.overdue, d.closed_at, d.closed_ref,
        )  # fmt: skip


def _costs(mandate_id: str, s: MandateState) -> Iterator[tuple[Any, ...]]:
    for c in s.cost_lines:
        yield (c.ref, mandate_id, c.step_id, c.at, c.by, c.effort_days, c.cost, c.currency)
