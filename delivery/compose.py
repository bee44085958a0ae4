"""A notice as a MIME e-mail: plain text and HTML alternatives, and the .ics attachment.

The bytes depend only on the notice, the addresses and the date passed in, so a re-send
of the same delivery is the same e-mail with the same Message-ID. Every part is 7-bit
(quoted-printable bodies, RFC 2047 headers), whatever the names and titles hold.

Headers are structured, never raw text: the addresses are ``email.headerregistry.Address``
objects and every value goes through the mail policy, which encodes and folds it. A name
or a subject is first made one line of bounded length (``delivery.notices.header_text``):
a line break in a display name or a title can never start a header of its own (``Bcc:``),
and no name makes a line longer than SMTP carries. ``wire_bytes`` is what goes to the
SMTP server.

The policy folds where the standard library folds correctly. Its folding of encoded words
(Python 3.11) drops the space between two words it encodes apart, and folding a long
address list can encode an address itself into the display name before it: structured
headers are folded only past RFC 5322's hard limit of 998 characters (names are bounded
far below it), and a non-ASCII unstructured header (the subject) is encoded and folded by
``email.header.Header``, which keeps every space.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from typing import Any

from delivery.notices import Notice, header_text
from domain.contacts import Contact
from domain.values import MAX_NAME


class MailPolicy(EmailPolicy):
    """The SMTP policy (CRLF, 7-bit headers encoded per RFC 2047), folding as said above."""

    def fold(self, name: str, value: Any) -> str:
        return self._encoded(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        encoded = self._encoded(name, value)
        return encoded.encode("ascii") if encoded else super().fold_binary(name, value)

    def _encoded(self, name: str, value: Any) -> str | None:
        if not isinstance(value, UnstructuredHeader) or str(value).isascii():
            return None
        folded = Header(str(value), "utf-8", header_name=name).encode(linesep=self.linesep)
        return f"{name}: {folded}{self.linesep}"


MAIL_POLICY = MailPolicy(linesep="\r\n", max_line_length=998)


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as it is sent: headers folded by ``MAIL_POLICY``, CRLF line ends."""
    return message.as_bytes(policy=MAIL_POLICY)


def envelope_sender(sender: str) -> str:
    """The bare address of ``Name <address>`` for the SMTP envelope."""
    return parseaddr(sender)[1] or sender


def sender_address(sender: str) -> Address:
    """``Name <address>`` (or a bare address) as an ``Address``."""
    name, address = parseaddr(sender)
    return Address(display_name=header_text(name, MAX_NAME), addr_spec=address or sender)


def contact_address(contact: Contact) -> Address:
    """A contact's address with its display name (or its name), made one bounded line."""
    return Address(
        display_name=header_text(contact.display_name or contact.name, MAX_NAME), addr_spec=contact.email
    )


def to_email(
    notice: Notice,
    *,
    sender: str,
    to: Sequence[Contact],
    date: datetime,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The e-mail of ``notice`` to the contacts ``to`` (the addresses of its recipient)."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["Message-ID"] = notice.message_id
    message["Date"] = format_datetime(date)
    message["From"] = sender_address(sender)
    message["To"] = [contact_address(c) for c in to]
    message["Subject"] = header_text(notice.subject)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = header_text(value)
    message.set_content(notice.text, cte="quoted-printable")
    message.add_alternative(notice.html, subtype="html", cte="quoted-printable")
    if notice.ics:
        message.add_attachment(
            notice.ics,
            subtype="calendar",
            filename=notice.ics_filename,
            params={"method": "PUBLISH"},
            cte="quoted-printable",
        )
    return message
