"""The review calendar: import the mechanisms' schedules, and see where they weigh on States.

- ``import_reviews`` / ``import_reviews_file``: a calendar file (CSV) checked line by line
  (``ReviewsInvalid``: every problem, nothing recorded), compared with the calendar as it
  stands (the same rows again record nothing; a changed row is a change), and the changes
  recorded by the worker (``ReviewsImportWorkflow``, started with the caller's signature).
- ``overlaps``, ``burden``, ``costs``, ``state_timeline``: what the calendar shows, as a viewer
  may see it: a confidential stage's details only to the roles allowed
  (``domain.access.may_see_confidential_reviews``), when asked (``reveal``); otherwise "a
  confidential review", counted in the burden all the same;
- ``reviews_calendar``: the calendar as iCalendar, an export: confidential stages left out.

Every read brings the calendar's projection up to the log's head first, so that what was
just imported (or answered) is what it shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from datetime import date
from pathlib import Path

import asyncpg
from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from config.identity import load_directory
from delivery.reviews import reviews_calendar as ics_of
from domain.access import REVIEW_COORDINATORS, may_see_confidential_reviews
from domain.calendar import CostComparison, compare_costs
from domain.errors import VersionConflict
from domain.reviews import (
    DEFAULT_WINDOW_DAYS,
    REVIEW_STREAM,
    BurdenView,
    ImportOutcome,
    OverlapView,
    ReviewsInvalid,
    StageView,
    StateTimeline,
    burden_view,
    events_json,
    parse_reviews_csv,
    plan_changes,
    stage_view,
    window_problem,
)
from domain.reviews import state_timeline as timeline_of
from projections import reviews as calendar
from projections.reviews import ReviewsProjector
from store.audit import AuditStore
from store.reviews import drop_batch, stage_batch
from usecases.engine import Engine
from usecases.errors import BadInput, NotFound, Refused
from usecases.files import MEGABYTE, read_limited
from workflows.reviews import ReviewImport, ReviewImportResult, ReviewsImportWorkflow, import_workflow_id

CALENDAR_LIMIT = 20 * MEGABYTE
"""A calendar file (50,000 rows of a few hundred characters fit)."""
ATTEMPTS = 3
"""Comparisons of one import with a calendar that another import changed meanwhile."""

__all__ = [
    "BurdenView",
    "CostComparison",
    "ImportOutcome",
    "Imported",
    "OverlapView",
    "ReviewsInvalid",
    "StageView",
    "StateTimeline",
    "Viewer",
    "burden",
    "costs",
    "import_reviews",
    "import_reviews_file",
    "overlaps",
    "reviews_calendar",
    "state_timeline",
    "viewer_of",
]


class Viewer(BaseModel):
    """Who looks at the calendar: a person and every name they hold (their roles)."""

    model_config = ConfigDict(frozen=True)

    person: str
    names: frozenset[str]

    def reveal(self, wanted: bool) -> bool:
        """Whether confidential details are shown: only when ``wanted`` and allowed (``Refused``
        when wanted and not allowed)."""
        if not wanted:
            return False
        reason = may_see_confidential_reviews(self.person, self.names)
        if reason is not None:
            raise Refused(reason)
        return True


def viewer_of(engine: Engine, person: str | None = None) -> Viewer:
    """The viewer a command acts for: ``person`` (default ``MANDATES_USER``, else the login
    name) with the roles an identities file this caller can read gives them. Without any
    identities file nothing is checked (as for updates, the dev default): the person holds
    every name."""
    settings = engine.settings
    who = person or settings.acting_person()
    book = settings.identities_file or settings.dev_identities_file
    if settings.identities_file is None and not book.is_file():
        return Viewer(person=who, names=frozenset({who, *REVIEW_COORDINATORS}))
    if book.is_file() and os.access(book, os.R_OK):
        identity = load_directory(book).person(who)
        if identity is not None:
            return Viewer(person=who, names=identity.names())
    return Viewer(person=who, names=frozenset({who}))


async def _ready(engine: Engine) -> asyncpg.Pool:
    """The pool, with the calendar's projection brought up to the log's head."""
    pool = await engine.pool()
    await ReviewsProjector(pool).catch_up()
    return pool


# --- importing ---------------------------------------------------------------------------------


class Imported(BaseModel):
    """What an import did: the rows read, what they changed, and where the log holds it."""

    model_config = ConfigDict(frozen=True)

    source: str
    rows: int
    outcome: ImportOutcome
    recorded: ReviewImportResult | None = None

    def line(self) -> str:
        counts = self.outcome.line()
        if self.recorded is None:
            return f"{self.source}: {self.rows} rows, nothing new to record ({counts})"
        where = (
            f"#{self.recorded.first_position}"
            if self.recorded.first_position == self.recorded.last_position
            else f"#{self.recorded.first_position} to #{self.recorded.last_position}"
        )
        return f"{self.source}: {self.rows} rows: {counts}; recorded at audit positions {where}"


async def import_reviews_file(engine: Engine, path: Path, actor: str, *, timeout: float = 120.0) -> Imported:
    """Import a calendar file (``read_limited``: a file over ``CALENDAR_LIMIT`` is refused unread)."""
    return await import_reviews(
        engine, read_limited(path, CALENDAR_LIMIT, "review calendar"), path.name, actor, timeout=timeout
    )


async def import_reviews(
    engine: Engine, data: bytes, filename: str, actor: str, *, timeout: float = 120.0
) -> Imported:
    """Check a calendar file, compare it with the calendar, and have the worker record the
    changes (the caller signs the start; ``actor`` is who the log says imported them).

    Raises:
        ReviewsInvalid: every problem of the file, one line each; nothing is recorded.
        Refused: the worker refused or did not answer in time.
    """
    rows = parse_reviews_csv(data, filename)
    keys = sorted({row.review.key for row in rows})
    for _ in range(ATTEMPTS):
        pool = await engine.pool()
        version = await AuditStore(pool).stream_version(REVIEW_STREAM)  # before the catch-up (see below)
        await ReviewsProjector(pool).catch_up()
        outcome = plan_changes(
            rows, await calendar.current_reviews(pool, keys), by=actor, at=engine.now(), source=filename
        )
        if not outcome.events:
            return Imported(source=filename, rows=len(rows), outcome=outcome)
        try:
            recorded = await _record(engine, pool, outcome, version, actor, filename, timeout)
        except VersionConflict:
            continue  # another import moved the calendar after ``version``: compare again
        await ReviewsProjector(pool).catch_up()
        return Imported(source=filename, rows=len(rows), outcome=outcome, recorded=recorded)
    raise Refused("the review calendar kept changing while this file was compared with it; import it again")


async def _record(
    engine: Engine,
    pool: asyncpg.Pool,
    outcome: ImportOutcome,
    version: int,
    actor: str,
    filename: str,
    timeout: float,
) -> ReviewImportResult:
    client = await engine.temporal()  # (before staging: a server that cannot be reached leaves nothing)
    text = events_json(outcome.events).decode("utf-8")
    batch = hashlib.sha256(text.encode("utf-8")).hexdigest()
    await stage_batch(pool, batch, text)
    request = ReviewImport(
        batch=batch, events=len(outcome.events), expected_version=version, by=actor, source=filename
    )
    workflow_id = import_workflow_id(version, batch)
    try:
        handle = await client.start_workflow(
            ReviewsImportWorkflow.run,
            request,
            id=workflow_id,
            task_queue=engine.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"review calendar · {len(outcome.events)} changes from {filename}",
            result_type=ReviewImportResult,
        )
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle(workflow_id, result_type=ReviewImportResult)
    try:
        async with asyncio.timeout(timeout):
            result = await handle.result()
    except TimeoutError:
        raise Refused(
            f"{filename}: no answer from the worker within {timeout:g} s (it may still be recorded; "
            "is the worker running? `mandates dev status`)"
        ) from None
    except WorkflowFailureError as exc:
        await drop_batch(pool, batch)  # the workflow is over: nothing will read the batch again
        cause = exc.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = cause.cause
        if isinstance(cause, ApplicationError) and cause.type == VersionConflict.code:
            raise VersionConflict(REVIEW_STREAM, version, -1) from None
        reason = cause.message if isinstance(cause, ApplicationError) else str(exc.cause or exc)
        raise Refused(f"{filename} not recorded: {reason}") from None
    await drop_batch(pool, batch)
    return result


# --- reading ---------------------------------------------------------------------------------------


def _window(window_days: int) -> int:
    problem = window_problem(window_days)
    if problem is not None:
        raise BadInput(problem)
    return window_days


async def overlaps(
    engine: Engine,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    state: str | None = None,
    viewer: Viewer | None = None,
    reveal: bool = False,
) -> list[OverlapView]:
    """Every pair of stages of two different mechanisms for one State that overlap or lie
    within ``window_days`` of each other, by State then date (``reveal``: confidential details
    too, for a viewer allowed to see them)."""
    shown = viewer.reveal(reveal) if viewer is not None else False
    pool = await _ready(engine)
    return await calendar.overlaps(pool, _window(window_days), state, reveal=shown)


def _period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise BadInput(f"the window ends ({end}) before it starts ({start})")


async def burden(
    engine: Engine,
    *,
    start: date | None = None,
    end: date | None = None,
    viewer: Viewer | None = None,
    reveal: bool = False,
) -> list[BurdenView]:
    """Per State, the mechanisms reviewing it, the stages and the days under review between
    ``start`` and ``end`` (overlapping days once), heaviest first."""
    _period(start, end)
    shown = viewer.reveal(reveal) if viewer is not None else False
    pool = await _ready(engine)
    return [burden_view(row, shown) for row in await calendar.burden_of(pool, start, end)]


async def costs(engine: Engine) -> list[CostComparison]:
    """The costs of one country review the parties answered, per mechanism and currency."""
    return compare_costs(await calendar.costs(await _ready(engine)))


async def state_timeline(
    engine: Engine,
    state: str,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    viewer: Viewer | None = None,
    reveal: bool = False,
) -> StateTimeline:
    """One State's reviews: a lane per mechanism (overlapping stages marked), its overlaps and
    its burden (``NotFound`` when the calendar holds none)."""
    shown = viewer.reveal(reveal) if viewer is not None else False
    pool = await _ready(engine)
    found = timeline_of(await calendar.stages(pool, state=state), _window(window_days), shown)
    if found is None:
        raise NotFound(f"the review calendar holds no review of {state!r}")
    return found


class ReviewsCalendar(BaseModel):
    """The review calendar as iCalendar text: the entries written and the stages left out
    (confidential, for a viewer who may not see them)."""

    model_config = ConfigDict(frozen=True)

    text: str
    entries: int
    hidden: int


async def reviews_calendar(engine: Engine, *, state: str | None = None) -> ReviewsCalendar:
    """The calendar's stages (of one State) as one iCalendar file: an export, so a confidential
    stage is left out whoever asks (its dates would be its details)."""
    pool = await _ready(engine)
    views = [stage_view(s, reveal=False) for s in await calendar.stages(pool, state=state)]
    text, events = ics_of(views, engine.now())
    return ReviewsCalendar(text=text, entries=len(events), hidden=sum(1 for v in views if v.hidden))


async def rebuild_calendar(engine: Engine) -> int:
    """Empty the calendar's tables and fold the whole log into them again; the records folded."""
    return await ReviewsProjector(await engine.pool()).rebuild()
