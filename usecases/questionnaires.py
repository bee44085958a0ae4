"""Questionnaires: the form of a consultation step, and answering it.

What an answer page (and ``mandates respond --file answers.json|.csv``) needs:

- ``questionnaire``: the form of a mandate's consultation (the current one by default), its
  parties and who has not answered yet;
- ``current_answers``: a party's latest answers to it (to fill the page in again; None before
  it answered);
- ``check_answers``: the canonical answers, or ``AnswersInvalid`` naming each bad field (the
  page shows each next to its field; the worker checks the same again before recording);
- ``answers_from_file``: answers from a JSON file (question and table ids to values) or one
  table's rows from a CSV file (its header names the columns by id or label);
- ``respond_with_answers`` / ``respond_with_file``: record them through the mandate's
  workflow, as ``steering.respond`` does; the response's text says what they hold unless one
  is given.

The form and the state come from the mandate's audit stream (folded with the domain's one
fold), not from the read models, so they are current the moment an answer is recorded.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain import events as ev
from domain.forms import AnswersInvalid, Form, FormAnswers, summary, table_rows_from_csv, validate_answers
from domain.plan import ConsultationStep
from domain.state import MandateState, fold
from store.audit import AuditStore
from usecases import steering
from usecases.engine import Engine
from usecases.errors import BadInput, NotFound, Refused
from usecases.files import MEGABYTE, read_limited
from workflows.messages import RespondRequest

ANSWERS_LIMIT = 5 * MEGABYTE
"""A file of answers (a table of thousands of rows fits)."""
ANSWER_SUFFIXES = (".json", ".csv")

__all__ = [
    "AnswersInvalid",
    "FormAnswers",
    "Questionnaire",
    "answers_from_file",
    "check_answers",
    "current_answers",
    "questionnaire",
    "respond_with_answers",
    "respond_with_file",
]


class Questionnaire(BaseModel):
    """A consultation's form, and where the consultation stands."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    step_id: str
    title: str
    confidential: bool
    form: Form | None
    parties: list[str]
    awaiting: list[str]
    open: bool


async def _state(engine: Engine, mandate_id: str) -> tuple[MandateState, list[Any]]:
    stored = await AuditStore(await engine.pool()).read_stream(mandate_id)
    if not stored or stored[0].type != "MandateStarted":
        raise NotFound(f"no mandate {mandate_id!r} (see `mandates list`)")
    events = [(s, e) for s in stored if (e := ev.event_of(s.stream_id, s.type, s.payload, s.occurred_at))]
    return fold(e for _, e in events), events


def _step(state: MandateState, step_id: str | None) -> ConsultationStep:
    assert state.mandate is not None
    if step_id is None:
        active = state.active_step()
        if active is None or active.type != "consultation":
            raise Refused(f"mandate {state.mandate_id} has no consultation under way; name its step")
        step_id = active.step_id
    try:
        planned = state.mandate.plan.step(step_id)
    except KeyError:
        raise NotFound(f"there is no step {step_id!r} in the plan of {state.mandate_id}") from None
    if not isinstance(planned, ConsultationStep):
        raise Refused(f"step {step_id!r} of {state.mandate_id} is not a consultation")
    return planned


async def questionnaire(engine: Engine, mandate_id: str, step_id: str | None = None) -> Questionnaire:
    """The form of a consultation (the one under way by default), or ``form`` None when it
    has none."""
    state, _ = await _state(engine, mandate_id)
    planned = _step(state, step_id)
    step = state.steps[planned.id]
    assert state.mandate is not None
    active = state.active_step()
    return Questionnaire(
        mandate_id=mandate_id,
        step_id=planned.id,
        title=planned.title,
        confidential=planned.confidential or state.mandate.confidential,
        form=planned.form,
        parties=list(step.consulted or planned.parties),
        awaiting=step.awaiting() if active is not None and active.step_id == planned.id else [],
        open=active is not None and active.step_id == planned.id,
    )


async def current_answers(
    engine: Engine, mandate_id: str, party: str, step_id: str | None = None
) -> FormAnswers | None:
    """A party's latest answers to a consultation's form (None when it sent none)."""
    state, events = await _state(engine, mandate_id)
    wanted = _step(state, step_id).id
    latest = None
    for _, event in events:
        if isinstance(event, ev.ResponseReceived) and event.step_id == wanted and event.party == party:
            latest = event.answers
    return latest


def check_answers(form: Form, raw: dict[str, Any] | FormAnswers, party: str = "") -> FormAnswers:
    """The canonical answers, or ``AnswersInvalid`` naming each bad field."""
    return validate_answers(form, raw, party)


def _flat(answers: FormAnswers | None) -> dict[str, Any]:
    return {**answers.questions, **answers.tables} if answers is not None else {}


def answers_from_file(
    form: Form, data: bytes, filename: str, *, table: str | None = None, earlier: FormAnswers | None = None
) -> dict[str, Any]:
    """The answers a file holds: a ``.json`` object of question and table ids to values (or
    ``{"questions": {...}, "tables": {...}}``), or a ``.csv`` of one table's rows (``table``,
    or the form's only table), put with the party's ``earlier`` answers.

    Raises:
        AnswersInvalid: the file cannot be read as answers (which line or key, and why).
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        chosen = (
            form.table(table) if table is not None else (form.tables[0] if len(form.tables) == 1 else None)
        )
        if chosen is None:
            tables = ", ".join(t.id for t in form.tables) or "none"
            wanted = f"{table!r} is not a table of this form" if table else "name the table the file fills"
            raise AnswersInvalid([f"{filename}: {wanted} (its tables: {tables}; --table ID)"])
        return {**_flat(earlier), chosen.id: table_rows_from_csv(chosen, data, filename)}
    if suffix != ".json":
        raise AnswersInvalid([f"{filename}: answers come as a .json or .csv file"])
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise AnswersInvalid([f"{filename}: not UTF-8 text; save it as UTF-8"]) from None
    except (ValueError, RecursionError) as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise AnswersInvalid([f"{filename}: not valid JSON{where}"]) from None
    if not isinstance(document, dict):
        raise AnswersInvalid([f"{filename}: answers are a JSON object of question and table ids"])
    ids = {f for f, _, _ in form.field_labels()}
    if set(document) <= {"questions", "tables"} and not set(document) & ids:
        nested = [document.get("questions") or {}, document.get("tables") or {}]
        if not all(isinstance(part, dict) for part in nested):
            raise AnswersInvalid([f"{filename}: questions and tables are JSON objects"])
        document = {**nested[0], **nested[1]}
    return document


async def respond_with_answers(
    engine: Engine,
    mandate_id: str,
    party: str,
    raw: dict[str, Any] | FormAnswers,
    *,
    text: str | None = None,
    revise: bool = False,
    by: str | None = None,
    step_id: str | None = None,
) -> steering.Recorded:
    """Check a party's answers against the consultation's form and record them (with ``text``,
    or a line saying what they hold)."""
    found = await questionnaire(engine, mandate_id, step_id)
    if found.form is None:
        raise Refused(f"step {found.step_id!r} of {mandate_id} has no questionnaire; send a text response")
    answers = check_answers(found.form, raw, party)
    try:
        request = RespondRequest(
            party=party,
            text=text if text is not None and text.strip() else summary(found.form, answers),
            step_id=step_id,
            revise=revise,
            by=by,
            answers=_flat(answers),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise BadInput(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    return await steering.respond(engine, mandate_id, request)


async def respond_with_file(
    engine: Engine,
    mandate_id: str,
    party: str,
    path: Path,
    *,
    table: str | None = None,
    text: str | None = None,
    revise: bool = False,
    by: str | None = None,
) -> steering.Recorded:
    """Record the answers of a ``.json`` or ``.csv`` file; a consultation without a form takes
    the file as the response's text, as before forms existed."""
    data = read_limited(path, ANSWERS_LIMIT, "file of answers")
    found = await questionnaire(engine, mandate_id)
    if found.form is None:
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{path} is not UTF-8 text") from None
        try:
            request = RespondRequest(party=party, text=content, revise=revise, by=by)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise BadInput(f"--file: {first['msg']}") from None
        return await steering.respond(engine, mandate_id, request)
    earlier = await current_answers(engine, mandate_id, party, found.step_id) if revise else None
    raw = answers_from_file(found.form, data, path.name, table=table, earlier=earlier)
    return await respond_with_answers(engine, mandate_id, party, raw, text=text, revise=revise, by=by)
