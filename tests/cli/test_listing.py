"""`mandates list` and `mandates show` against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.audit import StoredEvent
from tests.support import cosp7
from tests.support.cli import Invoke

P1, P2, P3, P4, P5 = (f"mandate-cosp-7-enhancing-synergies-para-{n}" for n in range(1, 6))


def test_list_shows_every_mandate_and_filters(projected: list[StoredEvent], mandates: Invoke) -> None:
    result = mandates("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["MANDATE", "RESOLUTION", "PARA"]
    assert [line.split()[0] for line in lines[1:]] == [P1, P2, P3, P4, P5]
    assert "States parties" in next(line for line in lines if line.startswith(P2))
    assert result.stderr == ""

    listed = json.loads(mandates("list", "--json").stdout)
    assert [m["mandate_id"] for m in listed] == [P1, P2, P3, P4, P5]
    assert set(listed[0]) == {
        "mandate_id",
        "resolution",
        "paragraph",
        "kinds",
        "status",
        "current_step",
        "next_deadline",
        "overdue",
        "awaiting",
        "version",
    }
    by_id = {m["mandate_id"]: m for m in listed}
    assert by_id[P2]["current_step"] == "consult-states-parties-on-mou"
    assert by_id[P2]["awaiting"] == ["States parties"]
    assert by_id[P1]["awaiting"] == ["secretariat"]
    assert by_id[P4]["status"] == "followed" and by_id[P4]["current_step"] is None

    def ids(*args: str) -> list[str]:
        return [m["mandate_id"] for m in json.loads(mandates("list", "--json", *args).stdout)]

    assert ids("--status", "completed") == [P3, P5]
    assert ids("--kind", "mou_exploration") == [P2]
    assert ids("--overdue") == [P1, P2]  # their 2018 deadlines are long past
    assert ids("--status", "withdrawn") == []

    refused = mandates("list", "--status", "sleeping")
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        "error: unknown status 'sleeping' (expected active, completed, withdrawn, followed)"
    ]


def test_show_tells_state_steps_deadlines_who_is_silent_and_the_timeline(
    projected: list[StoredEvent],
    mandates: Invoke,
) -> None:
    result = mandates("show", P1)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "status: active" in text
    assert "current step: compile-report" in text
    assert "OAS (MESICIC): no answer" in text
    assert "Council of Europe (GRECO): answered 2018-02-18" in text
    assert "chief.of.section rejected approve-dialogue-summary" in text
    assert "total: 9.5 person-days · USD 1,850.00" in text

    shown = json.loads(mandates("show", P2, "--json").stdout)
    assert shown["awaiting"] == ["States parties"]
    assert [d["status"] for d in shown["deadlines"] if d["step_id"] == "draft-mou"] == ["extended", "met"]
    assert shown["timeline"][0] == {
        "position": 4,
        "version": 1,
        "type": "MandateStarted",
        "at": "2018-01-08T11:00:00Z",
        "actor": "mandate-engine",
        "summary": (
            "mandate started: cosp-7-enhancing-synergies para 2 (MoU exploration + reporting), 10 steps"
        ),
    }
    followed = json.loads(mandates("show", P4, "--json").stdout)
    assert followed["status"] == "followed" and followed["steps"] == []
    assert "States parties" in mandates("show", P4).stdout


def test_confidential_response_text_is_never_shown(projected: list[StoredEvent], mandates: Invoke) -> None:
    assert any(cosp7.CANARY in json.dumps(e.payload) for e in projected)
    outputs = [
        mandates("show", P3),
        mandates("show", P3, "--json"),
        mandates("list"),
        mandates("list", "--json"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert "CANARY" not in result.output
        assert "do not disclose" not in result.output
    timeline = json.loads(outputs[1].stdout)["timeline"]
    assert "response from Council of Europe (GRECO) to request-information (confidential, not shown)" in [
        t["summary"] for t in timeline
    ]


def test_show_prints_each_answer_and_a_confidential_one_only_to_who_may_read_it(
    projected: list[StoredEvent], mandates: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    public = mandates("show", P1).stdout
    assert "  States parties: answered 2018-02-07\n    Views of States parties on synergies\n" in public
    withheld = mandates("show", P3)
    length = len(cosp7.CANARY)
    assert f"  Council of Europe (GRECO): answered 2018-01-28\n    confidential: {length} characters\n" in (
        withheld.stdout
    )
    assert "CANARY" not in withheld.output
    as_json = json.loads(mandates("show", P3, "--json").stdout)
    greco = as_json["answers"]["request-information"][cosp7.GRECO]
    assert (greco["text"], greco["length"], greco["confidential"]) == (None, length, True)
    # without identities to judge by, the person running the command may ask for them
    assert cosp7.CANARY in mandates("show", P3, "--confidential").stdout

    # with identities, the mandate's coordinator and its approvers read them, no one else
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"identities": [
        {"person": "s.okafor", "roles": ["coordinator"], "token": "s" * 32},
        {"person": "intern", "roles": ["States parties"], "token": "i" * 32},
    ]}))  # fmt: skip
    identities.chmod(0o600)
    monkeypatch.setenv("MANDATES_IDENTITIES", str(identities))
    monkeypatch.setenv("MANDATES_USER", "s.okafor")
    assert cosp7.CANARY in mandates("show", P3).stdout
    monkeypatch.setenv("MANDATES_USER", "intern")
    refused = mandates("show", P3, "--confidential")
    assert "CANARY" not in refused.output and f"confidential: {length} characters" in refused.stdout


def test_an_unknown_mandate_is_one_line_and_exit_1(projected: list[StoredEvent], mandates: Invoke) -> None:
    result = mandates("show", "mandate-nope-para-9")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: no mandate 'mandate-nope-para-9' (see `mandates list`)"]


def test_list_says_when_the_read_models_lag_behind_the_log(
    logged: list[StoredEvent], mandates: Invoke
) -> None:
    result = mandates("list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert f"{len(logged)} events behind the audit log" in result.stderr
