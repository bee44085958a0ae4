"""Fixtures of the CLI tests: the reference resolution's log, projected; the command run in
process against the test database, or as a process steering the test worker's mandates."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from cli.app import app
from projections import Projector
from store.audit import StoredEvent
from tests.support import cosp7
from tests.support.cli import Command, Invoke, activated
from tests.support.database import Database
from tests.support.temporal import Engine


@pytest.fixture
async def logged(pool: asyncpg.Pool) -> list[StoredEvent]:
    return await cosp7.append(pool, cosp7.build())


@pytest.fixture
async def projected(pool: asyncpg.Pool, logged: list[StoredEvent]) -> list[StoredEvent]:
    await Projector(pool).catch_up()
    return logged


@pytest.fixture
def mandates(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("DATABASE_ADMIN_URL", database.admin_dsn)
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))  # (no dev stack's identities)
    for name in ("MANDATES_IDENTITIES", "MANDATES_USER"):
        monkeypatch.delenv(name, raising=False)
    activated(monkeypatch)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def command(database: Database, engine: Engine, tmp_path: Path) -> Command:
    """The installed command, as a process, steering the mandates of the test's worker (on
    the time-skipping server) and reading the test's database; no identities: the typed
    name is recorded, as the worker of the tests checks none."""
    return Command.against(database.app_dsn, engine.client, engine.task_queue, tmp_path / "data")
