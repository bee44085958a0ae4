"""Plans: validation with one clear reason per rule, JSON plan files, default plans."""

import json
from datetime import UTC, date, datetime

import pytest

from domain.default_plans import default_plan, merge_steps
from domain.plan import ApprovalStep, ConsultationStep, Plan, PlanInvalid, ReportStep, load_plan
from domain.vocabulary import MandateKind

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def plan_text(*steps: dict, **extra: object) -> str:
    return json.dumps({"steps": list(steps), **extra})


CONSULT = {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
           "parties": ["Austria", "Mexico"]}  # fmt: skip
DRAFT = {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 40}
APPROVE = {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 50,
           "approvers": ["legal-affairs"], "on_reject_go_to": "draft"}  # fmt: skip


def test_a_json_plan_file_loads_into_typed_steps() -> None:
    plan = load_plan(plan_text(CONSULT, DRAFT, APPROVE))

    assert [s.id for s in plan.steps] == ["consult", "draft", "approve"]
    assert isinstance(plan.steps[0], ConsultationStep)
    assert isinstance(plan.steps[2], ApprovalStep)
    assert plan.steps[2].rule == "all"
    assert plan.deadlines.reminder_days == (14, 3, 1)
    assert plan.deadlines.escalation_every_days == 7


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (plan_text(CONSULT, dict(DRAFT, id="consult")), "duplicate step id 'consult'"),
        (
            plan_text(CONSULT, dict(APPROVE, on_reject_go_to="later"), dict(DRAFT, id="later",
                      due_in_days=60)),
            "approval step 'approve' sends rejections to 'later', which is not an earlier step",
        ),
        (
            plan_text(dict(APPROVE, on_reject_go_to="approve")),
            "approval step 'approve' sends rejections to 'approve', which is not an earlier step",
        ),
        (plan_text(dict(CONSULT, parties=[])), "step 'consult' has no parties"),
        (plan_text(dict(APPROVE, approvers=[], on_reject_go_to=None)),
         "step 'approve' has no approvers"),
        (plan_text(dict(CONSULT, parties=["Austria", "Austria"])),
         "step 'consult' lists one of its parties twice"),
        (plan_text(CONSULT, dict(DRAFT, due_in_days=10)),
         "step 'draft' is due before the earlier step 'consult'"),
        (
            plan_text(dict(DRAFT, due_in_days=None, due="2027-03-01T00:00:00Z"),
                      dict(CONSULT, due_in_days=None, due="2027-02-01T00:00:00Z")),
            "step 'consult' is due before the earlier step 'draft'",
        ),
        (
            plan_text({"type": "report", "id": "submit", "title": "Submit",
                       "due": "2027-05-02T00:00:00Z", "session_date": "2027-05-02"}),
            "report step 'submit' is due 2027-05-02, not before its session on 2027-05-02",
        ),
        (plan_text(dict(DRAFT, type="meeting")),
         "steps.0: unknown step type 'meeting' (expected consultation, approval, task, report)"),
        (plan_text(dict(DRAFT, due_in_days=None)),
         "step 'draft' needs exactly one of due or due_in_days"),
        (plan_text(dict(DRAFT, due="2027-03-01T00:00:00Z")),
         "step 'draft' needs exactly one of due or due_in_days"),
        (plan_text(), "steps: List should have at least 1 item after validation, not 0"),
        ("{not json", "plan file is not valid JSON: Expecting property name enclosed in double"
                      " quotes at line 1"),
    ],
    ids=[
        "duplicate-ids", "reject-to-later-step", "reject-to-itself", "no-parties",
        "no-approvers", "party-twice", "relative-deadlines-out-of-order",
        "absolute-deadlines-out-of-order", "report-not-before-session", "unknown-type",
        "no-deadline", "two-deadlines", "no-steps", "not-json",
    ],
)  # fmt: skip
def test_an_invalid_plan_is_rejected_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(PlanInvalid) as refused:
        load_plan(text)

    assert str(refused.value) == reason
    assert "\n" not in str(refused.value)
    assert refused.value.code == "plan_invalid"


def test_a_step_id_must_be_a_slug() -> None:
    with pytest.raises(PlanInvalid, match=r"^steps\.0\.id: String should match pattern"):
        load_plan(plan_text(dict(DRAFT, id="Draft It")))


def test_resolving_makes_every_deadline_absolute_from_the_start() -> None:
    plan = load_plan(plan_text(CONSULT, DRAFT, APPROVE))

    resolved = plan.resolve(START)

    assert resolved.is_resolved()
    assert [s.due for s in resolved.steps] == [
        datetime(2027, 2, 3, 9, 0, tzinfo=UTC),
        datetime(2027, 2, 13, 9, 0, tzinfo=UTC),
        datetime(2027, 2, 23, 9, 0, tzinfo=UTC),
    ]
    assert resolved.resolve(datetime(2030, 1, 1, tzinfo=UTC)) == resolved


def test_resolving_rejects_a_relative_report_deadline_that_falls_after_its_session() -> None:
    plan = load_plan(
        plan_text({"type": "report", "id": "submit", "title": "Submit", "due_in_days": 60,
                   "session_date": "2027-02-01"})
    )  # fmt: skip

    with pytest.raises(PlanInvalid, match="not before its session on 2027-02-01"):
        plan.resolve(START)


def test_reminder_offsets_are_configurable() -> None:
    plan = load_plan(plan_text(DRAFT, deadlines={"reminder_days": [7, 2], "escalation_every_days": 3}))

    assert plan.deadlines.reminder_days == (7, 2)
    assert plan.deadlines.escalation_every_days == 3


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
