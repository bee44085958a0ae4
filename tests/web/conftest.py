"""The console's tests run against one real dev stack (Temporal dev server, Postgres, worker,
mail sink, dispatcher and the console itself, each a process on 127.0.0.1), started once for
the tests of this folder with people of its own: a coordinator, an approver, an outsider."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.processes import free_port
from tests.support.console import PEOPLE, ConsoleStack, write_identities

pytestmark = pytest.mark.devstack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    data = tmp_path_factory.mktemp("console-stack") / "data"
    identities = write_identities(data / "people.json")
    external = {"DATABASE_URL", "DATABASE_ADMIN_URL", "TEMPORAL_ADDRESS", "MANDATES_IDENTITIES"}
    env = {k: v for k, v in os.environ.items() if k not in external}
    web_port = free_port()
    env.update(
        MANDATES_DATA_DIR=str(data),
        MANDATES_IDENTITIES=str(identities),
        MANDATES_PG_PORT=str(free_port()),
        MANDATES_TEMPORAL_PORT=str(free_port()),
        MANDATES_UI_PORT=str(free_port()),
        MANDATES_SMTP_PORT=str(free_port()),
        MANDATES_CODEC_PORT=str(free_port()),
        MANDATES_WEB_PORT=str(web_port),
        MANDATES_MAIL_POLL_SECONDS="0.5",
        MANDATES_TASK_QUEUE="console-tests",
        MANDATES_USER=PEOPLE["coordinator"].person,
    )
    running = ConsoleStack(env, data, f"http://127.0.0.1:{web_port}")
    up = running.cli("dev", "up", "--detach", timeout=240)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        contacts = running.cli("contacts", "import", str(Path("examples/contacts.csv").resolve()))
        assert contacts.returncode == 0, contacts.stderr
        yield running
    finally:
        running.cli("dev", "down", timeout=60)
