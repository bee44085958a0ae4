"""The one fold (domain/state.py): evolve and fold of a mandate's events."""

from datetime import timedelta
from decimal import Decimal

from domain import events as ev
from domain.decide import (
    CompleteTask,
    ConsultationDeadlinePassed,
    ExtendDeadline,
    RecordResponse,
    Reject,
    ReminderFired,
    Withdraw,
)
from domain.state import MandateState, PartyStatus, evolve, fold
from tests.support.mandates import T0
from tests.support.stories import four_step_story, late_completion_story

DAY = timedelta(days=1)


def test_fold_of_the_events_reproduces_the_state_and_payloads_round_trip() -> None:
    story = four_step_story()
    story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)
    story.do(ReminderFired(step_id="consult", days_before=14), T0 + 16 * DAY)
    story.do(ExtendDeadline(until=T0 + 35 * DAY, reason="late", by="c"), T0 + 17 * DAY)
    story.do(ConsultationDeadlinePassed(step_id="consult"), T0 + 45 * DAY)
    story.do(
        CompleteTask(by="j.doe", outcome="draft v1", effort_days=Decimal("2.5"),
                     cost=Decimal("1200.00"), currency="EUR"),
        T0 + 46 * DAY,
    )  # fmt: skip
    story.do(Reject(by="legal-affairs", comment="redo"), T0 + 47 * DAY)

    assert fold(story.events) == story.state
    assert story.state.version == len(story.events)
    restored = [ev.from_payload(*ev.to_payload(e)) for e in story.events]
    assert restored == story.events
    assert fold(restored) == story.state
    assert fold(restored[3:], fold(restored[:3])) == story.state
    assert MandateState.model_validate_json(story.state.model_dump_json()) == story.state


def test_events_name_their_actor() -> None:
    story = four_step_story()
    received = story.do(RecordResponse(party="Mexico", text="yes"), T0 + DAY)[0]

    assert received.actor == "Mexico"
    assert story.events[0].actor == "mandate-engine"
    assert ev.MandateWithdrawn(reason="r", by="coordinator", at=T0).actor == "coordinator"


def test_evolve_leaves_the_state_it_is_given_unchanged_and_shares_the_frozen_mandate() -> None:
    story = four_step_story()
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


def test_a_task_completed_after_its_deadline_missed_it_though_no_timer_said_it_was_overdue() -> None:
    story = late_completion_story()
    compile_, check, approve = story.state.deadlines

    assert (compile_.step_id, compile_.overdue, compile_.closed_by) == ("compile", False, "completed")
    assert compile_.closed_at == T0 + 12 * DAY > compile_.deadline == T0 + 10 * DAY
    assert compile_.status == "missed"
    assert (check.step_id, check.closed_at, check.deadline) == ("check", T0 + 20 * DAY, T0 + 20 * DAY)
    assert check.status == "met"  # done on the day it was due
    assert (approve.step_id, approve.status) == ("approve", "open")
    assert fold(story.events).deadlines == story.state.deadlines


def test_a_withdrawn_mandate_has_no_current_step_and_knows_where_it_stopped() -> None:
    story = four_step_story()

    story.do(Withdraw(reason="superseded", by="coordinator"), T0 + timedelta(days=1))

    assert story.state.current_step is None
    stopped = story.state.stopped_step()
    assert stopped is not None and stopped.step_id == "consult"
    assert four_step_story().state.stopped_step() is None  # (an active mandate stopped nowhere)


def test_a_completion_without_effort_or_cost_counts_nothing_and_effort_alone_no_cost() -> None:
    story = four_step_story()
    for party in ("Austria", "Mexico", "OECD"):
        story.do(RecordResponse(party=party, text="x"), T0 + DAY)

    story.do(CompleteTask(by="j.doe", outcome="drafted"), T0 + 2 * DAY)  # (no --effort-days, no --cost)

    assert story.state.cost_lines == [] and story.state.costs == {}
    story.do(Reject(by="legal-affairs", comment="again"), T0 + 3 * DAY)
    story.do(CompleteTask(by="j.doe", outcome="redrafted", effort_days=Decimal(2)), T0 + 4 * DAY)

    (line,) = story.state.cost_lines
    assert (line.effort_days, line.cost) == (Decimal(2), Decimal(0))
    assert story.state.costs == {} and story.state.effort_days == Decimal(2)
