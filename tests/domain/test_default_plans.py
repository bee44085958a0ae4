"""The default plans of each kind of mandate, and how the plans of several kinds merge."""

from datetime import UTC, date, datetime

import pytest

from domain.default_plans import default_plan, merge_steps
from domain.plan import ApprovalStep, ConsultationStep, Plan, ReportStep
from domain.vocabulary import MandateKind

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", list(MandateKind))
def test_the_default_plan_of_each_kind_is_valid_and_resolves(kind: MandateKind) -> None:
    plan = default_plan([kind])

    assert Plan.model_validate(plan.model_dump(mode="json")) == plan
    resolved = plan.resolve(START)
    dues = [s.due for s in resolved.steps]
    assert dues == sorted(dues)


def test_default_plans_follow_the_spec() -> None:
    mou = default_plan([MandateKind.MOU_EXPLORATION])
    info = default_plan([MandateKind.INFORMATION_COLLECTION])
    reporting = default_plan([MandateKind.REPORTING], report_due=date(2027, 6, 7))

    assert [s.type for s in mou.steps] == [
        "task", "consultation", "task", "approval", "consultation", "approval", "task",
    ]  # fmt: skip
    assert isinstance(info.steps[0], ConsultationStep) and info.steps[0].confidential
    submit = reporting.steps[-1]
    assert isinstance(submit, ReportStep)
    assert submit.body == "Implementation Review Group"
    assert submit.session_date == date(2027, 6, 7)
    assert submit.due == datetime(2027, 4, 26, tzinfo=UTC)


def test_a_mandate_of_several_kinds_runs_their_plans_one_after_another() -> None:
    plan = default_plan([MandateKind.REPORTING, MandateKind.DIALOGUE])

    ids = [s.id for s in plan.steps]
    assert ids[:4] == [s.id for s in default_plan([MandateKind.DIALOGUE]).steps]
    assert ids[4:] == [s.id for s in default_plan([MandateKind.REPORTING]).steps]
    relative = [s.due_in_days for s in plan.steps]
    assert relative == sorted(relative)


def test_merging_keeps_step_ids_unique_and_rejections_inside_their_block() -> None:
    block = [
        {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 10},
        {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 20,
         "approvers": ["chief.of.section"], "on_reject_go_to": "draft"},
    ]  # fmt: skip

    merged = Plan.model_validate({"steps": merge_steps([block, block])})

    assert [s.id for s in merged.steps] == ["draft", "approve", "draft-2", "approve-2"]
    assert [s.due_in_days for s in merged.steps] == [10, 20, 30, 40]
    second = merged.steps[3]
    assert isinstance(second, ApprovalStep) and second.on_reject_go_to == "draft-2"
