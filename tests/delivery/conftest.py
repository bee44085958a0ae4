"""Delivery fixtures: a recording SMTP server on a free loopback port, the contact directory,
and dispatchers pointed at that server. The workflow fixtures (for the end-to-end scenario)
come from ``tests/workflows/conftest.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from delivery import DeliveryPolicy, Dispatcher, SmtpServer
from devstack.mail_sink import serve
from domain.contacts import parse_contacts_csv
from store.contacts import ContactStore
from tests.conftest import free_port
from tests.delivery.helpers import CONTACTS_CSV, RecordingSink
from tests.workflows.conftest import engine, engine_factory, workflow_env  # noqa: F401


@dataclass
class Smtp:
    """The SMTP server a test delivers to."""

    sink: RecordingSink
    port: int

    @property
    def server(self) -> SmtpServer:
        return SmtpServer("127.0.0.1", self.port, timeout=5)


@pytest.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[Smtp]:
    sink = RecordingSink(tmp_path / "mail")
    port = free_port()
    server = await serve(sink, "127.0.0.1", port)
    try:
        yield Smtp(sink, port)
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def contacts(pool: asyncpg.Pool) -> ContactStore:
    store = ContactStore(pool)
    await store.import_contacts(parse_contacts_csv(CONTACTS_CSV))
    return store


@pytest.fixture
def dispatcher(pool: asyncpg.Pool, smtp: Smtp) -> Callable[..., Dispatcher]:
    """A dispatcher to the test's SMTP server (policy fields may be overridden)."""

    def make(after_send: Any = None, **policy: Any) -> Dispatcher:
        defaults: dict[str, Any] = {"retry_base": timedelta(minutes=1), "max_attempts": 5}
        return Dispatcher(pool, smtp.server, DeliveryPolicy(**(defaults | policy)), after_send=after_send)

    return make
