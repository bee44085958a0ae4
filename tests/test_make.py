"""What a newcomer meets first: the Makefile's installs and demo, and the README's commands."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def make_dry_run(*targets: str) -> list[str]:
    """The commands ``make`` would run for ``targets`` (all of them: as if nothing were made)."""
    done = subprocess.run(
        ["make", "-n", "-B", *targets], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.splitlines()


def test_the_installs_are_quiet_the_build_backends_warnings_too() -> None:
    """pip's --quiet left setuptools' editable-install banner (a Python warning of the build
    backend, in pip's subprocess) on the terminal."""
    installs = [line for line in make_dry_run("install") if " pip " in f" {line} " and " install " in line]
    assert len(installs) == 2, installs
    for line in installs:
        assert line.startswith("PYTHONWARNINGS=ignore ") and " --quiet " in line, line


def test_the_demo_leaves_the_checkout_clean_and_the_readme_says_how_to_remove_its_data() -> None:
    """The demo's report hint wrote report.html into the checkout, which git did not ignore."""
    demo = "\n".join(make_dry_run("demo"))
    assert "examples/demo_next.py" in demo  # (its hints: tests/examples/test_demo_next.py)
    for written in ("report.html", "report.md", ".data/report.html"):
        ignored = subprocess.run(["git", "check-ignore", "-q", written], cwd=ROOT, check=False, timeout=30)
        assert ignored.returncode == 0, f"{written} is not ignored by git"
    assert "make clean" in README and "make next" in README and "make stack-down" in README


def readme_commands() -> list[tuple[list[str], list[str]]]:
    """Each command of the README's "Using it" block: its words and the options it shows."""
    block = README.split("## Using it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    found = []
    for line in block.splitlines():
        if not line.startswith("$M "):
            continue
        for part in re.split(r" \| (?=[a-z])", line.split("#", 1)[0].removeprefix("$M ")):
            words = shlex.split(part.replace("(", " ").replace(")", " ").replace("[", " ").replace("]", " "))
            path = []
            for word in words:
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                path.append(word)
            found.append((path, re.findall(r"(?<![\w-])--[a-z][a-z-]*", part)))
    return found


@pytest.mark.parametrize(("path", "options"), readme_commands(), ids=lambda v: " ".join(v) if v else "-")
def test_every_command_and_option_the_readme_shows_exists(path: list[str], options: list[str]) -> None:
    shown = CliRunner().invoke(app, [*path, "--help"])

    assert shown.exit_code == 0, (path, shown.output)
    for option in options:
        assert re.search(rf"(?<![\w-]){option}(?![\w-])", shown.output), f"{' '.join(path)} has no {option}"
