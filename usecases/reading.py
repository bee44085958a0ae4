"""Reading what the engine knows: the list of mandates, one mandate, its answers, the read
models' lag.

All of it comes from the read models and the audit log; none of it needs Temporal, so it
works while Temporal is down and after workflow histories have gone with retention. The
read models hold no response text: the answers are read from the audit log, and a
confidential one only by those who may read it (``mandate_answers``).
"""

from __future__ import annotations

import asyncio
import os
import time

from pydantic import BaseModel, ConfigDict

from config.identity import load_directory
from config.settings import SettingsInvalid
from projections import CHECKPOINT, CheckpointStatus, MandateDetail, MandateSummary, Projector
from projections import list_mandates as _list_mandates
from projections import mandate_detail as _mandate_detail
from projections.queries import StepDetail, WorkItem, count_mandates, count_work, mandate_version, work_for
from usecases.answers import AnswerView, read_answers
from usecases.engine import Engine

STATUSES = ("active", "completed", "withdrawn", "followed")

__all__ = [
    "STATUSES",
    "AnswerText",
    "CheckpointStatus",
    "MandateAnswers",
    "MandateDetail",
    "MandateSummary",
    "StepDetail",
    "WorkItem",
    "browse",
    "caught_up",
    "list_mandates",
    "mandate_answers",
    "my_work",
    "projection_status",
    "reader_names",
    "rebuild_projections",
    "show_mandate",
    "work_count",
]


async def list_mandates(
    engine: Engine, *, status: str | None = None, kind: str | None = None, overdue: bool = False
) -> list[MandateSummary]:
    """The mandates by resolution and paragraph; ``overdue``: active ones past their step's
    deadline now."""
    return await _list_mandates(
        await engine.pool(), now=engine.now(), status=status, kind=kind, overdue=overdue
    )


async def browse(
    engine: Engine,
    *,
    status: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
    resolution: str | None = None,
    text: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[MandateSummary], int]:
    """One page of the mandates (the filters of ``list``, a resolution, a text search), and
    how many there are in all."""
    pool, now = await engine.pool(), engine.now()
    filters = {"status": status, "kind": kind, "overdue": overdue, "resolution": resolution, "text": text}
    page = max(page, 1)
    return await asyncio.gather(  # (two connections: the count is read while the page is)
        _list_mandates(pool, now=now, limit=per_page, offset=(page - 1) * per_page, **filters),
        count_mandates(pool, now=now, **filters),
    )


async def my_work(engine: Engine, names: set[str], limit: int | None = None) -> list[WorkItem]:
    """What waits for a person (their name and roles): approvals, tasks, consultations they
    coordinate that still wait on parties; soonest deadline first (the first ``limit``)."""
    return await work_for(await engine.pool(), names, engine.now(), limit)


async def work_count(engine: Engine, names: set[str]) -> int:
    """How many steps wait for a person (the count ``my_work`` gives without a limit)."""
    return await count_work(await engine.pool(), names)


async def show_mandate(engine: Engine, mandate_id: str) -> MandateDetail | None:
    """One mandate: its steps, deadlines, parties, costs and timeline (None if unknown)."""
    return await _mandate_detail(await engine.pool(), mandate_id)


async def caught_up(engine: Engine, mandate_id: str, version: int, *, within: float = 3.0) -> bool:
    """Wait (``within`` seconds at most) until the read models hold the mandate at ``version``:
    so that a page shown after an action shows what it recorded. Whether they do."""
    deadline = time.monotonic() + within
    pool = await engine.pool()
    while True:
        if await mandate_version(pool, mandate_id) >= version:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)


async def projection_status(engine: Engine) -> CheckpointStatus:
    """How far the read models are behind the audit log."""
    return await Projector(await engine.pool(), name=CHECKPOINT).status()


async def rebuild_projections(engine: Engine) -> tuple[int, CheckpointStatus]:
    """Rebuild every read model from the whole log, in one transaction; the events replayed."""
    projector = Projector(await engine.pool())
    replayed = await projector.rebuild()
    return replayed, await projector.status()


AnswerText = AnswerView
"""A party's answer as ``show`` prints it (its text, or withheld when confidential)."""


class MandateAnswers(BaseModel):
    """The answers of a mandate's consultations, step by step and party by party (those of
    each consultation's latest round, each party's latest revision), and who may read its
    confidential ones."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    readers: list[str]  # the coordinator and the approvers: who may read confidential answers
    steps: dict[str, dict[str, AnswerView]]


async def mandate_answers(
    engine: Engine, mandate_id: str, *, reader_names: set[str] | None
) -> MandateAnswers | None:
    """The answers that count now, read from the mandate's audit stream (None when the log
    holds no mandate of that id); ``reader_names`` as ``usecases.answers.read_answers`` has it
    (None: no identities to judge by, and the reader chose to read confidential answers:
    ``mandates show --confidential``)."""
    found = await read_answers(engine, mandate_id, reader_names=reader_names)
    if found is None:
        return None
    steps: dict[str, dict[str, AnswerView]] = {}
    for answer in found.answers:
        if answer.latest and answer.current_round:
            steps.setdefault(answer.step_id, {})[answer.party] = answer
    return MandateAnswers(mandate_id=mandate_id, readers=found.readers, steps=steps)


def reader_names(engine: Engine) -> set[str] | None:
    """The names the person running this command acts as (``MANDATES_USER``, else the login
    name: the person and their roles), from the identities file when it can be read (the dev
    stack's, or ``MANDATES_IDENTITIES``); None when there is none to read."""
    settings = engine.settings
    book = settings.identities_file or settings.dev_identities_file
    if not (book.is_file() and os.access(book, os.R_OK)):
        return None
    person = settings.acting_person()
    try:
        identity = load_directory(book).person(person)
    except SettingsInvalid:  # (the worker refuses such a file; reading goes on without it)
        return None
    return set(identity.names()) if identity is not None else {person}
