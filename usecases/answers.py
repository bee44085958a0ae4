"""What the consulted parties said: every answer of a mandate, read from its audit stream.

The read models keep who answered and when, never the text; the text is in the audit log
alone. A confidential consultation's answers are read in full only by the mandate's
coordinator and the approvers of its plan (and by the party itself, its own); anyone else
sees that an answer came and how long it is.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain import events as ev
from domain.mandate import Mandate
from domain.plan import ApprovalStep
from store.audit import AuditStore
from usecases.engine import Engine


class AnswerView(BaseModel):
    """One answer (a first answer, or a revision of it) as a reader may see it."""

    model_config = ConfigDict(frozen=True)

    step_id: str
    party: str
    at: datetime
    position: int
    revision: int
    latest: bool  # the one that counts (a later revision replaces it)
    by: str | None  # recorded on the party's behalf by
    confidential: bool
    length: int
    text: str | None  # None: withheld from this reader (confidential)
    attachments: list[ev.Attachment]


def _own(event: ev.ResponseReceived, names: Collection[str] | None) -> bool:
    return names is not None and event.party in names


def may_read_confidential(mandate: Mandate, names: Collection[str]) -> bool:
    """The mandate's coordinator and the approvers of its plan read confidential answers."""
    readers = {mandate.coordinator}
    readers.update(a for s in mandate.plan.steps if isinstance(s, ApprovalStep) for a in s.approvers)
    return any(name in readers for name in names)


async def mandate_answers(
    engine: Engine, mandate_id: str, *, reader_names: Collection[str] | None
) -> list[AnswerView]:
    """Every answer of the mandate, in the order they came (``reader_names``: the reader's
    person and roles; None reads everything, as the log's own reader)."""
    stream = await AuditStore(await engine.pool()).read_stream(
        mandate_id, ("MandateStarted", "ResponseReceived")
    )
    mandate: Mandate | None = None
    answers: list[tuple[int, ev.ResponseReceived]] = []
    for record in stream:
        event = ev.event_of(record.stream_id, record.type, record.payload, record.occurred_at)
        if isinstance(event, ev.MandateStarted):
            mandate = event.mandate
        elif isinstance(event, ev.ResponseReceived):
            answers.append((record.position, event))
    readable = reader_names is None or (mandate is not None and may_read_confidential(mandate, reader_names))
    last = {(e.step_id, e.party): position for position, e in answers}
    return [
        AnswerView(
            step_id=e.step_id,
            party=e.party,
            at=e.at,
            position=position,
            revision=e.revision,
            latest=last[(e.step_id, e.party)] == position,
            by=e.by,
            confidential=e.confidential,
            length=len(e.text),
            text=e.text
            if not e.confidential or readable or (reader_names and e.party in reader_names)
            else None,
            attachments=list(e.attachments),
        )
        for position, e in answers
    ]
