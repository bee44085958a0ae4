"""Shared fixtures: a real Postgres (embedded, or the server of DATABASE_URL) with the
engine's migrations applied, and a fresh database per test; a time-skipping Temporal
test server and a worker of the engine on it per test; a recording SMTP server,
the contact directory and dispatchers to that server; the reference resolution's history.

The embedded server requires a password of every connection, as the dev stack's does; its
application role is given the superuser's (a server made for one session of tests).

Helpers live in ``tests/support``; this file holds fixtures only."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from config.links import AnswerLinks
from config.settings import APP_ROLE
from delivery import DeliveryPolicy, Dispatcher
from devstack.mail_sink import serve
from devstack.postgres import EmbeddedPostgres, set_password
from devstack.processes import ManagedProcess, free_port
from domain.contacts import parse_contacts_csv
from store.audit import AuditStore
from store.console import ConsoleStore
from store.contacts import ContactStore
from store.migrate import apply_migrations
from store.signing import PublicKeys, Signer
from tests.support import cosp7
from tests.support.database import Database, with_database, with_user
from tests.support.mail import CONSOLE_URL, CONTACTS_CSV, LINK_SECRET, RecordingSink, Smtp
from tests.support.temporal import Engine, forward_core_logs, running_engine, time_skipping_server


@pytest.fixture(scope="session", autouse=True)
def sdk_core_logs() -> None:
    """The SDK core's log lines go through Python logging, captured with each test (first of
    all: before any client or worker makes the default runtime)."""
    forward_core_logs()


def _external() -> str | None:
    return os.environ.get("DATABASE_ADMIN_URL") or os.environ.get("DATABASE_URL")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """The admin URL of the server the tests use (to its maintenance database).

    Its data folder is not under pytest's basetemp: pytest deletes all but the three newest
    basetemps, so another pytest session starting meanwhile would remove a live cluster.
    """
    external = _external()
    if external:
        yield external
        return
    root = Path(tempfile.mkdtemp(prefix="mandates-test-postgres-"))
    process = ManagedProcess("postgres", root / "run", root / "logs")
    server = EmbeddedPostgres(root / "pgdata", free_port(), process, durable=False)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_database(postgres_admin_url: str) -> AsyncIterator[str]:
    """A database with every migration applied, copied for each test."""
    name = f"mandates_template_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(with_database(postgres_admin_url, name))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        password = urlsplit(postgres_admin_url).password
        if not _external() and password:
            await set_password(postgres_admin_url, APP_ROLE, password)
        yield name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database(postgres_admin_url: str, template_database: str) -> AsyncIterator[Database]:
    """A fresh, migrated database for this test, dropped afterwards."""
    name = f"mandates_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        admin_dsn = with_database(postgres_admin_url, name)
        yield Database(name, admin_dsn, with_user(admin_dsn, APP_ROLE))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pool(database: Database) -> AsyncIterator[asyncpg.Pool]:
    """A pool connected as the application role."""
    pool = await asyncpg.create_pool(database.app_dsn, min_size=1, max_size=20)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def admin_conn(database: Database) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the database owner, for tests that tamper or inspect."""
    conn = await asyncpg.connect(database.admin_dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def audit_signer() -> Signer:
    """The key the tests' audit stores sign with (as the worker signs with its own)."""
    return Signer.generate()


@pytest.fixture(scope="session")
def audit_keys(audit_signer: Signer) -> PublicKeys:
    """The public key that verifies what ``audit_signer`` signed."""
    return PublicKeys.of(audit_signer)


@pytest.fixture
def audit_store(pool: asyncpg.Pool, audit_signer: Signer) -> AuditStore:
    return AuditStore(pool, signer=audit_signer)


@pytest.fixture
async def workflow_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping Temporal test server of the test's own (it starts in about 0.1 s).

    Not one for the session: a server's clock is moved on by every test that skips time, and
    skipping fires the timers of every workflow the tests before left running, so what a
    test saw depended on the tests run before it (a caller's signature judged stale against
    the skipped clock; a skip of weeks timing out behind other tests' timers)."""
    async with time_skipping_server() as env:
        yield env


@pytest.fixture
def engine_factory(workflow_env: WorkflowEnvironment, pool: asyncpg.Pool) -> Callable[..., Any]:
    """Run a worker on a fresh task queue (optionally with other activities) for a test."""

    def start(activities: Sequence[Callable[..., Any]] | None = None) -> Any:
        return running_engine(workflow_env, pool, activities)

    return start


@pytest.fixture
async def engine(engine_factory: Callable[..., Any]) -> AsyncIterator[Engine]:
    """A worker with the real workflows and activities on a fresh task queue."""
    async with engine_factory() as running:
        yield running


@pytest.fixture
def cosp7_scenario() -> cosp7.Cosp7:
    """The reference resolution's history (COSP 7, enhancing synergies), decided in memory."""
    return cosp7.build()


@pytest.fixture
async def cosp7_log(pool: asyncpg.Pool, cosp7_scenario: cosp7.Cosp7) -> cosp7.Logged:
    """The reference resolution's history, appended to the test database's audit log."""
    return cosp7.Logged(cosp7_scenario, await cosp7.append(pool, cosp7_scenario))


@pytest.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[Smtp]:
    """A recording SMTP server on a free loopback port."""
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
    """The contact directory of ``CONTACTS_CSV``, imported."""
    store = ContactStore(pool)
    await store.import_contacts(parse_contacts_csv(CONTACTS_CSV))
    return store


@pytest.fixture
def dispatcher(pool: asyncpg.Pool, smtp: Smtp) -> Callable[..., Dispatcher]:
    """A dispatcher to the test's SMTP server (policy fields may be overridden)."""

    def make(after_send: Any = None, **policy: Any) -> Dispatcher:
        defaults: dict[str, Any] = {"retry_base": timedelta(minutes=1), "max_attempts": 5}
        links = AnswerLinks(LINK_SECRET, CONSOLE_URL, ConsoleStore(pool))
        return Dispatcher(
            pool, smtp.server, DeliveryPolicy(**(defaults | policy)), after_send=after_send, links=links
        )

    return make
