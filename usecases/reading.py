"""Reading what the engine knows: the list of mandates, one mandate, its answers, the read
models' lag.

All of it comes from the read models and the audit log; none of it needs Temporal, so it
works while Temporal is down and after workflow histories have gone with retention. The
read models hold no response text: the answers are read from the audit log, and a
confidential one only by those who may read it (``mandate_answers``).
"""

from __future__ import annotations

import os
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from config.identity import load_directory
from config.settings import SettingsInvalid
from domain import events as ev
from domain.plan import ApprovalStep
from projections import CHECKPOINT, CheckpointStatus, MandateDetail, MandateSummary, Projector
from projections import list_mandates as _list_mandates
from projections import mandate_detail as _mandate_detail
from projections.queries import StepDetail
from store.audit import AuditStore
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
    "list_mandates",
    "mandate_answers",
    "projection_status",
    "reader_names",
    "rebuild_projections",
    "show_mandate",
]


async def list_mandates(
    engine: Engine, *, status: str | None = None, kind: str | None = None, overdue: bool = False
) -> list[MandateSummary]:
    """The mandates by resolution and paragraph; ``overdue``: active ones past their step's
    deadline now."""
    return await _list_mandates(
        await engine.pool(), now=engine.now(), status=status, kind=kind, overdue=overdue
    )


async def show_mandate(engine: Engine, mandate_id: str) -> MandateDetail | None:
    """One mandate: its steps, deadlines, parties, costs and timeline (None if unknown)."""
    return await _mandate_detail(await engine.pool(), mandate_id)


async def projection_status(engine: Engine) -> CheckpointStatus:
    """How far the read models are behind the audit log."""
    return await Projector(await engine.pool(), name=CHECKPOINT).status()


async def rebuild_projections(engine: Engine) -> tuple[int, CheckpointStatus]:
    """Rebuild every read model from the whole log, in one transaction; the events replayed."""
    projector = Projector(await engine.pool())
    replayed = await projector.rebuild()
    return replayed, await projector.status()


class AnswerText(BaseModel):
    """A party's answer to a consultation as it counts now (its latest revision), with its
    text, or without it when it is confidential and the reader may not read it."""

    model_config = ConfigDict(frozen=True)

    step_id: str
    party: str
    at: datetime
    revision: int  # 0: the first answer; 1, 2...: it replaced the earlier ones
    by: str | None  # who recorded it on the party's behalf (None: the party itself)
    position: int  # its audit log position
    confidential: bool
    length: int  # characters
    text: str | None  # None: withheld (confidential, and the reader may not read it)

    def shown(self) -> str:
        """The text, or ``confidential: 412 characters`` when it is withheld."""
        return self.text if self.text is not None else f"confidential: {self.length} characters"


class MandateAnswers(BaseModel):
    """The answers of a mandate's consultations, step by step and party by party (those of
    each consultation's latest round), and who may read its confidential ones."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    readers: list[str]  # the coordinator and the approvers: who may read confidential answers
    steps: dict[str, dict[str, AnswerText]]


async def mandate_answers(
    engine: Engine, mandate_id: str, *, reader_names: set[str] | None
) -> MandateAnswers | None:
    """The answers of a mandate's consultations, read from its audit stream (None when the log
    holds no mandate of that id).

    ``reader_names``: the names the reader acts as (a person and their roles, as an identity
    has them). A confidential answer's text is given only if one of them is the mandate's
    coordinator or an approver of one of its steps; otherwise it is withheld (``text`` None,
    its length given). None: no identities to judge by, and the reader has chosen to read
    confidential answers (``mandates show --confidential``): every text is given.
    """
    stream = await AuditStore(await engine.pool()).read_stream(mandate_id)
    started = next((r for r in stream if r.type == "MandateStarted"), None)
    if started is None:
        return None
    event = ev.event_of(started.stream_id, started.type, started.payload, started.occurred_at)
    assert isinstance(event, ev.MandateStarted)
    mandate = event.mandate
    readers = [mandate.coordinator]
    for step in mandate.plan.steps:
        if isinstance(step, ApprovalStep):
            readers += [a for a in step.approvers if a not in readers]
    may_read = reader_names is None or bool(reader_names & set(readers))
    steps: dict[str, dict[str, AnswerText]] = {}
    for record in stream:
        p = record.payload
        if record.type == "ConsultationOpened":
            steps[str(p.get("step_id"))] = {}  # (a new round: the answers of the last count)
        elif record.type == "ResponseReceived":
            text, confidential = str(p.get("text", "")), bool(p.get("confidential"))
            step_id, party = str(p.get("step_id")), str(p.get("party"))
            steps.setdefault(step_id, {})[party] = AnswerText(
                step_id=step_id,
                party=party,
                at=record.occurred_at,
                revision=int(p.get("revision") or 0),
                by=p.get("by"),
                position=record.position,
                confidential=confidential,
                length=len(text),
                text=text if may_read or not confidential else None,
            )
    return MandateAnswers(mandate_id=mandate_id, readers=readers, steps={k: v for k, v in steps.items() if v})


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
