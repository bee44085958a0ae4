"""The audit activity: append a batch of a mandate's events to its audit stream.

Idempotent: each event's key is ``<mandate-id>:<version>``, so a retry after a
write that succeeded (or a replay) returns the stored events and writes nothing.

An error that no retry can mend is not retried: a version or idempotency conflict, and
what the database refuses for what it was given (``unrecordable``: a character its
encoding cannot hold, a value past its limits). The workflow gets it at once, typed with
the error's code, and refuses the command that led to it.
"""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.errors import DomainError, IdempotencyConflict, Unrecordable
from domain.events import MandateEvent, to_payload
from store.audit import AuditStore, NewEvent
from store.chain import normalize_json


def idempotency_key(mandate_id: str, version: int) -> str:
    """The audit idempotency key of the event at ``version`` of a mandate's stream."""
    return f"{mandate_id}:{version}"


UNRECORDABLE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.DataError,  # SQLSTATE class 22: untranslatable characters, values out of range, ...
    asyncpg.ProgramLimitExceededError,  # class 54: a value past what Postgres holds
    ValueError,  # what cannot even be sent: a lone surrogate, NaN in JSON (UnicodeError too)
)
"""What the database (or its driver) refuses for the data it was given, every time."""


def unrecordable(err: BaseException, what: str) -> ApplicationError:
    """The non-retryable error of an activity whose data the store refuses for good."""
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    refused = Unrecordable(f"the {what} cannot record this: {reason}")
    return ApplicationError(str(refused), type=refused.code, non_retryable=True)


class AppendEventsInput(BaseModel):
    """Append a batch of a mandate's events at versions expected_version+1, +2, ..."""

    model_config = ConfigDict(frozen=True)

    stream_id: str
    expected_version: int
    events: list[MandateEvent]
    correlation_id: str | None = None
    causation_id: str | None = None


class AppendEventsResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int  # the stream's version after the batch


class AuditActivities:
    """Activities that write the audit log, built once with the worker's store."""

    def __init__(self, store: AuditStore) -> None:
        self._store = store

    @activity.defn(name="append_mandate_events")
    async def append_mandate_events(self, request: AppendEventsInput) -> AppendEventsResult:
        """Append the batch at versions ``expected_version + 1 ...``, exactly once.

        Raises:
            ApplicationError: non-retryable, typed with the store's error code, when
                the stream is at another version or the keys belong to other events,
                or ``unrecordable`` when the database refuses the events' data.
        """
        new_events = []
        try:
            for offset, event in enumerate(request.events, start=1):
                event_type, payload = to_payload(event)
                new_events.append(
                    NewEvent(
                        type=event_type,
                        actor=event.actor,
                        occurred_at=event.at,
                        payload=payload,
                        idempotency_key=idempotency_key(request.stream_id, request.expected_version + offset),
                        correlation_id=request.correlation_id,
                        causation_id=request.causation_id,
                    )
                )
            stored = await self._store.append(request.stream_id, request.expected_version, new_events)
        except DomainError as err:
            raise ApplicationError(str(err), type=err.code, non_retryable=True) from None
        except UNRECORDABLE_ERRORS as err:
            raise unrecordable(err, "audit log") from None
        if [(s.type, normalize_json(s.payload)) for s in stored] != [
            (n.type, normalize_json(n.payload)) for n in new_events
        ]:
            conflict = IdempotencyConflict(
                f"stream {request.stream_id!r} holds other events at versions "
                f"{request.expected_version + 1}..{request.expected_version + len(new_events)}"
            )
            raise ApplicationError(str(conflict), type=conflict.code, non_retryable=True)
        return AppendEventsResult(version=request.expected_version + len(new_events))
