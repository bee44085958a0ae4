"""The calendar's activity: append an import's review events to the calendar's audit stream.

The use case that imports a calendar file works out what changes (``domain.reviews``), keeps
the events in the staging area under the SHA-256 of their text (``store.reviews``) and
starts ``ReviewsImportWorkflow`` with that hash, signed by the caller. Here the worker reads
the staged text, checks its hash and that every event is the caller's, and appends the
events to ``REVIEW_STREAM`` in one statement (signed with the worker's key), at the version
the use case compared with: a calendar that moved meanwhile is a version conflict, and the
use case compares again.

Idempotent: each event's key is ``review-calendar:<version>``, so a retry after a write that
succeeded returns the stored events and writes nothing.
"""

from __future__ import annotations

import hashlib

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.audit import UNRECORDABLE_ERRORS, unrecordable
from domain.errors import DomainError, IdempotencyConflict
from domain.reviews import REVIEW_STREAM, events_from_json, review_payload
from store import reviews as staging
from store.audit import AuditStore, NewEvent
from store.chain import normalize_json


class ReviewImport(BaseModel):
    """An import to record: the staged batch (the SHA-256 of its events' text), how many
    events it holds, the calendar's version they were compared with, who imports and from
    which file. The caller's signature over these covers the events by their hash."""

    model_config = ConfigDict(frozen=True)

    batch: str = Field(pattern=r"^[0-9a-f]{64}$")
    events: int = Field(ge=1)
    expected_version: int = Field(ge=0)
    by: str = Field(min_length=1)
    source: str = ""


class ReviewImportResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int  # the calendar stream's version after the import
    first_position: int
    last_position: int


def review_key_of(version: int) -> str:
    """The idempotency key of the calendar event at ``version``."""
    return f"{REVIEW_STREAM}:{version}"


def _refused(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=code, non_retryable=True)


class ReviewActivities:
    """The calendar's activities, built once with the worker's store and pool."""

    def __init__(self, store: AuditStore, pool: asyncpg.Pool) -> None:
        self._store = store
        self._pool = pool

    @activity.defn(name="append_review_batch")
    async def append_review_batch(self, request: ReviewImport) -> ReviewImportResult:
        """Append the staged events of ``request.batch`` at versions ``expected_version + 1 ...``.

        Raises:
            ApplicationError: non-retryable: the batch is not staged or not what its hash
                says, an event is not the caller's, the calendar moved on (a version
                conflict), or the database refuses the data.
        """
        text = await staging.staged_batch(self._pool, request.batch)
        if text is None:
            raise _refused("batch_missing", f"import {request.batch[:12]} is not in the staging area")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != request.batch:
            raise _refused("batch_altered", f"import {request.batch[:12]} does not hold what its hash says")
        try:
            events = events_from_json(text)
        except ValidationError as exc:
            raise _refused(
                "batch_unreadable", f"import {request.batch[:12]} cannot be read: {exc.errors()[0]['msg']}"
            ) from None
        if len(events) != request.events or any(e.by != request.by for e in events):
            raise _refused(
                "batch_altered", f"import {request.batch[:12]} is not the one {request.by} asked for"
            )
        new_events = []
        for offset, event in enumerate(events, start=1):
            event_type, payload = review_payload(event)
            new_events.append(
                NewEvent(
                    type=event_type,
                    actor=request.by,
                    occurred_at=event.at,
                    payload=payload,
                    idempotency_key=review_key_of(request.expected_version + offset),
                    correlation_id=f"reviews-import:{request.batch[:16]}",
                )
            )
        try:
            stored = await self._store.append(REVIEW_STREAM, request.expected_version, new_events)
        except DomainError as err:
            raise _refused(err.code, str(err)) from None
        except UNRECORDABLE_ERRORS as err:
            raise unrecordable(err, "audit log") from None
        if [(s.type, normalize_json(s.payload)) for s in stored] != [
            (n.type, normalize_json(n.payload)) for n in new_events
        ]:
            conflict = IdempotencyConflict(
                f"stream {REVIEW_STREAM!r} holds other events at versions "
                f"{request.expected_version + 1}..{request.expected_version + len(new_events)}"
            )
            raise _refused(conflict.code, str(conflict))
        return ReviewImportResult(
            version=request.expected_version + len(new_events),
            first_position=stored[0].position,
            last_position=stored[-1].position,
        )
