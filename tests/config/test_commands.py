"""The `mandates` command as a person can run it from where they are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from config.commands import mandates_command, with_command
from config.settings import Settings
from delivery.dispatcher import DeliveryPolicy

INSTALLED = Path(sys.executable).parent / "mandates"


def test_on_path_it_is_mandates() -> None:
    assert mandates_command(path=str(INSTALLED.parent)) == "mandates"


def test_off_path_it_is_the_installed_command_by_its_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "bin"
    elsewhere.mkdir()
    (elsewhere / "mandates").write_text("#!/bin/sh\n")
    (elsewhere / "mandates").chmod(0o755)
    project = INSTALLED.parent.parent.parent  # (the folder that holds .venv/)

    # another `mandates` on PATH is not this installation's
    assert mandates_command(cwd=project, path=str(elsewhere)) == str(INSTALLED.relative_to(project))
    assert mandates_command(cwd=project, path="") == str(INSTALLED.relative_to(project))
    assert mandates_command(cwd=tmp_path, path="") == str(INSTALLED.absolute())
    assert mandates_command(cwd=INSTALLED.parent, path="") == "./mandates"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no mandate 'x' (see `mandates list`)", "no mandate 'x' (see `.venv/bin/mandates list`)"),
        ("run `mandates`", "run `.venv/bin/mandates`"),
        ("mandates list and `mandates_by_status`", "mandates list and `mandates_by_status`"),
    ],
)
def test_hints_name_the_command_as_it_runs(text: str, expected: str) -> None:
    assert with_command(text, ".venv/bin/mandates") == expected
    assert with_command(text, "mandates") == text


def test_the_dispatcher_names_it_as_the_stack_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.chdir(INSTALLED.parent.parent.parent)

    policy = DeliveryPolicy.from_settings(Settings())

    assert policy.command == str(INSTALLED.relative_to(INSTALLED.parent.parent.parent))
