"""What a person hands the CLI, and what the CLI shows back: files read with a limit and
refused in one line, values refused before anything is sent, reports written whole, and no
escape sequence from the log ever reaching the terminal.

Against the test database; Temporal is an address where nothing listens, so a command that
got as far as sending would fail saying it cannot reach it (none of these does).
"""

from __future__ import annotations

import ast
import base64
import json
import os
import resource
import signal
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from cli.app import run_cli
from devstack.processes import free_port
from domain.decide import CompleteTask, Withdraw
from domain.vocabulary import MandateKind
from projections import Projector
from store.audit import AuditStore
from tests.support.database import Database
from tests.support.mandates import T0, make_mandate
from tests.support.stories import Story, append_batches

ROOT = Path(__file__).resolve().parents[2]
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b1m\u202e"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.fixture
def cli_env(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_ADMIN_URL", "MANDATES_IDENTITY_TOKEN_FILE", "MANDATES_IDENTITIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("MANDATES_CODEC_KEYS", "k1:" + base64.b64encode(b"k" * 32).decode())
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MANDATES_USER", "tester")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "resolution.txt").write_text(
        "The Conference,\n\n1. Requests the secretariat to continue the dialogue with States parties;\n"
    )
    return tmp_path


def mandates(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0].removeprefix("error: ")


# --- files are read with a limit ----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["respond", "mandate-x-para-1", "--party", "Austria", "--file", "{link}"],
        ["import", "{link}"],
        ["import", "resolution.txt", "--plan", "{link}"],
        ["contacts", "import", "{link}"],
    ],
)
def test_a_file_that_never_ends_is_refused_not_read_until_memory_runs_out(
    cli_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    link = cli_env / "endless.csv"
    link.symlink_to("/dev/zero")

    code, _, err = mandates(capsys, *[a.replace("{link}", str(link)) for a in argv])

    assert code == 1
    assert one_line(err).startswith(f"{link} is larger than ")


# --- values are refused before anything is sent ---------------------------------------------


def test_a_response_file_holding_nul_is_refused_naming_the_option(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack of the issue: `printf 'a\\x00b' > f; mandates respond ID --party P --file f`
    hung for good; now one line, before Temporal is asked anything."""
    (cli_env / "f").write_bytes(b"a\x00b")

    code, _, err = mandates(capsys, "respond", "mandate-x-para-1", "--party", "P", "--file", "f")

    assert code == 2
    assert one_line(err) == "--file: holds a NUL character (U+0000) at character 2"


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["complete", "m", "--outcome", "done", "--cost", "1e200000 EUR"],
         "--cost: input should be less than or equal to 1000000000000"),
        (["complete", "m", "--outcome", "done", "--effort-days", "0.0000001"],
         "--effort-days: has more than 6 decimal places"),
        (["extend", "m", "--until", "9999-12-31", "--reason", "later"],
         "--until: is too far in the future (a deadline falls before the year 9000)"),
        (["approve", "m", "--as", "Eve\r\nBcc: x@example.org"],
         "--as: holds a line break (U+000D) at character 4"),
        (["withdraw", "m", "--reason", "a\x1bb\ufffe"],
         "--reason: holds a Unicode noncharacter (U+FFFE) at character 4"),
    ],
)  # fmt: skip
def test_a_value_past_the_rules_is_refused_in_one_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    code, _, err = mandates(capsys, *argv)

    assert code == 2
    assert one_line(err) == reason


def test_a_plan_naming_a_party_with_nul_starts_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second attack of row 6: `import --start` printed "started" and the mandate hung."""
    plan = {"steps": [{"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                       "parties": ["States\x00parties"]}]}  # fmt: skip
    (cli_env / "plan.json").write_text(json.dumps(plan))

    code, out, err = mandates(capsys, "import", "resolution.txt", "--start", "--plan", "plan.json")

    assert code == 1
    assert one_line(err) == "steps.0.parties.0: holds a NUL character (U+0000) at character 7"
    assert "started" not in out


# --- a report is written whole or not at all -------------------------------------------------


def _small_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))  # no file of this process grows past 1 kB
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # (a write past it fails, the process lives on)


def test_a_report_that_cannot_be_written_whole_leaves_the_old_one(
    escapes_logged: str, database: Database, tmp_path: Path
) -> None:
    """The report (some 3 kB) meets a file size limit of 1 kB: the write fails, as on a
    full disk; the report of last week is still there, whole."""
    out = tmp_path / "report.md"
    out.write_text("the report of last week\n")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_ADMIN_URL"}
    env.update(DATABASE_URL=database.app_dsn, PYTHONDONTWRITEBYTECODE="1")

    result = subprocess.run(
        [sys.executable, "-m", "cli.app", "report", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=_small_files,
    )  # fmt: skip

    assert result.returncode == 1
    assert one_line(result.stderr).startswith(f"cannot write {out}: File too large")
    assert out.read_text() == "the report of last week\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no part file left behind


# --- what the log holds reaches the terminal as text, never as control --------------------


def logged_story() -> Story:
    """A mandate whose log holds escape sequences wherever a person's text goes."""
    story = Story(
        make_mandate("terminal", paragraph=1, kinds=(MandateKind.REPORTING,), symbol=f"7/6 {ESCAPES}")
    )
    story.do(
        CompleteTask(by="j.doe", outcome=f"compiled {ESCAPES}", cost=Decimal(10), effort_days=Decimal(1)),
        T0 + timedelta(days=1),
    )
    story.do(Withdraw(reason=f"superseded {ESCAPES}", by="coordinator"), T0 + timedelta(days=2))
    return story


@pytest.fixture
async def escapes_logged(pool: asyncpg.Pool, database: Database, monkeypatch: pytest.MonkeyPatch) -> str:
    story = logged_story()
    await append_batches(AuditStore(pool), story.batches)
    await Projector(pool).catch_up()
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.delenv("DATABASE_ADMIN_URL", raising=False)
    return story.mandate_id


@pytest.mark.parametrize(
    "argv",
    [["show", "{id}"], ["audit", "log", "{id}"], ["list"], ["report"], ["report", "--format", "html"]],
)
def test_no_escape_sequence_reaches_the_terminal(
    escapes_logged: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = mandates(capsys, *[a.replace("{id}", escapes_logged) for a in argv])

    assert code == 0, err
    assert not any(raw in out or raw in err for raw in RAW)
    assert "\\x1b" in out  # shown as its code


@pytest.mark.parametrize(
    "argv", [["show", "{id}", "--json"], ["audit", "log", "{id}", "--json"], ["list", "--json"]]
)
def test_json_output_holds_the_text_exactly_and_no_raw_control(
    escapes_logged: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, _ = mandates(capsys, *[a.replace("{id}", escapes_logged) for a in argv])

    assert code == 0
    assert not any(raw in out for raw in RAW)
    assert any(ESCAPES in text for text in strings(json.loads(out)))  # the data itself is kept


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_every_printer_of_the_cli_goes_through_the_sanitising_one() -> None:
    """Only cli/output.py writes to the terminal (``echo``, ``print_json``, ``fail``)."""
    writers = []
    for path in sorted((ROOT / "cli").glob("*.py")):
        if path.name == "output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called in ("print", "typer.echo", "typer.secho", "click.echo", "sys.stdout.write"):
                    writers.append(f"{path.name}:{node.lineno} {called}")
    assert writers == []
