"""Shared fixtures: a real Postgres (embedded, or the server of DATABASE_URL) with the
engine's migrations applied, and a fresh database per test.

The embedded server requires a password of every connection, as the dev stack's does; its
application role is given the superuser's (a server made for one session of tests)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from config.settings import APP_ROLE
from devstack.postgres import EmbeddedPostgres, set_password
from devstack.processes import ManagedProcess
from store.audit import AuditStore
from store.migrate import apply_migrations
from store.signing import PublicKeys, Signer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _with_user(url: str, user: str) -> str:
    """``url`` as ``user`` (with the URL's password: the embedded server gives the
    application role the superuser's)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    credentials = f"{user}:{parts.password}" if parts.password else user
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))


def _external() -> str | None:
    return os.environ.get("DATABASE_ADMIN_URL") or os.environ.get("DATABASE_URL")


@dataclass(frozen=True)
class Database:
    """One migrated database for one test."""

    name: str
    admin_dsn: str
    app_dsn: str


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
        conn = await asyncpg.connect(_with_database(postgres_admin_url, name))
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
        admin_dsn = _with_database(postgres_admin_url, name)
        yield Database(name, admin_dsn, _with_user(admin_dsn, APP_ROLE))
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
