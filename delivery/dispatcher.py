"""The dispatcher: delivers due notifications of the outbox by e-mail over SMTP.

One pass (``dispatch_once``) plans the due outbox rows into deliveries (one e-mail per row,
or one digest per recipient a day), then claims due deliveries one attempt at a time and
sends each to the addresses the contact directory has for its recipient.

Delivery is at least once, with exactly-once effect:

- each e-mail's Message-ID is fixed when its delivery is made (``<outbox-<id>.<hash of the
  row's idempotency key>@mandates.local>``), so any re-send is the same message and a
  receiver keeps one;
- a claim moves the delivery's ``next_attempt_at`` one lease ahead before sending, so two
  dispatchers do not send it at once, and one that dies after sending leaves it due again
  once the lease ends;
- a delivery (and its outbox rows' ``sent_at``) is marked sent only after the server
  accepted the message.

A transient failure (4xx, a dropped connection) is retried with exponential backoff; a
permanent one (the server refuses the recipient with 5xx), the last of ``max_attempts``,
or a recipient the directory does not know ends the delivery as failed or undeliverable,
and the mandate's coordinator is told once per recipient (a ``report`` delivery). Every
attempt is an audit event in the delivery's own stream ``delivery-<key>`` (never the
mandate's stream, which only its workflow writes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiosmtplib
import asyncpg
import structlog
from pydantic import ValidationError

from config.audit_keys import audit_signer
from config.commands import mandates_command
from config.links import AnswerLinks
from config.settings import Settings
from delivery.compose import envelope_sender, to_email, wire_bytes
from delivery.notices import (
    Notice,
    NoticeItem,
    UndeliverableReason,
    UndeliverableReport,
    compose_digest,
    compose_notice,
    compose_report,
    digest_key,
    digest_slot,
    keyed_message_id,
    notice_message_id,
    report_key,
)
from domain.contacts import Contact
from domain.errors import DomainError, VersionConflict
from domain.events import MandateStarted, from_payload
from domain.mandate import Mandate
from store.audit import AuditStore, NewEvent
from store.console import ConsoleStore
from store.contacts import ContactStore
from store.deliveries import Delivery, DeliveryKind, DeliveryState, DeliveryStore, NewDelivery
from store.notifications import OutboxEntry

log = structlog.get_logger("delivery")

ACTOR = "mail-dispatcher"
ATTEMPT_EVENT = "DeliveryAttempted"
Outcome = Literal["sent", "retry", "failed", "undeliverable", "interrupted"]


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand e-mail over."""

    host: str
    port: int
    tls: bool = False  # TLS from the first byte (port 465)
    starttls: bool = False  # upgrade with STARTTLS (port 587)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=password,
            timeout=settings.smtp_timeout,
        )


@dataclass(frozen=True)
class DeliveryPolicy:
    """How the dispatcher groups, retries and gives up."""

    sender: str = "Mandate Engine <mandates@mandates.local>"
    digest: Literal["off", "daily"] = "off"
    digest_hour: int = 8  # UTC
    max_attempts: int = 8
    retry_base: timedelta = timedelta(seconds=60)
    retry_cap: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=5)
    per_pass: int = 500  # attempts at most in one pass
    command: str = "mandates"  # how recipients run the command the notices name

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            sender=settings.mail_from,
            digest=settings.mail_digest,
            digest_hour=settings.mail_digest_hour,
            max_attempts=settings.mail_max_attempts,
            retry_base=timedelta(seconds=settings.mail_retry_seconds),
            # a lease outlasts one SMTP transaction (connect, login, envelope, data)
            lease=max(timedelta(minutes=5), timedelta(seconds=6 * settings.smtp_timeout)),
            command=mandates_command(),
        )

    def retry_delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt ``attempt`` (1, 2, ...): base, 2×base, 4×base ... capped."""
        return min(self.retry_base * (2 ** max(attempt - 1, 0)), self.retry_cap)


# --- planning ---------------------------------------------------------------------------------


def one_notice_per_row(rows: Sequence[OutboxEntry]) -> list[NewDelivery]:
    """One e-mail per outbox row, with the Message-ID derived from the row."""
    return [
        NewDelivery(
            kind=DeliveryKind.NOTICE,
            message_key=f"outbox-{row.id}",
            message_id=notice_message_id(row.id, row.idempotency_key),
            recipient=row.recipient,
            mandate_id=row.mandate_id,
            outbox_ids=[row.id],
        )
        for row in rows
    ]


def digests_for(slot: datetime) -> Callable[[Sequence[OutboxEntry]], list[NewDelivery]]:
    """One e-mail per recipient with all their rows due by the digest time ``slot``."""

    def group(rows: Sequence[OutboxEntry]) -> list[NewDelivery]:
        by_recipient: dict[str, list[OutboxEntry]] = {}
        for row in rows:
            by_recipient.setdefault(row.recipient, []).append(row)
        made = []
        for recipient, mine in by_recipient.items():
            key = digest_key(recipient, slot)
            mandates = {r.mandate_id for r in mine}
            made.append(
                NewDelivery(
                    kind=DeliveryKind.DIGEST,
                    message_key=key,
                    message_id=keyed_message_id(key),
                    recipient=recipient,
                    mandate_id=mine[0].mandate_id if len(mandates) == 1 else None,
                    payload={"slot": slot.isoformat()},
                    outbox_ids=[r.id for r in mine],
                )
            )
        return made

    return group


# --- SMTP -------------------------------------------------------------------------------------


class SendFailure(Exception):
    """The server did not take the message; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class Mailer:
    """One SMTP connection, opened on first use and reopened after a failure."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            s = self._server
            client = aiosmtplib.SMTP(
                hostname=s.host,
                port=s.port,
                use_tls=s.tls,
                start_tls=s.starttls,
                username=s.user,
                password=s.password,
                timeout=s.timeout,
            )
            await client.connect()
            self._client = client
        return self._client

    async def send(self, message: Any, sender: str, recipients: Sequence[str]) -> dict[str, str]:
        """Send; return the addresses the server refused (when it took the others).

        Raises:
            SendFailure: nothing was accepted; ``permanent`` when every address got a 5xx
                or the server refused the content itself with a 5xx.
        """
        try:
            client = await self._connected()
            refused, _ = await client.sendmail(sender, list(recipients), wire_bytes(message))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise SendFailure(
                f"recipients refused: {detail}", code=min(codes), permanent=all(c >= 500 for c in codes)
            ) from None
        except aiosmtplib.SMTPDataError as exc:
            await self.close()
            raise SendFailure(f"{exc.code} {exc.message}", code=exc.code, permanent=exc.code >= 500) from None
        except aiosmtplib.SMTPResponseException as exc:
            # sender refused, HELO or AUTH: the server or our settings, not the address
            await self.close()
            raise SendFailure(f"{exc.code} {exc.message}", code=exc.code) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise SendFailure(f"{type(exc).__name__}: {_first_line(exc)}") from None
        return {address: f"{r.code} {r.message}" for address, r in refused.items()}

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await client.quit()
            client.close()


# --- the dispatcher ---------------------------------------------------------------------------


@dataclass
class DispatchSummary:
    """What one pass did."""

    planned: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    undeliverable: int = 0
    reported: int = 0
    errors: int = 0

    def count(self, outcome: Outcome) -> None:
        match outcome:
            case "sent":
                self.sent += 1
            case "retry":
                self.retried += 1
            case "failed":
                self.failed += 1
            case "undeliverable":
                self.undeliverable += 1


@dataclass(frozen=True)
class _Attempt:
    outcome: Outcome
    to: list[str] = field(default_factory=list)
    error: str = ""
    refused: dict[str, str] = field(default_factory=dict)
    next_attempt_at: datetime | None = None
    reason: UndeliverableReason | None = None


AfterSend = Callable[[Delivery], Awaitable[None]]


class Dispatcher:
    """Delivers the outbox: plan, claim, send, record, mark."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        server: SmtpServer,
        policy: DeliveryPolicy | None = None,
        *,
        audit: AuditStore | None = None,
        after_send: AfterSend | None = None,
        links: AnswerLinks | None = None,
    ) -> None:
        self._server = server
        self.policy = policy or DeliveryPolicy()
        self._deliveries = DeliveryStore(pool)
        self._contacts = ContactStore(pool)
        self._audit = audit or AuditStore(pool)
        self._after_send = after_send  # for tests: runs between the send and the mark
        self._links = links  # the parties' answer pages and the console's mandate pages

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, settings: Settings) -> Dispatcher:
        """The dispatcher of the settings; the attempts it records in the audit log are signed
        with the configured key (``config/audit_keys.py``)."""
        audit = AuditStore(pool, signer=audit_signer(settings))
        policy = DeliveryPolicy.from_settings(settings)
        try:
            links = AnswerLinks(settings.web_secret_bytes(), settings.web_url, ConsoleStore(pool))
        except DomainError as exc:  # (no console secret: parties are told to ask their coordinator)
            log.warning("notices carry no answer links", reason=str(exc))
            links = None
        return cls(pool, SmtpServer.from_settings(settings), policy, audit=audit, links=links)

    async def run(
        self,
        stop: asyncio.Event,
        poll_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Pass after pass until ``stop`` is set; a pass that fails is logged and retried."""
        while not stop.is_set():
            try:
                summary = await self.dispatch_once(clock())
                if summary.planned or summary.sent or summary.retried or summary.failed:
                    log.info("dispatch pass", **summary.__dict__)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.warning("dispatch pass failed; trying again", error=_first_line(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)

    async def dispatch_once(self, now: datetime) -> DispatchSummary:
        """Plan what is due at ``now`` and attempt every delivery due then (reports made in
        this pass included)."""
        summary = DispatchSummary()
        policy = self.policy
        if policy.digest == "daily":
            slot = digest_slot(now, policy.digest_hour)
            summary.planned = await self._deliveries.plan(slot, now, digests_for(slot))
        else:
            summary.planned = await self._deliveries.plan(now, now, one_notice_per_row)
        mailer = Mailer(self._server)
        mandates: dict[str, Mandate | None] = {}
        try:
            for _ in range(policy.per_pass):
                # One claim per attempt, so that a lease only ever covers one SMTP transaction.
                claimed = await self._deliveries.claim(now, now + policy.lease, limit=1)
                if not claimed:
                    break
                delivery = claimed[0]
                try:
                    outcome, reported = await self._attempt(delivery, now, mailer, mandates)
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, DomainError) as exc:
                    # left claimed: due again when the lease ends, re-sent with its Message-ID
                    summary.errors += 1
                    log.error("delivery interrupted", delivery=delivery.message_key, error=_first_line(exc))
                    continue
                summary.count(outcome)
                summary.reported += reported
        finally:
            await mailer.close()
        return summary

    # One attempt.

    async def _attempt(
        self, delivery: Delivery, now: datetime, mailer: Mailer, mandates: dict[str, Mandate | None]
    ) -> tuple[Outcome, int]:
        contacts = await self._contacts.of(delivery.recipient)
        names = [c.display_name for c in contacts if c.display_name]
        items = await self._items(delivery, mandates, names[0] if names else "")
        if not items:
            attempt = _Attempt("failed", error="nothing to send: its notifications are gone")
        elif not contacts:
            attempt = _Attempt(
                "undeliverable", error=f"no contact for {delivery.recipient!r}", reason="no_contact"
            )
        else:
            attempt = await self._send(delivery, items, contacts, mailer, now)
        reports = self._reports(delivery, items, attempt)
        await self._record(delivery, items, attempt, now, reports)
        match attempt.outcome:
            case "sent":
                made = await self._deliveries.mark_sent(
                    delivery.id, now, _refused_note(attempt.refused), reports
                )
            case "retry":
                assert attempt.next_attempt_at is not None
                await self._deliveries.retry_at(delivery.id, attempt.next_attempt_at, attempt.error)
                made = []
            case "failed" | "undeliverable":
                state = DeliveryState(attempt.outcome)
                made = await self._deliveries.give_up(delivery.id, state, attempt.error, now, reports)
        log.info(
            "delivery attempt",
            delivery=delivery.message_key,
            recipient=delivery.recipient,
            attempt=delivery.attempts,
            outcome=attempt.outcome,
            error=attempt.error or None,
            reported=made or None,
        )
        return attempt.outcome, len(made)

    async def _mandate(self, mandate_id: str, mandates: dict[str, Mandate | None]) -> Mandate | None:
        if mandate_id not in mandates:
            payload = await self._deliveries.mandate_started(mandate_id)
            mandate = None
            if payload is not None:
                try:
                    event = from_payload("MandateStarted", payload)
                except ValidationError:
                    event = None
                if isinstance(event, MandateStarted):
                    mandate = event.mandate
            mandates[mandate_id] = mandate
        return mandates[mandate_id]

    async def _item(
        self, row: OutboxEntry, mandates: dict[str, Mandate | None], recipient_name: str = ""
    ) -> NoticeItem:
        item = await self._plain_item(row, mandates)
        links: dict[str, Any] = {"recipient_name": recipient_name}
        if self._links is not None and item.to_party:
            attempt = int(row.payload.get("attempt") or 1)
            links["answer_link"] = await self._links.answer_page(
                row.mandate_id, row.step_id, row.recipient, attempt
            )
        elif self._links is not None:
            links["console_link"] = self._links.mandate_page(row.mandate_id)
        return item.model_copy(update=links)

    async def _plain_item(self, row: OutboxEntry, mandates: dict[str, Mandate | None]) -> NoticeItem:
        return NoticeItem.build(
            outbox_id=row.id,
            mandate_id=row.mandate_id,
            step_id=row.step_id,
            kind=row.kind.value,
            recipient=row.recipient,
            due_at=row.due_at,
            created_at=row.created_at,
            idempotency_key=row.idempotency_key,
            payload=row.payload,
            mandate=await self._mandate(row.mandate_id, mandates),
            command=self.policy.command,
        )

    async def _items(
        self, delivery: Delivery, mandates: dict[str, Mandate | None], recipient_name: str = ""
    ) -> list[NoticeItem]:
        """The notifications a delivery carries (for a report: the one it is about, whose
        party's link is not the coordinator's to be sent)."""
        if delivery.kind is DeliveryKind.REPORT:
            about = await self._deliveries.outbox_row(int(delivery.payload["about_outbox_id"]))
            return [await self._plain_item(about, mandates)] if about is not None else []
        rows = await self._deliveries.items(delivery.id)
        return [await self._item(row, mandates, recipient_name) for row in rows]

    def _notice(self, delivery: Delivery, items: list[NoticeItem]) -> Notice:
        match delivery.kind:
            case DeliveryKind.NOTICE:
                return compose_notice(items[0], delivery.message_id)
            case DeliveryKind.DIGEST:
                slot = datetime.fromisoformat(delivery.payload["slot"])
                return compose_digest(delivery.recipient, slot, items, delivery.message_id)
            case DeliveryKind.REPORT:
                report = UndeliverableReport(
                    about=items[0],
                    reason=delivery.payload["reason"],
                    detail=delivery.payload.get("detail", ""),
                )
                return compose_report(report, delivery.message_id)

    async def _send(
        self,
        delivery: Delivery,
        items: list[NoticeItem],
        contacts: list[Contact],
        mailer: Mailer,
        now: datetime,
    ) -> _Attempt:
        notice = self._notice(delivery, items)
        headers = {"X-Mandates-Delivery": delivery.message_key}
        if delivery.mandate_id:
            headers["X-Mandates-Mandate"] = delivery.mandate_id
        message = to_email(
            notice, sender=self.policy.sender, to=contacts, date=delivery.created_at, headers=headers
        )
        to = [c.email for c in contacts]
        try:
            refused = await mailer.send(message, envelope_sender(self.policy.sender), to)
        except SendFailure as failure:
            if failure.permanent:
                return _Attempt("failed", to=to, error=str(failure), reason="refused")
            if delivery.attempts >= self.policy.max_attempts:
                error = f"{failure} (attempt {delivery.attempts} of {self.policy.max_attempts})"
                return _Attempt("failed", to=to, error=error, reason="attempts_exhausted")
            retry = now + self.policy.retry_delay(delivery.attempts)
            return _Attempt("retry", to=to, error=str(failure), next_attempt_at=retry)
        if self._after_send is not None:
            await self._after_send(delivery)
        permanent = {a: r for a, r in refused.items() if r[:1] == "5"}
        return _Attempt(
            "sent",
            to=[a for a in to if a not in refused],
            refused=refused,
            reason="refused" if permanent else None,
            error=_refused_note(permanent) or "",
        )

    def _reports(self, delivery: Delivery, items: list[NoticeItem], attempt: _Attempt) -> list[NewDelivery]:
        """The reports to coordinators an attempt calls for: one per mandate of the delivery
        whose coordinator is not the unreachable recipient; none about a report."""
        if attempt.reason is None or delivery.kind is DeliveryKind.REPORT:
            return []
        reports: dict[str, NewDelivery] = {}
        for item in items:
            if item.mandate_id in reports or item.coordinator == delivery.recipient:
                continue
            key = report_key(item.mandate_id, delivery.recipient)
            reports[item.mandate_id] = NewDelivery(
                kind=DeliveryKind.REPORT,
                message_key=key,
                message_id=keyed_message_id(key),
                recipient=item.coordinator,
                mandate_id=item.mandate_id,
                payload={
                    "about_outbox_id": item.outbox_id,
                    "about_recipient": delivery.recipient,
                    "reason": attempt.reason,
                    "detail": attempt.error,
                },
            )
        return list(reports.values())

    async def _record(
        self,
        delivery: Delivery,
        items: list[NoticeItem],
        attempt: _Attempt,
        now: datetime,
        reports: list[NewDelivery],
    ) -> None:
        """Append the attempt to the delivery's audit stream (and, first, any attempt that a
        dispatcher began but never recorded, as interrupted)."""
        stream = delivery.stream_id
        mandate_id = delivery.mandate_id or (items[0].mandate_id if items else None)
        causation = items[0].idempotency_key if len(items) == 1 else None

        def event(number: int, outcome: Outcome, detail: _Attempt | None) -> NewEvent:
            payload: dict[str, Any] = {
                "delivery": delivery.message_key,
                "kind": delivery.kind.value,
                "message_id": delivery.message_id,
                "recipient": delivery.recipient,
                "mandate_id": mandate_id,
                "outbox_ids": [i.outbox_id for i in items],
                "attempt": number,
                "outcome": outcome,
            }
            if detail is not None:
                payload["to"] = detail.to
                if detail.refused:
                    payload["refused"] = detail.refused
                if detail.error:
                    payload["error"] = detail.error
                if detail.next_attempt_at is not None:
                    payload["next_attempt_at"] = detail.next_attempt_at.isoformat()
                if reports:
                    payload["reported_to"] = sorted({r.recipient for r in reports})
            return NewEvent(
                type=ATTEMPT_EVENT,
                actor=ACTOR,
                occurred_at=now,
                payload=payload,
                idempotency_key=f"{stream}:attempt-{number}",
                correlation_id=mandate_id,
                causation_id=causation,
            )

        for _ in range(3):
            version = await self._audit.stream_version(stream)
            missing = range(version + 1, delivery.attempts)
            events = [event(n, "interrupted", None) for n in missing]
            events.append(event(delivery.attempts, attempt.outcome, attempt))
            try:
                await self._audit.append(stream, version, events)
                return
            except VersionConflict:
                continue
        raise VersionConflict(stream, version, -1)


def _refused_note(refused: dict[str, str]) -> str | None:
    if not refused:
        return None
    return "refused: " + "; ".join(f"{address}: {reply}" for address, reply in sorted(refused.items()))
