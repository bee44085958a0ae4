"""What an operator sees in the Web UI: search attributes, summaries, current details —
and that no confidential response text is among them."""

from __future__ import annotations

from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.converter import decode_typed_search_attributes

from domain.default_plans import default_plan
from domain.vocabulary import MandateKind
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import start, until
from workflows import search_attributes as sa
from workflows.mandate import MandateWorkflow
from workflows.messages import RespondRequest
from workflows.starter import consultation_handle

SECRET = "our review costs 1.2 million"


async def described(client: Client, workflow_id: str) -> Any:
    return await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )


async def test_a_confidential_consultation_is_legible_without_its_content(engine: Engine) -> None:
    plan = default_plan([MandateKind.INFORMATION_COLLECTION])
    mandate = make_mandate("legibility-information", plan, confidential=True)
    handle = await start(engine, mandate)
    parties = plan.steps[0].parties  # type: ignore[union-attr]
    await handle.execute_update(MandateWorkflow.respond, RespondRequest(party=parties[0], text=SECRET))
    state = await until(handle, lambda s: len(s.step("request-information").answered()) == 1)

    info = (await described(engine.client, handle.id)).workflow_execution_info
    attributes = decode_typed_search_attributes(info.search_attributes)
    assert attributes.get(sa.MANDATE_KIND) == ["information_collection"]
    assert attributes.get(sa.MANDATE_STATUS) == "active"
    assert attributes.get(sa.RESOLUTION_SYMBOL) == "7/6"
    assert attributes.get(sa.OPERATIVE_PARAGRAPH) == 3
    assert attributes.get(sa.CURRENT_STEP) == "request-information"
    assert attributes.get(sa.NEXT_DEADLINE) == state.step("request-information").deadline
    assert attributes.get(sa.AWAITING_PARTIES) == list(parties[1:])

    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    due = state.step("request-information").deadline.date().isoformat()  # type: ignore[union-attr]
    assert metadata.current_details == (
        f"para 3 · information collection · step 1 of 3: request-information · 1 of 3 responses · due {due}"
    )
    child = consultation_handle(engine.client, handle.id, "request-information")
    child_described = await described(engine.client, child.id)
    [summary] = await engine.client.data_converter.decode(  # summaries are encrypted too
        [child_described.execution_config.user_metadata.summary], [str]
    )
    assert summary == "7/6 para 3 · consultation: Request information from the partner secretariats"
    child_attributes = decode_typed_search_attributes(
        child_described.workflow_execution_info.search_attributes
    )
    assert child_attributes.get(sa.AWAITING_PARTIES) == list(parties[1:])

    history = await handle.fetch_history()
    shown = [
        str(child_described.execution_config),
        str(info.search_attributes),
        str(child_described.workflow_execution_info.search_attributes),
        metadata.current_details,
        *(str(e.user_metadata) for e in history.events),
    ]
    assert all(SECRET not in text for text in shown)
