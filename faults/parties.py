"""The mandates of a fault run and the people who answer them.

Every mandate has the same small plan: a consultation of three partner
secretariats, an approval by the Chief of Section, and a task for the
Secretariat, each with an absolute deadline (``due``) a few minutes out, since
the dev server runs on the real clock. Each mandate follows one ``Behaviour``,
so that the deadline timers have something to do: a party stays silent (the
consultation closes at its deadline), the approval or the task comes after its
deadline (it falls overdue first), or everything comes on time.

A ``Party`` drives one mandate through its Temporal Updates, as the CLI does.
Every update carries an id derived from the mandate and the action, and is
retried with the same id after any transport error (a killed worker, a
restarting server): Temporal deduplicates it, so a retry never records twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import asyncpg
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.mandate import Mandate
from domain.plan import Plan, validate_plan
from domain.vocabulary import MandateKind
from workflows.mandate import MandateWorkflow
from workflows.messages import ApproveRequest, CompleteTaskRequest, RespondRequest
from workflows.starter import mandate_handle, start_mandate

PARTIES = ("Council of Europe (GRECO)", "OECD Working Group on Bribery", "OAS (MESICIC)")
APPROVER = "chief.of.section"
ASSIGNEE = "secretariat"
CONSULTATION, APPROVAL, TASK = "consult-partners", "approve-findings", "publish-findings"

T = TypeVar("T")


class Behaviour(StrEnum):
    ON_TIME = "on-time"  # every party answers; approval and task come before their deadlines
    SILENT_PARTY = "silent-party"  # the last party never answers: the consultation closes at its deadline
    LATE_APPROVAL = "late-approval"  # the approval falls overdue, then comes
    LATE_TASK = "late-task"  # the task falls overdue, then is done

    @classmethod
    def of(cls, paragraph: int) -> Behaviour:
        return list(cls)[paragraph % len(cls)]

    @property
    def answering(self) -> tuple[str, ...]:
        return PARTIES[:-1] if self is Behaviour.SILENT_PARTY else PARTIES


@dataclass(frozen=True)
class Deadlines:
    """The plan's three absolute deadlines."""

    consultation: datetime
    approval: datetime
    task: datetime


def fault_plan(deadlines: Deadlines) -> Plan:
    """A consultation of three parties (closing at its deadline), an approval, a task."""
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": CONSULTATION, "title": "Consult the partner secretariats",
                 "due": deadlines.consultation, "grace_days": 0, "parties": list(PARTIES)},
                {"type": "approval", "id": APPROVAL, "title": "Approve the findings",
                 "due": deadlines.approval, "approvers": [APPROVER], "rule": "any"},
                {"type": "task", "id": TASK, "title": "Publish the findings",
                 "due": deadlines.task, "assignee": ASSIGNEE},
            ]
        }
    )  # fmt: skip


def fault_mandate(run_token: str, paragraph: int, plan: Plan) -> Mandate:
    return Mandate(
        resolution_symbol="FAULTS/1",
        resolution_slug=f"faults-{run_token}",
        paragraph=paragraph,
        verb="requests",
        kinds=[MandateKind.INFORMATION_COLLECTION],
        coordinator="coordinator",
        title="fault run",
        plan=plan,
    )


def response_text(mandate_id: str, party: str) -> str:
    return f"{party} answers {mandate_id}"


NOT_YET = ("mandate_not_active", "step_not_pending")
"""Refusals of an action that came before the mandate's workflow reached its start or its
step (the audit log can show a step a moment before the workflow has folded it in): the
people send it again."""

_EVENTS = "SELECT version, event_type, payload::text FROM audit_events WHERE stream_id = $1 AND version > $2"


@dataclass
class UpdateStats:
    """What the parties' update calls met, over the whole run."""

    sent: int = 0  # distinct updates (each possibly retried)
    retried: int = 0  # attempts after a transport error or a time-out
    early: int = 0  # attempts refused as "not yet" (the step had not started), then sent again
    refused: list[str] = field(default_factory=list)  # other refusals: none expected
    impatient: list[str] = field(default_factory=list)  # waits that ran out of patience
    gave_up: list[str] = field(default_factory=list)


class AuditWatch:
    """What the people see of a mandate: its audit stream in Postgres (not the workflow's
    ``state`` query, which races the workflow's own tasks; see RELIABILITY.md)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: asyncpg.Pool | None = None
        self.seen: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    async def events(self, mandate_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(type, payload) of the stream so far; [] while Postgres cannot be reached."""
        known = self.seen.setdefault(mandate_id, [])
        try:
            if self.pool is None:
                self.pool = await asyncpg.create_pool(self.url, min_size=1, max_size=4)
            rows = await self.pool.fetch(_EVENTS, mandate_id, len(known))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return known
        known.extend((row[1], json.loads(row[2])) for row in rows)
        return known

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


Seen = Callable[[list[tuple[str, dict[str, Any]]]], bool]


def recorded(event_type: str, step_id: str | None = None) -> Seen:
    return lambda events: any(t == event_type and step_id in (None, p.get("step_id")) for t, p in events)


@dataclass
class Party:
    """The people of one mandate: its consulted parties, its approver, its assignee."""

    client: Client
    task_queue: str
    mandate: Mandate
    behaviour: Behaviour
    deadlines: Deadlines
    stats: UpdateStats
    watch: AuditWatch
    give_up_at: float  # time.monotonic() after which nothing is retried
    done: list[str] = field(default_factory=list)  # the actions that succeeded, in order
    accepted: list[tuple[Any, datetime]] = field(default_factory=list)  # (command, when) of each

    @property
    def mandate_id(self) -> str:
        return self.mandate.id

    async def start(self) -> None:
        result = await self._transient(lambda: start_mandate(self.client, self.mandate, self.task_queue))
        if result.status != "started":
            raise RuntimeError(f"{self.mandate_id} was {result.status}")
        await self.wait_for(recorded("MandateStarted"), "its start", every=0.5)
        self.done.append("start")

    async def answer(self, party: str) -> None:
        request = RespondRequest(party=party, text=response_text(self.mandate_id, party))
        await self._update(f"respond:{party}", MandateWorkflow.respond, request)

    async def approve(self) -> None:
        await self._update("approve", MandateWorkflow.approve, ApproveRequest(by=APPROVER, comment="agreed"))

    async def complete(self) -> None:
        request = CompleteTaskRequest(by=ASSIGNEE, outcome="findings published", effort_days=1, cost=250)
        await self._update("complete", MandateWorkflow.complete_task, request)

    async def wait_for(
        self, seen: Seen, what: str, every: float = 1.0, patience: float | None = None
    ) -> None:
        """Watch the audit stream until ``seen`` holds; after ``patience`` seconds go on
        regardless (the checks will show what did not happen)."""
        until = min(self.give_up_at, time.monotonic() + patience) if patience else self.give_up_at
        while not seen(await self.watch.events(self.mandate_id)):
            if time.monotonic() > until:
                self.stats.impatient.append(f"{self.mandate_id}: never saw {what}")
                return
            await asyncio.sleep(every)

    async def result(self) -> Any:
        handle = mandate_handle(self.client, self.mandate_id)
        return await self._transient(lambda: handle.result(), attempt_seconds=60)

    async def _update(self, action: str, update: Any, request: Any) -> None:
        handle = mandate_handle(self.client, self.mandate_id)
        update_id = f"{self.mandate_id}:{action}"
        self.stats.sent += 1
        while True:
            try:
                await self._transient(lambda: handle.execute_update(update, request, id=update_id))
            except WorkflowUpdateFailedError as err:
                cause = err.cause
                code = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
                if code in NOT_YET and time.monotonic() < self.give_up_at:
                    self.stats.early += 1
                    await asyncio.sleep(1.0)
                    continue
                self.stats.refused.append(f"{update_id}: {code}")
                return
            self.done.append(action)
            self.accepted.append((request.to_command(), datetime.now(UTC)))
            return

    async def _transient(self, call: Callable[[], Awaitable[T]], attempt_seconds: float = 45) -> T:
        """``call()``, again after each transport error or an attempt that takes longer than
        ``attempt_seconds``, until it answers or the run gives up."""
        while True:
            try:
                return await asyncio.wait_for(call(), attempt_seconds)
            except (
                RPCError,
                WorkflowUpdateRPCTimeoutOrCancelledError,
                RuntimeError,
                OSError,
                TimeoutError,
            ) as err:
                if time.monotonic() > self.give_up_at:
                    self.stats.gave_up.append(f"{self.mandate_id}: {type(err).__name__}: {err}")
                    raise
                self.stats.retried += 1
                await asyncio.sleep(1.0)
