"""decide/evolve/fold: every command, its events, and its refusals."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain import events as ev
from domain.decide import (
    AlarmNotDue,
    AlreadyApproved,
    AlreadyResponded,
    Approve,
    CompleteTask,
    ConsultationClosed,
    ConsultationDeadlinePassed,
    DeadlineNotLater,
    DeadlineReached,
    EscalationDue,
    ExtendDeadline,
    MandateAlreadyStarted,
    MandateNotActive,
    NotAnApprover,
    RecordResponse,
    Reject,
    ReminderFired,
    StartMandate,
    StepNotPending,
    UnknownParty,
    Withdraw,
    decide,
)
from domain.errors import DomainError
from domain.mandate import Mandate, consultation_workflow_id, mandate_id, slugify
from domain.plan import PlanInvalid, validate_plan
from domain.state import MandateState, MandateStatus, PartyStatus, StepStatus, evolve, fold, progress_line
from tests.support.mandates import make_mandate

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

PLAN = validate_plan(
    {
        "steps": [
            {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
             "parties": ["Austria", "Mexico", "OECD"], "grace_days": 10},
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 40},
            {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 50,
             "approvers": ["legal-affairs", "chief.of.section"], "on_reject_go_to": "draft"},
            {"type": "report", "id": "submit", "title": "Submit", "due_in_days": 60,
             "body": "Implementation Review Group"},
        ]
    }
)  # fmt: skip


# Paragraph 3 of COSP resolution 7/6, addressed as the domain tests read it.
PARAGRAPH_3 = {"verb": "calls upon", "reports_to": None, "title": ""}


class Story:
    """A mandate's events, decided one command at a time, checked against evolve."""

    def __init__(self, mandate: Mandate | None = None) -> None:
        self.events: list[ev.MandateEvent] = []
        self.state = MandateState()
        self.do(StartMandate(mandate=mandate or make_mandate(plan=PLAN, **PARAGRAPH_3)), T0)

    def do(self, command: object, at: datetime) -> list[ev.MandateEvent]:
        new = decide(self.state, command, at)  # type: ignore[arg-type]
        for event in new:
            self.state = evolve(self.state, event)
        self.events.extend(new)
        return new

    def types(self, events: list[ev.MandateEvent] | None = None) -> list[str]:
        return [e.type for e in (self.events if events is None else events)]


def refused(story: Story, command: object, at: datetime, error: type[DomainError]) -> str:
    before = story.state
    with pytest.raises(error) as caught:
        decide(story.state, command, at)  # type: ignore[arg-type]
    assert story.state == before
    assert "\n" not in str(caught.value)
    return str(caught.value)


def answer_all(story: Story, at: datetime) -> None:
    for party in ("Austria", "Mexico", "OECD"):
        story.do(RecordResponse(party=party, text=f"input from {party}"), at)


def test_ids_are_lowercase_slugs() -> None:
    assert mandate_id("cosp-7-enhancing-synergies", 1) == "mandate-cosp-7-enhancing-synergies-para-1"
    assert mandate_id("COSP 7/6 Synergies", 12) == "mandate-cosp-7-6-synergies-para-12"
    assert slugify("Résolution 7/6") == "resolution-7-6"
    assert consultation_workflow_id("mandate-x-para-1", "consult") == "mandate-x-para-1--consult"
    with pytest.raises(ValueError):
        mandate_id("///", 1)


def test_starting_resolves_the_plan_and_opens_the_first_step() -> None:
    story = Story()

    assert story.types() == ["MandateStarted", "StepStarted", "ConsultationOpened"]
    started = story.events[0]
    assert isinstance(started, ev.MandateStarted) and started.mandate.plan.is_resolved()
    state = story.state
    assert state.status is MandateStatus.ACTIVE
    assert state.mandate_id == "mandate-cosp-7-enhancing-synergies-para-3"
    assert state.version == 3
    assert state.current_step == "consult"
    consult = state.step("consult")
    assert consult.deadline == T0 + 30 * DAY
    assert consult.closes_at == T0 + 40 * DAY
    assert consult.parties == dict.fromkeys(["Austria", "Mexico", "OECD"], PartyStatus.AWAITING)
    assert state.awaiting() == ["Austria", "Mexico", "OECD"]
    assert state.step("draft").status is StepStatus.PENDING
    assert progress_line(state) == (
        "para 3 · information collection · step 1 of 4: consult · 0 of 3 responses · due 2027-02-03"
    )


def test_a_mandate_starts_once_and_an_invalid_resolved_plan_is_refused() -> None:
    story = Story()
    refused(story, StartMandate(mandate=make_mandate(plan=PLAN, **PARAGRAPH_3)), T0, MandateAlreadyStarted)

    late_report = validate_plan(
        {"steps": [{"type": "report", "id": "submit", "title": "Submit", "due_in_days": 30,
                    "session_date": "2027-01-20"}]}
    )  # fmt: skip
    with pytest.raises(PlanInvalid):
        decide(MandateState(), StartMandate(mandate=make_mandate(plan=late_report, **PARAGRAPH_3)), T0)


def test_responses_close_the_consultation_when_everyone_has_answered() -> None:
    story = Story()

    first = story.do(RecordResponse(party="Mexico", text="we support it"), T0 + DAY)
    assert story.types(first) == ["ResponseReceived"]
    assert story.state.awaiting() == ["Austria", "OECD"]
    story.do(RecordResponse(party="Austria", text="fine"), T0 + 2 * DAY)
    last = story.do(RecordResponse(party="OECD", text="ok", step_id="consult"), T0 + 3 * DAY)

    assert story.types(last) == [
        "ResponseReceived", "ConsultationClosed", "StepCompleted", "StepStarted",
    ]  # fmt: skip
    closed = last[1]
    assert isinstance(closed, ev.ConsultationClosed)
    assert closed.reason == "all_answered" and closed.non_respondents == []
    assert closed.respondents == ["Austria", "Mexico", "OECD"]
    assert story.state.step("consult").status is StepStatus.COMPLETED
    assert story.state.step("consult").outcome == "3 of 3 parties responded"
    assert story.state.current_step == "draft"


def test_response_refusals() -> None:
    story = Story()
    story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)

    assert refused(story, RecordResponse(party="France", text="x"), T0, UnknownParty) == (
        "'France' is not consulted in step 'consult'"
    )
    refused(story, RecordResponse(party="Mexico", text="again"), T0, AlreadyResponded)
    refused(story, RecordResponse(party="Mexico", text="x", step_id="draft"), T0, StepNotPending)
    refused(story, RecordResponse(party="Mexico", text="x", step_id="nope"), T0, StepNotPending)

    story.do(RecordResponse(party="Austria", text="x"), T0 + DAY)
    story.do(RecordResponse(party="OECD", text="x"), T0 + DAY)
    message = refused(
        story, RecordResponse(party="Mexico", text="late", step_id="consult"), T0, ConsultationClosed
    )
    assert message == "consultation 'consult' is closed"
    refused(story, RecordResponse(party="Mexico", text="late"), T0, StepNotPending)


def test_a_confidential_consultation_marks_its_responses_confidential() -> None:
    story = Story(make_mandate(plan=PLAN, confidential=True, **PARAGRAPH_3))

    (received,) = story.do(RecordResponse(party="OECD", text="secret figures"), T0 + DAY)

    assert isinstance(received, ev.ResponseReceived)
    assert received.confidential is True
    _, payload = ev.to_payload(received)
    assert payload["confidential"] is True and payload["text"] == "secret figures"
    assert "secret figures" not in story.state.model_dump_json()


def test_timer_commands_remind_the_non_respondents_then_overdue_escalate_and_close() -> None:
    story = Story()
    story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)
    deadline = T0 + 30 * DAY

    (reminder,) = story.do(ReminderFired(step_id="consult", days_before=14), deadline - 14 * DAY)
    assert isinstance(reminder, ev.ReminderDue)
    assert reminder.recipients == ["Austria", "OECD"]
    assert reminder.scheduled_for == deadline - 14 * DAY
    refused(story, ReminderFired(step_id="consult", days_before=14), deadline, AlarmNotDue)

    (overdue,) = story.do(DeadlineReached(step_id="consult"), deadline)
    assert isinstance(overdue, ev.StepOverdue) and overdue.recipients == ["Austria", "OECD"]
    refused(story, DeadlineReached(step_id="consult"), deadline, AlarmNotDue)
    refused(story, EscalationDue(step_id="consult", escalation=2), deadline, AlarmNotDue)

    (escalated,) = story.do(EscalationDue(step_id="consult", escalation=1), deadline + 7 * DAY)
    assert isinstance(escalated, ev.Escalated)
    assert escalated.recipient == "coordinator.anti-corruption"
    assert escalated.scheduled_for == deadline + 7 * DAY

    closing = story.do(ConsultationDeadlinePassed(step_id="consult"), deadline + 10 * DAY)
    assert story.types(closing) == ["ConsultationClosed", "StepCompleted", "StepStarted"]
    closed = closing[0]
    assert isinstance(closed, ev.ConsultationClosed)
    assert closed.reason == "deadline" and closed.non_respondents == ["Austria", "OECD"]
    assert story.state.step("consult").non_respondents == ["Austria", "OECD"]
    refused(story, ConsultationDeadlinePassed(step_id="consult"), deadline, AlarmNotDue)


def test_a_step_started_after_its_planned_deadline_gets_the_late_start_allowance() -> None:
    story = Story()
    late = T0 + 45 * DAY
    story.do(ConsultationDeadlinePassed(step_id="consult"), late)

    assert story.state.current_step == "draft"
    assert story.state.step("draft").deadline == late + 14 * DAY


def complete_draft(story: Story, at: datetime) -> list[ev.MandateEvent]:
    return story.do(
        CompleteTask(by="j.doe", outcome="draft v1", effort_days=Decimal("2.5"),
                     cost=Decimal("1200.00"), currency="EUR"),
        at,
    )  # fmt: skip


def test_completing_a_task_records_effort_and_cost_and_requests_approval() -> None:
    story = Story()
    answer_all(story, T0 + DAY)

    events = complete_draft(story, T0 + 5 * DAY)

    assert story.types(events) == [
        "TaskCompleted", "StepCompleted", "StepStarted", "ApprovalRequested",
    ]  # fmt: skip
    assert story.state.effort_days == Decimal("2.5")
    assert story.state.costs == {"EUR": Decimal("1200.00")}
    assert story.state.step("draft").outcome == "draft v1"
    assert story.state.awaiting() == ["legal-affairs", "chief.of.section"]
    refused(story, CompleteTask(by="j.doe", outcome="again"), T0, StepNotPending)


def test_approval_by_all_approvers_moves_on_and_refusals_say_why() -> None:
    story = Story()
    answer_all(story, T0 + DAY)
    refused(story, Approve(by="legal-affairs"), T0, StepNotPending)
    complete_draft(story, T0 + 5 * DAY)

    message = refused(story, Approve(by="intern"), T0, NotAnApprover)
    assert message == (
        "'intern' is not an approver of step 'approve' (approvers: legal-affairs, chief.of.section)"
    )
    refused(story, Reject(by="intern", comment="no"), T0, NotAnApprover)
    refused(story, Approve(by="legal-affairs", step_id="draft"), T0, StepNotPending)

    first = story.do(Approve(by="legal-affairs", comment="fine"), T0 + 6 * DAY)
    assert story.types(first) == ["Approved"]
    refused(story, Approve(by="legal-affairs"), T0, AlreadyApproved)
    second = story.do(Approve(by="chief.of.section"), T0 + 7 * DAY)
    assert story.types(second) == ["Approved", "StepCompleted", "StepStarted"]
    assert story.state.current_step == "submit"

    done = story.do(CompleteTask(by="j.doe", outcome="CAC/COSP/IRG/2027/3"), T0 + 8 * DAY)
    assert story.types(done) == ["TaskCompleted", "StepCompleted", "MandateCompleted"]
    assert story.state.status is MandateStatus.COMPLETED
    refused(story, Withdraw(reason="x", by="y"), T0, MandateNotActive)
    assert progress_line(story.state) == "para 3 · information collection · completed"


def test_a_rejection_sends_the_mandate_back_to_the_named_step_with_the_comment() -> None:
    story = Story()
    answer_all(story, T0 + DAY)
    complete_draft(story, T0 + 5 * DAY)
    story.do(Approve(by="chief.of.section"), T0 + 6 * DAY)

    events = story.do(Reject(by="legal-affairs", comment="clause 4 is unclear"), T0 + 7 * DAY)

    assert story.types(events) == ["Rejected", "StepStarted"]
    assert story.state.current_step == "draft"
    draft = story.state.step("draft")
    assert draft.attempt == 2 and draft.rework_comment == "clause 4 is unclear"
    assert story.state.step("approve").status is StepStatus.PENDING
    assert story.state.step("approve").rejections == 1

    complete_draft(story, T0 + 8 * DAY)
    approve = story.state.step("approve")
    assert approve.attempt == 2 and approve.approvals == []
    assert story.state.costs == {"EUR": Decimal("2400.00")}


def test_extending_a_deadline_resets_reminders_and_moves_the_closing() -> None:
    story = Story()
    deadline = T0 + 30 * DAY
    story.do(ReminderFired(step_id="consult", days_before=14), deadline - 14 * DAY)
    story.do(DeadlineReached(step_id="consult"), deadline)
    until = deadline + 20 * DAY

    (extended,) = story.do(
        ExtendDeadline(until=until, reason="holiday season", by="coordinator"), deadline + DAY
    )

    assert isinstance(extended, ev.DeadlineExtended)
    assert extended.previous == deadline and extended.closes_at == until + 10 * DAY
    consult = story.state.step("consult")
    assert consult.deadline == until and consult.extensions == 1
    assert consult.reminders_sent == [] and consult.overdue is False
    assert consult.deadline_set_at == deadline + DAY
    refused(story, ExtendDeadline(until=until, reason="x", by="c"), deadline, DeadlineNotLater)
    refused(
        story, ExtendDeadline(until=until + DAY, reason="x", by="c"), until + 2 * DAY,
        DeadlineNotLater,
    )  # fmt: skip


def test_withdrawal_ends_the_mandate_and_refuses_everything_after() -> None:
    story = Story()

    (withdrawn,) = story.do(Withdraw(reason="superseded by 8/2", by="coordinator"), T0 + DAY)

    assert isinstance(withdrawn, ev.MandateWithdrawn)
    assert story.state.status is MandateStatus.WITHDRAWN
    assert story.state.withdrawal_reason == "superseded by 8/2"
    assert story.state.awaiting() == [] and story.state.next_deadline() is None
    refused(story, RecordResponse(party="Mexico", text="x"), T0, MandateNotActive)
    refused(story, ReminderFired(step_id="consult", days_before=3), T0, MandateNotActive)
    refused(MandateStateStory(), Approve(by="x"), T0, MandateNotActive)


def MandateStateStory() -> Story:
    story = Story.__new__(Story)
    story.events, story.state = [], MandateState()
    return story


def test_fold_of_the_events_reproduces_the_state_and_payloads_round_trip() -> None:
    story = Story()
    story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)
    story.do(ReminderFired(step_id="consult", days_before=14), T0 + 16 * DAY)
    story.do(ExtendDeadline(until=T0 + 35 * DAY, reason="late", by="c"), T0 + 17 * DAY)
    story.do(ConsultationDeadlinePassed(step_id="consult"), T0 + 45 * DAY)
    complete_draft(story, T0 + 46 * DAY)
    story.do(Reject(by="legal-affairs", comment="redo"), T0 + 47 * DAY)

    assert fold(story.events) == story.state
    assert story.state.version == len(story.events)
    restored = [ev.from_payload(*ev.to_payload(e)) for e in story.events]
    assert restored == story.events
    assert fold(restored) == story.state
    assert fold(restored[3:], fold(restored[:3])) == story.state
    assert MandateState.model_validate_json(story.state.model_dump_json()) == story.state


def test_events_name_their_actor() -> None:
    story = Story()
    received = story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)[0]

    assert received.actor == "Mexico"
    assert story.events[0].actor == "mandate-engine"
    assert ev.MandateWithdrawn(reason="r", by="coordinator", at=T0).actor == "coordinator"


def test_evolve_leaves_the_state_it_is_given_unchanged_and_shares_the_frozen_mandate() -> None:
    story = Story()
    before = story.state
    snapshot = before.model_dump()

    after = evolve(
        before,
        ev.ResponseReceived(party="Mexico", text="yes", step_id="consult", confidential=False, at=T0 + DAY),
    )
    folded = fold(
        [ev.ResponseReceived(party="Austria", text="no", step_id="consult", confidential=False, at=T0 + DAY)],
        after,
    )

    assert before.model_dump() == snapshot  # nothing the new states changed leaked back
    assert before.step("consult").parties["Mexico"] is PartyStatus.AWAITING
    assert after.step("consult").parties["Mexico"] is PartyStatus.ANSWERED
    assert folded.step("consult").parties["Austria"] is PartyStatus.ANSWERED
    assert after.step("consult").parties["Austria"] is PartyStatus.AWAITING
    assert after.mandate is before.mandate and folded.mandate is before.mandate  # shared, not copied
    assert after.steps is not before.steps
