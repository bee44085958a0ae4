"""Steering a running mandate: respond, approve, reject, complete, extend, withdraw.

Each sends one validated Temporal Update to the mandate's workflow. A refused action
(wrong person, wrong state, unknown party) comes back at once with the reason as
``Refused``; nothing is recorded. Completing a step whose plan says it compiles the
progress report compiles it first, whoever completes it (``reporting.compile_report``).
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.values import matching_name, moment
from usecases.engine import Engine
from usecases.errors import BadInput, Refused
from usecases.reading import MandateDetail, show_mandate
from usecases.reporting import CompiledReport, compile_report_for_step
from workflows.mandate import MandateWorkflow
from workflows.messages import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    RejectRequest,
    RespondRequest,
    UpdateResult,
    WithdrawRequest,
)

_COST = re.compile(r"^\s*(?:([A-Za-z]{3})\s+)?([^\s]+?)(?:\s+([A-Za-z]{3}))?\s*$")


def parse_cost(text: str, default_currency: str | None) -> tuple[Decimal, str]:
    """A cost as a person writes it: ``1500 EUR``, ``EUR 1500`` or ``1,500.50 usd``; a bare
    number is in ``default_currency`` (``MANDATES_CURRENCY``), and refused when there is none,
    rather than silently taken as dollars.

    Raises:
        BadInput: not an amount, a currency that is not three letters, or no currency.
    """
    found = _COST.match(text)
    if found is None or (found[1] and found[3]):
        raise BadInput(f"{text!r} is not a cost such as '1500 USD'")
    number, code = found[2].replace(",", ""), (found[1] or found[3] or default_currency)
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise BadInput(f"{text!r} is not a cost such as '1500 USD'") from None
    if not amount.is_finite() or amount < 0:
        raise BadInput(f"must be zero or more, not {text!r}")
    if code is None:
        raise BadInput(f"{text!r} needs its currency, e.g. '{number} USD' (or set MANDATES_CURRENCY)")
    return amount, code.upper()


class Recorded(BaseModel):
    """What an accepted action recorded, and where the mandate stands now."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    result: UpdateResult
    compiled: CompiledReport | None = None

    def line(self) -> str:
        recorded = ", ".join(self.result.events) or "nothing new"
        step = self.result.current_step if self.result.status.value == "active" else None
        where = f"now at step {step}" if step else f"now {self.result.status.value}"
        return f"{self.mandate_id}: recorded {recorded}; {where} (version {self.result.version})"


def _not_steerable(mandate_id: str, detail: MandateDetail | None) -> str:
    """Why a mandate whose workflow is not running takes no action, as the read models know it."""
    if detail is None:
        return f"no mandate {mandate_id!r} (see `mandates list`)"
    ended = f" on {moment(detail.ended_at)}" if detail.ended_at else ""
    match detail.status:
        case "withdrawn":
            reason = f": {detail.withdrawal_reason}" if detail.withdrawal_reason else ""
            return f"mandate {mandate_id!r} was withdrawn{ended}{reason}; nothing more can be recorded"
        case "completed":
            return f"mandate {mandate_id!r} was completed{ended}; nothing more can be recorded"
        case "followed":
            return (
                f"paragraph {mandate_id!r} is only followed (addressed to {detail.actor.replace('_', ' ')}): "
                "the engine tracks no work of the Secretariat for it"
            )
    return (
        f"mandate {mandate_id!r} is {detail.status} but its workflow is not running "
        "(is the worker up? `mandates dev status`)"
    )


async def _named(engine: Engine, mandate_id: str, request: Any) -> Any:
    """The request with the party or approver it names as the plan spells it, where that is
    unambiguous (``matching_name``): so the caller signs, and the log records, the plan's name."""
    detail = await show_mandate(engine, mandate_id)
    step_id = request.step_id or (detail.current_step if detail is not None else None)
    step = next((s for s in detail.steps if s.step_id == step_id), None) if detail is not None else None
    if step is None:
        return request
    if isinstance(request, RespondRequest):
        party = matching_name(request.party, [p.party for p in step.parties])
        return request.model_copy(update={"party": party}) if party is not None else request
    by = matching_name(request.by, step.approvers)
    return request.model_copy(update={"by": by}) if by is not None else request


async def _send(engine: Engine, mandate_id: str, update: Any, request: BaseModel) -> Recorded:
    client = await engine.temporal()
    handle = client.get_workflow_handle(mandate_id)
    wait = engine.wait_seconds
    try:
        async with asyncio.timeout(wait):
            result = await handle.execute_update(update, request, result_type=UpdateResult)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        action = update.__name__.replace("_", " ")
        raise Refused(
            f"no answer from mandate {mandate_id!r} within {wait:g} s to {action}: "
            f"it may still be recorded (see `mandates show {mandate_id}`); is its worker running? "
            "(`mandates dev status`)"
        ) from None
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        code = cause.type if isinstance(cause, ApplicationError) else None
        raise Refused(f"refused: {reason}", code) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise Refused(_not_steerable(mandate_id, await show_mandate(engine, mandate_id))) from None
        raise Refused(f"Temporal refused the request: {exc.message}") from None
    return Recorded(mandate_id=mandate_id, result=result)


async def respond(engine: Engine, mandate_id: str, request: RespondRequest) -> Recorded:
    """Record a consulted party's response to the current consultation (``step_id``: only if
    it is that one); the party is matched as the plan spells it."""
    request = await _named(engine, mandate_id, request)
    return await _send(engine, mandate_id, MandateWorkflow.respond, request)


async def approve(engine: Engine, mandate_id: str, request: ApproveRequest) -> Recorded:
    """Approve the pending approval step (``step_id``: only if it is that one)."""
    request = await _named(engine, mandate_id, request)
    return await _send(engine, mandate_id, MandateWorkflow.approve, request)


async def reject(engine: Engine, mandate_id: str, request: RejectRequest) -> Recorded:
    """Reject the pending approval: the mandate goes back to the step the plan names."""
    request = await _named(engine, mandate_id, request)
    return await _send(engine, mandate_id, MandateWorkflow.reject, request)


async def complete(engine: Engine, mandate_id: str, request: CompleteTaskRequest) -> Recorded:
    """Complete the current task or report (``step_id``: only if it is that one); a step that
    compiles the progress report gets the report compiled from the audit log first, its file
    and hash in the outcome."""
    compiled = await compile_report_for_step(engine, mandate_id, request.step_id)
    if compiled is not None:
        request = request.model_copy(update={"outcome": compiled.outcome(request.outcome)})
    recorded = await _send(engine, mandate_id, MandateWorkflow.complete_task, request)
    return recorded.model_copy(update={"compiled": compiled})


async def extend(engine: Engine, mandate_id: str, request: ExtendDeadlineRequest) -> Recorded:
    """Extend the current step's deadline; its reminders are rescheduled."""
    return await _send(engine, mandate_id, MandateWorkflow.extend_deadline, request)


async def withdraw(engine: Engine, mandate_id: str, request: WithdrawRequest) -> Recorded:
    """Withdraw a mandate: it stops, and the audit log says why."""
    return await _send(engine, mandate_id, MandateWorkflow.withdraw, request)


__all__ = [
    "ApproveRequest",
    "CompleteTaskRequest",
    "ExtendDeadlineRequest",
    "Recorded",
    "RejectRequest",
    "RespondRequest",
    "WithdrawRequest",
    "approve",
    "complete",
    "extend",
    "parse_cost",
    "reject",
    "respond",
    "withdraw",
]
