"""The full life of each default plan, against the real audit store."""

from __future__ import annotations

import pytest

from domain import events as ev
from domain.default_plans import default_plan
from domain.plan import ApprovalStep, ConsultationStep
from domain.state import MandateStatus
from domain.vocabulary import MandateKind
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import checked_log, drive_to_completion, record_histories, start, types


def expected_types(mandate_plan: object) -> list[str]:
    """What a plan leaves in the audit log when every step is done at once, in order."""
    expected = ["MandateStarted"]
    for step in mandate_plan.steps:  # type: ignore[attr-defined]
        expected.append("StepStarted")
        if isinstance(step, ConsultationStep):
            expected += ["ConsultationOpened", *["ResponseReceived"] * len(step.parties)]
            expected.append("ConsultationClosed")
        elif isinstance(step, ApprovalStep):
            approvals = 1 if step.rule == "any" else len(step.approvers)
            expected += ["ApprovalRequested", *["Approved"] * approvals]
        else:
            expected.append("TaskCompleted")
        expected.append("StepCompleted")
    return [*expected, "MandateCompleted"]


@pytest.mark.parametrize("kind", list(MandateKind))
async def test_each_default_plan_runs_from_start_to_completion(engine: Engine, kind: MandateKind) -> None:
    plan = default_plan([kind])
    mandate = make_mandate(f"default-{kind.value.replace('_', '-')}", plan, kinds=[kind])
    handle = await start(engine, mandate)

    steps = await drive_to_completion(handle)
    result = await handle.result()

    assert steps == plan.step_ids()
    assert result.status is MandateStatus.COMPLETED
    events = await checked_log(engine, handle)
    assert types(events) == expected_types(plan)
    assert result.version == len(events)
    state = (await engine.audit.read_stream(handle.id))[-1]
    assert state.type == "MandateCompleted"
    confidential = [e for e in events if isinstance(e, ev.ResponseReceived) and e.confidential]
    if kind is MandateKind.INFORMATION_COLLECTION:
        assert len(confidential) == 3
    else:
        assert confidential == []
    await record_histories(engine, handle, f"default-{kind.value}")
