"""How each audit event changes the read-model tables (migration 003).

One event is one SQL statement: a chain of data-modifying CTEs whose first part,
``m``, moves the mandate row to the event's version (``WHERE version = $2 - 1``)
and whose other parts only touch rows of a mandate that ``m`` moved. So an event
either applies whole or, when the read model is not at the version before it,
not at all, and the projector can tell which (``apply_event`` raises
``ProjectionInconsistent`` rather than apply an event twice or skip one).

Parameters common to every statement: ``$1`` mandate id (the stream), ``$2`` the
event's version, ``$3`` its audit position, ``$4`` its domain time
(``occurred_at``); the event's own values follow from ``$5``.

Response text never reaches these tables: a ``ResponseReceived`` records who
answered and when, nothing of what they said.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from domain import events as ev
from domain.errors import DomainError
from domain.mandate import Mandate
from domain.plan import ApprovalStep, ReportStep, TaskStep
from domain.progress_report import DOMAIN_EVENT_TYPES, FOLLOWED, read_followed
from store.audit import StoredEvent

READ_MODEL_TABLES: tuple[str, ...] = (
    "rm_mandates",
    "rm_steps",
    "rm_consultation_parties",
    "rm_approvals",
    "rm_deadlines",
    "rm_costs",
)
"""Every read-model table: what a rebuild truncates and replays."""

TRUNCATE_READ_MODELS = f"TRUNCATE {', '.join(READ_MODEL_TABLES)}"


class ProjectionInconsistent(DomainError):
    """An event does not follow the version the read model holds for its mandate."""

    code = "projection_inconsistent"


# --- statements ---------------------------------------------------------------

# Rows of the event's mandate, once ``m`` has moved it. Written as ``mandate_id = $1``
# (not ``IN (SELECT ... FROM m)``) so that the primary keys serve every statement,
# whatever plan a prepared statement settled on while the tables were small.
_IN_M = "mandate_id = $1 AND EXISTS (SELECT FROM m)"


def _bump(extra: str = "") -> str:
    """The ``m`` CTE: move the mandate row to version $2 (and set ``extra`` columns)."""
    sets = "version = $2, last_position = $3, last_event_at = $4" + (f", {extra}" if extra else "")
    return (
        f"m AS (UPDATE rm_mandates SET {sets}"
        " WHERE mandate_id = $1 AND version = $2 - 1 RETURNING mandate_id)"
    )


_CLOSE_DEADLINE = f"""
    UPDATE rm_deadlines
    SET status = CASE WHEN overdue OR $4 > deadline THEN 'missed' ELSE 'met' END,
        closed_at = $4, closed_position = $3
    WHERE {_IN_M} AND step_id = $5 AND status = 'open'"""

_VERSION_ONLY = f"WITH {_bump()} SELECT count(*) FROM m"

_MANDATE_STARTED = """
WITH m AS (
    INSERT INTO rm_mandates (
        mandate_id, resolution_slug, resolution_symbol, paragraph, verb, actor, kinds, confidential,
        reports_to, report_due, coordinator, title, status, current_step, version, started_at,
        first_position, last_position, last_event_at
    ) VALUES ($1, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'active', NULL, $2, $4, $3, $3, $4)
    ON CONFLICT (mandate_id) DO UPDATE SET
        resolution_slug = EXCLUDED.resolution_slug, resolution_symbol = EXCLUDED.resolution_symbol,
        paragraph = EXCLUDED.paragraph, verb = EXCLUDED.verb, actor = EXCLUDED.actor,
        kinds = EXCLUDED.kinds, confidential = EXCLUDED.confidential, reports_to = EXCLUDED.reports_to,
        report_due = EXCLUDED.report_due, coordinator = EXCLUDED.coordinator, title = EXCLUDED.title,
        status = 'active', current_step = NULL, version = EXCLUDED.version,
        started_at = EXCLUDED.started_at, last_position = EXCLUDED.last_position,
        last_event_at = EXCLUDED.last_event_at
    RETURNING mandate_id
), steps AS (
    INSERT INTO rm_steps (mandate_id, step_id, ordinal, type, title, assignee, body, approvers, rule,
                          planned_due)
    SELECT m.mandate_id, s.step_id, s.ordinal, s.type, s.title, s.assignee, s.body,
           coalesce(s.approvers, '{}'), s.rule, s.planned_due
    FROM m, jsonb_to_recordset($16::jsonb) AS s(
        step_id text, ordinal integer, type text, title text, assignee text, body text,
        approvers text[], rule text, planned_due timestamptz
    )
)
SELECT count(*) FROM m
"""

_MANDATE_FOLLOWED = """
INSERT INTO rm_mandates (
    mandate_id, resolution_slug, resolution_symbol, paragraph, verb, actor, kinds, reports_to,
    paragraph_text, status, version, first_position, last_position, last_event_at
) VALUES ($1, $5, $6, $7, $8, $9, $10, $11, $12, 'followed', $2, $3, $3, $4)
ON CONFLICT (mandate_id) DO UPDATE SET
    resolution_slug = EXCLUDED.resolution_slug, resolution_symbol = EXCLUDED.resolution_symbol,
    paragraph = EXCLUDED.paragraph, verb = EXCLUDED.verb, actor = EXCLUDED.actor, kinds = EXCLUDED.kinds,
    reports_to = EXCLUDED.reports_to, paragraph_text = EXCLUDED.paragraph_text, status = 'followed',
    version = EXCLUDED.version, last_position = EXCLUDED.last_position,
    last_event_at = EXCLUDED.last_event_at
"""

# $5 step_id, $6 attempt, $7 deadline
_STEP_STARTED = f"""
WITH {_bump("current_step = $5")},
step AS (
    UPDATE rm_steps SET status = 'active', attempt = $6, deadline = $7, deadline_set_at = $4,
        reminders_sent = '{{}}', overdue = false, escalations = 0, outcome = NULL, completed_at = NULL
    WHERE {_IN_M} AND step_id = $5
), approvals AS (
    DELETE FROM rm_approvals WHERE {_IN_M} AND step_id = $5
), deadline AS (
    INSERT INTO rm_deadlines (mandate_id, step_id, set_position, attempt, deadline, set_at, status)
    SELECT mandate_id, $5, $3, $6, $7, $4, 'open' FROM m
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 parties, $7 closes_at, $8 confidential
_CONSULTATION_OPENED = f"""
WITH {_bump()},
step AS (
    UPDATE rm_steps SET closes_at = $7, confidential = $8, closed_reason = NULL
    WHERE {_IN_M} AND step_id = $5
), dropped AS (
    DELETE FROM rm_consultation_parties WHERE {_IN_M} AND step_id = $5 AND NOT (party = ANY ($6::text[]))
), parties AS (
    INSERT INTO rm_consultation_parties (mandate_id, step_id, party, ordinal, status)
    SELECT m.mandate_id, $5, p.party, p.ordinal, 'awaiting'
    FROM m, unnest($6::text[]) WITH ORDINALITY AS p(party, ordinal)
    ON CONFLICT (mandate_id, step_id, party) DO UPDATE SET
        ordinal = EXCLUDED.ordinal, status = 'awaiting', answered_at = NULL, answered_position = NULL,
        non_respondent = false
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 party
_RESPONSE_RECEIVED = f"""
WITH {_bump()},
party AS (
    INSERT INTO rm_consultation_parties (mandate_id, step_id, party, ordinal, status, answered_at,
                                         answered_position)
    SELECT m.mandate_id, $5, $6,
           (SELECT count(*) + 1 FROM rm_consultation_parties WHERE mandate_id = $1 AND step_id = $5)::int,
           'answered', $4, $3
    FROM m
    ON CONFLICT (mandate_id, step_id, party) DO UPDATE SET
        status = 'answered', answered_at = EXCLUDED.answered_at,
        answered_position = EXCLUDED.answered_position
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 days_before
_REMINDER_DUE = f"""
WITH {_bump()},
step AS (
    UPDATE rm_steps SET reminders_sent = array_append(reminders_sent, $6::integer)
    WHERE {_IN_M} AND step_id = $5
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 until, $7 closes_at (or NULL), $8 previous, $9 reason, $10 by
_DEADLINE_EXTENDED = f"""
WITH {_bump()},
step AS (
    UPDATE rm_steps SET deadline = $6, deadline_set_at = $4, extensions = extensions + 1,
        reminders_sent = '{{}}', overdue = false, escalations = 0,
        closes_at = coalesce($7::timestamptz, closes_at)
    WHERE {_IN_M} AND step_id = $5
), superseded AS (
    UPDATE rm_deadlines SET status = 'extended', closed_at = $4, closed_position = $3
    WHERE {_IN_M} AND step_id = $5 AND status = 'open'
), deadline AS (
    INSERT INTO rm_deadlines (mandate_id, step_id, set_position, attempt, deadline, set_at, previous,
                              reason, set_by, status)
    SELECT m.mandate_id, $5, $3,
           coalesce((SELECT attempt FROM rm_steps WHERE mandate_id = $1 AND step_id = $5), 0),
           $6, $4, $8, $9, $10, 'open'
    FROM m
)
SELECT count(*) FROM m
"""

# $5 step_id
_STEP_OVERDUE = f"""
WITH {_bump()},
step AS (UPDATE rm_steps SET overdue = true WHERE {_IN_M} AND step_id = $5),
deadline AS (UPDATE rm_deadlines SET overdue = true WHERE {_IN_M} AND step_id = $5 AND status = 'open')
SELECT count(*) FROM m
"""

# $5 step_id, $6 escalation
_ESCALATED = f"""
WITH {_bump()},
step AS (UPDATE rm_steps SET escalations = $6 WHERE {_IN_M} AND step_id = $5)
SELECT count(*) FROM m
"""

# $5 step_id, $6 approvers, $7 rule
_APPROVAL_REQUESTED = f"""
WITH {_bump()},
step AS (UPDATE rm_steps SET approvers = $6, rule = $7 WHERE {_IN_M} AND step_id = $5),
approvals AS (DELETE FROM rm_approvals WHERE {_IN_M} AND step_id = $5)
SELECT count(*) FROM m
"""

# $5 step_id, $6 by, $7 comment
_APPROVED = f"""
WITH {_bump()},
approval AS (
    INSERT INTO rm_approvals (mandate_id, step_id, approver, ordinal, comment, approved_at, position)
    SELECT m.mandate_id, $5, $6,
           (SELECT count(*) + 1 FROM rm_approvals WHERE mandate_id = $1 AND step_id = $5)::int,
           $7, $4, $3
    FROM m
)
SELECT count(*) FROM m
"""

# $5 step_id (the approval), $6 go_to, $7 comment
_REJECTED = f"""
WITH {_bump("current_step = NULL")},
span AS (
    SELECT (SELECT ordinal FROM rm_steps WHERE mandate_id = $1 AND step_id = $6) AS lo,
           (SELECT ordinal FROM rm_steps WHERE mandate_id = $1 AND step_id = $5) AS hi
), steps AS (
    UPDATE rm_steps s SET
        status = CASE WHEN s.ordinal BETWEEN span.lo AND span.hi THEN 'pending' ELSE s.status END,
        rejections = s.rejections + CASE WHEN s.step_id = $5 THEN 1 ELSE 0 END,
        rework_comment = CASE WHEN s.step_id = $6 THEN $7 ELSE s.rework_comment END
    FROM span
    WHERE s.{_IN_M} AND (s.ordinal BETWEEN span.lo AND span.hi OR s.step_id IN ($5, $6))
), deadline AS ({_CLOSE_DEADLINE}
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 outcome, $7 effort_days, $8 cost, $9 currency, $10 by
_TASK_COMPLETED = f"""
WITH {_bump("effort_days = effort_days + $7::numeric")},
step AS (UPDATE rm_steps SET outcome = $6 WHERE {_IN_M} AND step_id = $5),
cost AS (
    INSERT INTO rm_costs (position, mandate_id, step_id, occurred_at, done_by, effort_days, cost, currency)
    SELECT $3, m.mandate_id, $5, $4, $10, $7, $8, $9 FROM m
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 outcome ('' for none)
_STEP_COMPLETED = f"""
WITH {_bump("current_step = NULL")},
step AS (
    UPDATE rm_steps SET status = 'completed', completed_at = $4,
        outcome = CASE WHEN $6::text <> '' THEN $6::text ELSE outcome END
    WHERE {_IN_M} AND step_id = $5
), deadline AS ({_CLOSE_DEADLINE}
)
SELECT count(*) FROM m
"""

# $5 step_id, $6 non_respondents, $7 reason
_CONSULTATION_CLOSED = f"""
WITH {_bump()},
step AS (UPDATE rm_steps SET closed_reason = $7 WHERE {_IN_M} AND step_id = $5),
parties AS (
    UPDATE rm_consultation_parties SET non_respondent = (party = ANY ($6::text[]))
    WHERE {_IN_M} AND step_id = $5
)
SELECT count(*) FROM m
"""

_COMPLETED_SET = "status = 'completed', ended_at = $4"
_MANDATE_COMPLETED = f"WITH {_bump(_COMPLETED_SET)} SELECT count(*) FROM m"

# $5 reason
_WITHDRAWN_SET = "status = 'withdrawn', ended_at = $4, withdrawal_reason = $5"
_MANDATE_WITHDRAWN = f"""
WITH {_bump(_WITHDRAWN_SET)},
deadlines AS (
    UPDATE rm_deadlines SET status = 'cancelled', closed_at = $4, closed_position = $3
    WHERE {_IN_M} AND status = 'open'
)
SELECT count(*) FROM m
"""

_VERSION_OF = "SELECT version FROM rm_mandates WHERE mandate_id = $1"


# --- applying one event -------------------------------------------------------


def plan_step_columns(mandate: Mandate, started_at: datetime) -> list[dict[str, Any]]:
    """The rm_steps columns ``MandateStarted`` sets for each step of the plan, in plan order
    (the rebuild in projections/rebuild.py makes its rows from the same values)."""
    rows = []
    for ordinal, step in enumerate(mandate.plan.steps, start=1):
        rows.append(
            {
                "step_id": step.id,
                "ordinal": ordinal,
                "type": step.type,
                "title": step.title,
                "assignee": step.assignee if isinstance(step, TaskStep | ReportStep) else None,
                "body": step.body if isinstance(step, ReportStep) else None,
                "approvers": list(step.approvers) if isinstance(step, ApprovalStep) else [],
                "rule": step.rule if isinstance(step, ApprovalStep) else None,
                "planned_due": step.due_at(started_at),
            }
        )
    return rows


def _step_rows(mandate: Mandate, started_at: datetime) -> str:
    """The plan's steps as the JSON array ``_MANDATE_STARTED`` unpacks with jsonb_to_recordset."""
    return json.dumps(
        [
            {**row, "planned_due": row["planned_due"].isoformat()}
            for row in plan_step_columns(mandate, started_at)
        ]
    )


def _args(event: ev.MandateEvent) -> tuple[str, tuple[Any, ...]]:
    """The statement for a (non-start) event and its own parameters ($5...)."""
    match event:
        case ev.StepStarted():
            return _STEP_STARTED, (event.step_id, event.attempt, event.deadline)
        case ev.ConsultationOpened():
            return _CONSULTATION_OPENED, (event.step_id, event.parties, event.closes_at, event.confidential)
        case ev.ResponseReceived():
            return _RESPONSE_RECEIVED, (event.step_id, event.party)
        case ev.ReminderDue():
            return _REMINDER_DUE, (event.step_id, event.days_before)
        case ev.DeadlineExtended():
            return _DEADLINE_EXTENDED, (
                event.step_id,
                event.until,
                event.closes_at,
                event.previous,
                event.reason,
                event.by,
            )
        case ev.StepOverdue():
            return _STEP_OVERDUE, (event.step_id,)
        case ev.Escalated():
            return _ESCALATED, (event.step_id, event.escalation)
        case ev.ApprovalRequested():
            return _APPROVAL_REQUESTED, (event.step_id, event.approvers, event.rule)
        case ev.Approved():
            return _APPROVED, (event.step_id, event.by, event.comment)
        case ev.Rejected():
            return _REJECTED, (event.step_id, event.go_to, event.comment)
        case ev.TaskCompleted():
            return _TASK_COMPLETED, (
                event.step_id,
                event.outcome,
                event.effort_days,
                event.cost,
                event.currency,
                event.by,
            )
        case ev.StepCompleted():
            return _STEP_COMPLETED, (event.step_id, event.outcome)
        case ev.ConsultationClosed():
            return _CONSULTATION_CLOSED, (event.step_id, event.non_respondents, event.reason)
        case ev.MandateCompleted():
            return _MANDATE_COMPLETED, ()
        case ev.MandateWithdrawn():
            return _MANDATE_WITHDRAWN, (event.reason,)
    return _VERSION_ONLY, ()


async def apply_event(conn: asyncpg.Connection, stored: StoredEvent) -> bool:
    """Apply one audit event to the read models, inside the caller's transaction.

    Returns False for an event the read models ignore (a stream that is no mandate).

    Raises:
        ProjectionInconsistent: the read model of the event's mandate is not at the
            version before the event (it would be applied twice, or one was skipped).
    """
    head = (stored.stream_id, stored.version, stored.position, stored.occurred_at)
    if stored.type == FOLLOWED:
        f = read_followed(stored.stream_id, stored.payload)
        await conn.execute(
            _MANDATE_FOLLOWED,
            f.mandate_id,
            *head[1:],
            f.resolution_slug,
            f.resolution_symbol,
            f.paragraph,
            f.verb,
            f.actor,
            f.kinds,
            f.reports_to,
            f.text,
        )
        return True
    if stored.type not in DOMAIN_EVENT_TYPES:
        statement, args = _VERSION_ONLY, ()
    else:
        event = ev.from_payload(stored.type, stored.payload)
        if isinstance(event, ev.MandateStarted):
            mandate = event.mandate
            await conn.fetchval(
                _MANDATE_STARTED,
                *head,
                mandate.resolution_slug,
                mandate.resolution_symbol,
                mandate.paragraph,
                mandate.verb,
                mandate.actor.value,
                [k.value for k in mandate.kinds],
                mandate.confidential,
                mandate.reports_to,
                mandate.report_due,
                mandate.coordinator,
                mandate.title,
                _step_rows(mandate, event.at),
            )
            return True
        statement, args = _args(event)
    if await conn.fetchval(statement, *head, *args) == 1:
        return True
    held = await conn.fetchval(_VERSION_OF, stored.stream_id)
    if held is None:
        return False  # not a mandate's stream (or its start is not in the log): nothing to project
    raise ProjectionInconsistent(
        f"event #{stored.position} is version {stored.version} of {stored.stream_id}, "
        f"but the read model holds version {held}"
    )
