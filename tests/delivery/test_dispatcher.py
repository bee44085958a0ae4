"""The dispatcher against a real SMTP server on loopback and a real Postgres: what arrives,
retries, a crash between sending and marking, permanent failures, unknown recipients, digests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from aiosmtpd.smtp import AuthResult

from config import links
from config.audit_keys import audit_signer
from config.settings import Settings
from delivery import Dispatcher, SmtpServer
from delivery.notices import deadline_uid, notice_message_id
from devstack.mail_sink import serve
from devstack.processes import free_port
from store.audit import AuditStore
from store.contacts import ContactStore
from store.deliveries import DeliveryState, DeliveryStore
from store.notifications import NotificationOutbox
from tests.support.mail import (
    CONSOLE_URL,
    DAY,
    LINK_SECRET,
    OECD,
    RecordingSink,
    Smtp,
    answer_links,
    body,
    consultation_mandate,
    deadline,
    enqueue,
    escalation,
    ics_of,
    record_start,
    reminder,
)

OECD_ADDRESSES = ["wgb.backup@oecd.example", "wgb@oecd.example"]


async def attempts_of(audit: AuditStore, message_key: str) -> list[dict]:
    return [e.payload for e in await audit.read_stream(f"delivery-{message_key}")]


async def test_a_reminder_arrives_with_its_recipients_subject_body_message_id_and_calendar(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    (row_id,) = await enqueue(outbox, mandate, reminder(mandate, 5, 14, [OECD]))
    (row,) = await outbox.for_mandate(mandate.id)
    due = deadline(mandate)

    early = await dispatcher().dispatch_once(row.due_at - timedelta(seconds=1))
    assert early.planned == 0 and smtp.sink.accepted == []
    summary = await dispatcher().dispatch_once(row.due_at)

    assert (summary.planned, summary.sent) == (1, 1)
    (message,) = smtp.sink.accepted
    assert sorted(smtp.sink.envelopes[0]) == OECD_ADDRESSES
    assert message["Message-ID"] == notice_message_id(row_id, row.idempotency_key)
    assert message["Message-ID"].startswith(f"<outbox-{row_id}.")
    assert sorted(a.addr_spec for a in message["To"].addresses) == OECD_ADDRESSES
    assert message["Subject"] == (
        "Reminder: “Request information” is due in 14 days"
        " (Wednesday 3 February 2027, 09:00 UTC) · 7/6 para 3"
    )
    text = body(message)
    assert f"Dear {OECD}," in text  # (its contacts have no display name)
    assert mandate.id in text and "Request information (request-information)" in text
    (link,) = answer_links(text)  # the party's own page, and no command to run
    assert link.startswith(f"{CONSOLE_URL}/answer/") and "mandates " not in text
    assert links.read(LINK_SECRET, link.rsplit("/", 1)[1]) == links.PartyLink(
        mandate.id, "request-information", OECD, 1
    )
    assert f'href="{link}"' in body(message, "html")
    calendar = ics_of(message)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == deadline_uid(mandate.id, "request-information")
    assert event.decoded("DTSTART") == due
    assert event.decoded("DTSTAMP") == row.created_at.replace(microsecond=0)  # the row's, not the clock
    assert "Request information" in str(event["SUMMARY"])

    (stored,) = await outbox.for_mandate(mandate.id)
    assert stored.sent_at == row.due_at and stored.attempts == 1
    (attempt,) = await attempts_of(audit_store, f"outbox-{row_id}")
    assert attempt["outcome"] == "sent" and attempt["attempt"] == 1
    assert attempt["message_id"] == message["Message-ID"] and sorted(attempt["to"]) == OECD_ADDRESSES
    again = await dispatcher().dispatch_once(row.due_at + 30 * DAY)
    assert (again.planned, again.sent) == (0, 0) and len(smtp.sink.accepted) == 1


async def test_a_server_that_refuses_then_accepts_delivers_one_message(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    (row_id,) = await enqueue(outbox, mandate, reminder(mandate, 5, 3, ["Austria"]))
    now = (await outbox.for_mandate(mandate.id))[0].due_at
    smtp.sink.data_replies = ["451 4.3.0 try again later"]

    first = await dispatcher().dispatch_once(now)
    assert (first.sent, first.retried) == (0, 1) and smtp.sink.accepted == []
    delivery = await DeliveryStore(pool).by_key(f"outbox-{row_id}")
    assert delivery is not None and delivery.state is DeliveryState.PENDING
    assert delivery.next_attempt_at == now + timedelta(minutes=1) and "451" in (delivery.last_error or "")
    assert (await dispatcher().dispatch_once(now + timedelta(seconds=59))).sent == 0
    second = await dispatcher().dispatch_once(now + timedelta(minutes=1))

    assert second.sent == 1
    assert len(smtp.sink.accepted) == 1 and smtp.sink.envelopes == [["focal.point@austria.example"]]
    (row,) = await outbox.for_mandate(mandate.id)
    assert row.sent_at == now + timedelta(minutes=1) and row.attempts == 2
    attempts = await attempts_of(audit_store, f"outbox-{row_id}")
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "retry"), (2, "sent")]
    assert "451" in attempts[0]["error"]


class DispatcherKilled(BaseException):
    """The dispatcher's process dies (not an error it could handle)."""


async def test_a_crash_between_sending_and_marking_re_sends_the_same_message_id(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    ids = await enqueue(outbox, mandate, reminder(mandate, 5, 14, ["Austria", OECD]))
    now = (await outbox.for_mandate(mandate.id))[0].due_at
    crashes = []

    async def die_once(delivery) -> None:
        if not crashes:
            crashes.append(delivery.message_key)
            raise DispatcherKilled

    try:
        await dispatcher(after_send=die_once).dispatch_once(now)
        raise AssertionError("the dispatcher should have died")
    except DispatcherKilled:
        pass
    assert len(smtp.sink.accepted) == 1  # sent, never marked
    in_lease = await dispatcher().dispatch_once(now + timedelta(minutes=1))
    assert in_lease.sent == 1  # the other row; the first is still leased to the dead dispatcher
    after_lease = await dispatcher().dispatch_once(now + timedelta(minutes=6))
    assert after_lease.sent == 1

    rows = await outbox.for_mandate(mandate.id)
    assert all(r.sent_at is not None for r in rows)
    by_row: dict[str, set[str]] = {}
    for message in smtp.sink.accepted:
        by_row.setdefault(str(message["X-Mandates-Delivery"]), set()).add(str(message["Message-ID"]))
    assert by_row == {
        f"outbox-{r.id}": {notice_message_id(r.id, r.idempotency_key)} for r in rows
    }  # exactly one distinct Message-ID per outbox row
    assert len(smtp.sink.accepted) == 3 and smtp.sink.stored == 2 and smtp.sink.duplicates == 1
    crashed = crashes[0]
    assert crashed in {f"outbox-{i}" for i in ids}
    attempts = await attempts_of(audit_store, crashed)
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "interrupted"), (2, "sent")]


async def test_a_permanently_refused_address_is_reported_to_the_coordinator_and_not_retried(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    smtp.sink.refuse = {address: "550 5.1.1 mailbox unavailable" for address in OECD_ADDRESSES}
    await enqueue(outbox, mandate, reminder(mandate, 5, 14, [OECD]), reminder(mandate, 6, 3, [OECD]))
    rows = await outbox.for_mandate(mandate.id)

    summary = await dispatcher().dispatch_once(rows[-1].due_at)

    assert (summary.failed, summary.reported, summary.sent) == (2, 1, 1)
    (report,) = smtp.sink.accepted
    assert smtp.sink.envelopes == [["coordinator@unodc.example"]]
    assert report["Subject"].startswith(f"Undeliverable: reminder to {OECD} about “Request information”")
    text = body(report)
    assert "refused" in text and "550" in text and "mandates contacts import" in text
    assert "--party 'OECD Working Group on Bribery'" in text
    store = DeliveryStore(pool)
    for row in rows:
        delivery = await store.by_key(f"outbox-{row.id}")
        assert delivery is not None and delivery.state is DeliveryState.FAILED and delivery.attempts == 1
        (attempt,) = await attempts_of(audit_store, f"outbox-{row.id}")
        assert attempt["outcome"] == "failed" and attempt["reported_to"] == ["coordinator"]

    tries = len(smtp.sink.rcpt_attempts)
    later = await dispatcher().dispatch_once(rows[-1].due_at + 30 * DAY)
    assert (later.sent, later.failed, later.retried) == (0, 0, 0) and len(smtp.sink.rcpt_attempts) == tries
    assert all(r.sent_at is None and r.attempts == 1 for r in await outbox.for_mandate(mandate.id))


async def test_an_address_that_keeps_failing_is_given_up_after_max_attempts(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    smtp.sink.refuse = {"focal.point@austria.example": "451 4.2.0 mailbox busy"}
    (row_id,) = await enqueue(outbox, mandate, reminder(mandate, 5, 14, ["Austria"]))
    now = (await outbox.for_mandate(mandate.id))[0].due_at
    make = lambda: dispatcher(max_attempts=3)  # noqa: E731

    waits = []
    for _ in range(6):
        await make().dispatch_once(now)
        delivery = await DeliveryStore(pool).by_key(f"outbox-{row_id}")
        assert delivery is not None
        if delivery.state is not DeliveryState.PENDING:
            break
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at

    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]  # backoff doubles
    assert delivery.state is DeliveryState.FAILED and delivery.attempts == 3
    assert smtp.sink.rcpt_attempts.count("focal.point@austria.example") == 3
    (report,) = smtp.sink.accepted
    assert "kept failing" in body(report) and "Austria" in report["Subject"]
    outcomes = [a["outcome"] for a in await attempts_of(audit_store, f"outbox-{row_id}")]
    assert outcomes == ["retry", "retry", "failed"]


async def test_a_recipient_without_a_contact_is_undeliverable_and_reported_once(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    await enqueue(
        outbox, mandate, reminder(mandate, 5, 14, ["Atlantis"]), reminder(mandate, 6, 3, ["Atlantis"])
    )
    rows = await outbox.for_mandate(mandate.id)

    first = await dispatcher().dispatch_once(rows[0].due_at)
    second = await dispatcher().dispatch_once(rows[1].due_at)
    await dispatcher().dispatch_once(rows[1].due_at + 30 * DAY)

    assert (first.undeliverable, first.reported, second.undeliverable, second.reported) == (1, 1, 1, 0)
    (report,) = smtp.sink.accepted
    assert smtp.sink.envelopes == [["coordinator@unodc.example"]]
    assert "no e-mail address for Atlantis" in body(report)
    store = DeliveryStore(pool)
    states = [(await store.by_key(f"outbox-{r.id}")).state for r in rows]  # type: ignore[union-attr]
    assert states == [DeliveryState.UNDELIVERABLE, DeliveryState.UNDELIVERABLE]
    (attempt,) = await attempts_of(audit_store, f"outbox-{rows[0].id}")
    assert attempt["outcome"] == "undeliverable" and "no contact" in attempt["error"]


async def test_an_escalation_asks_the_coordinator_to_chase_or_extend(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    mandate = consultation_mandate(confidential=True)
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    await enqueue(outbox, mandate, reminder(mandate, 5, 1, [OECD]), escalation(mandate, 7))

    await dispatcher().dispatch_once(deadline(mandate) + 8 * DAY)

    reminded, escalated = sorted(smtp.sink.accepted, key=lambda m: str(m["Subject"]))
    assert escalated["Subject"].startswith("Reminder") and reminded["Subject"].startswith("Escalation 1:")
    assert f'mandates extend {mandate.id} --step request-information --until YYYY-MM-DD --reason "..."' in (
        body(reminded)
    )
    confidential = body(escalated)
    assert len(answer_links(confidential)) == 1 and "not by e-mail" in confidential
    assert "confidential" in confidential and "mandates " not in confidential


async def test_a_daily_digest_gathers_a_recipients_notifications(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    smtp: Smtp,
    contacts: ContactStore,
    dispatcher: Callable[..., Dispatcher],
) -> None:
    first, second = consultation_mandate("synergies"), consultation_mandate("cooperation")
    outbox = NotificationOutbox(pool)
    for mandate in (first, second):
        await record_start(audit_store, mandate)
        await enqueue(outbox, mandate, reminder(mandate, 5, 14, ["Austria", OECD]))
    due = deadline(first) - 14 * DAY  # 09:00 UTC; the digest goes at 08:00
    daily = lambda: dispatcher(digest="daily", digest_hour=8)  # noqa: E731

    assert (await daily().dispatch_once(due + timedelta(hours=22))).sent == 0
    summary = await daily().dispatch_once(due + timedelta(hours=23))

    assert (summary.planned, summary.sent) == (4, 2)
    by_first_rcpt = {
        env[0].split("@")[1]: m for env, m in zip(smtp.sink.envelopes, smtp.sink.accepted, strict=True)
    }
    austria = by_first_rcpt["austria.example"]
    assert austria["Subject"] == "Digest for Austrian focal point: 2 notifications (2027-01-21)"
    assert austria["Message-ID"].startswith("<digest-2027012108-")
    text = body(austria)
    assert first.id in text and second.id in text
    events = ics_of(austria).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(
        deadline_uid(m.id, "request-information") for m in (first, second)
    )
    rows = [*await outbox.for_mandate(first.id), *await outbox.for_mandate(second.id)]
    assert len(rows) == 4 and all(r.sent_at is not None for r in rows)


async def test_credentials_from_the_settings_log_in_and_a_refused_login_is_retried_not_reported(
    pool: asyncpg.Pool,
    audit_store: AuditStore,
    tmp_path: Path,
    contacts: ContactStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        login, password = (bytes(x).decode() for x in (auth_data.login, auth_data.password))
        logins.append((login, password))
        return AuthResult(success=password == "s3cret", handled=False)

    sink = RecordingSink(tmp_path / "mail")
    port = free_port()
    server = await serve(sink, "127.0.0.1", port, authenticator=authenticator, auth_require_tls=False)
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    outbox = NotificationOutbox(pool)
    (row_id,) = await enqueue(outbox, mandate, reminder(mandate, 5, 14, ["Austria"]))
    now = (await outbox.for_mandate(mandate.id))[0].due_at
    monkeypatch.setenv("MANDATES_SMTP_PORT", str(port))
    monkeypatch.setenv("MANDATES_SMTP_USER", "mandates")
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))
    try:
        monkeypatch.setenv("MANDATES_SMTP_PASSWORD", "wrong")
        refused = await Dispatcher.from_settings(pool, Settings.load()).dispatch_once(now)
        monkeypatch.setenv("MANDATES_SMTP_PASSWORD", "s3cret")
        settings = Settings.load()
        assert "s3cret" not in repr(SmtpServer.from_settings(settings))
        accepted = await Dispatcher.from_settings(pool, settings).dispatch_once(now + timedelta(minutes=5))
    finally:
        server.close()
        await server.wait_closed()

    assert (refused.retried, refused.failed, refused.reported) == (1, 0, 0)
    assert accepted.sent == 1 and len(sink.accepted) == 1
    assert set(logins[:-1]) == {("mandates", "wrong")} and logins[-1] == ("mandates", "s3cret")
    # the delivery it recorded in the audit log is signed with the configured key
    last = await pool.fetchval("SELECT key_id FROM audit_signatures ORDER BY first_position DESC LIMIT 1")
    assert last == audit_signer(settings).key_id
    attempts = await attempts_of(audit_store, f"outbox-{row_id}")
    assert [a["outcome"] for a in attempts] == ["retry", "sent"] and "535" in attempts[0]["error"]
