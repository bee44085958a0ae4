"""Mandate histories decided with the pure domain, and appended to the audit log.

A ``Story`` is one mandate driven command by command through ``domain.decide``;
``random_story`` drives it with a stream of choices (from hypothesis, or from a
seeded ``random.Random``): responses, approvals, rejections, completed tasks,
deadline extensions, withdrawals, and the timers' reminders, overdue notices,
escalations and consultation closings, each at a plausible time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain import events as ev
from domain.deadlines import next_alarm
from domain.decide import (
    Approve,
    CompleteTask,
    ExtendDeadline,
    RecordResponse,
    Reject,
    StartMandate,
    Withdraw,
    command_for,
    decide,
)
from domain.errors import DomainError
from domain.mandate import Mandate
from domain.plan import ApprovalStep, validate_plan
from domain.state import MandateState, fold
from domain.vocabulary import MandateKind
from store.audit import AuditStore, NewEvent
from tests.support.mandates import T0, make_mandate

KIND_SETS: tuple[tuple[MandateKind, ...], ...] = (
    (MandateKind.DIALOGUE, MandateKind.REPORTING),
    (MandateKind.MOU_EXPLORATION,),
    (MandateKind.INFORMATION_COLLECTION,),
    (MandateKind.REPORTING,),
    (MandateKind.MOU_EXPLORATION, MandateKind.REPORTING),
    (MandateKind.DIALOGUE,),
)


FOUR_STEP_PLAN = validate_plan(
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
"""Consult three parties (ten days' grace), draft, approve (two approvers; a rejection goes
back to the draft), submit: the plan the domain tests drive."""


@dataclass
class Batch:
    """The events one command caused, as one append to the mandate's stream."""

    mandate_id: str
    expected_version: int
    events: list[ev.MandateEvent]
    at: datetime


@dataclass
class Story:
    """One mandate's events, decided one command at a time."""

    mandate: Mandate
    now: datetime = T0
    state: MandateState = field(default_factory=MandateState)
    events: list[ev.MandateEvent] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.do(StartMandate(mandate=self.mandate), self.now)

    @property
    def mandate_id(self) -> str:
        return self.mandate.id

    def do(self, command: Any, at: datetime) -> list[ev.MandateEvent]:
        """Decide ``command`` at ``at`` and keep what it causes (a refusal raises)."""
        new = decide(self.state, command, at)
        self.now = max(self.now, at)
        if new:
            self.batches.append(Batch(self.mandate_id, self.state.version, list(new), at))
            self.events.extend(new)
            self.state = fold(new, self.state)
        return new

    def types(self, events: Sequence[ev.MandateEvent] | None = None) -> list[str]:
        """The types of ``events`` (of all the story's events if none are given)."""
        return [e.type for e in (self.events if events is None else events)]

    def try_do(self, command: Any, at: datetime) -> bool:
        try:
            return bool(self.do(command, at))
        except DomainError:
            return False

    def fire_next_alarm(self) -> bool:
        alarm = next_alarm(self.state)
        if alarm is None:
            return False
        return self.try_do(command_for(alarm), max(self.now, alarm.at))

    def human_commands(self, pick: Callable[[int], int]) -> list[Any]:
        """Commands a person could give now, with details chosen by ``pick``."""
        step = self.state.active_step()
        if step is None or step.deadline is None:
            return []
        planned = self.mandate.plan.step(step.step_id)
        commands: list[Any] = []
        if step.type == "consultation":
            commands += [RecordResponse(party=p, text=f"input of {p} #{pick(1000)}") for p in step.awaiting()]
        elif isinstance(planned, ApprovalStep):
            commands += [Approve(by=a, comment="ok") for a in planned.approvers if a not in step.approvals]
            commands.append(Reject(by=planned.approvers[0], comment=f"please rework ({pick(100)})"))
        else:
            commands.append(
                CompleteTask(
                    by="j.doe",
                    outcome=f"{step.step_id} done",
                    effort_days=Decimal(pick(20)) / 2,
                    cost=Decimal(pick(500_000)) / 100,
                    currency=("USD", "EUR")[pick(2)],
                )
            )
        if pick(8) == 7:
            until = max(step.deadline, self.now) + timedelta(days=1 + pick(30))
            commands = [ExtendDeadline(until=until, reason="more time was asked for", by="coordinator")]
        return commands


def four_step_story(*, confidential: bool = False) -> Story:
    """Paragraph 3 of resolution 7/6 (a paragraph that "calls upon"), with the four-step
    plan, started at ``T0``."""
    mandate = make_mandate(
        plan=FOUR_STEP_PLAN, confidential=confidential, verb="calls upon", reports_to=None, title=""
    )
    return Story(mandate)


def late_completion_story() -> Story:
    """A task due on day 10, done on day 12, before any timer said it was overdue (no
    ``StepOverdue``): its deadline was missed all the same. The next task, due on day 20,
    is done on day 20 exactly: met."""
    plan = validate_plan(
        {
            "steps": [
                {"type": "task", "id": "compile", "title": "Compile", "due_in_days": 10},
                {"type": "task", "id": "check", "title": "Check", "due_in_days": 20},
                {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 30,
                 "approvers": ["chief.of.section"]},
            ]
        }
    )  # fmt: skip
    story = Story(make_mandate("late-completion", plan))
    for step_id, day in (("compile", 12), ("check", 20)):
        story.do(
            CompleteTask(by="j.doe", outcome=f"{step_id} done", effort_days=Decimal(1), cost=Decimal(100)),
            T0 + timedelta(days=day),
        )
    assert "StepOverdue" not in story.types()
    return story


def random_story(mandate: Mandate, choices: Iterable[int], max_commands: int = 40) -> Story:
    """Drive ``mandate`` with one choice per decision, for at most ``max_commands`` commands.

    Choice 0 always means the plainest next step (the first party answers, the first
    approver approves, the task is done an hour later), so that short or shrunk
    choice lists tell a simple story; when the choices run out, it goes on with 0s.
    """
    source = iter(choices)

    def pick(n: int) -> int:
        return next(source, 0) % n

    story = Story(mandate, now=T0 + timedelta(hours=pick(72)))
    for _ in range(max_commands):
        if not story.state.is_active:
            break
        action = pick(100)  # 0 (hypothesis' favourite, and what it shrinks to) moves the mandate on
        if action == 99:
            story.try_do(
                Withdraw(reason="overtaken by events", by="coordinator"), story.now + timedelta(hours=1)
            )
            continue
        if action >= 80:
            if not story.fire_next_alarm():
                break
            continue
        commands = story.human_commands(pick)
        if not commands:
            break
        at = story.now + timedelta(hours=1 + pick(24 * 20))
        alarm = next_alarm(story.state)
        if alarm is not None and alarm.at <= at:
            story.fire_next_alarm()  # the timer fires before the person acts
            continue
        story.try_do(commands[pick(len(commands))], at)
    return story


def seeded_stories(count: int, seed: int, slug: str = "gen", max_commands: int = 60) -> list[Story]:
    rng = random.Random(seed)
    return [
        random_story(
            make_mandate(slug, paragraph=n, kinds=KIND_SETS[n % len(KIND_SETS)], confidential=n % 3 == 0),
            (rng.randrange(1 << 16) for _ in range(10_000)),
            max_commands,
        )
        for n in range(1, count + 1)
    ]


def clone(story: Story, slug: str, paragraph: int) -> list[ev.MandateEvent]:
    """The story's events for another mandate (same plan and history, another id)."""
    events = list(story.events)
    started = events[0]
    assert isinstance(started, ev.MandateStarted)
    mandate = started.mandate.model_copy(update={"resolution_slug": slug, "paragraph": paragraph})
    events[0] = started.model_copy(update={"mandate": mandate})
    return events


def new_events(mandate_id: str, first_version: int, events: Sequence[ev.MandateEvent]) -> list[NewEvent]:
    rows = []
    for version, event in enumerate(events, start=first_version):
        event_type, payload = ev.to_payload(event)
        rows.append(
            NewEvent(
                type=event_type,
                actor=event.actor,
                occurred_at=event.at,
                payload=payload,
                idempotency_key=f"{mandate_id}:{version}",
                correlation_id=mandate_id,
            )
        )
    return rows


async def append_batches(store: AuditStore, batches: Iterable[Batch]) -> int:
    """Append each batch as the workflow would (one append per decided command)."""
    count = 0
    for batch in batches:
        stored = await store.append(
            batch.mandate_id,
            batch.expected_version,
            new_events(batch.mandate_id, batch.expected_version + 1, batch.events),
        )
        count += len(stored)
    return count


def interleaved(stories: Sequence[Story]) -> list[Batch]:
    """Every story's batches in time order (stable), as several workflows would append them."""
    return sorted((b for s in stories for b in s.batches), key=lambda b: b.at)


def followed_payload(
    slug: str, paragraph: int, text: str = "Calls upon States parties ..."
) -> dict[str, Any]:
    return {
        "mandate_id": f"mandate-{slug}-para-{paragraph}",
        "resolution": slug,
        "resolution_slug": slug,
        "resolution_symbol": "7/6",
        "paragraph": paragraph,
        "verb": "calls upon",
        "actor": "states_parties",
        "kinds": [],
        "reports_to": None,
        "text": text,
    }


async def append_followed(store: AuditStore, slug: str, paragraph: int, at: datetime) -> None:
    payload = followed_payload(slug, paragraph)
    stream = payload["mandate_id"]
    await store.append(
        stream,
        0,
        [
            NewEvent(
                type="MandateFollowed",
                actor="importer",
                occurred_at=at,
                payload=payload,
                idempotency_key=f"{stream}:1",
                correlation_id=stream,
            )
        ],
    )
