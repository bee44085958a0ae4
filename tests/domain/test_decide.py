"""decide: every command, its events, and its refusals."""

from datetime import datetime, timedelta
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
from domain.plan import PlanInvalid, validate_plan
from domain.state import MandateState, MandateStatus, PartyStatus, StepStatus, progress_line
from tests.support.mandates import T0, make_mandate
from tests.support.stories import Story, four_step_story

DAY = timedelta(days=1)


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


def test_starting_resolves_the_plan_and_opens_the_first_step() -> None:
    story = four_step_story()

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
    story = four_step_story()
    refused(story, StartMandate(mandate=story.mandate), T0, MandateAlreadyStarted)

    late_report = validate_plan(
        {"steps": [{"type": "report", "id": "submit", "title": "Submit", "due_in_days": 30,
                    "session_date": "2027-01-20"}]}
    )  # fmt: skip
    with pytest.raises(PlanInvalid):
        decide(
            MandateState(),
            StartMandate(
                mandate=make_mandate(plan=late_report, verb="calls upon", reports_to=None, title="")
            ),
            T0,
        )


def test_responses_close_the_consultation_when_everyone_has_answered() -> None:
    story = four_step_story()

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
    story = four_step_story()
    story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)

    assert refused(story, RecordResponse(party="France", text="x"), T0, UnknownParty) == (
        "'France' is not consulted in step 'consult' (consulted: Austria, Mexico, OECD)"
    )
    refused(story, RecordResponse(party="Mexico", text="again"), T0, AlreadyResponded)
    refused(story, RecordResponse(party="Mexico", text="x", step_id="draft"), T0, StepNotPending)
    refused(story, RecordResponse(party="Mexico", text="x", step_id="nope"), T0, StepNotPending)

    story.do(RecordResponse(party="Austria", text="x"), T0 + DAY)
    story.do(RecordResponse(party="OECD", text="x"), T0 + DAY)
    message = refused(
        story, RecordResponse(party="Mexico", text="late", step_id="consult"), T0, ConsultationClosed
    )
    assert message == "consultation 'consult' is closed; the current step is 'draft' (a task)"
    refused(story, RecordResponse(party="Mexico", text="late"), T0, StepNotPending)


def test_a_command_naming_a_step_acts_on_that_step_only_and_a_mismatch_names_the_current_one() -> None:
    """A completion sent twice (a hint run again) must not complete whatever step is current
    by then: naming the step makes the second one a refusal that says where the mandate is."""
    story = four_step_story()
    answer_all(story, T0 + DAY)
    complete_draft(story, T0 + 5 * DAY)  # draft done; the approval is current

    again = CompleteTask(by="j.doe", outcome="draft v1", step_id="draft")
    message = refused(story, again, T0 + 6 * DAY, StepNotPending)
    assert message == (
        "step 'draft' is not the current step (it is completed); the current step is 'approve' (an approval)"
    )
    assert "the current step is 'approve'" in refused(
        story, Approve(by="chief.of.section", step_id="submit"), T0 + 6 * DAY, StepNotPending
    )
    assert "the current step is 'approve'" in refused(
        story, Approve(by="chief.of.section", step_id="nope"), T0 + 6 * DAY, StepNotPending
    )
    assert story.types(story.do(Approve(by="chief.of.section", step_id="approve"), T0 + 6 * DAY)) == [
        "Approved"
    ]


def test_party_and_approver_names_match_whatever_their_case_when_unambiguous() -> None:
    story = four_step_story()

    (received,) = story.do(RecordResponse(party=" oecd ", text="x"), T0 + DAY)

    assert isinstance(received, ev.ResponseReceived) and received.party == "OECD"
    assert story.state.step("consult").answers.keys() == {"OECD"}
    assert "at 2027-01-05 09:00 UTC" in refused(
        story, RecordResponse(party="oecd", text="again"), T0 + DAY, AlreadyResponded
    )
    story.do(RecordResponse(party="AUSTRIA", text="x"), T0 + DAY)
    story.do(RecordResponse(party="mexico", text="x"), T0 + DAY)
    complete_draft(story, T0 + 5 * DAY)
    (approved,) = story.do(Approve(by="Legal-Affairs"), T0 + 6 * DAY)
    assert isinstance(approved, ev.Approved) and approved.by == "legal-affairs"
    refused(story, Approve(by="LEGAL-AFFAIRS"), T0 + 6 * DAY, AlreadyApproved)


def test_names_that_differ_only_in_case_are_not_guessed_between() -> None:
    plan = validate_plan(
        {"steps": [{"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                    "parties": ["OECD", "Oecd", "Austria"]}]}
    )  # fmt: skip
    story = Story(make_mandate(plan=plan))

    message = refused(story, RecordResponse(party="oecd", text="x"), T0 + DAY, UnknownParty)

    assert message == "'oecd' is not consulted in step 'consult' (consulted: OECD, Oecd, Austria)"


def test_a_refusal_names_at_most_a_dozen_parties() -> None:
    parties = [f"State {n:03d}" for n in range(191)]
    plan = validate_plan(
        {"steps": [{"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                    "parties": parties}]}
    )  # fmt: skip
    story = Story(make_mandate(plan=plan))

    message = refused(story, RecordResponse(party="Atlantis", text="x"), T0 + DAY, UnknownParty)

    assert message.endswith(f"(consulted: {', '.join(parties[:12])} and 179 more)")


def test_a_confidential_consultation_marks_its_responses_confidential() -> None:
    story = four_step_story(confidential=True)

    (received,) = story.do(RecordResponse(party="OECD", text="secret figures"), T0 + DAY)

    assert isinstance(received, ev.ResponseReceived)
    assert received.confidential is True
    _, payload = ev.to_payload(received)
    assert payload["confidential"] is True and payload["text"] == "secret figures"
    assert "secret figures" not in story.state.model_dump_json()


def test_timer_commands_remind_the_non_respondents_then_overdue_escalate_and_close() -> None:
    story = four_step_story()
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
    story = four_step_story()
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
    story = four_step_story()
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
    story = four_step_story()
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
    assert progress_line(story.state) == "para 3 · information collection · completed on 2027-01-12"


def test_a_rejection_sends_the_mandate_back_to_the_named_step_with_the_comment() -> None:
    story = four_step_story()
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


def test_a_rejection_goes_back_to_the_step_just_before_when_the_plan_names_none() -> None:
    plan = validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                 "parties": ["Austria"]},
                {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 40},
                {"type": "task", "id": "edit", "title": "Edit", "due_in_days": 45},
                {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 50,
                 "approvers": ["chief.of.section"]},
            ]
        }
    )  # fmt: skip
    assert plan.step("approve").on_reject_go_to is None  # type: ignore[union-attr]
    story = Story(make_mandate(plan=plan))
    story.do(RecordResponse(party="Austria", text="agreed"), T0 + DAY)
    for step_id, day in (("draft", 2), ("edit", 3)):
        story.do(CompleteTask(by="j.doe", outcome=f"{step_id} v1", effort_days=Decimal(1)), T0 + day * DAY)
    assert story.state.current_step == "approve"

    events = story.do(Reject(by="chief.of.section", comment="tighten it"), T0 + 4 * DAY)

    rejected, started = events
    assert isinstance(rejected, ev.Rejected) and rejected.go_to == "edit"
    assert isinstance(started, ev.StepStarted) and started.step_id == "edit"
    assert story.state.current_step == "edit"
    assert story.state.step("edit").attempt == 2
    assert story.state.step("edit").rework_comment == "tighten it"
    assert (story.state.step("draft").attempt, story.state.step("consult").attempt) == (1, 1)


def test_extending_a_deadline_resets_reminders_and_moves_the_closing() -> None:
    story = four_step_story()
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
    not_later = refused(story, ExtendDeadline(until=until, reason="x", by="c"), deadline, DeadlineNotLater)
    assert not_later == (
        "2027-02-23 09:00 UTC is not later than the deadline of step 'consult' (2027-02-23 09:00 UTC)"
    )  # (to the minute: never microseconds)
    past = refused(
        story, ExtendDeadline(until=until + DAY + timedelta(microseconds=123456), reason="x", by="c"),
        until + 2 * DAY, DeadlineNotLater,
    )  # fmt: skip
    assert past == "2027-02-24 09:00 UTC is in the past"


def test_withdrawal_ends_the_mandate_and_refuses_everything_after() -> None:
    story = four_step_story()

    (withdrawn,) = story.do(Withdraw(reason="superseded by 8/2", by="coordinator"), T0 + DAY)

    assert isinstance(withdrawn, ev.MandateWithdrawn)
    assert story.state.status is MandateStatus.WITHDRAWN
    assert progress_line(story.state) == (
        "para 3 · information collection · withdrawn on 2027-01-05 at step 1 of 4: consult · "
        "superseded by 8/2"
    )
    assert story.state.withdrawal_reason == "superseded by 8/2"
    assert story.state.awaiting() == [] and story.state.next_deadline() is None
    refused(story, RecordResponse(party="Mexico", text="x"), T0, MandateNotActive)
    refused(story, ReminderFired(step_id="consult", days_before=3), T0, MandateNotActive)
    refused(MandateStatefour_step_story(), Approve(by="x"), T0, MandateNotActive)


def MandateStatefour_step_story() -> Story:
    story = Story.__new__(Story)
    story.events, story.state = [], MandateState()
    return story


def test_an_extension_moves_the_later_steps_with_it_and_the_plan_stays_valid() -> None:
    """Extending a step left the later planned deadlines earlier than the new one (in `show`
    and the calendar). They move by as much, so the plan keeps its order."""
    story = four_step_story()
    until = T0 + 45 * DAY  # the consultation, due on day 30, now due on day 45

    (extended,) = story.do(
        ExtendDeadline(until=until, reason="holidays", by="coordinator", move_later_steps=True), T0 + DAY
    )

    assert isinstance(extended, ev.DeadlineExtended)
    assert extended.later == {"draft": T0 + 55 * DAY, "approve": T0 + 65 * DAY, "submit": T0 + 75 * DAY}
    planned = [story.state.step(s).planned_due for s in ("consult", "draft", "approve", "submit")]
    assert planned[1:] == [T0 + 55 * DAY, T0 + 65 * DAY, T0 + 75 * DAY]
    assert story.state.step("consult").deadline == until <= planned[1]
    answer_all(story, T0 + 2 * DAY)
    assert story.state.step("draft").deadline == T0 + 55 * DAY  # the next step starts with its moved deadline

    unmoved = four_step_story()  # (an extension recorded before they moved: nothing moves)
    (before,) = unmoved.do(ExtendDeadline(until=until, reason="holidays", by="coordinator"), T0 + DAY)
    assert isinstance(before, ev.DeadlineExtended) and before.later == {}
    assert unmoved.state.step("draft").planned_due == T0 + 40 * DAY


def test_a_report_bound_to_its_session_moves_no_later_than_the_eve_of_the_session() -> None:
    session = (T0 + 70 * DAY).date()
    plan = validate_plan(
        {"steps": [
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 30},
            {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 50,
             "approvers": ["chief.of.section"]},
            {"type": "report", "id": "submit", "title": "Submit", "due_in_days": 60,
             "session_date": session.isoformat()},
            {"type": "task", "id": "follow-up", "title": "Follow up", "due_in_days": 80},
        ]}
    )  # fmt: skip
    story = Story(make_mandate(plan=plan))

    (extended,) = story.do(
        ExtendDeadline(until=T0 + 55 * DAY, reason="late input", by="c", move_later_steps=True), T0 + DAY
    )

    assert isinstance(extended, ev.DeadlineExtended)
    eve = datetime.combine(session, datetime.min.time(), tzinfo=T0.tzinfo) - timedelta(minutes=1)
    assert extended.later == {"approve": eve, "submit": eve, "follow-up": T0 + 105 * DAY}
    moved = [story.state.step(s).planned_due for s in ("approve", "submit", "follow-up")]
    assert moved == sorted(moved) and moved[1].date() < session  # (valid: in order, before the session)
