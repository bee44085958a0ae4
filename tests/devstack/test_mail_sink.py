"""The dev mail sink (devstack/mail_sink.py): one copy per Message-ID, listed by
devstack/mailbox.py and `mandates dev mail`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from devstack.mail_sink import MailSink
from devstack.mailbox import list_mail


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
