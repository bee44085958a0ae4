"""Steering a running mandate: respond, approve, reject, complete, extend, withdraw.

Each sends one validated Temporal Update to the mandate's workflow. A refused action
(wrong person, wrong state, unknown party) comes back at once with the reason as
``Refused``; nothing is recorded. Completing a step whose plan says it compiles the
progress report compiles it first, whoever completes it (``reporting.compile_report``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from usecases.engine import Engine
from usecases.errors import Refused
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


class Recorded(BaseModel):
    """What an accepted action recorded, and where the mandate stands now."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    result: UpdateResult
    compiled: CompiledReport | None = None

    def line(self) -> str:
        recorded = ", ".join(self.result.events) or "nothing new"
        step = self.result.current_step
        where = f"now at step {step}" if step else f"now {self.result.status.value}"
        return f"{self.mandate_id}: recorded {recorded}; {where} (version {self.result.version})"


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
        raise Refused(f"refused: {reason}") from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"no running mandate {mandate_id!r} (see `mandates list`)") from None
        if exc.status == RPCStatusCode.FAILED_PRECONDITION:
            raise Refused(f"mandate {mandate_id!r} is no longer running") from None
        raise Refused(f"Temporal refused the request: {exc.message}") from None
    return Recorded(mandate_id=mandate_id, result=result)


async def respond(engine: Engine, mandate_id: str, request: RespondRequest) -> Recorded:
    """Record a consulted party's response to the current consultation."""
    return await _send(engine, mandate_id, MandateWorkflow.respond, request)


async def approve(engine: Engine, mandate_id: str, request: ApproveRequest) -> Recorded:
    """Approve the pending approval step."""
    return await _send(engine, mandate_id, MandateWorkflow.approve, request)


async def reject(engine: Engine, mandate_id: str, request: RejectRequest) -> Recorded:
    """Reject the pending approval: the mandate goes back to the step the plan names."""
    return await _send(engine, mandate_id, MandateWorkflow.reject, request)


async def complete(engine: Engine, mandate_id: str, request: CompleteTaskRequest) -> Recorded:
    """Complete the current task or report; a step that compiles the progress report gets
    the report compiled from the audit log first, its file and hash in the outcome."""
    compiled = await compile_report_for_step(engine, mandate_id)
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
    "reject",
    "respond",
    "withdraw",
]
