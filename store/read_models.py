"""The read-model tables (migrations 003 and 008): every statement that reads or writes them.

The rows are computed in Python (``projections``: the fold of each mandate's events,
mapped to rows); this module only moves them. Writing is always the same path, for the
live projector and the rebuild alike: ``take_out`` deletes the rows of some mandates and
hands back the states they were written from, and ``write`` puts every row of the states
held with COPY.

The projection's checkpoint (``projection_checkpoints``) says how far into the audit log
the rows go; it moves in the same transaction as the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

TABLES: dict[str, tuple[str, ...]] = {
    "rm_mandates": (
        "mandate_id", "resolution_slug", "resolution_symbol", "paragraph", "verb", "actor", "kinds",
        "confidential", "reports_to", "report_due", "coordinator", "title", "paragraph_text", "status",
        "current_step", "version", "effort_days", "started_at", "ended_at", "withdrawal_reason",
        "first_position", "last_position", "last_event_at", "current_type", "current_deadline",
        "waiting_on",
    ),
    "rm_steps": (
        "mandate_id", "step_id", "ordinal", "type", "title", "assignee", "body", "approvers", "rule",
        "status", "attempt", "planned_due", "deadline", "deadline_set_at", "extensions", "reminders_sent",
        "overdue", "escalations", "closes_at", "confidential", "closed_reason", "rejections",
        "rework_comment", "outcome", "completed_at",
    ),
    "rm_consultation_parties": (
        "mandate_id", "step_id", "party", "ordinal", "status", "answered_at", "answered_position",
        "non_respondent",
    ),
    "rm_approvals": ("mandate_id", "step_id", "approver", "ordinal", "comment", "approved_at", "position"),
    "rm_deadlines": (
        "mandate_id", "step_id", "set_position", "attempt", "deadline", "set_at", "previous", "reason",
        "set_by", "status", "overdue", "closed_at", "closed_position",
    ),
    "rm_costs": (
        "position", "mandate_id", "step_id", "occurred_at", "done_by", "effort_days", "cost", "currency",
    ),
    "rm_mandate_states": ("mandate_id", "state"),
}  # fmt: skip
"""Every read-model table and its columns (the last: the states the projector carries on from)."""

READ_MODEL_TABLES: tuple[str, ...] = tuple(TABLES)

# --- the projection's checkpoint ------------------------------------------------

_ENSURE = "INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
_LOCK = "SELECT position, schema FROM projection_checkpoints WHERE name = $1 FOR UPDATE"
_LOCK_OR_SKIP = f"{_LOCK} SKIP LOCKED"
_SAVE = "UPDATE projection_checkpoints SET position = $2, schema = $3, updated_at = now() WHERE name = $1"
_STATUS = """
SELECT c.name, c.position, c.schema, c.updated_at, h.position AS head
FROM projection_checkpoints c CROSS JOIN audit_head h
WHERE c.name = $1
"""
_BEHIND = """
SELECT (SELECT position FROM audit_head)
     - coalesce((SELECT position FROM projection_checkpoints WHERE name = $1), 0)
"""
_LAGS = """
SELECT c.name, greatest(h.position - c.position, 0)::bigint AS lag
FROM projection_checkpoints c CROSS JOIN audit_head h
"""


async def ensure_checkpoint(conn: asyncpg.Connection, name: str) -> None:
    await conn.execute(_ENSURE, name)


async def lock_checkpoint(conn: asyncpg.Connection, name: str, *, wait: bool = True) -> asyncpg.Record | None:
    """Lock the checkpoint row for the caller's transaction: its ``position`` and ``schema``
    (None when ``wait`` is False and another projector holds it)."""
    return await conn.fetchrow(_LOCK if wait else _LOCK_OR_SKIP, name)


async def save_checkpoint(conn: asyncpg.Connection, name: str, position: int, schema: int) -> None:
    await conn.execute(_SAVE, name, position, schema)


async def checkpoint_status(conn: asyncpg.Connection, name: str) -> asyncpg.Record:
    return await conn.fetchrow(_STATUS, name)


async def behind(pool: asyncpg.Pool, name: str) -> int:
    """Events in the log beyond the checkpoint."""
    return int(await pool.fetchval(_BEHIND, name))


async def lags(conn: asyncpg.Connection) -> dict[str, int]:
    """How far each projection is behind the log's head."""
    return {r["name"]: r["lag"] for r in await conn.fetch(_LAGS)}


# --- writing ------------------------------------------------------------------------

_TRUNCATE = f"TRUNCATE {', '.join(TABLES)}"
_TAKE_OUT = (
    "WITH "
    + ", ".join(
        f"d{n} AS (DELETE FROM {table} WHERE mandate_id = ANY ($1::text[]))"
        for n, table in enumerate(TABLES)
        if table not in ("rm_mandates", "rm_mandate_states")
    )
    + ", m AS (DELETE FROM rm_mandates WHERE mandate_id = ANY ($1::text[]) RETURNING mandate_id, version)"
    + " DELETE FROM rm_mandate_states s WHERE s.mandate_id = ANY ($1::text[])"
    + " RETURNING s.mandate_id, s.state, (SELECT m.version FROM m WHERE m.mandate_id = s.mandate_id)"
)


async def truncate(conn: asyncpg.Connection) -> None:
    await conn.execute(_TRUNCATE)


async def take_out(conn: asyncpg.Connection, mandate_ids: Sequence[str]) -> list[tuple[str, str, int | None]]:
    """Delete every row of these mandates; return the states they were written from:
    ``(mandate_id, state as text, the version its rm_mandates row held)``, none for a
    mandate with no rows."""
    if not mandate_ids:
        return []
    return [tuple(r) for r in await conn.fetch(_TAKE_OUT, list(mandate_ids))]  # type: ignore[misc]


async def write(conn: asyncpg.Connection, rows: Mapping[str, Iterable[tuple[Any, ...]]]) -> None:
    """COPY rows into their tables (``rows``: table name → tuples in ``TABLES`` order)."""
    for table, records in rows.items():
        await conn.copy_records_to_table(table, records=records, columns=TABLES[table])


# --- reading ---------------------------------------------------------------------

_MANDATE = "SELECT * FROM rm_mandates WHERE mandate_id = $1"
_VERSION = "SELECT version FROM rm_mandates WHERE mandate_id = $1"
_STEPS = "SELECT * FROM rm_steps WHERE mandate_id = $1 ORDER BY ordinal"
_PARTIES = "SELECT * FROM rm_consultation_parties WHERE mandate_id = $1 ORDER BY step_id, ordinal"
_APPROVALS = "SELECT * FROM rm_approvals WHERE mandate_id = $1 ORDER BY step_id, ordinal"
_DEADLINES = "SELECT * FROM rm_deadlines WHERE mandate_id = $1 ORDER BY set_position"
_COSTS = "SELECT * FROM rm_costs WHERE mandate_id = $1 ORDER BY position"
_TIMELINE = """
SELECT position, version, event_type, occurred_at, actor, payload::text AS payload
FROM audit_events WHERE stream_id = $1 ORDER BY version
"""
_LIST_WHERE = """
FROM rm_mandates m
WHERE ($1::text IS NULL OR m.status = $1)
  AND ($2::text IS NULL OR $2 = ANY (m.kinds))
  AND (NOT $3::boolean OR (m.status = 'active' AND m.current_type IS NOT NULL AND (
           m.current_deadline < $4
           OR EXISTS (SELECT FROM rm_steps o WHERE o.mandate_id = m.mandate_id
                                              AND o.step_id = m.current_step AND o.overdue))))
  AND ($5::text IS NULL OR lower($5) IN (lower(m.resolution_slug), lower(m.resolution_symbol)))
  AND ($6::text IS NULL OR m.mandate_id ILIKE $6 OR m.title ILIKE $6 OR m.paragraph_text ILIKE $6
       OR m.resolution_symbol ILIKE $6 OR m.verb ILIKE $6)
"""
_LIST = f"""
WITH page AS (  -- the page of rm_mandates first, then what its rows show (for those rows only)
    SELECT m.mandate_id, m.resolution_slug, m.resolution_symbol, m.paragraph, m.kinds, m.status,
           m.version, m.current_step AS listed_step
    {_LIST_WHERE}
    ORDER BY m.resolution_slug, m.paragraph, m.mandate_id
    LIMIT $7 OFFSET $8
)
SELECT p.mandate_id, p.resolution_symbol, p.paragraph, p.kinds, p.status, p.version,
       s.step_id AS current_step, s.type AS step_type, s.deadline, s.overdue AS step_overdue,
       s.assignee, s.approvers,
       coalesce((SELECT array_agg(c.party ORDER BY c.ordinal) FROM rm_consultation_parties c
                 WHERE c.mandate_id = p.mandate_id AND c.step_id = s.step_id
                   AND c.status = 'awaiting'), '{{}}') AS awaiting_parties,
       coalesce((SELECT array_agg(a.approver ORDER BY a.ordinal) FROM rm_approvals a
                 WHERE a.mandate_id = p.mandate_id AND a.step_id = s.step_id), '{{}}') AS approved
FROM page p
LEFT JOIN rm_steps s
       ON s.mandate_id = p.mandate_id AND s.step_id = p.listed_step
      AND s.status = 'active' AND p.status = 'active'
ORDER BY p.resolution_slug, p.paragraph, p.mandate_id
"""
_COUNT = f"SELECT count(*) {_LIST_WHERE}"
_WORK_WHERE = """
FROM rm_mandates m
WHERE m.status = 'active' AND cardinality(m.waiting_on) > 0 AND (
       (m.current_type = 'approval' AND m.waiting_on && $1::text[])
    OR (m.current_type IN ('task', 'report')
        AND (m.waiting_on && $1::text[] OR m.coordinator = ANY ($1::text[])))
    OR (m.current_type = 'consultation' AND m.coordinator = ANY ($1::text[])))
"""
_WORK = f"""
WITH mine AS (
    SELECT m.mandate_id, m.resolution_symbol, m.paragraph, m.title, m.coordinator, m.current_step,
           m.current_type, m.current_deadline, m.waiting_on
    {_WORK_WHERE}
    ORDER BY m.current_deadline, m.mandate_id
    LIMIT $2
)
SELECT mine.*, s.title AS step_title, s.overdue
FROM mine JOIN rm_steps s ON s.mandate_id = mine.mandate_id AND s.step_id = mine.current_step
ORDER BY mine.current_deadline, mine.mandate_id
"""
_WORK_COUNT = f"SELECT count(*)::bigint {_WORK_WHERE}"
_BY_STATUS = "SELECT status, count(*)::bigint AS n FROM rm_mandates GROUP BY status"
_OVERDUE_STEPS = """
SELECT count(*)::bigint FROM rm_steps
WHERE status = 'active' AND (overdue OR deadline < $1)
"""


async def mandate_rows(conn: asyncpg.Connection, mandate_id: str) -> dict[str, Any] | None:
    """Every read-model row of one mandate (None if it has none), read in the caller's
    transaction: ``mandate`` and lists of ``steps``, ``parties``, ``approvals``,
    ``deadlines``, ``costs``."""
    mandate = await conn.fetchrow(_MANDATE, mandate_id)
    if mandate is None:
        return None
    return {
        "mandate": mandate,
        "steps": await conn.fetch(_STEPS, mandate_id),
        "parties": await conn.fetch(_PARTIES, mandate_id),
        "approvals": await conn.fetch(_APPROVALS, mandate_id),
        "deadlines": await conn.fetch(_DEADLINES, mandate_id),
        "costs": await conn.fetch(_COSTS, mandate_id),
    }


async def mandate_version(pool: asyncpg.Pool, mandate_id: str) -> int:
    """The version of the mandate the read models hold (0: none yet)."""
    return int(await pool.fetchval(_VERSION, mandate_id) or 0)


async def timeline_rows(conn: asyncpg.Connection, mandate_id: str) -> list[asyncpg.Record]:
    """A mandate's audit events, in order: position, version, type, time, actor, payload text."""
    return await conn.fetch(_TIMELINE, mandate_id)


async def list_rows(
    pool: asyncpg.Pool,
    *,
    status: str | None,
    kind: str | None,
    overdue: bool,
    now: datetime,
    resolution: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[asyncpg.Record]:
    """The mandates with their current step, by resolution and paragraph (``text``: a case-
    insensitive search of the id, title, paragraph text, symbol and verb)."""
    pattern = _pattern(text)
    return await pool.fetch(_LIST, status, kind, overdue, now, resolution, pattern, limit, offset)


async def count_rows(
    pool: asyncpg.Pool,
    *,
    status: str | None,
    kind: str | None,
    overdue: bool,
    now: datetime,
    resolution: str | None = None,
    text: str | None = None,
) -> int:
    """How many mandates ``list_rows`` gives without a limit."""
    return int(await pool.fetchval(_COUNT, status, kind, overdue, now, resolution, _pattern(text)))


def _pattern(text: str | None) -> str | None:
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def work_rows(pool: asyncpg.Pool, names: list[str], limit: int | None = None) -> list[asyncpg.Record]:
    """The current steps that wait on any of ``names``: approvals they have yet to give, tasks
    and reports they are assigned (or coordinate), consultations they coordinate that wait on
    a party; soonest deadline first (the first ``limit``). From ``rm_mandates`` alone (its
    ``current_type``, ``current_deadline`` and ``waiting_on``), then the page's steps."""
    return await pool.fetch(_WORK, names, limit)


async def work_count(pool: asyncpg.Pool, names: list[str]) -> int:
    """How many steps ``work_rows`` gives without a limit."""
    return int(await pool.fetchval(_WORK_COUNT, names))


async def mandates_by_status(conn: asyncpg.Connection) -> dict[str, int]:
    return {r["status"]: r["n"] for r in await conn.fetch(_BY_STATUS)}


async def overdue_steps(conn: asyncpg.Connection, now: datetime) -> int:
    return int(await conn.fetchval(_OVERDUE_STEPS, now))
