"""Importing a resolution: parse it, plan its mandates, start them, record the rest as followed.

Parsing and planning are pure (``domain.resolution``, ``domain.importing``) and validate
everything, plans included, before anything starts. Starting is idempotent: a mandate's
workflow id is its mandate id, so importing the same resolution again starts nothing new
and says what already runs; a followed paragraph is recorded once.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

import documents
from domain.events import MandateFollowed
from domain.importing import ImportPlan, plan_import
from domain.plan import PlanInvalid
from domain.resolution import Resolution, parse_resolution
from store.audit import AuditStore
from usecases.engine import Engine
from usecases.errors import Refused
from workflows.followed import FollowedParagraphWorkflow
from workflows.starter import start_mandate


class Imported(BaseModel):
    """What became of one operative paragraph: started, already running or closed, or followed."""

    model_config = ConfigDict(frozen=True)

    paragraph: int
    mandate_id: str
    status: str


def read_resolution(data: bytes) -> Resolution:
    """The resolution a document holds: PDF, Word, HTML or text, told by its content
    (``DocumentUnreadable`` or ``ResolutionUnreadable`` when it holds none)."""
    return documents.read_resolution(data)


def read_resolution_file(path: Path) -> Resolution:
    """The resolution of a file, refused by its size before it is read when too large."""
    return parse_resolution(documents.read_document_file(path).text)


def plan_document(data: bytes) -> Any:
    """The data of a JSON plan file (``PlanInvalid`` in one line when it is not JSON)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanInvalid("plan file is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise PlanInvalid(f"plan file is not valid JSON: {err.msg} at line {err.lineno}") from None
    except (ValueError, RecursionError) as err:
        raise PlanInvalid(f"plan file is not a usable plan: {err}") from None


def plan(resolution: Resolution, now: datetime, plan_data: Any | None = None) -> ImportPlan:
    """The mandates to start (with their plans: the defaults, or the plan file's) and the
    paragraphs to follow; ``PlanInvalid`` before anything starts when a plan breaks a rule."""
    return plan_import(resolution, now, plan_data)


async def _record_followed(
    engine: Engine, client: Client, followed: MandateFollowed, actor: str, timeout: float
) -> str:
    """Record a followed paragraph through the worker (which signs the event), once."""
    store = AuditStore(await engine.pool())
    if await store.stream_version(followed.mandate_id) > 0:
        return "followed (already recorded)"
    try:
        handle = await client.start_workflow(
            FollowedParagraphWorkflow.run,
            followed.model_copy(update={"by": actor}),
            id=followed.mandate_id,
            task_queue=engine.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"{followed.resolution_symbol} para {followed.paragraph} · followed",
        )
    except WorkflowAlreadyStartedError:
        return "followed (already recorded)"
    try:
        async with asyncio.timeout(timeout):
            await handle.result()
    except TimeoutError:
        raise Refused(
            f"paragraph {followed.paragraph}: no answer from the worker within {timeout:g} s "
            f"(it may still be recorded; is the worker running? `mandates dev status`)"
        ) from None
    except WorkflowFailureError as exc:
        cause = exc.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        raise Refused(f"paragraph {followed.paragraph} not recorded: {reason}") from None
    return "followed"


async def start(engine: Engine, planned: ImportPlan, actor: str, *, timeout: float = 30.0) -> list[Imported]:
    """Start every mandate and record every followed paragraph (through the worker);
    idempotent. Nothing is recorded unless Temporal answers."""
    client = await engine.temporal()
    rows = [
        Imported(
            paragraph=followed.paragraph,
            mandate_id=followed.mandate_id,
            status=await _record_followed(engine, client, followed, actor, timeout),
        )
        for followed in planned.followed
    ]
    for mandate in planned.mandates:
        started = await start_mandate(client, mandate, engine.settings.task_queue)
        rows.append(
            Imported(
                paragraph=mandate.paragraph, mandate_id=mandate.id, status=started.status.replace("_", " ")
            )
        )
    return sorted(rows, key=lambda r: (r.paragraph, r.mandate_id))
