"""What an operator sees in the Web UI (workflows/search_attributes.py): search attributes,
summaries, current details, and no confidential response text among them. Search attribute
values stay within what a Temporal server accepts (2,048 bytes each): a larger one fails the
workflow task on every attempt, and the mandate stops."""

from __future__ import annotations

from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.converter import PayloadConverter, decode_typed_search_attributes

from domain.default_plans import default_plan
from domain.state import MandateStatus
from domain.vocabulary import MandateKind
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import start, until
from workflows import search_attributes as sa
from workflows.mandate import MandateWorkflow
from workflows.messages import RespondRequest, WithdrawRequest
from workflows.search_attributes import VALUE_BYTES, within_value_limit
from workflows.starter import consultation_handle

SERVER_LIMIT = 2_048  # what a dev server refused: "value size 2271 exceeds size limit 2048"


def size(values: list[str]) -> int:
    return len(PayloadConverter.default.to_payloads([values])[0].data)


def test_a_list_that_fits_is_published_as_it_is() -> None:
    names = ["Austria", "Mexico", "OECD Working Group on Bribery"]
    assert within_value_limit(names) == names
    assert within_value_limit([]) == []
    just_fits = ["x" * (SERVER_LIMIT - 4)]  # ["..."]: the quotes and brackets make 2,048
    assert size(just_fits) == SERVER_LIMIT and within_value_limit(just_fits) == just_fits


def test_every_state_party_is_cut_to_the_first_that_fit_and_a_count_of_the_rest() -> None:
    names = [f"Bolivia (Plurinational State of) {n}" for n in range(191)]
    assert size(names) > SERVER_LIMIT  # what the server would refuse

    published = within_value_limit(names)

    assert size(published) <= VALUE_BYTES == SERVER_LIMIT
    kept, more = published[:-1], published[-1]
    assert kept == names[: len(kept)] and len(kept) > 10
    assert more == f"+{len(names) - len(kept)} more"


def test_names_are_measured_as_the_server_sees_them_escaped() -> None:
    names = [f"Côte d’Ivoire — délégation {n}" for n in range(80)]  # \\u escapes: 6 bytes a letter
    published = within_value_limit(names)
    assert size(published) <= VALUE_BYTES
    assert published[-1].startswith("+") and published[-1].endswith(" more")


def test_one_name_too_long_for_the_value_leaves_only_the_count() -> None:
    assert within_value_limit(["x" * 3_000]) == ["+1 more"]


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


async def test_a_withdrawn_mandate_says_so_in_the_web_ui(engine: Engine) -> None:
    """Temporal shows a mandate that ended as Completed, withdrawn or not: its result, its
    current details and its status attribute say withdrawn, where and why."""
    plan = default_plan([MandateKind.MOU_EXPLORATION])
    mandate = make_mandate("legibility-withdrawn", plan, kinds=[MandateKind.MOU_EXPLORATION], paragraph=2)
    handle = await start(engine, mandate)

    await handle.execute_update(
        MandateWorkflow.withdraw, WithdrawRequest(by="coordinator", reason="superseded by 8/2")
    )
    result = await handle.result()

    assert result.status is MandateStatus.WITHDRAWN
    first = plan.steps[0].id
    expected = (
        f"para 2 · MoU exploration · withdrawn on {result.summary.split(' on ')[1][:10]} "
        f"at step 1 of {len(plan.steps)}: {first} · superseded by 8/2"
    )
    assert result.summary == expected
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details == expected
    fields = (
        await described(engine.client, handle.id)
    ).workflow_execution_info.search_attributes.indexed_fields
    default = PayloadConverter.default
    assert default.from_payload(fields[sa.MANDATE_STATUS.name], str) == "withdrawn"
    assert default.from_payload(fields[sa.CURRENT_STEP.name]) is None  # (unset)
