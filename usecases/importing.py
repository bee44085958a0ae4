"""Importing a resolution: parse it, plan its mandates, start them, record the rest as followed.

Parsing and planning are pure (``domain.resolution``, ``domain.importing``) and validate
everything, plans included, before anything starts. Starting is idempotent: a mandate's
workflow id is its mandate id, so importing the same resolution again starts nothing new
and says what already runs; a followed paragraph is recorded once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

import documents
from config.audit_keys import audit_signer
from domain.events import MandateFollowed, to_payload
from domain.importing import ImportPlan, plan_import
from domain.resolution import Resolution, parse_resolution
from store.audit import AuditStore, NewEvent
from usecases.engine import Engine
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


def plan(resolution: Resolution, now: datetime, plan_data: Any | None = None) -> ImportPlan:
    """The mandates to start (with their plans: the defaults, or the plan file's) and the
    paragraphs to follow; ``PlanInvalid`` before anything starts when a plan breaks a rule."""
    return plan_import(resolution, now, plan_data)


async def _record_followed(store: AuditStore, followed: MandateFollowed, actor: str) -> str:
    if await store.stream_version(followed.mandate_id) > 0:
        return "followed (already recorded)"
    event_type, payload = to_payload(followed)
    await store.append(
        followed.mandate_id,
        0,
        [
            NewEvent(
                type=event_type,
                actor=actor,
                occurred_at=followed.at,
                payload=payload,
                idempotency_key=f"{followed.mandate_id}:followed",
            )
        ],
    )
    return "followed"


async def start(engine: Engine, planned: ImportPlan, actor: str) -> list[Imported]:
    """Start every mandate and record every followed paragraph; idempotent. Nothing is
    recorded unless Temporal answers."""
    client = await engine.temporal()
    store = AuditStore(await engine.pool(), signer=audit_signer(engine.settings))
    rows = [
        Imported(
            paragraph=followed.paragraph,
            mandate_id=followed.mandate_id,
            status=await _record_followed(store, followed, actor),
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
