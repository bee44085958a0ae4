"""`mandates calendar`: the open deadlines of the audit log's mandates as one .ics file."""

from __future__ import annotations

from pathlib import Path

import icalendar
import pytest
from typer.testing import CliRunner

from activities.audit import idempotency_key
from cli.app import app
from delivery.notices import deadline_uid
from domain import events as ev
from domain.mandate import Mandate
from store.audit import AuditStore, NewEvent
from tests.support.database import Database
from tests.support.mail import DAY, OECD, T0, consultation_mandate


async def append(audit: AuditStore, mandate: Mandate, events: list[ev.MandateEvent]) -> None:
    new = []
    for version, event in enumerate(events, start=1):
        event_type, payload = ev.to_payload(event)
        new.append(
            NewEvent(
                type=event_type,
                actor=event.actor,
                occurred_at=event.at,
                payload=payload,
                idempotency_key=idempotency_key(mandate.id, version),
            )
        )
    await audit.append(mandate.id, 0, new)


@pytest.fixture
async def mandates(audit_store: AuditStore) -> list[Mandate]:
    """Two mandates consulting; in the second, the OECD has answered. And a delivery's stream."""
    made = []
    for slug, answered in (("synergies", []), ("cooperation", [OECD])):
        mandate = consultation_mandate(slug)
        due = mandate.plan.step("request-information").due
        assert due is not None
        events: list[ev.MandateEvent] = [
            ev.MandateStarted(at=T0, mandate=mandate),
            ev.StepStarted(at=T0, step_id="request-information", deadline=due),
            ev.ConsultationOpened(
                at=T0,
                step_id="request-information",
                parties=["Austria", OECD],
                deadline=due,
                closes_at=due + 10 * DAY,
                confidential=False,
            ),
            *[
                ev.ResponseReceived(
                    at=T0 + DAY, step_id="request-information", party=p, text="x", confidential=False
                )
                for p in answered
            ],
        ]
        await append(audit_store, mandate, events)
        made.append(mandate)
    await audit_store.append(
        "delivery-outbox-1",
        0,
        [
            NewEvent(
                type="DeliveryAttempted",
                actor="mail-dispatcher",
                occurred_at=T0,
                payload={},
                idempotency_key="d:1",
            )
        ],
    )
    return made


def test_the_calendar_holds_every_open_deadline_or_one_partys(
    database: Database, mandates: list[Mandate], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    runner = CliRunner()
    everyone, oecd = tmp_path / "all.ics", tmp_path / "oecd.ics"

    result = runner.invoke(app, ["calendar", "--out", str(everyone)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"4 open deadlines written to {everyone}"
    calendar = icalendar.Calendar.from_ical(everyone.read_bytes())
    uids = sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))
    assert uids == sorted(
        deadline_uid(m.id, s) for m in mandates for s in ("request-information", "approve-sharing")
    )
    assert b"\r\n" in everyone.read_bytes()

    result = runner.invoke(app, ["calendar", "--party", OECD, "--out", str(oecd)])
    assert result.exit_code == 0, result.output
    (event,) = icalendar.Calendar.from_ical(oecd.read_bytes()).walk("VEVENT")
    synergies = mandates[0]
    assert str(event["UID"]) == deadline_uid(synergies.id, "request-information")
    assert event.decoded("DTSTART") == synergies.plan.step("request-information").due
