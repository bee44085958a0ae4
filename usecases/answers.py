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
from domain.forms import FormAnswers
from domain.mandate import Mandate
from domain.plan import ApprovalStep
from projections.fold import ReadModelFold
from store.audit import read_stream_records
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
    answers: FormAnswers | None = None  # its questionnaire's answers (withheld as its text is)
    round: int = 1  # the round of its consultation (a step sent back and asked again: 2, 3...)
    current_round: bool = True  # of the step's latest round (what counts now)

    def shown(self) -> str:
        """The text, or ``confidential: 412 characters`` when it is withheld."""
        return self.text if self.text is not None else f"confidential: {self.length} characters"


class Answers(BaseModel):
    """Every answer of a mandate, in the order they came, and who may read confidential ones."""

    model_config = ConfigDict(frozen=True)

    mandate: Mandate
    readers: list[str]  # the coordinator and the approvers of the plan
    answers: list[AnswerView]


def confidential_readers(mandate: Mandate) -> list[str]:
    """Who reads a mandate's confidential answers: its coordinator and its plan's approvers."""
    readers = [mandate.coordinator]
    for step in mandate.plan.steps:
        if isinstance(step, ApprovalStep):
            readers += [a for a in step.approvers if a not in readers]
    return readers


def may_read_confidential(mandate: Mandate, names: Collection[str]) -> bool:
    """The mandate's coordinator and the approvers of its plan read confidential answers."""
    return any(name in confidential_readers(mandate) for name in names)


async def read_answers(
    engine: Engine, mandate_id: str, *, reader_names: Collection[str] | None
) -> Answers | None:
    """Every answer of the mandate (None when the log holds no mandate of that id).

    ``reader_names``: the reader's person and roles; a confidential answer's text is given to
    the mandate's coordinator and approvers, and to the party itself. None reads everything
    (the log's own reader, or ``mandates show --confidential`` where no identities judge)."""
    types = ("MandateStarted", "ConsultationOpened", "ResponseReceived")
    records = await read_stream_records(await engine.pool(), mandate_id, types)
    mandate: Mandate | None = None
    rounds: dict[str, int] = {}
    found: list[tuple[int, int, ev.ResponseReceived]] = []
    for position, stream_id, _, event_type, occurred_at, payload in records:
        event = ReadModelFold.read(stream_id, event_type, occurred_at, payload)  # (as the projections read)
        if isinstance(event, ev.MandateStarted):
            mandate = event.mandate
        elif isinstance(event, ev.ConsultationOpened):
            rounds[event.step_id] = rounds.get(event.step_id, 0) + 1
        elif isinstance(event, ev.ResponseReceived):
            found.append((position, rounds.get(event.step_id, 1), event))
    if mandate is None:
        return None
    readable = reader_names is None or may_read_confidential(mandate, reader_names)
    last = {(e.step_id, e.party): position for position, _, e in found}

    def may_read(e: ev.ResponseReceived) -> bool:
        return not e.confidential or readable or bool(reader_names and e.party in reader_names)

    views = [
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
            text=e.text if may_read(e) else None,
            attachments=list(e.attachments),
            answers=e.answers if may_read(e) else None,
            round=number,
            current_round=number == rounds.get(e.step_id, 1),
        )
        for position, number, e in found
    ]
    return Answers(mandate=mandate, readers=confidential_readers(mandate), answers=views)


async def mandate_answers(
    engine: Engine, mandate_id: str, *, reader_names: Collection[str] | None
) -> list[AnswerView]:
    """Every answer of the mandate, in the order they came (none for an unknown mandate)."""
    found = await read_answers(engine, mandate_id, reader_names=reader_names)
    return found.answers if found is not None else []
