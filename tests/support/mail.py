"""Mail for the tests: a recording SMTP server, a mandate in the audit log, and outbox rows
made the way the workflows make them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import icalendar

from activities.audit import idempotency_key
from activities.notifications import NotifyInput, notifications_for
from delivery import SmtpServer
from devstack.mail_sink import MailSink
from domain import events as ev
from domain.mandate import Mandate
from domain.plan import validate_plan
from store.audit import AuditStore, NewEvent
from store.notifications import NotificationOutbox
from tests.support.mandates import T0, make_mandate

DAY = timedelta(days=1)
LINK_SECRET = b"the tests' console secret"
CONSOLE_URL = "http://127.0.0.1:8080"
"""What the tests' dispatcher mints the parties' answer links with (config/links.py)."""
COORDINATOR = "coordinator"
OECD = "OECD Working Group on Bribery"
CONTACTS_CSV = f"""name,role,email,display_name
Austria,party,focal.point@austria.example,Austrian focal point
{OECD},party,wgb@oecd.example,
{OECD},party,wgb.backup@oecd.example,
chief.of.section,approver,chief@unodc.example,Chief of Section
{COORDINATOR},coordinator,coordinator@unodc.example,Coordinator
"""


class RecordingSink(MailSink):
    """The dev mail sink, keeping every message it accepts (re-sends too), with scripted replies.

    ``refuse`` maps an address to the reply to its RCPT (e.g. ``"550 5.1.1 no such user"``);
    ``data_replies`` are the replies to the next DATA commands (e.g. ``["451 4.3.0 later"]``).
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.accepted: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.refuse: dict[str, str] = {}
        self.data_replies: list[str] = []
        self.rcpt_attempts: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.rcpt_attempts.append(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        self.accepted.append(parse(envelope.content))
        self.envelopes.append(list(envelope.rcpt_tos))
        return await super().handle_DATA(server, session, envelope)

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.accepted]


@dataclass
class Smtp:
    """The SMTP server a test delivers to."""

    sink: RecordingSink
    port: int

    @property
    def server(self) -> SmtpServer:
        return SmtpServer("127.0.0.1", self.port, timeout=5)


def parse(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    """Every text part of the message, decoded (plain, HTML and the calendar)."""
    return "\n".join(
        str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"
    )


def answer_links(text: str) -> list[str]:
    """The answer-page addresses a message's text holds (a party's personal links)."""
    return re.findall(r"https?://[^\s\"<>]+/answer/[A-Za-z0-9._-]+", text)


def ics_of(message: EmailMessage) -> icalendar.Calendar:
    """The message's .ics attachment, parsed by the icalendar package."""
    (attachment,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert attachment.get_filename() in ("deadline.ics", "deadlines.ics")
    return icalendar.Calendar.from_ical(attachment.get_content())


def consultation_mandate(
    slug: str = "synergies", *, confidential: bool = False, start: datetime = T0
) -> Mandate:
    plan = validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "request-information", "title": "Request information",
                 "due_in_days": 30, "grace_days": 10, "parties": ["Austria", OECD],
                 "confidential": confidential},
                {"type": "approval", "id": "approve-sharing", "title": "Approve what may be shared",
                 "due_in_days": 60, "approvers": ["chief.of.section"], "rule": "any"},
            ]
        }
    )  # fmt: skip
    return make_mandate(
        slug, plan.resolve(start), confidential=confidential, coordinator=COORDINATOR, reports_to=None
    )


async def record_start(audit: AuditStore, mandate: Mandate) -> None:
    """The mandate's first audit event, as its workflow appends it."""
    event = ev.MandateStarted(at=T0, mandate=mandate)
    event_type, payload = ev.to_payload(event)
    await audit.append(
        mandate.id,
        0,
        [
            NewEvent(
                type=event_type,
                actor=event.actor,
                occurred_at=T0,
                payload=payload,
                idempotency_key=idempotency_key(mandate.id, 1),
                correlation_id=mandate.id,
            )
        ],
    )


def deadline(mandate: Mandate, step_id: str = "request-information") -> datetime:
    due = mandate.plan.step(step_id).due
    assert due is not None
    return due


def reminder(mandate: Mandate, version: int, days_before: int, recipients: Sequence[str]) -> ev.RecordedEvent:
    due = deadline(mandate)
    return ev.RecordedEvent(
        version=version,
        event=ev.ReminderDue(
            at=due - days_before * DAY,
            step_id="request-information",
            recipients=list(recipients),
            deadline=due,
            days_before=days_before,
            scheduled_for=due - days_before * DAY,
        ),
    )


def escalation(mandate: Mandate, version: int) -> ev.RecordedEvent:
    due = deadline(mandate)
    return ev.RecordedEvent(
        version=version,
        event=ev.Escalated(
            at=due + 7 * DAY,
            step_id="request-information",
            recipient=mandate.coordinator,
            deadline=due,
            escalation=1,
            scheduled_for=due + 7 * DAY,
        ),
    )


async def enqueue(outbox: NotificationOutbox, mandate: Mandate, *events: ev.RecordedEvent) -> list[int]:
    """Put the events' notifications in the outbox as the workflow's activity does; their ids."""
    request = NotifyInput(
        mandate_id=mandate.id,
        resolution_symbol=mandate.resolution_symbol,
        paragraph=mandate.paragraph,
        step_titles={s.id: s.title for s in mandate.plan.steps},
        events=list(events),
    )
    await outbox.enqueue(notifications_for(request))
    return [row.id for row in await outbox.for_mandate(mandate.id)]
