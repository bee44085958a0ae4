"""A large, valid audit log for benchmarks 4 and 5, made fast: COPY with precomputed chain hashes.

The events are those of real mandates: one template mandate (a task, a
consultation of four parties with a reminder and a late answer, a task and an
approval) is decided with ``domain.decide`` once, and every generated mandate
repeats its events under its own id. Mandates progress in waves, so that the
events of one mandate are spread over the log as they would be in production
(``wave`` mandates interleaved event by event), not stored side by side.

The hashes are those ``store.chain`` defines: the content hash of each event is
computed from the same canonical JSON (built here from precomputed pieces, and
checked against ``store.chain.content_hash`` for the first events), then
chained; the head is moved to the last event. With a signer, every ``wave`` events are
one signed commit, as the group commit writes them. ``store.verify.verify_log`` accepts
the result (the smoke test checks it).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from domain import events as ev
from domain.decide import (
    Approve,
    CompleteTask,
    DeadlineReached,
    RecordResponse,
    ReminderFired,
    StartMandate,
    decide,
)
from domain.mandate import Mandate, mandate_id
from domain.plan import validate_plan
from domain.state import MandateState, evolve
from domain.vocabulary import MandateKind
from store.chain import GENESIS_HASH, canonical_json, content_hash, normalize_json, timestamp_text
from store.signing import Signer

SLUG = "bench-log"
PARTIES = ["States parties", "Council of Europe (GRECO)", "OECD Working Group on Bribery", "OAS (MESICIC)"]
COLUMNS = (
    "position", "stream_id", "version", "event_type", "actor", "occurred_at", "recorded_at", "payload",
    "correlation_id", "causation_id", "idempotency_key", "prev_hash", "hash",
)  # fmt: skip
SIGNATURE_COLUMNS = ("first_position", "last_position", "key_id", "signature")


def template_mandate(paragraph: int = 1, parties: list[str] = PARTIES) -> Mandate:
    plan = validate_plan(
        {
            "steps": [
                {"type": "task", "id": "identify-interlocutors", "due_in_days": 21,
                 "title": "Identify interlocutors in States parties and partner secretariats"},
                {"type": "consultation", "id": "dialogue-consultation", "due_in_days": 75,
                 "title": "Consult States parties and partner secretariats", "parties": parties},
                {"type": "task", "id": "summarise-dialogue", "due_in_days": 95,
                 "title": "Summarise the dialogue"},
                {"type": "approval", "id": "approve-dialogue-summary", "due_in_days": 105,
                 "title": "Approve the summary of the dialogue", "approvers": ["chief.of.section"],
                 "rule": "any", "on_reject_go_to": "summarise-dialogue"},
            ]
        }
    )  # fmt: skip
    return Mandate(
        resolution_symbol="BENCH/LOG",
        resolution_slug=SLUG,
        paragraph=paragraph,
        verb="requests",
        kinds=[MandateKind.DIALOGUE],
        reports_to="Implementation Review Group",
        coordinator="coordinator.anti-corruption",
        title="enhancing synergies",
        plan=plan,
    )


def template_events(start: datetime) -> list[ev.MandateEvent]:
    """The template mandate's events, decided by the domain from start to completion."""
    mandate = template_mandate()
    state, events = MandateState(), []

    def run(command: Any, at: datetime) -> None:
        nonlocal state
        for event in decide(state, command, at):
            state = evolve(state, event)
            events.append(event)

    day = timedelta(days=1)
    run(StartMandate(mandate=mandate), start)
    run(CompleteTask(by="j.doe", outcome="interlocutors identified", effort_days=3, cost=0), start + 10 * day)
    run(ReminderFired(step_id="dialogue-consultation", days_before=14), start + 61 * day)
    for i, party in enumerate(PARTIES[:-1]):
        run(RecordResponse(party=party, text=f"the views of {party}"), start + (62 + i) * day)
    run(DeadlineReached(step_id="dialogue-consultation"), start + 75 * day)
    run(RecordResponse(party=PARTIES[-1], text="late views"), start + 78 * day)
    run(CompleteTask(by="j.doe", outcome="summary written", effort_days=5, cost=1200), start + 90 * day)
    run(Approve(by="chief.of.section", comment="fine"), start + 100 * day)
    return events


@dataclass(frozen=True)
class _Piece:
    """What one template event contributes to every mandate's copy of it."""

    event_type: str
    actor: str
    occurred_at: datetime
    occurred_text: str
    payload: dict[str, Any]
    payload_text: str  # canonical JSON (for the MandateStarted event: with paragraph 1)


Template = Callable[[datetime], list[ev.MandateEvent]]
"""What every generated mandate repeats: its events from a start time."""


def awaiting_approval_events(start: datetime, parties: int = 90) -> list[ev.MandateEvent]:
    """A mandate of about 100 events that waits for its approval: interlocutors identified,
    ``parties`` parties consulted and every one answering, the summary written."""
    consulted = [f"State party {n}" for n in range(1, parties + 1)]
    mandate = template_mandate(parties=consulted)
    state, events = MandateState(), []

    def run(command: Any, at: datetime) -> None:
        nonlocal state
        for event in decide(state, command, at):
            state = evolve(state, event)
            events.append(event)

    day, minute = timedelta(days=1), timedelta(minutes=1)
    run(StartMandate(mandate=mandate), start)
    run(CompleteTask(by="j.doe", outcome="interlocutors identified", effort_days=3, cost=0), start + 10 * day)
    run(ReminderFired(step_id="dialogue-consultation", days_before=14), start + 61 * day)
    for i, party in enumerate(consulted):
        run(
            RecordResponse(party=party, text=f"The views of {party} on the dialogue. " * 4),
            start + 62 * day + i * minute,
        )
    run(CompleteTask(by="j.doe", outcome="summary written", effort_days=5, cost=1200), start + 90 * day)
    return events


def _pieces(start: datetime, template: Template = template_events) -> list[_Piece]:
    pieces = []
    for event in template(start):
        event_type, payload = ev.to_payload(event)
        payload = normalize_json(payload)
        pieces.append(
            _Piece(
                event_type, event.actor, event.at, timestamp_text(event.at), payload, canonical_json(payload)
            )
        )
    return pieces


def _j(value: str | None) -> str:
    return json.dumps(value, ensure_ascii=False)


def _document(stream: str, version: int, piece: _Piece, payload_text: str) -> str:
    """``canonical_json`` of the document ``store.chain.content_hash`` hashes, from its pieces."""
    return (
        f'{{"actor":{_j(piece.actor)},"causation_id":null,"correlation_id":{_j(stream)},'
        f'"event_type":{_j(piece.event_type)},"idempotency_key":{_j(f"{stream}:{version}")},'
        f'"occurred_at":"{piece.occurred_text}","payload":{payload_text},'
        f'"recorded_at":"{piece.occurred_text}","stream_id":{_j(stream)},"version":{version}}}'
    )


@dataclass
class GeneratedLog:
    events: int
    mandates: int
    events_per_mandate: int
    head_hash: str
    seconds: float

    def stream_ids(self) -> list[str]:
        return [mandate_id(SLUG, n) for n in range(1, self.mandates + 1)]


def rows(
    total_events: int, wave: int, start: datetime | None = None, template: Template = template_events
) -> Iterator[tuple[Any, ...]]:
    """The log's rows in position order (see the module docstring), hashes included, each
    followed by its content hash (not a column)."""
    start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    pieces = _pieces(start, template)
    per = len(pieces)
    mandates = max(1, total_events // per)
    prev = GENESIS_HASH
    position = 0
    checked = 0
    for first in range(1, mandates + 1, wave):
        group = range(first, min(first + wave, mandates + 1))
        streams = {n: mandate_id(SLUG, n) for n in group}
        started = {
            n: canonical_json(
                {**pieces[0].payload, "mandate": {**pieces[0].payload["mandate"], "paragraph": n}}
            )
            for n in group
        }
        for index, piece in enumerate(pieces):
            version = index + 1
            for n in group:
                stream = streams[n]
                payload_text = started[n] if index == 0 else piece.payload_text
                content = hashlib.sha256(_document(stream, version, piece, payload_text).encode()).hexdigest()
                if checked < 2 * per:  # the fast canonical form must be the store's
                    assert content == content_hash(
                        stream_id=stream, version=version, event_type=piece.event_type, actor=piece.actor,
                        occurred_at=piece.occurred_at, recorded_at=piece.occurred_at,
                        payload=json.loads(payload_text), correlation_id=stream, causation_id=None,
                        idempotency_key=f"{stream}:{version}",
                    ), f"generated content hash differs from store.chain at {stream} v{version}"  # fmt: skip
                    checked += 1
                digest = hashlib.sha256((prev + content).encode()).hexdigest()
                position += 1
                yield (
                    position, stream, version, piece.event_type, piece.actor, piece.occurred_at,
                    piece.occurred_at, payload_text, stream, None, f"{stream}:{version}", prev, digest,
                    content,
                )  # fmt: skip
                prev = digest


async def generate(
    conn: asyncpg.Connection,
    total_events: int,
    wave: int,
    chunk: int = 50_000,
    signer: Signer | None = None,
    template: Template = template_events,
    start: datetime | None = None,
) -> GeneratedLog:
    """COPY a generated log into an empty ``audit_events`` (as the schema owner), its commits'
    signatures into ``audit_signatures`` (with a signer), and move the head: the mandates of
    ``template`` (by default, the completed one of the module docstring)."""
    began = time.monotonic()
    if await conn.fetchval("SELECT position FROM audit_head") != 0:
        raise RuntimeError("the audit log is not empty")
    batch: list[tuple[Any, ...]] = []
    signatures: list[tuple[Any, ...]] = []
    commit: list[str] = []  # the content hashes of the commit under way
    count, last_hash = 0, GENESIS_HASH
    for row in rows(total_events, wave, start, template):
        batch.append(row[:-1])
        commit.append(row[-1])
        if signer is not None and len(commit) == wave:
            signatures.append(_signed(signer, row[0], commit))
            commit = []
        if len(batch) >= chunk:
            await conn.copy_records_to_table("audit_events", records=batch, columns=COLUMNS)
            count, last_hash = batch[-1][0], batch[-1][-1]
            batch = []
    if batch:
        await conn.copy_records_to_table("audit_events", records=batch, columns=COLUMNS)
        count, last_hash = batch[-1][0], batch[-1][-1]
    if signer is not None and commit:
        signatures.append(_signed(signer, count, commit))
    if signatures:
        await conn.copy_records_to_table("audit_signatures", records=signatures, columns=SIGNATURE_COLUMNS)
    await conn.execute("UPDATE audit_head SET position = $1, hash = $2", count, last_hash)
    await conn.execute("VACUUM (ANALYZE) audit_events")
    per = len(_pieces(datetime(2026, 1, 5, tzinfo=UTC), template))
    return GeneratedLog(count, count // per, per, last_hash, time.monotonic() - began)


def _signed(signer: Signer, last: int, content_hashes: list[str]) -> tuple[Any, ...]:
    """The ``audit_signatures`` row of the commit of these events, ending at ``last``."""
    return (last - len(content_hashes) + 1, last, signer.key_id, signer.sign(content_hashes))
