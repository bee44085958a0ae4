"""Who may do what to a mandate, as data: the rules an authenticated caller is held to.

The caller's names are the person and every role they hold (``config.identity``). A
consulted party answers for itself; an approver approves or rejects its step (both
checked as "acting as": the request names the party or approver, and the caller must
be it or hold it, then ``decide`` checks the name belongs to the step). The rest is
here:

- a task or report is completed by its assignee or the mandate's coordinator;
- a deadline is extended, and the mandate withdrawn, by the coordinator only (never by
  a consulted party);
- an answer is recorded on a party's behalf (an answer that came by post or e-mail) by the
  coordinator, and the log says who recorded it;
- a mandate is started (imported) by whoever holds its coordinator role;
- the review calendar is imported, and a confidential review's details are seen, by the
  coordinators (``REVIEW_COORDINATORS``).

A plan may name others (``Plan.access``). Each refusal is one line naming the rule.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from domain.events import MandateFollowed
from domain.mandate import Mandate
from domain.plan import ReportStep, TaskStep
from domain.state import MandateState

ACTIONS = {
    "complete_task": "complete",
    "extend_deadline": "extend",
    "withdraw": "withdraw",
    "respond": "record_answers",
}
"""The operations (update names) whose authorised people the plan may name."""


def _refusal(person: str, doing: str, allowed: Sequence[str], names: Collection[str]) -> str | None:
    if any(name in names for name in allowed):
        return None
    return f"{person} may not {doing} (allowed: {', '.join(allowed)})"


IMPORTERS = (Mandate.model_fields["coordinator"].default,)
"""Who records the paragraphs a resolution gives no Secretariat work: the coordinators."""


def may_start(mandate: Mandate, person: str, names: Collection[str]) -> str | None:
    """Why this caller may not start (import) the mandate, or None."""
    return _refusal(person, f"start mandate {mandate.id}", [mandate.coordinator], names)


def may_follow(followed: MandateFollowed, person: str, names: Collection[str]) -> str | None:
    """Why this caller may not record a followed paragraph, or None."""
    return _refusal(person, f"record paragraph {followed.mandate_id} as followed", IMPORTERS, names)


def may(
    state: MandateState, operation: str, person: str, names: Collection[str], on_behalf: bool = False
) -> str | None:
    """Why this caller may not do ``operation`` (an update's name) now, or None.

    Operations with no rule here (approve, reject, and a party answering for itself) are
    left to the "acting as" check and to ``decide``; ``on_behalf``: a response recorded by
    someone for the party.
    """
    action = ACTIONS.get(operation)
    mandate = state.mandate
    if action is None or mandate is None or (action == "record_answers" and not on_behalf):
        return None
    named = getattr(mandate.plan.access, action)
    if action == "complete":
        step = state.active_step()
        planned = mandate.plan.step(step.step_id) if step is not None else None
        default = [planned.assignee] if isinstance(planned, TaskStep | ReportStep) else []
        allowed = named if named is not None else [*default, mandate.coordinator]
        what = f"step {step.step_id!r}" if step is not None else "this mandate's steps"
        return _refusal(person, f"complete {what}", allowed, names)
    allowed = named if named is not None else [mandate.coordinator]
    doing = {
        "extend": "extend this mandate's deadlines",
        "withdraw": "withdraw this mandate",
        "record_answers": "record a party's answer on its behalf",
    }[action]
    return _refusal(person, doing, allowed, names)


REVIEW_COORDINATORS = IMPORTERS
"""Who imports review calendars and sees the details of confidential reviews: the coordinators."""


def may_import_reviews(person: str, names: Collection[str]) -> str | None:
    """Why this caller may not record reviews in the review calendar, or None."""
    return _refusal(person, "import reviews into the review calendar", REVIEW_COORDINATORS, names)


def may_see_confidential_reviews(person: str, names: Collection[str]) -> str | None:
    """Why this caller may not see a confidential review's details (its mechanism and dates), or None."""
    return _refusal(person, "see the details of confidential reviews", REVIEW_COORDINATORS, names)
