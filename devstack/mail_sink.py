"""A local SMTP sink for the dev stack: accepts every message on 127.0.0.1 and stores it as an
.eml file under the data folder (``.data/mail/``), once per Message-ID, as a mailbox would.

Run it with ``python -m devstack.mail_sink`` (``mandates dev up`` does); ``mandates dev mail``
lists what it received (``devstack.mailbox``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP as SMTPServer

from config.logging import configure_logging
from config.settings import LOOPBACK, Settings
from domain.errors import DomainError

log = structlog.get_logger("mail-sink")
_HEADERS = BytesHeaderParser(policy=default_policy)


def _message_id(content: bytes) -> str:
    return str(_HEADERS.parsebytes(content).get("Message-ID", "")).strip()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class MailSink:
    """An aiosmtpd handler that stores each message once, as ``<received>-<hash>.eml`` in ``folder``.

    A message whose Message-ID was stored before is accepted and dropped (``duplicates``).
    """

    def __init__(self, folder: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.folder = folder
        self._clock = clock
        folder.mkdir(parents=True, exist_ok=True)
        self._seen = {path.stem.rsplit("-", 1)[-1] for path in folder.glob("*.eml")}
        self.stored = 0
        self.duplicates = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        self.store(envelope.content, envelope.mail_from, list(envelope.rcpt_tos))
        return "250 OK"

    def store(self, content: bytes, mail_from: str, rcpt_tos: list[str]) -> Path | None:
        """Write the message (with its envelope as headers); None when it is a duplicate."""
        message_id = _message_id(content)
        key = _digest(message_id or content.decode("utf-8", "replace"))
        if key in self._seen:
            self.duplicates += 1
            log.info("duplicate message dropped", message_id=message_id)
            return None
        received = self._clock()
        envelope = (
            f"X-Received-At: {received.isoformat()}\r\n"
            f"X-Envelope-From: {mail_from}\r\n"
            f"X-Envelope-To: {', '.join(rcpt_tos)}\r\n"
        ).encode()
        path = self.folder / f"{received:%Y%m%dT%H%M%S%f}-{key}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(envelope + content)
        os.replace(partial, path)
        self._seen.add(key)
        self.stored += 1
        log.info("message stored", message_id=message_id, file=path.name)
        return path


async def serve(handler: Any, host: str, port: int, **options: Any) -> asyncio.Server:
    """Serve SMTP with ``handler`` on ``host:port`` in the running event loop (``options``
    go to aiosmtpd's ``SMTP``, e.g. an authenticator)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTPServer(handler, hostname="mandates.local", **options), host, port
    )


async def run(settings: Settings) -> None:
    sink = MailSink(settings.mail_path)
    server = await serve(sink, LOOPBACK, settings.smtp_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("mail sink started", address=f"{LOOPBACK}:{settings.smtp_port}", folder=str(sink.folder))
    async with server:
        await stop.wait()
    log.info("mail sink stopped", stored=sink.stored, duplicates=sink.duplicates)


def main() -> None:
    try:
        settings = Settings.load()
        configure_logging(settings.log_format, settings.log_level)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
        asyncio.run(run(settings))
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        print(f"error: the mail sink cannot start: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
