"""Holding each mandate's workflow against its audit stream.

The audit log is the record; a mandate's workflow carries it on. An operator with the
rights to do so can terminate or reset a workflow in Temporal, and nothing then writes
that to the log, which still says the mandate is active. ``reconcile`` asks Temporal about
every mandate the read models know and names each one whose workflow no longer agrees
with its log: terminated, failed, timed out or cancelled while the log says active; gone
(deleted, or past retention) while active; running while the log says it ended; or
running at another version than its stream (reset, or diverged).
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from projections import list_mandates
from store.audit import AuditStore
from usecases.engine import Engine
from workflows.mandate import MandateWorkflow

_CLOSED = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued as new",
    WorkflowExecutionStatus.COMPLETED: "completed",
}


class Reconciled(BaseModel):
    """One mandate: what its log says, what Temporal says, and whether they agree."""

    model_config = ConfigDict(frozen=True)

    mandate_id: str
    log_status: str
    log_version: int
    workflow: str  # running, completed, terminated, failed, timed out, cancelled, not found
    workflow_version: int | None
    agrees: bool
    finding: str


async def _one(engine: Engine, mandate_id: str, status: str, version: int) -> Reconciled:
    client = await engine.temporal()
    handle = client.get_workflow_handle(mandate_id)
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        finding = "no workflow: deleted, or past the namespace's retention" if status == "active" else ""
        return Reconciled(
            mandate_id=mandate_id, log_status=status, log_version=version, workflow="not found",
            workflow_version=None, agrees=status != "active", finding=finding,
        )  # fmt: skip
    running = described.status == WorkflowExecutionStatus.RUNNING
    workflow = "running" if running else _CLOSED.get(described.status, str(described.status))
    if not running:
        ended_so = (status == "completed" and workflow == "completed") or (
            status == "withdrawn" and workflow == "completed"
        )
        finding = "" if ended_so else f"the workflow was {workflow} while the log says {status}"
        return Reconciled(
            mandate_id=mandate_id, log_status=status, log_version=version, workflow=workflow,
            workflow_version=None, agrees=ended_so, finding=finding,
        )  # fmt: skip
    store = AuditStore(await engine.pool())
    try:
        async with asyncio.timeout(engine.wait_seconds):
            state = await handle.query(MandateWorkflow.state)
            version = await store.stream_version(mandate_id)
            if state.version != version:  # (an append the workflow has not folded yet: look again)
                await asyncio.sleep(1)
                state = await handle.query(MandateWorkflow.state)
                version = await store.stream_version(mandate_id)
    except (TimeoutError, RPCError) as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else exc.message
        return Reconciled(
            mandate_id=mandate_id, log_status=status, log_version=version, workflow=workflow,
            workflow_version=None, agrees=False, finding=f"the workflow cannot say where it stands: {reason}",
        )  # fmt: skip
    findings = []
    if status != "active":
        findings.append(f"the workflow runs while the log says {status}")
    if state.version != version:
        findings.append(
            f"the workflow is at version {state.version}, the log at {version} (reset, or diverged)"
        )
    return Reconciled(
        mandate_id=mandate_id, log_status=status, log_version=version, workflow=workflow,
        workflow_version=state.version, agrees=not findings, finding="; ".join(findings),
    )  # fmt: skip


async def reconcile(engine: Engine) -> list[Reconciled]:
    """Every mandate (followed paragraphs have no workflow to hold) against its workflow."""
    mandates = await list_mandates(await engine.pool(), now=engine.now())
    return [await _one(engine, m.mandate_id, m.status, m.version) for m in mandates if m.status != "followed"]
