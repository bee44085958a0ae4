"""The coordinators' CLI end to end, as a newcomer runs it, against the real dev stack.

The tests share one dev stack (started once for the module); each works on a resolution of
its own, or counts what the log held before it, so that they pass in any order."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from devstack.processes import free_port
from tests.support.cli import MANDATES
from workflows.search_attributes import AWAITING_PARTIES

pytestmark = pytest.mark.devstack

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "resolutions" / "cosp-7-synergies.txt"
PARA = "mandate-cosp-7-enhancing-synergies-para-{}"


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MANDATES, *args], env={**self.env, **env}, capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    data = tmp_path_factory.mktemp("cli-stack")
    external = {"DATABASE_URL", "DATABASE_ADMIN_URL", "TEMPORAL_ADDRESS"}
    env = {k: v for k, v in os.environ.items() if k not in external}
    env.update(
        MANDATES_DATA_DIR=str(data / "data"),
        MANDATES_PG_PORT=str(free_port()),
        MANDATES_TEMPORAL_PORT=str(free_port()),
        MANDATES_UI_PORT=str(free_port()),
        MANDATES_SMTP_PORT=str(free_port()),
        MANDATES_CODEC_PORT=str(free_port()),
        MANDATES_WEB_PORT=str(free_port()),
        MANDATES_TASK_QUEUE="cli-e2e",
        MANDATES_USER="coordinator",
    )
    run = Cli(env)
    up = run("dev", "up", "--detach", timeout=240)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield run
    finally:
        run("dev", "down", timeout=60)


def recorded(cli: Cli) -> int:
    """How many events the stack's audit log holds (all verified)."""
    verify = cli("audit", "verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return int(json.loads(verify.stdout)["checked"])


def recorded_when_quiet(cli: Cli, wait: float = 60) -> int:
    """``recorded`` once the log has stopped growing: what earlier tests set going (request
    mails and the delivery attempts the dispatcher records after them) lands first."""
    deadline = time.monotonic() + wait
    count = recorded(cli)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = recorded(cli)
        if now == count:
            return count
        count = now
    raise AssertionError(f"the audit log kept growing for {wait:g} s")


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_bad_resolution_files_start_nothing(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.7\x00\x01\x02\xff")
    prose = tmp_path / "prose.txt"
    prose.write_text("The Conference,\n\nRecalling its earlier work,\n\nNoting the reports,\n")
    before = recorded_when_quiet(cli)

    assert "empty" in one_line_error(cli("import", str(empty), "--start"))
    assert "binary" in one_line_error(cli("import", str(binary), "--start"))
    assert "no operative paragraphs" in one_line_error(cli("import", str(prose), "--start"))
    assert "cannot read" in one_line_error(cli("import", str(tmp_path / "missing.txt")), code=2)
    assert recorded(cli) == before  # nothing was recorded


def test_unreachable_temporal_starts_nothing(cli: Cli) -> None:
    before = recorded_when_quiet(cli)
    line = one_line_error(
        cli("import", str(REFERENCE), "--start", TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")
    )
    assert "cannot reach Temporal" in line
    assert recorded(cli) == before  # nothing was recorded


def test_import_then_steer_a_mandate(cli: Cli) -> None:
    dry = cli("import", str(REFERENCE), "--json")
    assert dry.returncode == 0
    found = json.loads(dry.stdout)
    assert [p["verb"] for p in found] == ["requests", "invites", "calls upon", "calls upon", "requests"]

    first = cli("import", str(REFERENCE), "--start")
    assert first.returncode == 0, first.stderr
    assert "4 mandates started" in first.stdout
    again = cli("import", str(REFERENCE), "--start")
    assert again.returncode == 0
    assert again.stdout.count("already running") == 4 and "0 mandates started" in again.stdout

    para1 = PARA.format(1)
    done = cli(
        "complete", para1, "--outcome", "Interlocutors identified", "--effort-days", "2", "--cost", "1500 EUR"
    )
    assert done.returncode == 0, done.stderr
    assert "now at step dialogue-consultation" in done.stdout

    answered = cli("respond", para1, "--party", "States parties", "--text", "We welcome the dialogue.")
    assert answered.returncode == 0, answered.stderr
    assert "recorded ResponseReceived" in answered.stdout

    # Refusals: one line, exit 1, nothing recorded.
    # (an identity may act only as itself or its roles: the dev stack's person is no party)
    refused = one_line_error(cli("respond", para1, "--party", "Atlantis", "--text", "hi"))
    assert "may not act as 'Atlantis'" in refused
    twice = one_line_error(cli("respond", para1, "--party", "States parties", "--text", "twice"))
    assert "already answered" in twice and twice.endswith("(`--revise`)")  # says how to send it
    assert "approval" in one_line_error(cli("approve", para1, "--as", "chief.of.section"))
    assert "no mandate 'mandate-cosp-7-enhancing-synergies-para-9'" in one_line_error(
        cli("approve", PARA.format(9), "--as", "x")
    )
    assert "exactly one of --text or --file" in one_line_error(cli("respond", para1, "--party", "P"), code=2)
    assert "missing option '--outcome'" in one_line_error(cli("complete", para1), code=2)  # bad usage
    # approve acts as MANDATES_USER by default; the current step is named
    assert "the current step 'dialogue-consultation' is a consultation" in one_line_error(
        cli("approve", para1)
    )

    verified = cli("audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("ok: ")


def test_approval_by_the_named_approver_only(cli: Cli, tmp_path: Path) -> None:
    # A resolution of its own (the reference under another title), so that the test does not
    # depend on which of this module's tests started the reference's mandates.
    resolution = tmp_path / "approvals.txt"
    resolution.write_text(REFERENCE.read_text().replace("Enhancing synergies", "Enhancing approvals"))
    started = cli("import", str(resolution), "--start")
    assert started.returncode == 0 and "4 mandates started" in started.stdout, started.stderr
    para5 = "mandate-cosp-7-enhancing-approvals-para-5"
    compiled = cli("complete", para5, "--outcome", "Report compiled", "--effort-days", "3")
    assert compiled.returncode == 0, compiled.stderr
    # The compile step's content is the progress report, built from the audit log.
    saved = Path(compiled.stdout.split("compiled the progress report for this step: ")[1].splitlines()[0])
    assert saved.read_text().startswith("# Progress report to the Implementation Review Group")
    shown = json.loads(cli("show", para5, "--json").stdout)
    (step,) = [s for s in shown["steps"] if s["step_id"] == "compile-report"]
    assert saved.name in step["outcome"] and "sha256" in step["outcome"]
    assert "not an approver" in one_line_error(cli("approve", para5, "--as", "legal-affairs"))
    approved = cli("approve", para5, "--as", "chief.of.section", "--comment", "Good")
    assert approved.returncode == 0, approved.stderr
    assert "recorded Approved" in approved.stdout


def test_a_consultation_of_every_state_party_runs_on_the_real_server(cli: Cli, tmp_path: Path) -> None:
    """191 consulted parties: more names than a search attribute value holds (2,048 bytes),
    which a real Temporal server refuses by failing the workflow task, again and again."""
    resolution = tmp_path / "cooperation.txt"
    resolution.write_text(REFERENCE.read_text().replace("Enhancing synergies", "Enhancing cooperation"))
    parties = [f"State party {n:03d} (Plurinational Republic of)" for n in range(191)]
    consultation = {"type": "consultation", "id": "consult-states-parties", "title": "Consult them all",
                    "due_in_days": 60, "parties": parties}  # fmt: skip
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"paragraphs": {"3": {"steps": [consultation]}}}))
    mandate = "mandate-cosp-7-enhancing-cooperation-para-3"

    started = cli("import", str(resolution), "--start", "--plan", str(plan))
    assert started.returncode == 0, started.stderr
    answered = cli(
        "respond", mandate, "--party", parties[-1], "--text", "We concur.", "--as", "coordinator", timeout=60
    )
    assert answered.returncode == 0, answered.stderr  # the workflow runs: its tasks complete

    awaiting = asyncio.run(awaiting_parties(f"127.0.0.1:{cli.env['MANDATES_TEMPORAL_PORT']}", mandate))
    assert awaiting[: len(awaiting) - 1] == parties[: len(awaiting) - 1]  # as many as fit, in order
    assert awaiting[-1] == f"+{191 - 1 - (len(awaiting) - 1)} more"  # (one has answered)


async def awaiting_parties(address: str, workflow_id: str) -> list[str]:
    client = await Client.connect(address)
    described = await client.get_workflow_handle(workflow_id).describe()
    return list(described.typed_search_attributes.get(AWAITING_PARTIES) or [])
