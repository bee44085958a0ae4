"""Commands that steer a running mandate: respond, approve, reject, complete, extend, withdraw.

Each parses its options and calls the use case of the same name (``usecases.steering``):
one validated Temporal Update to the mandate's workflow. A refused action (wrong person,
wrong state, unknown party) is printed as one line with exit code 1; nothing is recorded.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from cli.output import echo, fail, run
from config.settings import Settings
from domain.decide import AlreadyResponded
from usecases import BadInput, Engine, Refused, questionnaires, steering
from usecases.files import RESPONSE_LIMIT, read_limited
from usecases.steering import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    Recorded,
    RejectRequest,
    RespondRequest,
    WithdrawRequest,
)

MANDATE_ID = typer.Argument(..., metavar="ID", help="The mandate id (see `mandates list`).")
TIMEOUT = typer.Option(30.0, "--timeout", min=1, max=3600, help="Seconds to wait for the mandate's answer.")


def _step(what: str) -> Any:
    return typer.Option(
        None,
        "--step",
        metavar="STEP",
        help=f"Act only if {what} is this step (a step id, as `mandates show` lists them); "
        "otherwise the refusal names the current step.",
    )


def caller() -> str:
    """Who is acting when `--as` is not given: $MANDATES_USER, else the login name."""
    return os.environ.get("MANDATES_USER") or getpass.getuser()


_OPTIONS = {"by": "--as", "party": "--party", "text": "--text", "comment": "--comment",
            "reason": "--reason", "outcome": "--outcome", "until": "--until", "cost": "--cost",
            "effort_days": "--effort-days", "currency": "--cost", "step_id": "--step"}  # fmt: skip


def _request(model: type[BaseModel], options: dict[str, str] | None = None, **fields: Any) -> Any:
    """Build an update request; a value the model refuses is bad usage: one line naming the
    option, exit 2."""
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        option = (options or {}).get(field) or _OPTIONS.get(field, field)
        if field == "step_id" and first["type"] == "string_pattern_mismatch":
            fail(f"--step: {first['input']!r} is not a step id (lowercase words and hyphens)", code=2)
        reason = first.get("ctx", {}).get("error") if first["type"] == "value_error" else None
        fail(f"{option}: {reason or first['msg'][:1].lower() + first['msg'][1:]}", code=2)


def _response_text(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        fail("give the response with exactly one of --text or --file", code=2)
    if file is not None:
        try:
            text = read_limited(file, RESPONSE_LIMIT, "response").decode("utf-8")
        except UnicodeDecodeError:
            fail(f"{file} is not UTF-8 text")
    assert text is not None
    if not text.strip():
        fail("the response is empty")
    return text


def respond(
    mandate_id: str = MANDATE_ID,
    party: str = typer.Option(..., "--party", help="The consulted party answering."),
    text: str | None = typer.Option(None, "--text", help="The response."),
    file: Path | None = typer.Option(
        None,
        "--file",
        help="A UTF-8 file holding the response; answers to the questionnaire as .json (question and "
        "table ids to values) or one table's rows as .csv.",
    ),
    table: str | None = typer.Option(
        None, "--table", help="The table a .csv file fills (if the form has several)."
    ),
    revise: bool = typer.Option(
        False, "--revise", help="Replace the party's earlier answer (both stay in the log)."
    ),
    person: str | None = typer.Option(
        None, "--as", help="Record it on the party's behalf, as this coordinator (the log says who)."
    ),
    step: str | None = _step("the current consultation"),
    timeout: float = TIMEOUT,
) -> None:
    """Record a consulted party's response to the current consultation."""
    if file is not None and file.suffix.lower() in questionnaires.ANSWER_SUFFIXES:
        answered = file  # the answers of a questionnaire: checked against its form, field by field
        recorded = run(
            lambda engine: questionnaires.respond_with_file(
                engine, mandate_id, party, answered, table=table, text=text, revise=revise, by=person
            ),
            timeout=timeout,
        )
        echo(recorded.line())
        return
    if table is not None:
        fail("--table goes with a .csv file of answers", code=2)
    options = {"text": "--file"} if file is not None else None
    request = _request(
        RespondRequest,
        options,
        party=party,
        text=_response_text(text, file),
        revise=revise,
        by=person,
        step_id=step,
    )
    echo(run(lambda engine: _respond(engine, mandate_id, request), timeout=timeout).line())


async def _respond(engine: Engine, mandate_id: str, request: RespondRequest) -> Recorded:
    """``steering.respond``, its refusal of a second answer saying how to send one."""
    try:
        return await steering.respond(engine, mandate_id, request)
    except Refused as refusal:
        if refusal.reason == AlreadyResponded.code:
            raise Refused(f"{refusal} (`--revise`)") from None
        raise


def approve(
    mandate_id: str = MANDATE_ID,
    person: str | None = typer.Option(
        None, "--as", help="The approver, a named person or role (default: $MANDATES_USER)."
    ),
    comment: str = typer.Option("", "--comment", help="An optional comment."),
    step: str | None = _step("the pending approval"),
    timeout: float = TIMEOUT,
) -> None:
    """Approve the pending approval step."""
    request = _request(
        ApproveRequest, by=caller() if person is None else person, comment=comment, step_id=step
    )
    echo(run(lambda engine: steering.approve(engine, mandate_id, request), timeout=timeout).line())


def reject(
    mandate_id: str = MANDATE_ID,
    person: str | None = typer.Option(
        None, "--as", help="The approver, a named person or role (default: $MANDATES_USER)."
    ),
    comment: str = typer.Option(..., "--comment", help="Why: the step the plan names gets it."),
    step: str | None = _step("the pending approval"),
    timeout: float = TIMEOUT,
) -> None:
    """Reject the pending approval: the mandate goes back to the step the plan names."""
    if not comment.strip():
        fail("a rejection needs a --comment saying why", code=2)
    request = _request(
        RejectRequest, by=caller() if person is None else person, comment=comment, step_id=step
    )
    echo(run(lambda engine: steering.reject(engine, mandate_id, request), timeout=timeout).line())


def _amount(value: str | None, option: str) -> Decimal:
    if value is None:
        return Decimal(0)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        fail(f"{option} must be a number, not {value!r}", code=2)
    if not amount.is_finite() or amount < 0:
        fail(f"{option} must be zero or more, not {value!r}", code=2)
    return amount


def complete(
    mandate_id: str = MANDATE_ID,
    outcome: str = typer.Option(..., "--outcome", help="What the task produced."),
    effort_days: str | None = typer.Option(None, "--effort-days", help="Effort in person-days."),
    cost: str | None = typer.Option(
        None,
        "--cost",
        metavar="AMOUNT",
        help="Cost with its currency, e.g. '1500 EUR' (a bare number: in $MANDATES_CURRENCY).",
    ),
    person: str | None = typer.Option(None, "--as", help="Who completed it (default: $MANDATES_USER)."),
    step: str | None = _step("the current task or report"),
    timeout: float = TIMEOUT,
) -> None:
    """Complete the current task or report, with its outcome, effort and cost."""
    if not outcome.strip():
        fail("--outcome is empty", code=2)
    amount, currency = Decimal(0), "USD"  # (no cost: none is recorded)
    if cost is not None:
        try:
            amount, currency = steering.parse_cost(cost, Settings.load().currency)
        except BadInput as exc:
            fail(f"--cost: {exc}", code=2)
    request = _request(
        CompleteTaskRequest,
        by=caller() if person is None else person,
        outcome=outcome,
        effort_days=_amount(effort_days, "--effort-days"),
        cost=amount,
        currency=currency,
        step_id=step,
    )
    recorded = run(lambda engine: steering.complete(engine, mandate_id, request), timeout=timeout)
    if recorded.compiled is not None:
        echo(f"compiled the progress report for this step: {recorded.compiled.path}")
    echo(recorded.line())


def _deadline(value: str) -> datetime:
    """A date (end of that day, UTC) or an ISO date-time with a zone."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--until must be a date like 2027-03-31 (or an ISO date-time), not {value!r}", code=2)
    if moment.tzinfo is None:
        fail("--until with a time needs a zone, e.g. 2027-03-31T17:00:00+01:00", code=2)
    return moment


def extend(
    mandate_id: str = MANDATE_ID,
    until: str = typer.Option(..., "--until", help="The new deadline: a date (end of day, UTC)."),
    reason: str = typer.Option(..., "--reason", help="Why the deadline moves."),
    person: str | None = typer.Option(None, "--as", help="Who extends it (default: $MANDATES_USER)."),
    step: str | None = _step("the current step"),
    timeout: float = TIMEOUT,
) -> None:
    """Extend the current step's deadline; its reminders are rescheduled."""
    if not reason.strip():
        fail("--reason is empty", code=2)
    request = _request(
        ExtendDeadlineRequest,
        by=caller() if person is None else person,
        until=_deadline(until),
        reason=reason,
        step_id=step,
    )
    echo(run(lambda engine: steering.extend(engine, mandate_id, request), timeout=timeout).line())


def withdraw(
    mandate_id: str = MANDATE_ID,
    reason: str = typer.Option(..., "--reason", help="Why the mandate is withdrawn."),
    person: str | None = typer.Option(None, "--as", help="Who withdraws it (default: $MANDATES_USER)."),
    timeout: float = TIMEOUT,
) -> None:
    """Withdraw a mandate: it stops, and the audit log says why."""
    if not reason.strip():
        fail("--reason is empty", code=2)
    request = _request(WithdrawRequest, by=caller() if person is None else person, reason=reason)
    echo(run(lambda engine: steering.withdraw(engine, mandate_id, request), timeout=timeout).line())


COMMANDS = {
    "respond": respond,
    "approve": approve,
    "reject": reject,
    "complete": complete,
    "extend": extend,
    "withdraw": withdraw,
}
