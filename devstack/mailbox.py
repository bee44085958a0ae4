"""What the dev stack's mail sink received: the .eml files of its folder, read back."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

_HEADERS = BytesHeaderParser(policy=default_policy)


@dataclass(frozen=True)
class ReceivedMail:
    """One message the sink stored."""

    received_at: str
    sender: str
    to: str
    subject: str
    message_id: str
    path: Path


def list_mail(folder: Path) -> list[ReceivedMail]:
    """What the sink stored in ``folder``, oldest first."""
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        with path.open("rb") as file:
            headers = _HEADERS.parse(file)
        found.append(
            ReceivedMail(
                received_at=str(headers.get("X-Received-At", "")),
                sender=str(headers.get("X-Envelope-From", "")),
                to=str(headers.get("X-Envelope-To", "")),
                subject=str(headers.get("Subject", "")),
                message_id=str(headers.get("Message-ID", "")).strip(),
                path=path,
            )
        )
    return sorted(found, key=lambda m: (m.received_at, m.path.name))
