"""The review calendar's tables (migration 011): every statement that reads or writes them.

- The projection's path (``projections.reviews``): read the records the calendar folds
  (``calendar_records``), take out of the tables the part a batch touches (``take_out``),
  write it back after the fold (``write``), or truncate everything for a rebuild.
- The queries: the stages (all, one State's, a window's), the stages of some keys (the
  import's comparison), the overlapping pairs (``overlap_pairs``: each State's stages walked
  in order of start through the index ``rm_reviews_state_start``), the costs answered.
- The staging area of imports (``stage_batch``, ``staged_batch``, ``drop_batch``): the events an
  import asks the worker to append, by the SHA-256 of their text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from domain.calendar import CALENDAR_RECORD_TYPES, CostAnswer, ReviewCalendar
from domain.forms import Form
from domain.reviews import REVIEW_EVENT_TYPES, Stage, name_key, review_uid
from domain.values import RECORDED

CHECKPOINT = "reviews"
"""The checkpoint of the calendar's projection (a row of ``projection_checkpoints``)."""
TABLES: dict[str, tuple[str, ...]] = {
    "rm_reviews": (
        "review_key", "state_key", "mechanism_key", "uid", "mechanism", "state", "cycle", "stage",
        "start_date", "end_date", "confidential", "notes", "source", "refs",
    ),
    "rm_review_names": ("name_key", "display"),
    "rm_review_forms": ("mandate_id", "step_id", "form"),
    "rm_review_costs": (
        "source", "ordinal", "mechanism", "amount", "currency", "party", "mandate_id", "step_id", "question",
        "confidential", "position",
    ),
}  # fmt: skip

# --- the projection's reading of the log -----------------------------------------------------

_RECORDS = f"""
SELECT position, stream_id, event_type, occurred_at, payload::text AS payload
FROM audit_events
WHERE position > $1 AND position <= $2
  AND (event_type IN ({", ".join(f"'{t}'" for t in sorted(REVIEW_EVENT_TYPES))})
       OR (event_type = 'ResponseReceived' AND payload ? 'answers')
       OR (event_type = 'MandateStarted' AND jsonb_path_exists(payload, '$.mandate.plan.steps[*].form')))
ORDER BY position
"""
assert CALENDAR_RECORD_TYPES == {*REVIEW_EVENT_TYPES, "ResponseReceived", "MandateStarted"}


@dataclass(frozen=True)
class Record:
    """A record the calendar folds (the fields of an audit record it reads)."""

    position: int
    stream_id: str
    type: str
    occurred_at: datetime
    payload: str  # its text


async def calendar_records(conn: asyncpg.Connection, after: int, upto: int) -> list[Record]:
    """The records after position ``after`` up to ``upto`` that the calendar folds, in order."""
    return [Record(*row) for row in await conn.fetch(_RECORDS, after, upto)]


async def head(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT position FROM audit_head"))


# --- taking out and writing back ----------------------------------------------------------------

_TAKE_STAGES = f"""
DELETE FROM rm_reviews WHERE review_key = ANY ($1::text[]) OR source = ANY ($2::text[])
RETURNING {", ".join(TABLES["rm_reviews"])}
"""
_TAKE_NAMES = "DELETE FROM rm_review_names WHERE name_key = ANY ($1::text[]) RETURNING name_key, display"
_TAKE_COSTS = f"""
DELETE FROM rm_review_costs WHERE source = ANY ($1::text[])
RETURNING {", ".join(TABLES["rm_review_costs"])}
"""
_FORMS = "SELECT mandate_id, step_id, form FROM rm_review_forms WHERE mandate_id = ANY ($1::text[])"
_TRUNCATE = f"TRUNCATE {', '.join(TABLES)}"


def _stage(row: Any) -> Stage:
    """A stage from its row (read as the projection wrote it: not validated again)."""
    notes = row["notes"]
    return Stage.model_construct(
        key=row["review_key"],
        mechanism=row["mechanism"],
        state=row["state"],
        cycle=row["cycle"],
        stage=row["stage"],
        start=row["start_date"],
        end=row["end_date"],
        confidential=row["confidential"],
        notes=json.loads(notes) if isinstance(notes, str) else dict(notes or {}),
        source=row["source"],
        refs=tuple(row["refs"] or ()),
    )


def _cost(row: Any) -> CostAnswer:
    return CostAnswer(
        mechanism=row["mechanism"],
        amount=Decimal(format(row["amount"], "f")),  # (the driver reads 70000 as 7E+4)
        currency=row["currency"],
        party=row["party"],
        mandate_id=row["mandate_id"],
        step_id=row["step_id"],
        question=row["question"],
        confidential=row["confidential"],
        source=row["source"],
        ref=row["position"],
    )


async def forms_of(conn: asyncpg.Connection, mandate_ids: Iterable[str]) -> dict[tuple[str, str], Form]:
    """The forms that feed the calendar of these mandates' steps."""
    rows = await conn.fetch(_FORMS, sorted(set(mandate_ids)))
    return {
        (r["mandate_id"], r["step_id"]): Form.model_validate_json(r["form"], context=RECORDED) for r in rows
    }


async def take_out(
    conn: asyncpg.Connection,
    keys: Iterable[str],
    sources: Iterable[str],
    names: Iterable[str],
    forms: dict[tuple[str, str], Form],
) -> ReviewCalendar:
    """Delete the rows of the stages of these keys or sources, the names of these name keys and
    the costs of these sources, and return them as a calendar to fold into (with ``forms``)."""
    calendar = ReviewCalendar(forms=dict(forms))
    for row in await conn.fetch(_TAKE_STAGES, sorted(set(keys)), sorted(set(sources))):
        calendar.stages[row["review_key"]] = _stage(row)
    calendar.names.update(
        {r["name_key"]: r["display"] for r in await conn.fetch(_TAKE_NAMES, sorted(set(names)))}
    )
    for row in await conn.fetch(_TAKE_COSTS, sorted(set(sources))):
        calendar.costs.setdefault(row["source"], []).append(_cost(row))
    return calendar


def _stage_row(stage: Stage) -> tuple[Any, ...]:
    return (
        stage.key,
        name_key(stage.state),
        name_key(stage.mechanism),
        review_uid(stage.key),
        stage.mechanism,
        stage.state,
        stage.cycle,
        stage.stage,
        stage.start,
        stage.end,
        stage.confidential,
        json.dumps(stage.notes, sort_keys=True, ensure_ascii=False),
        stage.source,
        list(stage.refs),
    )


async def write(conn: asyncpg.Connection, calendar: ReviewCalendar) -> None:
    """COPY back what a calendar holds: its stages, its names (those taken out and the new
    ones), the forms new to it, and its costs."""
    records: dict[str, list[tuple[Any, ...]]] = {
        "rm_reviews": [_stage_row(s) for s in calendar.stages.values()],
        "rm_review_names": list(calendar.names.items()),
        "rm_review_forms": [
            (m, s, calendar.forms[(m, s)].model_dump_json()) for m, s in sorted(calendar.new_forms)
        ],
        "rm_review_costs": [
            (
                c.source, n, c.mechanism, c.amount, c.currency, c.party, c.mandate_id, c.step_id, c.question,
                c.confidential, c.ref,
            )
            for costs in calendar.costs.values()
            for n, c in enumerate(costs, start=1)
        ],
    }  # fmt: skip
    for table, rows in records.items():
        if rows:
            await conn.copy_records_to_table(table, records=rows, columns=TABLES[table])


async def truncate(conn: asyncpg.Connection) -> None:
    await conn.execute(_TRUNCATE)


# --- reading -------------------------------------------------------------------------------------

_STAGES = f"""
SELECT {", ".join(TABLES["rm_reviews"])} FROM rm_reviews
WHERE ($1::text IS NULL OR state_key = $1)
  AND ($2::date IS NULL OR end_date >= $2)
  AND ($3::date IS NULL OR start_date <= $3)
ORDER BY state_key, start_date, end_date, mechanism_key, review_key
"""
_BY_KEYS = f"SELECT {', '.join(TABLES['rm_reviews'])} FROM rm_reviews WHERE review_key = ANY ($1::text[])"
_COUNT = "SELECT count(*) FROM rm_reviews"
_COSTS = (
    f"SELECT {', '.join(TABLES['rm_review_costs'])} FROM rm_review_costs ORDER BY position, source, ordinal"
)
_SIDE = ("uid", "mechanism", "cycle", "stage", "start_date", "end_date", "confidential")
_OVERLAPS = f"""
SELECT a.state, {", ".join(f"a.{c}" for c in _SIDE)}, {", ".join(f"b.{c}" for c in _SIDE)},
       greatest(a.start_date, b.start_date) - least(a.end_date, b.end_date) AS gap_days
FROM rm_reviews a
CROSS JOIN LATERAL (
    SELECT * FROM rm_reviews b
    WHERE b.state_key = a.state_key
      AND b.start_date >= a.start_date
      AND b.start_date <= a.end_date + $1::integer
      AND b.mechanism_key <> a.mechanism_key
      AND (b.start_date, b.end_date, b.mechanism_key, b.review_key)
        > (a.start_date, a.end_date, a.mechanism_key, a.review_key)
) b
WHERE ($2::text IS NULL OR a.state_key = $2)
ORDER BY a.state_key, a.start_date, b.start_date, a.end_date, a.mechanism_key, a.review_key,
         b.end_date, b.mechanism_key, b.review_key
"""
"""Each stage ``a`` (read in the order of the index ``rm_reviews_state_start``) with the stages
``b`` of its State and another mechanism that start no earlier (in the order of
``Stage.order``) and no later than the window after ``a`` ends: a range of that index per stage,
never a State's every pair. In the order of ``domain.reviews.overlap_order``; each row: the
State, then ``a``'s and ``b``'s ``_SIDE`` columns, then the gap in days."""


async def stages(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    state_key: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Stage]:
    """The stages (of one State, and at least partly within ``start``..``end``), by State and date."""
    return [_stage(r) for r in await conn.fetch(_STAGES, state_key, start, end)]


async def stages_by_key(conn: asyncpg.Connection | asyncpg.Pool, keys: Sequence[str]) -> dict[str, Stage]:
    """The stages of these keys the calendar holds."""
    return {r["review_key"]: _stage(r) for r in await conn.fetch(_BY_KEYS, list(keys))}


async def count(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    return int(await conn.fetchval(_COUNT))


async def overlap_rows(
    conn: asyncpg.Connection | asyncpg.Pool, window_days: int, state_key: str | None = None
) -> list[asyncpg.Record]:
    """The overlapping pairs of stages (``_OVERLAPS``), in order: State, ``a``, ``b``, gap."""
    return await conn.fetch(_OVERLAPS, window_days, state_key)


async def costs(conn: asyncpg.Connection | asyncpg.Pool) -> list[CostAnswer]:
    return [_cost(r) for r in await conn.fetch(_COSTS)]


# --- the staging area of imports --------------------------------------------------------------

_STAGE = "INSERT INTO review_import_batches (sha256, events) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING"
_STAGED = "SELECT events FROM review_import_batches WHERE sha256 = $1"
_DROP = "DELETE FROM review_import_batches WHERE sha256 = $1"


async def stage_batch(pool: asyncpg.Pool, sha256: str, events: str) -> None:
    """Keep an import's events (their JSON text) for the worker, by their SHA-256."""
    await pool.execute(_STAGE, sha256, events)


async def staged_batch(pool: asyncpg.Pool, sha256: str) -> str | None:
    return await pool.fetchval(_STAGED, sha256)


async def drop_batch(pool: asyncpg.Pool, sha256: str) -> None:
    await pool.execute(_DROP, sha256)
