"""Mail headers are structured: no name or title can add a header, break an address or make
a line longer than SMTP carries.

The attacks: a contact display name or a party name holding CR/LF (``Eve\\r\\nBcc: ...``), a
step title holding one, a display name of 5,000 characters. The directory refuses such
names now (``tests/domain/test_values.py``); the contacts below are stored as a directory
imported before that rule would hold them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import compat32
from email.utils import getaddresses

import asyncpg
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from delivery import Dispatcher
from delivery.compose import to_email, wire_bytes
from delivery.notices import CalendarEvent, Notice, calendar, header_text
from domain.contacts import Contact, ContactRole
from domain.values import unstorable
from store.audit import AuditStore
from store.contacts import ContactStore
from store.notifications import NotificationOutbox
from tests.support.mail import OECD, Smtp, consultation_mandate, enqueue, record_start, reminder

INJECTED = "Eve\r\nBcc: victim@evil.example"
HEADERS = {
    "Message-ID", "Date", "From", "To", "Subject", "Auto-Submitted", "X-Mandates-Delivery",
    "Content-Type", "MIME-Version",
}  # fmt: skip


def raw_headers(data: bytes) -> list[tuple[str, str]]:
    """The headers as the wire has them (unfolded, not decoded)."""
    message = message_from_bytes(data, policy=compat32)
    return [(name, str(value).replace("\r\n", "").replace("\n", "")) for name, value in message.items()]


def decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def notice(subject: str) -> Notice:
    return Notice(
        message_id="<outbox-1.0@mandates.local>", recipient="x", subject=subject, text="t", html="<p>t</p>"
    )


# What breaks naive folding: specials of address syntax, quotes, encoded and plain words
# side by side, long runs, line breaks.
TRICKY = list("abc “”«»Éé日本Жж😀 ·-—’'()\"<>,;:@.\\\r\n\t\x1b")
names = (
    st.text(st.sampled_from(TRICKY), max_size=250)
    | st.text(st.characters(codec=None), max_size=300)
    | st.sampled_from(
        [INJECTED, 'Austria (Ministry), "Legal" <dept>', "N" * 5000, "“Request information” · x"]
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(display=names, name=names, subject=names)
@example(display=INJECTED, name=INJECTED, subject=f"Reminder: “{INJECTED}” is due")
@example(display="", name="", subject="\ud800")  # a lone surrogate, which no encoding holds
@example(display="Консультации с государствами-участниками " * 5, name="x", subject="日本 語 の 件名 " * 30)
def test_no_name_or_subject_adds_a_header_or_breaks_an_address(display: str, name: str, subject: str) -> None:
    contacts = [
        Contact(
            name=name or "x", role=ContactRole.PARTY, email="focal.point@example.org", display_name=display
        ),
        Contact(name="Mexico", role=ContactRole.PARTY, email="mx@example.org"),
    ]
    message = to_email(
        notice(subject),
        sender="Mandate Engine <mandates@mandates.local>",
        to=contacts,
        date=datetime(2027, 1, 4, tzinfo=UTC),
        headers={"X-Mandates-Delivery": "outbox-1"},
    )
    data = wire_bytes(message)

    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and all(len(line) <= 998 for line in data.split(b"\r\n"))
    headers = raw_headers(data)
    assert {n for n, _ in headers} == HEADERS and len(headers) == len(HEADERS)
    (to,) = [v for n, v in headers if n == "To"]
    assert [address for _, address in getaddresses([to])] == ["focal.point@example.org", "mx@example.org"]
    (subject_on_wire,) = [v for n, v in headers if n == "Subject"]
    assert decoded(subject_on_wire) == header_text(subject)  # every space kept


async def test_an_injected_display_name_or_party_name_reaches_no_one_else(
    pool: asyncpg.Pool, audit_store: AuditStore, smtp: Smtp, dispatcher: Callable[..., Dispatcher]
) -> None:
    """Through the dispatcher to a real SMTP server: the directory holds a display name with
    CR/LF (and a Bcc after it) and one of 5,000 characters; each mail goes to the directory's
    addresses and nowhere else, and the server takes it."""
    await ContactStore(pool).import_contacts(
        [
            Contact(
                name="Austria",
                role=ContactRole.PARTY,
                email="focal.point@austria.example",
                display_name=INJECTED,
            ),
            Contact(name=OECD, role=ContactRole.PARTY, email="wgb@oecd.example", display_name="W" * 5000),
        ]
    )
    mandate = consultation_mandate()
    await record_start(audit_store, mandate)
    await enqueue(NotificationOutbox(pool), mandate, reminder(mandate, 5, 14, ["Austria", OECD]))
    (row, _) = await NotificationOutbox(pool).for_mandate(mandate.id)

    summary = await dispatcher().dispatch_once(row.due_at)

    assert summary.sent == 2 and len(smtp.sink.accepted) == 2
    assert sorted(smtp.sink.envelopes) == [["focal.point@austria.example"], ["wgb@oecd.example"]]
    for message in smtp.sink.accepted:
        assert "bcc" not in {name.lower() for name in message.keys()}
        (address,) = message["To"].addresses
        assert address.addr_spec in ("focal.point@austria.example", "wgb@oecd.example")
        assert "\n" not in address.display_name and len(address.display_name) <= 200


@given(title=names.filter(lambda t: unstorable(t) is None))  # (what the audit log can hold)
@example(title="Deadline\rATTENDEE:mailto:eve@evil.example")
@settings(max_examples=100, deadline=None)
def test_no_title_adds_a_line_to_a_calendar_entry(title: str) -> None:
    moment = datetime(2027, 1, 4, tzinfo=UTC)
    event = CalendarEvent(
        uid="u@mandates.local", stamp=moment, start=moment, summary=title, description=f"about {title}"
    )

    lines = calendar([event]).split("\r\n")

    assert all("\r" not in line and "\n" not in line for line in lines)
    unfolded = calendar([event]).replace("\r\n ", "").split("\r\n")
    assert [line.split(":", 1)[0] for line in unfolded if line] == [
        "BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "BEGIN", "UID", "DTSTAMP", "DTSTART", "SUMMARY",
        "DESCRIPTION", "TRANSP", "STATUS", "BEGIN", "ACTION", "TRIGGER", "DESCRIPTION", "END", "END", "END",
    ]  # fmt: skip
