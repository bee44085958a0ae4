"""One fault run: the stack up, the mandates and their people on a timeline, the faults
done meanwhile, then the checks.

Every moment of the timeline is in seconds after the first mandate is started.
The faults are placed around the plan's deadlines: worker kills while answers
and appends are in flight, a Postgres restart while parties answer, and the
Temporal dev server down across the consultation deadline, so that the silent
parties' consultations fall due while it is down. A killed worker leaves its
activities to time out (30 s) before they are retried, and a new worker replays
every cached mandate, so every kill comes well before (over a minute, in the
full run) the next deadline an on-time action must meet.

The people act through the mandates' updates and watch the mandates' audit
streams, never the ``state`` query (see ``AuditWatch``).
"""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from config.client import connect_temporal
from domain.contacts import Contact, ContactRole
from faults.checks import Summary, check_run
from faults.parties import (
    APPROVAL,
    APPROVER,
    ASSIGNEE,
    PARTIES,
    TASK,
    AuditWatch,
    Behaviour,
    Deadlines,
    Party,
    UpdateStats,
    fault_mandate,
    fault_plan,
    recorded,
)
from faults.stack import FaultStack
from store.checkpoints import Checkpoint, append_checkpoint, load_or_create_key, take_checkpoint
from store.contacts import ContactStore


@dataclass(frozen=True)
class Timeline:
    """When things happen, in seconds after the first mandate is started."""

    start_over: float  # mandates are started evenly over this span
    answer_within: float  # each party answers this long after its mandate started, at most
    consultation_due: float
    temporal_down: tuple[float, float]  # (stop at, down for): across the consultation deadline
    approval_due: float
    task_due: float
    worker_kills: tuple[float, ...]
    postgres_restart: float
    give_up: float  # nothing is retried after this


FULL = Timeline(
    start_over=20,
    answer_within=20,
    consultation_due=170,
    temporal_down=(163, 14),
    approval_due=270,
    task_due=360,
    worker_kills=(12, 35, 90, 195, 240, 295, 370),
    postgres_restart=55,
    give_up=720,
)
QUICK = Timeline(
    start_over=2,
    answer_within=3,
    consultation_due=40,
    temporal_down=(37, 6),
    approval_due=60,
    task_due=72,
    worker_kills=(3,),
    postgres_restart=9,
    give_up=200,
)


class Clock:
    """Seconds since the timeline's origin, and waiting for a moment of it."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.origin

    async def at(self, moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - self.now()))


APPROVAL_OPEN = recorded("StepStarted", APPROVAL)
APPROVAL_OVERDUE = recorded("StepOverdue", APPROVAL)
TASK_OVERDUE = recorded("StepOverdue", TASK)


async def drive(
    party: Party, index: int, count: int, line: Timeline, clock: Clock, rng: random.Random
) -> None:
    """What one mandate's people do, on the timeline."""
    await clock.at(line.start_over * index / max(count, 1))
    await party.start()
    delays = [rng.uniform(0.2, line.answer_within) for _ in party.behaviour.answering]

    async def answer(who: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await party.answer(who)

    await asyncio.gather(*(answer(p, d) for p, d in zip(party.behaviour.answering, delays, strict=True)))
    patience = line.task_due - line.approval_due  # a timer later than that has gone wrong
    if party.behaviour is Behaviour.SILENT_PARTY:
        await clock.at(line.consultation_due)
        await party.wait_for(APPROVAL_OPEN, "its approval after the consultation closed", 2, patience)
    elif party.behaviour is Behaviour.LATE_APPROVAL:
        await clock.at(line.approval_due)
        await party.wait_for(APPROVAL_OVERDUE, "its approval overdue", 2, patience)
    else:
        await asyncio.sleep(rng.uniform(0.5, 3))
    await party.approve()
    if party.behaviour is Behaviour.LATE_TASK:
        await clock.at(line.task_due)
        await party.wait_for(TASK_OVERDUE, "its task overdue", 2, patience)
    else:
        await asyncio.sleep(rng.uniform(0.5, 3))
    await party.complete()
    await party.result()


def _contacts() -> list[Contact]:
    """Addresses for everyone a notice can go to, so that the dispatcher mails them."""
    people = [(p, ContactRole.PARTY) for p in PARTIES]
    people += [(APPROVER, ContactRole.APPROVER), (ASSIGNEE, ContactRole.SECRETARIAT)]
    return [Contact(name=name, role=role, email=f"person{n}@faults.example") for n, (name, role) in
            enumerate(people)]  # fmt: skip


async def _checkpoint(stack: FaultStack, key: bytes, file: Path, taken: list[Checkpoint]) -> None:
    """Sign the log's head (outside the database) once a fault is over."""
    conn = await asyncpg.connect(stack.settings.database_admin_url)
    try:
        checkpoint = await take_checkpoint(conn, key, datetime.now(UTC))
    finally:
        await conn.close()
    append_checkpoint(file, checkpoint)
    taken.append(checkpoint)


async def run_faults(count: int, line: Timeline, keep: bool, say: Callable[[str], None]) -> Summary:
    root = Path(tempfile.mkdtemp(prefix="mandates-faults-"))
    stack = FaultStack(root, say=say)
    summary = Summary(count)
    began = time.monotonic()
    passed = False
    try:
        say(f"bringing up a dev stack in {root}")
        await stack.up()
        summary.figures["stack up in"] = f"{time.monotonic() - began:.1f}s"
        passed = await _run(stack, summary, count, line, say)
    finally:
        summary.figures["run took"] = f"{time.monotonic() - began:.1f}s"
        stack.down()
        if keep or not passed:
            say(f"data folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return summary


async def _run(
    stack: FaultStack, summary: Summary, count: int, line: Timeline, say: Callable[[str], None]
) -> bool:
    settings = stack.settings
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await ContactStore(pool).import_contacts(_contacts())
    finally:
        await pool.close()
    client = await connect_temporal(settings)
    clock = Clock()
    stack.started = clock.origin  # faults are reported on the timeline's clock
    now = datetime.now(UTC)
    deadlines = Deadlines(
        consultation=now + timedelta(seconds=line.consultation_due),
        approval=now + timedelta(seconds=line.approval_due),
        task=now + timedelta(seconds=line.task_due),
    )
    plan = fault_plan(deadlines)
    token = uuid.uuid4().hex[:8]
    stats = UpdateStats()
    give_up = time.monotonic() + line.give_up
    watch = AuditWatch(settings.database_url)
    parties = [
        Party(
            client,
            settings.task_queue,
            fault_mandate(token, n, plan),
            Behaviour.of(n),
            deadlines,
            stats,
            watch,
            give_up,
        )
        for n in range(1, count + 1)
    ]
    rng = random.Random(7)
    key_file, checkpoint_file = stack.root / "checkpoint.key", stack.root / "checkpoints" / "audit.jsonl"
    key = load_or_create_key(key_file)
    checkpoints: list[Checkpoint] = []

    faults: list[tuple[float, Callable[[], Awaitable[object]]]] = [
        (t, lambda: stack.kill_worker(wait_for_appends=5)) for t in line.worker_kills
    ]
    faults.append((line.postgres_restart, stack.restart_postgres))
    stop_at, down_for = line.temporal_down
    faults.append((stop_at, lambda: stack.restart_temporal(down_for)))

    async def do_faults() -> None:
        for moment, fault in sorted(faults, key=lambda f: f[0]):
            await clock.at(moment)
            await fault()
            await _checkpoint(stack, key, checkpoint_file, checkpoints)

    say(
        f"{count} mandates; deadlines at +{line.consultation_due:.0f}s (consultation),"
        f" +{line.approval_due:.0f}s (approval), +{line.task_due:.0f}s (task)"
    )
    drivers = [drive(p, n, count, line, clock, random.Random(rng.random())) for n, p in enumerate(parties)]
    faulting = asyncio.ensure_future(do_faults())
    driving = asyncio.gather(*drivers, return_exceptions=True)
    try:
        await asyncio.wait({faulting, driving}, return_when=asyncio.FIRST_EXCEPTION)
        if faulting.done() and faulting.exception() is not None:
            # A fault that could not be carried out (the stack would not come back): the
            # mandates would wait for a worker forever. Stop here and say why.
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)
            error = faulting.exception()
            say(f"[{clock.now():6.1f}s] a fault could not be carried out; stopping: {error}")
            summary.check("faults carried out", "all", f"{type(error).__name__}: {error}")
            return False
        outcomes = [faulting.exception() or None, *await driving]
    finally:
        await watch.close()
    failures = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    say(f"[{clock.now():6.1f}s] every mandate driven; checking")
    summary.faults = [asdict(f) for f in stack.faults]
    summary.figures.update(
        {
            "behaviours": {b.value: sum(p.behaviour is b for p in parties) for b in Behaviour},
            "updates sent": stats.sent,
            "calls sent again after a transport error or a time-out": stats.retried,
            "updates refused as 'not yet' (step not started), then sent again": stats.early,
            "driving took": f"{clock.now():.1f}s",
        }
    )
    summary.check("drivers and faults that raised", [], failures)
    # A worker that died on its own (not one of the kills) is a finding; start it again so
    # that the checks below, which wait for every mandate's result, can finish.
    worker_alive = stack.stack.parts["worker"].running() is not None
    summary.check("the worker still running when the driving ended (no crash)", True, worker_alive)
    if not worker_alive:
        await stack.up()
    late = [r for r in stats.refused if r.endswith(": consultation_closed")]
    summary.check("updates refused (but late answers)", [], [r for r in stats.refused if r not in late])
    summary.figures["answers refused because the faults delayed them past the consultation's close"] = len(
        late
    )
    summary.figures["people who waited in vain for a timer (a step started after its deadline)"] = len(
        stats.impatient
    )
    kills = [f for f in stack.faults if f.kind == "worker-kill"]
    summary.check("worker kills (SIGKILL)", len(line.worker_kills), len(kills))
    summary.check("worker kills with audit appends in flight", True, any(f.appends_in_flight for f in kills))
    summary.check("Postgres restarts", 1, sum(f.kind == "postgres-restart" for f in stack.faults))
    restarts = [f for f in stack.faults if f.kind == "temporal-restart"]
    summary.check("Temporal dev server restarts", 1, len(restarts))
    across = any(f.at < line.consultation_due < f.at + f.down_seconds for f in restarts)
    silent = any(p.behaviour is Behaviour.SILENT_PARTY for p in parties)
    summary.check(
        "a consultation deadline passed while the Temporal server was down", True, across and silent
    )
    await check_run(
        summary,
        parties,
        settings.database_admin_url,
        settings.database_url,
        checkpoints,
        checkpoint_file,
        key_file,
        stack.env,
        settings.mail_path,
        stack.root / "histories",
    )
    return summary.ok
