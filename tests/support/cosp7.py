"""A realistic history for the reference resolution (COSP 7, enhancing synergies).

The resolution is parsed and imported with the domain (``plan_import``: the default
plans); each mandate is then driven with ``domain.decide`` at fixed times, the
timers (reminders, overdue notices, escalations, consultation closings) firing
when they fall due, as the workflows would; and everything is appended to the
audit log with a clock that records each batch one minute after it happened.

What happens (day 0 is Monday 8 January 2018):

- para 1, dialogue + reporting: interlocutors identified; three of four bodies
  answer the consultation, OAS (MESICIC) does not (reminders, overdue,
  escalation, closed at its deadline); the summary is rejected once for rework,
  then approved; compiling the report is under way.
- para 2, MoU exploration + reporting: partners scoped and all consulted; the
  draft memorandum's deadline is extended, the draft is done (a cost in EUR),
  legal approval given; States parties are being consulted on the draft.
- para 3, information collection (confidential): two of three partner
  secretariats send information (one response holds ``CANARY``), one never
  does; compiled and approved: completed.
- para 4, addressed to States parties: followed.
- para 5, reporting within existing resources: compiled, approved, submitted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.deadlines import next_alarm
from domain.decide import Approve, CompleteTask, ExtendDeadline, Reject, command_for
from domain.decide import RecordResponse as Respond
from domain.events import to_payload
from domain.importing import plan_import
from domain.resolution import parse_resolution
from store.audit import AuditStore, NewEvent, StoredEvent
from tests.support import ROOT
from tests.support.stories import Batch, Story, interleaved, new_events

RESOLUTION = ROOT / "examples" / "resolutions" / "cosp-7-synergies.txt"
GOLDEN = ROOT / "tests" / "reports" / "golden"
"""The report on the scenario as it must print (``UPDATE_GOLDEN=1`` rewrites it)."""
DAY0 = datetime(2018, 1, 8, 9, 0, tzinfo=UTC)
END = 135
CANARY = "CANARY-7f3a9e: GRECO review cycle cost 4.2M, do not disclose"
GRECO, OECD, OAS = "Council of Europe (GRECO)", "OECD Working Group on Bribery", "OAS (MESICIC)"
CHIEF, LEGAL = "chief.of.section", "legal-affairs"


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def run_timers(story: Story, until: datetime) -> None:
    """Fire every alarm that falls due up to ``until``, in order, as the workflow's timers would."""
    while (alarm := next_alarm(story.state)) is not None and alarm.at <= until:
        story.do(command_for(alarm), max(story.now, alarm.at))


def act(story: Story, when: float, command: Any) -> None:
    at = day(when)
    run_timers(story, at)
    story.do(command, at)


def task(by: str, outcome: str, effort: str, cost: str = "0", currency: str = "USD") -> CompleteTask:
    return CompleteTask(
        by=by, outcome=outcome, effort_days=Decimal(effort), cost=Decimal(cost), currency=currency
    )


@dataclass
class Cosp7:
    stories: dict[int, Story]
    followed: list[tuple[str, dict[str, Any]]]  # (stream, payload) of paragraphs followed

    @property
    def slug(self) -> str:
        return self.stories[1].mandate.resolution_slug


@functools.cache
def build() -> Cosp7:
    """The scenario (built once per test session; nothing changes it afterwards)."""
    resolution = parse_resolution(RESOLUTION.read_bytes())
    plan = plan_import(resolution, DAY0)
    mandates = {m.paragraph: m for m in plan.mandates}
    stories = {n: Story(mandates[n], now=DAY0 + timedelta(hours=n)) for n in sorted(mandates)}

    p1 = stories[1]
    act(p1, 14, task("a.rossi", "Focal points identified in four bodies", "3"))
    act(p1, 30, Respond(party="States parties", text="Views of States parties on synergies"))
    act(p1, 41, Respond(party=GRECO, text="GRECO schedules for 2018-2019"))
    act(p1, 70, Respond(party=OECD, text="Working Group calendar"))
    act(p1, 94, task("a.rossi", "Summary of the dialogue drafted", "5", "1850.00"))
    act(p1, 97, Reject(by=CHIEF, comment="Add the comparison of the mechanisms' costs"))
    act(p1, 101, task("a.rossi", "Summary revised with the cost comparison", "1.5"))
    act(p1, 102, Approve(by=CHIEF))

    p2 = stories[2]
    act(p2, 25, task("m.chen", "Three partner secretariats scoped", "2"))
    act(p2, 35, Respond(party=GRECO, text="Open to an exchange of letters"))
    act(p2, 44, Respond(party=OECD, text="Prefers a memorandum"))
    act(p2, 52, Respond(party=OAS, text="Agrees in principle"))
    act(
        p2,
        98,
        ExtendDeadline(until=day(130), reason="waiting for the partners' legal templates", by="coordinator"),
    )
    act(p2, 118, task("m.chen", "Draft memorandum circulated to partners", "8", "2400.00", "EUR"))
    act(p2, 119, Approve(by=LEGAL))

    p3 = stories[3]
    act(p3, 20, Respond(party=GRECO, text=CANARY))
    act(p3, 33, Respond(party=OECD, text="Cost figures of the 2017 review cycle (confidential)"))
    act(p3, 63, task("s.okafor", "Information compiled for the section chief", "4"))
    act(p3, 66, Approve(by=CHIEF, comment="May be shared in aggregate"))

    p5 = stories[5]
    act(p5, 55, task("a.rossi", "Progress report drafted", "6", "800.00"))
    act(p5, 58, Approve(by=CHIEF))
    act(p5, 85, task("a.rossi", "Submitted as conference room paper", "0.5"))

    for story in stories.values():
        run_timers(story, day(END))
    followed = [(f.mandate_id, to_payload(f)[1]) for f in plan.followed]
    return Cosp7(stories, followed)


async def append(pool: Any, scenario: Cosp7) -> list[StoredEvent]:
    """Append the scenario in time order, each batch recorded a minute after it happened."""
    recorded = [DAY0]
    store = AuditStore(pool, clock=lambda: recorded[0])
    for stream, payload in scenario.followed:
        recorded[0] = DAY0 + timedelta(minutes=1)
        await store.append(
            stream,
            0,
            [
                NewEvent(
                    type="MandateFollowed",
                    actor="importer",
                    occurred_at=DAY0,
                    payload=payload,
                    idempotency_key=f"{stream}:followed",
                    correlation_id=stream,
                )
            ],
        )
    batches: list[Batch] = interleaved(list(scenario.stories.values()))
    for batch in batches:
        recorded[0] = batch.at + timedelta(minutes=1)
        await store.append(
            batch.mandate_id,
            batch.expected_version,
            new_events(batch.mandate_id, batch.expected_version + 1, batch.events),
        )
    return [e async for e in store.iterate_all()]


@dataclass(frozen=True)
class Logged:
    """The scenario and the audit records it was appended as."""

    scenario: Cosp7
    records: list[StoredEvent]
