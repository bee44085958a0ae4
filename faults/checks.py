"""The checks after a fault run, and the summary they fill.

Each check compares an expected figure with the measured one; the run passes only
if every pair is equal. The figures come from the audit log (as the database
owner), the Temporal server (each mandate's result and ``state`` query), the
read models before and after a rebuild, the outbox, and the mail sink.
"""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import WorkflowHistory

from config.audit_keys import audit_public_keys
from config.settings import Settings
from devstack.mailbox import list_mail
from domain import events as ev
from domain.state import MandateStatus, fold
from faults.expected import TIMER_EVENTS, Signature, difference, predict, signature
from faults.parties import Behaviour, Party
from projections import Projector, mandate_view, view_of_state
from store.audit import AuditStore, StoredEvent
from store.checkpoints import Checkpoint
from store.verify import verify_log
from workflows.mandate import MandateWorkflow
from workflows.starter import mandate_handle

MANDATES = str(Path(sys.executable).parent / "mandates")


@dataclass
class Check:
    name: str
    expected: Any
    actual: Any
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass
class Summary:
    """Every check of a run, the faults done, and the figures worth reporting."""

    mandates: int
    checks: list[Check] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def check(self, name: str, expected: Any, actual: Any, detail: str = "") -> None:
        self.checks.append(Check(name, expected, actual, detail))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "mandates": self.mandates,
            "faults": self.faults,
            "figures": self.figures,
            "checks": [asdict(c) | {"ok": c.ok} for c in self.checks],
        }

    def lines(self) -> list[str]:
        out = [f"fault run: {self.mandates} mandates"]
        for fault in self.faults:
            note = f" ({fault['note']})" if fault.get("note") else ""
            out.append(
                f"  fault at {fault['at']:>6}s: {fault['kind']}, back after {fault['down_seconds']}s{note}"
            )
        for name, value in self.figures.items():
            out.append(f"  {name}: {value}")
        width = max(len(c.name) for c in self.checks) if self.checks else 10
        for c in self.checks:
            mark = "ok  " if c.ok else "FAIL"
            values = f"{c.actual}" if c.ok else f"expected {c.expected}, got {c.actual}"
            detail = f"  [{c.detail}]" if c.detail and not c.ok else ""
            out.append(f"  {mark} {c.name:<{width}}  {values}{detail}")
        out.append("PASSED: nothing lost, duplicated or altered" if self.ok else "FAILED")
        return out


def _ordered(signatures: list[Signature]) -> list[Signature]:
    """Responses to one consultation may arrive in any order: sort each run of them."""
    out: list[Signature] = []
    run: list[Signature] = []
    for item in [*signatures, ("end",)]:
        if item[0] == "ResponseReceived":
            run.append(item)
            continue
        out.extend(sorted(run))
        run = []
        if item != ("end",):
            out.append(item)
    return out


async def check_run(
    summary: Summary,
    parties: list[Party],
    admin_url: str,
    app_url: str,
    checkpoints: list[Checkpoint],
    checkpoint_file: Path,
    key_file: Path,
    env: dict[str, str],
    mail_folder: Path,
    history_folder: Path,
) -> None:
    """Fill ``summary`` with every check of the run (histories worth a look go to ``history_folder``)."""
    conn = await asyncpg.connect(admin_url)
    pool = await asyncpg.create_pool(app_url, min_size=1, max_size=4)
    try:
        streams = {p.mandate_id: await AuditStore(pool).read_stream(p.mandate_id) for p in parties}
        await _check_mandates(summary, parties, streams)
        await _check_log(summary, conn, streams)
        await _check_chain(summary, conn, checkpoints, checkpoint_file, key_file, env)
        await _check_workflow_tasks(summary, parties, history_folder)
        await _check_workflow_state(summary, parties, streams)
        await _check_read_models(summary, pool, streams)
        await _check_outbox(summary, conn, parties, streams, mail_folder)
    finally:
        await pool.close()
        await conn.close()


async def _check_mandates(
    summary: Summary, parties: list[Party], streams: dict[str, list[StoredEvent]]
) -> None:
    completed = 0
    for party in parties:
        try:
            result = await asyncio.wait_for(party.result(), timeout=30)
        except Exception as err:  # reported as a mandate that did not complete
            summary.figures.setdefault("mandates not completed", []).append(f"{party.mandate_id}: {err}")
            continue
        stream = streams[party.mandate_id]
        if result.status is MandateStatus.COMPLETED and stream and stream[-1].type == "MandateCompleted":
            completed += 1
    summary.check("mandates completed", len(parties), completed)

    expected_count: collections.Counter[str] = collections.Counter()
    actual_count: collections.Counter[str] = collections.Counter()
    missing_total, extra_total, misordered, timers_twice, early, refused = 0, 0, [], [], [], []
    closed_at_deadline = 0
    horizon = datetime.now(UTC)  # the run is over: no timer falls due after this
    for party in parties:
        got = [ev.from_payload(s.type, s.payload) for s in streams[party.mandate_id]]
        wanted = predict(party.mandate, got, party.accepted, horizon)
        refused += [f"{party.mandate_id}: {r}" for r in wanted.refused]
        early += [f"{party.mandate_id} v{n}" for n, e in enumerate(got, start=1) if decided_early(e)]
        expected_count.update(e.type for e in wanted.events)
        actual_count.update(e.type for e in got)
        want_sigs, got_sigs = [signature(e) for e in wanted.events], [signature(e) for e in got]
        missing, extra = difference(want_sigs, got_sigs)
        missing_total += len(missing)
        extra_total += len(extra)
        if _ordered(want_sigs) != _ordered(got_sigs):
            misordered.append(party.mandate_id)
        closed_at_deadline += sum(
            isinstance(e, ev.ConsultationClosed) and e.reason == "deadline" for e in got
        )
        timer_sigs = collections.Counter(s for s in got_sigs if s[0] in TIMER_EVENTS)
        timers_twice += [f"{party.mandate_id}: {s}" for s, n in timer_sigs.items() if n > 1]
    total = sum(expected_count.values())
    summary.check("accepted commands that decide refuses", [], refused)
    summary.check("audit events (all mandates)", total, sum(actual_count.values()))
    summary.check("events missing", 0, missing_total)
    summary.check("events extra or twice", 0, extra_total)
    summary.check("streams out of decide's order", 0, len(misordered), ", ".join(misordered[:5]))
    for event_type in sorted(set(expected_count) | set(actual_count)):
        summary.check(f"  {event_type}", expected_count[event_type], actual_count[event_type])
    summary.check("timer events recorded twice", 0, len(timers_twice), "; ".join(timers_twice[:5]))
    summary.check("timer events dated before they fell due", 0, len(early), "; ".join(early[:5]))
    planned = {b: sum(p.behaviour is b for p in parties) for b in Behaviour}
    summary.figures["timers as the behaviours planned them"] = (
        f"{planned[Behaviour.LATE_APPROVAL] + planned[Behaviour.LATE_TASK]} overdue notices,"
        f" {planned[Behaviour.SILENT_PARTY]} consultations closed at their deadline"
    )
    summary.figures["timers that fired"] = (
        f"{actual_count['StepOverdue']} overdue notices, {closed_at_deadline} consultations closed at"
        f" their deadline, {actual_count['ReminderDue']} reminders"
    )


def decided_early(event: ev.MandateEvent) -> bool:
    """A timer's event whose domain time is before its own deadline (a stale workflow clock)."""
    match event:
        case ev.StepOverdue():
            return event.at < event.deadline
        case ev.ConsultationClosed() if event.reason == "deadline":
            return False  # (its closing time is not in the event; see the StepOverdue case)
        case ev.ReminderDue():  # (a first reminder sent at once counts whole days, rounded)
            return event.at < event.scheduled_for - timedelta(hours=12)
        case ev.Escalated():
            return event.at < event.scheduled_for
        case _:
            return False


async def _check_log(
    summary: Summary, conn: asyncpg.Connection, streams: dict[str, list[StoredEvent]]
) -> None:
    gaps = [sid for sid, s in streams.items() if [e.version for e in s] != list(range(1, len(s) + 1))]
    summary.check("streams with a version gap", 0, len(gaps), ", ".join(gaps[:5]))
    bad_keys = sum(e.idempotency_key != f"{sid}:{e.version}" for sid, s in streams.items() for e in s)
    summary.check("idempotency keys not <stream>:<version>", 0, bad_keys)
    keys = await conn.fetchval("SELECT count(*) - count(DISTINCT idempotency_key) FROM audit_events")
    summary.check("idempotency keys stored twice", 0, keys)
    head, count, low, high = await conn.fetchrow(
        "SELECT (SELECT position FROM audit_head), count(*), coalesce(min(position), 0),"
        " coalesce(max(position), 0) FROM audit_events"
    )
    summary.check("positions gapless 1..head", (1, head, head), (low, high, count))


async def _check_chain(
    summary: Summary,
    conn: asyncpg.Connection,
    checkpoints: list[Checkpoint],
    checkpoint_file: Path,
    key_file: Path,
    env: dict[str, str],
) -> None:
    keys = audit_public_keys(Settings.load())  # the dev stack's key, which its processes sign with
    plain = await verify_log(conn, public_keys=keys)
    summary.check(
        "hash chain and signatures verify",
        (True, plain.head_position),
        (plain.ok, plain.checked),
        plain.detail or "",
    )
    summary.check(
        "events covered by valid signatures", plain.head_position, plain.signed, plain.uncovered_detail or ""
    )
    signed = await verify_log(conn, checkpoints, public_keys=keys)
    summary.check(
        f"log holds the {len(checkpoints)} signed checkpoints taken after the faults",
        True,
        signed.ok,
        signed.detail or "",
    )
    cli = await asyncio.to_thread(
        subprocess.run,
        [MANDATES, "audit", "verify", "--checkpoints", str(checkpoint_file), "--key-file", str(key_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary.check(
        "`mandates audit verify --checkpoints` exit code", 0, cli.returncode, cli.stdout + cli.stderr
    )
    summary.figures["mandates audit verify"] = cli.stdout.strip()


async def _check_workflow_tasks(summary: Summary, parties: list[Party], folder: Path) -> None:
    """Workflow tasks that failed (a worker killed mid-task times out instead): by cause,
    over every mandate's and consultation's history; the histories of those that failed
    for non-determinism or did not complete are saved."""
    causes: collections.Counter[str] = collections.Counter()
    nondeterministic = []
    for party in parties:
        handle = mandate_handle(party.client, party.mandate_id)
        runs = [await handle.fetch_history()]
        children = [
            e.child_workflow_execution_started_event_attributes.workflow_execution
            for e in runs[0].events
            if e.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED
        ]
        for child in children:
            runs.append(await party.client.get_workflow_handle(child.workflow_id).fetch_history())
        for history in runs:
            failed = [
                WorkflowTaskFailedCause.Name(e.workflow_task_failed_event_attributes.cause)
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            causes.update(failed)
            if "WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR" in failed:
                nondeterministic.append(history.workflow_id)
            if nondeterministic[-1:] == [history.workflow_id] or history.events[-1].event_type not in (
                EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
                EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
            ):
                _save(folder, history)
    summary.figures["workflow task failures by cause"] = dict(causes) or "none"
    summary.check(
        "workflow tasks failed for non-determinism",
        0,
        causes["WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR"],
        ", ".join(nondeterministic[:5]),
    )


def _save(folder: Path, history: WorkflowHistory) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{history.workflow_id}.json").write_text(history.to_json())


async def _check_workflow_state(
    summary: Summary, parties: list[Party], streams: dict[str, list[StoredEvent]]
) -> None:
    differ = []
    for party in parties:
        handle = mandate_handle(party.client, party.mandate_id)
        folded = fold(ev.from_payload(s.type, s.payload) for s in streams[party.mandate_id])
        try:
            state = await handle.query(MandateWorkflow.state)
        except Exception as err:  # a query that fails is a difference too
            differ.append(f"{party.mandate_id} ({type(err).__name__}: {str(err)[:120]})")
            continue
        if state != folded:
            differ.append(party.mandate_id)
    summary.check("workflow state differs from the fold of its stream", 0, len(differ), ", ".join(differ[:5]))


async def _check_read_models(
    summary: Summary, pool: asyncpg.Pool, streams: dict[str, list[StoredEvent]]
) -> None:
    projector = Projector(pool)
    deadline = time.monotonic() + 60
    status = await projector.status()
    while status.behind > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        status = await projector.status()
    summary.check("read models behind the log (after the run)", 0, status.behind)
    live = {sid: await mandate_view(pool, sid) for sid in streams}
    folded = {sid: view_of_state(fold(ev.from_payload(s.type, s.payload) for s in events))
              for sid, events in streams.items()}  # fmt: skip
    summary.check("read models differing from the fold", 0, sum(live[s] != folded[s] for s in streams))
    replayed = await projector.rebuild()
    summary.check("rebuild replays the whole log", status.head, replayed)
    rebuilt = {sid: await mandate_view(pool, sid) for sid in streams}
    summary.check("read models differing from a rebuild", 0, sum(live[s] != rebuilt[s] for s in streams))


async def _check_outbox(
    summary: Summary,
    conn: asyncpg.Connection,
    parties: list[Party],
    streams: dict[str, list[StoredEvent]],
    mail_folder: Path,
) -> None:
    ids = [p.mandate_id for p in parties]
    notices = [  # the timers' notices, and the requests of consultations and approvals
        (sid, e.version, recipient)
        for sid in ids
        for e in streams[sid]
        if e.type in TIMER_EVENTS or e.type in ev.REQUESTING
        for recipient in (
            e.payload.get("recipients")
            or e.payload.get("parties")
            or e.payload.get("approvers")
            or [e.payload.get("recipient")]
        )
    ]
    rows = await conn.fetch(
        "SELECT idempotency_key, sent_at FROM notifications_outbox WHERE mandate_id = ANY($1::text[])", ids
    )
    summary.check("outbox rows (one per notice and recipient)", len(notices), len(rows))
    wanted_keys = {f"{sid}:{version}:{who}" for sid, version, who in notices}
    stored_keys = [r["idempotency_key"] for r in rows]
    summary.check(
        "outbox rows not for a notice in the log, or twice",
        0,
        len(set(stored_keys) ^ wanted_keys) + len(stored_keys) - len(set(stored_keys)),
    )
    deadline = time.monotonic() + 60
    sent = 0
    while time.monotonic() < deadline:
        sent = await conn.fetchval(_SENT_ROWS, ids)
        if sent >= len(rows):
            break
        await asyncio.sleep(1)
    summary.check("outbox rows delivered by mail", len(rows), sent)
    message_ids = await conn.fetch(
        "SELECT DISTINCT d.message_id FROM deliveries d JOIN delivery_items i ON i.delivery_id = d.id"
        " JOIN notifications_outbox o ON o.id = i.outbox_id WHERE o.mandate_id = ANY($1::text[])"
        " AND d.state = 'sent'",
        ids,
    )
    in_sink = collections.Counter(m.message_id for m in list_mail(mail_folder))
    summary.check(
        "sent mails found in the mail sink (once each)",
        len(message_ids),
        sum(1 for r in message_ids if in_sink.get(r["message_id"]) == 1),
    )
    attempts = await conn.fetchrow(_DELIVERY_ATTEMPTS, ids)
    summary.check("deliveries with one 'sent' attempt in the audit log", len(message_ids), attempts["sent"])
    mandate_events = sum(len(s) for s in streams.values())
    head = await conn.fetchval("SELECT position FROM audit_head")
    summary.check(
        "log holds the mandates' events and the delivery attempts, nothing else",
        mandate_events + attempts["all"],
        head,
    )
    summary.figures["delivery attempt events"] = attempts["all"]


_SENT_ROWS = (
    "SELECT count(*) FROM notifications_outbox WHERE mandate_id = ANY($1::text[]) AND sent_at IS NOT NULL"
)
_DELIVERY_ATTEMPTS = """
SELECT count(*) AS all, count(DISTINCT stream_id) FILTER (WHERE payload->>'outcome' = 'sent') AS sent
FROM audit_events
WHERE stream_id LIKE 'delivery-%' AND payload->>'mandate_id' = ANY($1::text[])
"""
