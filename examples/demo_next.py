"""Print what to try next after `make demo`, from where the demo's mandates stand now.

    python examples/demo_next.py .venv/bin/mandates

Run by `make demo` after the import, every time (and by `make next`): the hints name each command's step (so a
hint run twice is refused, naming the step the mandate is at by then, rather than acting
on whatever step is current), follow paragraph 1 as it moves on, and say when paragraph 3's
first reminder falls, or that it has gone, instead of always "in about two minutes".
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

PARA = "mandate-cosp-7-enhancing-synergies-para-{}"
FIRST_REMINDER_DAYS = 14  # the default plans' first reminder, days before a deadline
OUTCOMES = {
    "identify-interlocutors": "Interlocutors identified",
    "summarise-dialogue": "Summary of the dialogue drafted",
    "compile-report": "Progress report compiled",
    "submit-report": "Submitted to the Implementation Review Group",
}


def _q(text: str) -> str:
    return shlex.quote(text)


def next_action(m: str, shown: dict[str, Any]) -> list[str]:
    """The command that moves a mandate on from its current step, naming that step."""
    mid, step_id = shown["mandate_id"], shown.get("current_step")
    if shown.get("status") != "active" or not step_id:
        return [f"{m} show {mid}          # {shown.get('status', 'unknown')}: nothing more to do"]
    step = next(s for s in shown["steps"] if s["step_id"] == step_id)
    head = f"{m} {{}} {mid} --step {step_id}"
    match step["type"]:
        case "consultation":
            waiting = [p["party"] for p in step["parties"] if p["status"] == "awaiting"]
            party = waiting[0] if waiting else step["parties"][0]["party"]
            return [f"{head.format('respond')} --party {_q(party)} --text {_q('We welcome the dialogue.')}"]
        case "approval":
            given = {a["approver"] for a in step["approvals"]}
            approver = next((a for a in step["approvers"] if a not in given), step["approvers"][0])
            return [
                f"{head.format('approve')} --as {_q(approver)}",
                f"{head.format('reject')} --as {_q(approver)} --comment {_q('Please add the costs.')}",
            ]
    outcome = _q(OUTCOMES.get(step_id, "Done"))
    return [f"{head.format('complete')} --outcome {outcome} --effort-days 2 --cost '1500 USD'"]


def reminder_note(shown: dict[str, Any], now: datetime) -> str:
    """When paragraph 3's first reminder falls, or that it went (the timeline says)."""
    sent = [t for t in shown.get("timeline", []) if t["type"] == "ReminderDue"]
    if sent:
        at = datetime.fromisoformat(sent[0]["at"]).astimezone(UTC)
        return f"reminders received; paragraph 3's first went out at {at:%H:%M} UTC on {at:%Y-%m-%d}"
    step = next((s for s in shown.get("steps", []) if s["step_id"] == shown.get("current_step")), None)
    if shown.get("status") != "active" or step is None or step["type"] != "consultation":
        return "reminders received"
    due = datetime.fromisoformat(step["deadline"]).astimezone(UTC)
    first = due - timedelta(days=FIRST_REMINDER_DAYS)
    if first <= now:
        return "reminders received; paragraph 3's first is due now (try again in a moment)"
    minutes = max(1, round((first - now).total_seconds() / 60))
    when = (
        f"in about {minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"on {first:%Y-%m-%d}"
    )
    return f"reminders received; paragraph 3's first arrives at {first:%H:%M} UTC ({when})"


def hints(m: str, para1: dict[str, Any], para3: dict[str, Any], now: datetime) -> list[str]:
    """The "Next, try" lines for the demo's mandates as they stand."""
    p1 = para1["mandate_id"]
    return [
        "Next, try (each command names the step it acts on: run again, it is refused, naming the step",
        "the mandate has moved to):",
        f"  {m} show {p1}",
        *(f"  {line}" for line in next_action(m, para1)),
        f"  {m} audit log {p1}",
        f"  {m} audit verify",
        f"  {m} report --format html --out .data/report.html",
        f"  {m} dev mail          # {reminder_note(para3, now)}",
        f"  {m} dev down          # stop everything (data stays in .data/; `make clean` removes it)",
        "After each, `make next` prints these again for where the mandates stand then.",
    ]


def _show(m: str, mandate_id: str) -> dict[str, Any]:
    done = subprocess.run([m, "show", mandate_id, "--json"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(done.stderr.strip() or f"{m} show {mandate_id} failed")
    return json.loads(done.stdout)


def main() -> None:
    m = sys.argv[1] if len(sys.argv) > 1 else "mandates"
    para1, para3 = _show(m, PARA.format(1)), _show(m, PARA.format(3))
    print("\n".join(hints(m, para1, para3, datetime.now(UTC))))


if __name__ == "__main__":
    main()
