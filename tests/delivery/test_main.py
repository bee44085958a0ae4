"""`python -m delivery` as the dev stack runs it: the dispatcher process delivers to the mail
sink process (`python -m devstack.mail_sink`), marks the row sent, and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from devstack.mailbox import list_mail
from devstack.processes import free_port, port_answers
from domain.contacts import parse_contacts_csv
from store.contacts import ContactStore
from store.notifications import NotificationOutbox
from tests.support.database import Database
from tests.support.mail import OECD, consultation_mandate, enqueue, reminder


@pytest.fixture
async def processes() -> AsyncIterator[list[Process]]:
    """Processes a test starts, stopped (by their own pid) when it ends."""
    started: list[Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_the_dispatcher_process_delivers_to_the_sink_process(
    database: Database, pool: asyncpg.Pool, tmp_path: Path, processes: list[Process]
) -> None:
    await ContactStore(pool).import_contacts(
        parse_contacts_csv(f"name,role,email\n{OECD},party,wgb@oecd.example\n")
    )
    mandate = consultation_mandate(start=datetime.now(UTC) - timedelta(days=20))  # reminder due
    await enqueue(NotificationOutbox(pool), mandate, reminder(mandate, 5, 14, [OECD]))
    port = free_port()
    env = {
        **os.environ,
        "MANDATES_DATA_DIR": str(tmp_path),
        "MANDATES_SMTP_PORT": str(port),
        "DATABASE_URL": database.app_dsn,
        "MANDATES_MAIL_POLL_SECONDS": "0.2",
        "LOG_FORMAT": "json",
    }
    env.pop("MANDATES_SMTP_HOST", None)
    log = tmp_path / "processes.log"
    for module in ("devstack.mail_sink", "delivery"):
        with log.open("ab") as out:
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", module, env=env, stdout=out, stderr=out
                )
            )
        if module == "devstack.mail_sink":
            await wait_for(lambda: port_answers(port), "the sink's port", processes, log)

    await wait_for(lambda: list_mail(tmp_path / "mail"), "a message in the sink", processes, log)
    (received,) = list_mail(tmp_path / "mail")
    assert received.to == "wgb@oecd.example" and received.subject.startswith("Reminder:")
    for _ in range(100):  # the dispatcher marks it sent once the sink has answered
        (row,) = await NotificationOutbox(pool).for_mandate(mandate.id)
        if row.sent_at is not None:
            break
        await asyncio.sleep(0.1)
    assert row.sent_at is not None and row.attempts == 1

    for process in processes:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
    output = log.read_text()
    assert "dispatcher stopped" in output and "mail sink stopped" in output


async def wait_for(check: Callable[[], object], what: str, processes: list[Process], log: Path) -> None:
    """Poll ``check`` for up to 20 s; fail at once with the log if a process died."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if check():
            return
        if any(p.returncode is not None for p in processes):
            raise AssertionError(f"a process exited: {_tail(log)}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {what} within 20s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text()[-2000:]
