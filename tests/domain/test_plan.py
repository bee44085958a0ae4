"""Plans: validation with one clear reason per rule, JSON plan files, default plans."""

import json
from datetime import UTC, datetime

import pytest

from domain.plan import ApprovalStep, ConsultationStep, PlanInvalid, load_plan

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
