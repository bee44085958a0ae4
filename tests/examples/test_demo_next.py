"""What `make demo` (and `make next`) suggests trying next: examples/demo_next.py."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

from examples.demo_next import hints

M = ".venv/bin/mandates"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
P1, P3 = "mandate-cosp-7-enhancing-synergies-para-1", "mandate-cosp-7-enhancing-synergies-para-3"


def step(step_id: str, type_: str, status: str = "pending", **fields: Any) -> dict[str, Any]:
    return {"step_id": step_id, "title": step_id, "type": type_, "status": status, "deadline": None,
            "parties": [], "approvers": [], "approvals": []} | fields  # fmt: skip


def para1(current: str, status: str = "active") -> dict[str, Any]:
    steps = [
        step("identify-interlocutors", "task"),
        step("dialogue-consultation", "consultation",
             parties=[{"party": "States parties", "status": "answered"},
                      {"party": "OAS (MESICIC)", "status": "awaiting"}]),
        step("approve-dialogue-summary", "approval", approvers=["chief.of.section"]),
    ]  # fmt: skip
    for s in steps:
        s["status"] = "active" if s["step_id"] == current else s["status"]
    return {"mandate_id": P1, "status": status, "current_step": current, "steps": steps}


def para3(deadline: datetime, reminded_at: datetime | None = None) -> dict[str, Any]:
    timeline = [{"type": "ReminderDue", "at": reminded_at.isoformat()}] if reminded_at else []
    consult = step("request-information", "consultation", "active", deadline=deadline.isoformat())
    return {"mandate_id": P3, "status": "active", "current_step": "request-information",
            "steps": [consult], "timeline": timeline}  # fmt: skip


def commands(lines: list[str]) -> list[list[str]]:
    return [shlex.split(line.split("  #")[0]) for line in lines if line.startswith(f"  {M} ")]


def test_each_hint_names_the_step_it_acts_on() -> None:
    """A hint run twice must be refused (naming the step reached), not complete the next step."""
    first = commands(hints(M, para1("identify-interlocutors"), para3(NOW + timedelta(days=14)), NOW))
    (complete,) = [c for c in first if c[1] == "complete"]
    assert complete[2:5] == [P1, "--step", "identify-interlocutors"]
    assert complete[complete.index("--cost") + 1] == "1500 USD"  # (a cost names its currency)

    later = commands(hints(M, para1("dialogue-consultation"), para3(NOW + timedelta(days=14)), NOW))
    (respond,) = [c for c in later if c[1] == "respond"]
    assert respond[2:] == [P1, "--step", "dialogue-consultation", "--party", "OAS (MESICIC)", "--text",
                           "We welcome the dialogue."]  # fmt: skip
    approving = commands(hints(M, para1("approve-dialogue-summary"), para3(NOW), NOW))
    assert [c[1:5] for c in approving if c[1] in ("approve", "reject")] == [
        ["approve", P1, "--step", "approve-dialogue-summary"],
        ["reject", P1, "--step", "approve-dialogue-summary"],
    ]
    done = commands(hints(M, para1("approve-dialogue-summary", status="completed"), para3(NOW), NOW))
    assert not [c for c in done if c[1] in ("complete", "respond", "approve", "reject")]


def test_the_reminder_note_says_where_the_first_reminder_is() -> None:
    deadline = NOW + timedelta(days=14, minutes=2)
    fresh = "\n".join(hints(M, para1("identify-interlocutors"), para3(deadline), NOW))
    assert "paragraph 3's first arrives at 09:02 UTC (in about 2 minutes)" in fresh

    # `make demo` again an hour later, once the reminder went out: no "two minutes" any more
    again = "\n".join(
        hints(
            M,
            para1("identify-interlocutors"),
            para3(deadline, NOW + timedelta(minutes=2)),
            NOW + timedelta(hours=1),
        )
    )
    assert "went out at 09:02 UTC on 2027-01-04" in again and "minutes" not in again


def test_the_demo_writes_its_report_under_the_data_folder() -> None:
    lines = commands(hints(M, para1("identify-interlocutors"), para3(NOW), NOW))
    (report,) = [c for c in lines if c[1] == "report"]
    assert report[report.index("--out") + 1].startswith(".data/")
