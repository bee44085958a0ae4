"""Client-side helpers for the CLI: start a mandate exactly once, reach a running one.

A mandate's workflow id is its mandate id, and starts use ``REJECT_DUPLICATE`` with
the ``FAIL`` conflict policy: a second start of the same mandate, running or
finished, is refused by Temporal and reported here, never duplicated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.mandate import Mandate, consultation_workflow_id
from workflows import search_attributes as sa
from workflows.consultation import ConsultationWorkflow
from workflows.mandate import MandateWorkflow
from workflows.messages import HISTORY_LIMIT, ConsultationResult, MandateInput, MandateResult


class StartResult(BaseModel):
    """What ``start_mandate`` did: ``started`` now, or found it ``already_running`` or
    ``already_closed`` (completed, withdrawn, failed...) and started nothing."""

    model_config = ConfigDict(frozen=True)

    status: Literal["started", "already_running", "already_closed"]
    workflow_id: str
    run_id: str | None = None


async def start_mandate(client: Client, mandate: Mandate, task_queue: str) -> StartResult:
    """Start the mandate's workflow unless this mandate was ever started before.

    Raises:
        PlanInvalid: the plan's deadlines, resolved from now, break a rule.
    """
    mandate.plan.resolve(datetime.now(UTC))
    try:
        handle = await client.start_workflow(
            MandateWorkflow.run,
            MandateInput(mandate=mandate, history_limit=HISTORY_LIMIT),
            id=mandate.id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=mandate.summary(),
            static_details=mandate.details(),
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.MANDATE_KIND, [k.value for k in mandate.kinds]),
                    SearchAttributePair(sa.RESOLUTION_SYMBOL, mandate.resolution_symbol),
                    SearchAttributePair(sa.OPERATIVE_PARAGRAPH, mandate.paragraph),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        info = await _execution_info(client, mandate.id)
        running = info.status == WorkflowExecutionStatus.RUNNING.value
        return StartResult(
            status="already_running" if running else "already_closed",
            workflow_id=mandate.id,
            run_id=info.execution.run_id,
        )
    return StartResult(status="started", workflow_id=handle.id, run_id=handle.result_run_id)


async def _execution_info(client: Client, workflow_id: str) -> WorkflowExecutionInfo:
    # The raw call: it reads the status without decoding search attributes.
    response = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return response.workflow_execution_info


def mandate_handle(client: Client, mandate_id: str) -> WorkflowHandle[MandateWorkflow, MandateResult]:
    """The handle of a mandate's workflow, for its updates (``respond``, ``approve``...)
    and its ``state`` query."""
    return client.get_workflow_handle_for(MandateWorkflow.run, mandate_id)


def consultation_handle(
    client: Client, mandate_id: str, step_id: str
) -> WorkflowHandle[ConsultationWorkflow, ConsultationResult]:
    """The handle of a mandate's consultation step (its own ``respond`` update and ``state``)."""
    return client.get_workflow_handle_for(
        ConsultationWorkflow.run, consultation_workflow_id(mandate_id, step_id)
    )
