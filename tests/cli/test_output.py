"""How the CLI speaks: bad usage is one line and exit 2, and help reads as plain text."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.app import app, run_cli

BOX = re.compile("[\u2500-\u257f]")  # box-drawing characters
TYPE_TAG = re.compile(r"<(str|bool|int|float|path|float range|int range)>")


def command_paths(group: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group of the tree, as the words that name it."""
    yield path
    for name, command in sorted(getattr(group, "commands", {}).items()):
        yield from command_paths(command, (*path, name))


PATHS = list(command_paths(typer.main.get_command(app)))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["approve"], "missing argument 'ID' (see `mandates approve --help`)"),
        (["reject", "m", "--as", "chief"], "missing option '--comment' (see `mandates reject --help`)"),
        (["complete", "m"], "missing option '--outcome' (see `mandates complete --help`)"),
        (["list", "--status"], "option '--status' requires an argument"),
        (["list", "--colour"], "no such option: --colour"),
        (["report", "--format", "pdf"], "invalid value for '--format': 'pdf' is not one of 'md', 'html'"),
        (["extend", "m", "--until", "2027-01-01", "--reason", "r", "--timeout", "0"], "'--timeout'"),
        (["nosuch"], "no such command 'nosuch' (see `mandates --help`)"),
        (["audit", "verify", "extra"], "got unexpected extra argument(s) (extra)"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], says: str
) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # (the installed `mandates`)

    code = run_cli(argv)

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert says in lines[0]
    assert not BOX.search(err)


def test_a_hint_names_the_command_as_it_runs_from_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off PATH (a checkout's .venv, not activated), a hint saying `mandates ...` would name a
    command that does not exist: it names the installed one by its path."""
    project = Path(sys.executable).parent.parent.parent
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.chdir(project)
    installed = str((Path(sys.executable).parent / "mandates").relative_to(project))

    code = run_cli(["approve"])

    assert code == 2
    assert f"(see `{installed} approve --help`)" in capsys.readouterr().err


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "mandates" for p in PATHS])
def test_help_is_plain_text_with_whole_sentences(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])

    assert result.exit_code == 0, result.output
    help_text = result.output
    assert not BOX.search(help_text), help_text
    assert not TYPE_TAG.search(help_text), help_text
    usage = help_text.splitlines()[0]
    assert "{" not in usage, usage
    listed = help_text.partition("\nCommands:\n")[2]
    # each command's line is its first sentence, whole: it ends the sentence, never "..."
    entries = re.split(r"\n  (?=\S)", "\n" + listed.rstrip())[1:]
    for entry in entries:
        text = " ".join(entry.split()[1:])
        assert not text.endswith("..."), entry
        assert text.endswith((".", ")")), entry
