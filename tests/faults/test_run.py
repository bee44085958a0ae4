"""The fault harness, short: ten mandates on their own dev stack, one worker SIGKILL (with an
audit append in flight), one Postgres restart, one Temporal dev server restart across a
consultation deadline; every check of ``python -m faults`` must hold. ``make faults`` runs
the full version (200 mandates, seven kills)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.devstack

ROOT = Path(__file__).resolve().parents[2]


def test_ten_mandates_through_one_fault_of_each_kind_lose_duplicate_and_alter_nothing(tmp_path: Path) -> None:
    report = tmp_path / "faults.json"
    run = subprocess.run(
        [sys.executable, "-m", "faults", "--mandates", "10", "--quick", "--json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    summary = json.loads(report.read_text())
    assert summary["ok"] and summary["mandates"] == 10
    kinds = [f["kind"] for f in summary["faults"]]
    assert sorted(kinds) == ["postgres-restart", "temporal-restart", "worker-kill"]
    checks = {c["name"]: c for c in summary["checks"]}
    assert checks["mandates completed"]["actual"] == 10
    assert checks["events missing"]["actual"] == 0 and checks["events extra or twice"]["actual"] == 0
    assert checks["hash chain and signatures verify"]["ok"]
    assert checks["events covered by valid signatures"]["ok"]
    assert checks["read models differing from a rebuild"]["ok"]
    assert all(c["ok"] for c in summary["checks"]), [c for c in summary["checks"] if not c["ok"]]
