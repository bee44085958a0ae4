"""`mandates report` against the test database: the golden files, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.app import app
from tests.support.cli import activated
from tests.support.cosp7 import GOLDEN, Logged
from tests.support.database import Database


@pytest.fixture
def runner(database: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("DATABASE_ADMIN_URL", database.admin_dsn)
    activated(monkeypatch)
    return CliRunner()


def report(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, ["report", *args])


def test_the_report_command_prints_or_writes_the_golden_report(
    cosp7_log: Logged, runner: CliRunner, tmp_path: Path
) -> None:
    printed = report(runner)
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == (GOLDEN / "cosp-7.md").read_text(encoding="utf-8")

    out = tmp_path / "report.html"
    written = report(runner, "--format", "html", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert written.stdout.strip() == f"report on 5 paragraphs written to {out}"
    assert out.read_bytes() == (GOLDEN / "cosp-7.html").read_bytes()

    quarter = report(runner, "--period", "2018-01-01..2018-03-31")
    assert quarter.stdout == (GOLDEN / "cosp-7-2018-q1.md").read_text(encoding="utf-8")

    one = report(runner, "--resolution", cosp7_log.scenario.slug)
    assert one.exit_code == 0 and f"resolution {cosp7_log.scenario.slug}" in one.stdout
    for result in (printed, quarter, one):
        assert "CANARY" not in result.output
    assert b"CANARY" not in out.read_bytes()


def test_report_refusals_are_one_line(cosp7_log: Logged, runner: CliRunner) -> None:
    unknown = report(runner, "--resolution", "cosp-9-civil-society")
    assert unknown.exit_code == 1
    assert unknown.stderr.splitlines() == [
        "error: no mandates of resolution 'cosp-9-civil-society' in the audit log (see `mandates list`)"
    ]
    bad = report(runner, "--period", "last year")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines() == [
        "error: period 'last year' is not FROM..TO (e.g. 2027-01-01..2027-12-31)"
    ]
