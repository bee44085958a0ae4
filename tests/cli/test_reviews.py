"""``mandates reviews`` and ``mandates calendar --reviews`` on the test database and the test
Temporal server (the real worker records the imports): the figures worked out by hand as JSON,
CSV safe for a spreadsheet, a bad file refused with one line per problem, and a questionnaire
answered with ``mandates respond --file answers.json|.csv``."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import asyncpg
import pytest
from typer.testing import Result

from cli import reviews as reviews_cli
from config.codec import format_keys
from tests.support.cli import Invoke
from tests.support.mandates import make_mandate
from tests.support.questionnaires import GRECO, OECD, good_answers, questionnaire_plan
from tests.support.reviews import (
    FORMULA,
    burden_by_hand,
    calendar_csv,
    overlaps_by_hand,
    summer_burden_by_hand,
    to_csv,
)
from tests.support.temporal import TEST_KEYS, Engine
from tests.support.workflows import start, state_of


@pytest.fixture
def cli(mandates: Invoke, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """The command, with the test Temporal server, its codec key and the worker's task queue."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", engine.client.service_client.config.target_host)
    monkeypatch.setenv("MANDATES_CODEC_KEYS", format_keys(TEST_KEYS.keys))
    monkeypatch.setenv("MANDATES_CODEC_KEY_ID", "test")
    monkeypatch.setenv("MANDATES_TASK_QUEUE", engine.task_queue)
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MANDATES_USER", "coordinator")

    async def run(*args: str):
        return await asyncio.to_thread(mandates, *args)

    return run  # type: ignore[return-value]


def error_lines(result: Result, code: int = 1) -> list[str]:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines), lines
    return [line.removeprefix("error: ") for line in lines]


async def test_the_calendar_from_the_command_line(cli: Invoke, tmp_path: Path, pool: asyncpg.Pool) -> None:
    calendar = tmp_path / "calendar.csv"
    calendar.write_bytes(calendar_csv())
    imported = await cli("reviews", "import", str(calendar))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith(
        "calendar.csv: 42 rows: 42 scheduled, 0 changed, 0 withdrawn, 0 unchanged;"
    )
    again = await cli("reviews", "import", str(calendar))
    assert "nothing new to record" in again.stdout

    overlaps = await cli("reviews", "overlaps", "--json")
    assert json.loads(overlaps.stdout) == overlaps_by_hand()
    revealed = await cli("reviews", "overlaps", "--json", "--confidential")
    assert json.loads(revealed.stdout) == overlaps_by_hand(reveal=True)
    assert json.loads((await cli("reviews", "burden", "--json")).stdout) == burden_by_hand()
    summer = await cli("reviews", "burden", "--json", "--from", "2027-06-01", "--to", "2027-08-31")
    assert json.loads(summer.stdout) == summer_burden_by_hand()
    table = (await cli("reviews", "overlaps", "--state", "Mexico")).stdout
    assert "1 d apart" in table and "overlap 3 d" in table and "overlap 2 d" in table
    rows = list(csv.reader(io.StringIO((await cli("reviews", "overlaps", "--csv")).stdout)))
    assert rows[0][:2] == ["state", "a_mechanism"] and len(rows) == 1 + 8
    assert rows[2][6] == "a confidential review" and rows[2][-1] == ""  # Brazil: the OECD's visit, hidden

    out = tmp_path / "reviews.ics"
    exported = await cli("calendar", "--reviews", "--out", str(out))
    assert exported.stdout.strip() == f"41 review stages (1 confidential left out) written to {out}"
    assert "'=HYPERLINK" in out.read_bytes().decode().replace("\r\n ", "")
    bad = await cli("calendar", "--state", "Austria", "--out", str(out))
    assert bad.exit_code == 2 and "--state goes with --reviews" in bad.stderr
    export = await cli("reviews", "overlaps", "--csv", "--confidential")
    assert export.exit_code == 2 and "--csv is an export" in export.stderr
    assert "no review costs answered yet" in (await cli("reviews", "costs")).stdout


async def test_a_bad_calendar_file_is_one_line_per_problem_and_records_nothing(
    cli: Invoke, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        to_csv(
            [
                ("GRECO", "France", "r5", "visit", "2027-02-01", "2027-01-01", "", ""),
                ("GRECO", FORMULA, "r5", "visit", "2027-01-01", "2027-01-02", "", ""),
                ("GRECO", "Spain", "r5", "visit", "2027-01-01", "2027-1-2", "", ""),
            ]
        )
    )
    assert error_lines(await cli("reviews", "import", str(bad))) == [
        "line 2: end (2027-01-01) is before start (2027-02-01)",
        "line 3: state starts with '=', which a spreadsheet would run as a formula",
        "line 4: end '2027-1-2' is not a date (YYYY-MM-DD)",
    ]
    missing = tmp_path / "missing.csv"
    missing.write_text("mechanism,state,cycle,stage\n")
    assert error_lines(await cli("reviews", "import", str(missing))) == [
        "line 1: the header lacks the column 'start'",
        "line 1: the header lacks the column 'end'",
    ]
    nowhere = error_lines(await cli("reviews", "import", str(tmp_path / "nowhere.csv")), code=2)
    assert nowhere == [f"cannot read {tmp_path / 'nowhere.csv'}: No such file or directory"]
    assert await pool.fetchval("SELECT count(*) FROM audit_events") == 0


async def test_a_questionnaire_answered_from_files(
    cli: Invoke, engine: Engine, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    mandate = make_mandate("questionnaire-cli", questionnaire_plan())
    handle = await start(engine, mandate)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(good_answers(contact="", cost="52000")))
    refused = await cli("respond", mandate.id, "--party", GRECO, "--file", str(answers))
    assert error_lines(refused) == [
        "contact: required",
        "cost: is not an amount with its currency (e.g. 1500 EUR)",
    ]
    version = (await state_of(handle)).version
    answers.write_text(json.dumps(good_answers()))
    recorded = await cli("respond", mandate.id, "--party", GRECO, "--file", str(answers))
    assert recorded.exit_code == 0, recorded.output
    assert "recorded ResponseReceived" in recorded.stdout
    assert (await state_of(handle)).version == version + 1
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("state,round,stage,start,end\nFrance,phase 4,on-site visit,2027-06-20,2027-06-24\n")
    first = await cli("respond", mandate.id, "--party", OECD, "--file", str(schedule))
    assert error_lines(first)[:2] == ["contact: required", "cost: required"]
    wrong_table = await cli("respond", mandate.id, "--party", OECD, "--file", str(schedule), "--table", "x")
    assert error_lines(wrong_table) == [
        "schedule.csv: 'x' is not a table of this form (its tables: schedule; --table ID)"
    ]
    overlaps = await cli("reviews", "overlaps", "--json")
    assert json.loads(overlaps.stdout) == []  # GRECO's visits to Austria and France are far apart
    burden = json.loads((await cli("reviews", "burden", "--json")).stdout)
    assert [(b["state"], b["mechanisms"], b["days_under_review"]) for b in burden] == [
        ("France", [GRECO], 30),
        ("Austria", [GRECO], 5),
    ]
    costs = (await cli("reviews", "costs")).stdout
    assert "52,000.00" in costs and GRECO in costs


def test_every_csv_cell_is_safe_for_a_spreadsheet() -> None:
    rows = list(
        csv.reader(io.StringIO(reviews_cli._csv([["state", "notes"], ["France", FORMULA], ["-", "@x"]])))
    )
    assert rows == [["state", "notes"], ["France", "'" + FORMULA], ["'-", "'@x"]]
