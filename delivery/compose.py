"""A notice as a MIME e-mail: plain text and HTML alternatives, and the .ics attachment.

The bytes depend only on the notice, the addresses and the date passed in, so a re-send
of the same delivery is the same e-mail with the same Message-ID. Every part is 7-bit
(quoted-printable bodies, RFC 2047 headers), whatever the names and titles hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from delivery.notices import Notice
from domain.contacts import Contact


def envelope_sender(sender: str) -> str:
    """The bare address of ``Name <address>`` for the SMTP envelope."""
    return parseaddr(sender)[1] or sender


def to_email(
    notice: Notice,
    *,
    sender: str,
    to: Sequence[Contact],
    date: datetime,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The e-mail of ``notice`` to the contacts ``to`` (the addresses of its recipient)."""
    message = EmailMessage()
    message["Message-ID"] = notice.message_id
    message["Date"] = format_datetime(date)
    # Headers that may hold non-ASCII are encoded and folded here: the email package's own
    # folding drops the space between adjacent encoded words (Python 3.11).
    message.set_raw("From", formataddr(parseaddr(sender), charset="utf-8"))
    recipients = [formataddr((c.display_name or c.name, c.email), charset="utf-8") for c in to]
    message.set_raw("To", ",\n ".join(recipients))
    message.set_raw("Subject", _unstructured("Subject", notice.subject))
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
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


def _unstructured(name: str, value: str) -> str:
    """A header value as it goes on the wire: as is when ASCII, else RFC 2047 encoded words."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode()
