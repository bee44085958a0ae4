"""The mail sink and the dispatcher as the dev stack runs them: `python -m devstack.mail_sink`
and `python -m delivery` as processes, `mandates dev mail`, and the stack's status rows."""

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
from typer.testing import CliRunner

from cli.app import app
from config.settings import Settings
from devstack.mail_sink import MailSink
from devstack.mailbox import list_mail
from devstack.processes import port_answers
from devstack.stack import PARTS, DevStack
from domain.contacts import parse_contacts_csv
from store.contacts import ContactStore
from store.notifications import NotificationOutbox
from tests.support.database import Database, free_port
from tests.support.mail import OECD, consultation_mandate, enqueue, reminder


def message(message_id: str, subject: str = "Hello") -> bytes:
    return (f"Message-ID: {message_id}\r\nSubject: {subject}\r\nTo: a@b.example\r\n\r\nbody\r\n").encode()


def test_the_sink_keeps_one_copy_per_message_id_and_lists_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = MailSink(tmp_path / "mail")
    assert sink.store(message("<one@x>", "First"), "from@x.example", ["a@b.example"]) is not None
    assert sink.store(message("<one@x>", "First again"), "from@x.example", ["a@b.example"]) is None
    assert sink.store(message("<two@x>", "Second"), "from@x.example", ["a@b.example", "c@d.example"])
    assert (sink.stored, sink.duplicates) == (2, 1)
    reopened = MailSink(tmp_path / "mail")  # a restarted sink still knows what it stored
    assert reopened.store(message("<two@x>"), "from@x.example", ["a@b.example"]) is None

    listed = list_mail(tmp_path / "mail")
    assert [(m.subject, m.to, m.message_id) for m in listed] == [
        ("First", "a@b.example", "<one@x>"),
        ("Second", "a@b.example, c@d.example", "<two@x>"),
    ]
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path))
    shown = CliRunner().invoke(app, ["dev", "mail"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].split() == ["TIME", "TO", "SUBJECT"] and "Second" in lines[2]
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "empty"))
    assert "no messages" in CliRunner().invoke(app, ["dev", "mail"]).output


def test_the_stack_has_a_mail_sink_and_a_dispatcher(tmp_path: Path) -> None:
    assert PARTS.index("mail") < PARTS.index("worker") < PARTS.index("dispatcher")
    port = free_port()
    rows = {r.name: r for r in DevStack(Settings(data_dir=tmp_path, smtp_port=port)).status()}
    assert (rows["mail"].state, rows["mail"].address) == ("down", f"127.0.0.1:{port}")
    assert rows["dispatcher"].state == "down"
    external = DevStack(Settings(data_dir=tmp_path, smtp_host_override="smtp.example.org", smtp_port=587))
    rows = {r.name: r for r in external.status()}
    assert (rows["mail"].state, rows["mail"].address) == ("external", "smtp.example.org:587")
    assert rows["dispatcher"].address == "smtp smtp.example.org:587"


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
