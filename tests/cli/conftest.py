"""Fixtures of the CLI tests: the reference resolution's log, projected, and the command run
in process against the test database."""

from __future__ import annotations

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from cli.app import app
from projections import Projector
from store.audit import StoredEvent
from tests.support import cosp7
from tests.support.cli import Invoke, activated
from tests.support.database import Database


@pytest.fixture
async def logged(pool: asyncpg.Pool) -> list[StoredEvent]:
    return await cosp7.append(pool, cosp7.build())


@pytest.fixture
async def projected(pool: asyncpg.Pool, logged: list[StoredEvent]) -> list[StoredEvent]:
    await Projector(pool).catch_up()
    return logged


@pytest.fixture
def mandates(database: Database, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("DATABASE_ADMIN_URL", database.admin_dsn)
    activated(monkeypatch)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke
