"""A consulted party answering from its personal link, with no account.

``link_for`` makes the address of one party's link to the current round of a consultation
(a coordinator copies it, the reminder e-mails carry it); ``open_link`` checks a link and
says what it asks (the resolution, the paragraph, the step, the deadline, the party's own
earlier answer); ``answer`` records the party's answer (a revision when it answered before),
with the files it sends stored by their SHA-256, which the audit event names, and queues a
confirmation e-mail to the party; ``revoke`` stops a link working.

The console signs the answer as the web console's identity *for the party* (the link is the
party's proof); the worker accepts that only for an answer of that party to its consultation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from config import links
from config.identity import ON_BEHALF_OF
from domain import events as ev
from domain.forms import AnswersInvalid, Form, FormAnswers, summary, table_rows_from_csv, validate_answers
from domain.plan import ConsultationStep
from projections.queries import MandateDetail, StepDetail
from store.console import ConsoleStore
from store.notifications import Notification, NotificationKind, NotificationOutbox
from usecases import steering
from usecases.answers import AnswerView, read_answers
from usecases.engine import Engine
from usecases.errors import NotFound, Refused
from usecases.reading import show_mandate
from usecases.steering import Recorded, RespondRequest

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.text": (b"PK\x03\x04",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": (),
    "text/csv": (),
}
"""The files a party may send, and how each begins (text has no signature: it must decode)."""


@dataclass(frozen=True)
class Upload:
    """A file as the party sent it."""

    name: str
    content_type: str
    content: bytes


class PartyRequest(BaseModel):
    """What a party's link asks of it."""

    model_config = ConfigDict(frozen=True)

    token: str
    party: str
    mandate: MandateDetail
    step: StepDetail
    earlier: AnswerView | None  # the party's own latest answer in this round
    form: Form | None = None  # the consultation's questionnaire, if it has one
    answers: FormAnswers | None = None  # the party's latest answers to it (to start from)


def _secret(engine: Engine) -> bytes:
    return engine.settings.web_secret_bytes()


async def link_for(engine: Engine, mandate_id: str, step_id: str, party: str) -> str:
    """The address of the party's link to the current round of the consultation."""
    detail = await show_mandate(engine, mandate_id)
    step = next((s for s in detail.steps if s.step_id == step_id), None) if detail else None
    if detail is None or step is None or step.type != "consultation":
        raise NotFound(f"no consultation {step_id!r} in mandate {mandate_id!r}")
    if party not in {p.party for p in step.parties}:
        raise Refused(f"{party!r} is not consulted in step {step_id!r}")
    return await (await _links(engine)).answer_page(mandate_id, step_id, party, step.attempt)


async def _links(engine: Engine) -> links.AnswerLinks:
    return links.AnswerLinks(_secret(engine), engine.settings.web_url, ConsoleStore(await engine.pool()))


async def open_link(engine: Engine, token: str) -> PartyRequest:
    """The request a link stands for, if it still works.

    Raises:
        LinkInvalid: altered, or not a link.
        LinkExpired: revoked, or its round of the consultation has closed.
    """
    link = links.read(_secret(engine), token)
    if await ConsoleStore(await engine.pool()).is_revoked(link.link_id):
        raise links.LinkExpired("this answer link was withdrawn by the Secretariat; ask it for a new one")
    detail = await show_mandate(engine, link.mandate_id)
    step = next((s for s in detail.steps if s.step_id == link.step_id), None) if detail else None
    if detail is None or step is None:
        raise links.LinkInvalid("this answer link does not lead to a consultation")
    is_open = (
        detail.status == "active"
        and detail.current_step == step.step_id
        and step.status == "active"
        and step.attempt == link.attempt
    )
    if not is_open:
        raise links.LinkExpired("this consultation has closed: answers are no longer taken through this link")
    if link.party not in {p.party for p in step.parties}:
        raise links.LinkInvalid("this answer link is not for a party of this consultation")
    answered = any(p.party == link.party and p.status == "answered" for p in step.parties)
    found = await read_answers(engine, link.mandate_id, reader_names={link.party})
    own = [
        a
        for a in (found.answers if found is not None else [])
        if a.step_id == link.step_id and a.party == link.party and a.latest and a.current_round
    ]
    earlier = own[-1] if answered and own else None  # (this round's: a new round asks afresh)
    planned = found.mandate.plan.step(link.step_id) if found is not None else None
    form = planned.form if isinstance(planned, ConsultationStep) else None
    return PartyRequest(
        token=token,
        party=link.party,
        mandate=detail,
        step=step,
        earlier=earlier,
        form=form,
        answers=earlier.answers if earlier is not None and form is not None else None,
    )


def form_answers(
    request: PartyRequest, fields: dict[str, str], tables: dict[str, tuple[str, bytes]]
) -> FormAnswers:
    """The answers a party's page sends: each question's field, and each table as the CSV file
    sent for it (a table sent no file for keeps the rows the party sent before).

    Raises:
        AnswersInvalid: one message per bad field or file; nothing is recorded.
    """
    assert request.form is not None
    raw: dict[str, object] = {q.id: fields.get(q.id, "") for q in request.form.questions}
    for question in request.form.questions:
        if question.type == "money" and fields.get(question.id, "").strip():
            raw[question.id] = f"{fields[question.id]} {fields.get(question.id + '.currency', '')}".strip()
    problems: list[str] = []
    unread: set[str] = set()
    for table in request.form.tables:
        sent = tables.get(table.id)
        if sent is not None:
            try:
                raw[table.id] = table_rows_from_csv(table, sent[1], sent[0])
            except AnswersInvalid as exc:  # (said with the questions' problems, all at once)
                problems += exc.problems
                unread.add(table.id)
        elif request.answers is not None and table.id in request.answers.tables:
            raw[table.id] = request.answers.tables[table.id]
    try:
        answers = validate_answers(request.form, raw, request.party)
    except AnswersInvalid as exc:
        problems += [p for p in exc.problems if p.split(":", 1)[0] not in unread]
    if problems:
        raise AnswersInvalid([_labelled(request.form, p) for p in problems])
    return answers


def _labelled(form: Form, problem: str) -> str:
    """A problem as the page's reader knows the field: by its label, not its id."""
    for field_id, label, _ in form.field_labels():
        for separator in (":", " "):
            if problem.startswith(field_id + separator):
                return label + problem[len(field_id) :]
    return problem


def check_upload(upload: Upload) -> ev.Attachment:
    """The attachment an upload becomes, or ``Refused`` with why (size, type)."""
    name = upload.name.strip().replace("/", "_").replace("\\", "_")[:200] or "attachment"
    if len(upload.content) > MAX_FILE_BYTES:
        raise Refused(f"{name} is larger than 10 MB")
    if not upload.content:
        raise Refused(f"{name} is empty")
    kind = upload.content_type.split(";")[0].strip().lower()
    signatures = ALLOWED_TYPES.get(kind)
    if signatures is None:
        allowed = "PDF, Word, Excel, OpenDocument text, PNG, JPEG, text or CSV"
        raise Refused(f"{name}: files of type {kind or 'unknown'} are not taken ({allowed})")
    if signatures and not any(upload.content.startswith(s) for s in signatures):
        raise Refused(f"{name} is not a {kind} file")
    if not signatures:
        try:
            upload.content.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"{name} is not UTF-8 text") from None
    digest = hashlib.sha256(upload.content).hexdigest()
    return ev.Attachment(name=name, sha256=digest, size=len(upload.content), content_type=kind)


async def answer(
    engine: Engine, token: str, text: str, uploads: list[Upload], answers: FormAnswers | None = None
) -> Recorded:
    """Record the link's party's answer (a revision when it answered this round before), with
    its ``answers`` to the questionnaire (checked: ``form_answers``)."""
    request = await open_link(engine, token)
    if request.form is not None and answers is None:
        raise Refused("this consultation asks its questions on the form: answer them there")
    if not text.strip():
        if answers is None or request.form is None:
            raise Refused("write your answer before sending it")
        text = summary(request.form, answers)
    if len(uploads) > MAX_FILES:
        raise Refused(f"at most {MAX_FILES} files with one answer")
    attachments = [check_upload(u) for u in uploads]
    store = ConsoleStore(await engine.pool())
    for upload, attachment in zip(uploads, attachments, strict=True):
        await store.keep_file(attachment.sha256, attachment.content_type, upload.content)
    respond = RespondRequest(
        party=request.party,
        text=text,
        step_id=request.step.step_id,
        revise=True,  # (a second answer replaces the first: the page says so, and both are kept)
        attachments=attachments,
        answers={**answers.questions, **answers.tables} if answers is not None else None,
    )
    reset = ON_BEHALF_OF.set(request.party)
    try:
        recorded = await steering.respond(engine, request.mandate.mandate_id, respond)
    finally:
        ON_BEHALF_OF.reset(reset)
    revision = request.earlier.revision + 1 if request.earlier is not None else 0
    await NotificationOutbox(await engine.pool()).enqueue(
        [
            Notification(
                mandate_id=request.mandate.mandate_id,
                step_id=request.step.step_id,
                kind=NotificationKind.CONFIRMATION,
                recipient=request.party,
                due_at=engine.now(),
                idempotency_key=(
                    f"{request.mandate.mandate_id}:{request.party}:answer:v{recorded.result.version}"
                ),
                payload={
                    "resolution_symbol": request.mandate.resolution_symbol,
                    "paragraph": request.mandate.paragraph,
                    "step_title": request.step.title,
                    "deadline": (request.step.deadline or engine.now()).isoformat(),
                    "revision": revision,
                    "attachments": [a.name for a in attachments],
                    "attempt": request.step.attempt,
                },
            )
        ]
    )
    return recorded


async def keep_upload(engine: Engine, sha256: str, content: bytes) -> None:
    """Keep a document uploaded to import (by its SHA-256) until it is started."""
    await ConsoleStore(await engine.pool()).keep_file(sha256, "application/octet-stream", content)


async def attachment(engine: Engine, sha256: str) -> tuple[str, bytes] | None:
    """A stored attachment's type and bytes."""
    found = await ConsoleStore(await engine.pool()).file(sha256)
    return (found.content_type, found.content) if found is not None else None


async def revoke(
    engine: Engine, mandate_id: str, step_id: str, party: str, by: str, *, names: Iterable[str]
) -> None:
    """Stop the party's link to the current round of the consultation working (``by``, one of
    ``names``, must coordinate the mandate); the party's next link is a new one."""
    detail = await show_mandate(engine, mandate_id)
    step = next((s for s in detail.steps if s.step_id == step_id), None) if detail else None
    if detail is None or step is None or step.type != "consultation":
        raise NotFound(f"no consultation {step_id!r} in mandate {mandate_id!r}")
    if detail.coordinator not in set(names):
        raise Refused(f"only the mandate's coordinator ({detail.coordinator}) may revoke a party's link")
    if party not in {p.party for p in step.parties}:
        raise Refused(f"{party!r} is not consulted in step {step_id!r}")
    link = await (await _links(engine)).current(mandate_id, step_id, party, step.attempt)
    await ConsoleStore(await engine.pool()).revoke_link(link.link_id, mandate_id, step_id, party, by)
