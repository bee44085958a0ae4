"""Every recorded history replays against the current workflow code.

A change to ``workflows/`` that would break running mandates (non-determinism)
fails here. Regenerate the histories, when a change is meant to be
incompatible and versioned, with ``RECORD_HISTORIES=1 pytest tests/workflows``;
move the earlier ones into a folder of their own first (as
``histories/before-search-attribute-task/``), since mandates they stand for may
still be running: they are replayed too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.support.temporal import REPLAY_CONVERTER, WORKER_KEYS
from workflows import WORKFLOWS
from workflows.sealing import Sealing

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("RECORD_HISTORIES")), reason="recording the histories, not replaying them"
)
HISTORIES = sorted((Path(__file__).parent / "histories").rglob("*.json"))  # (earlier code's too)


def test_histories_are_recorded() -> None:
    names = {path.stem.split("--")[0] for path in HISTORIES if path.parent.name == "histories"}
    assert len(names) >= 8, names
    assert any("--" in path.stem for path in HISTORIES), "consultation histories are missing"


def load(path: Path) -> tuple[str, WorkflowHistory]:
    """The workflow type a history file starts and the history itself."""
    text = path.read_text()
    first = json.loads(text)["events"][0]
    workflow_type = first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
    return workflow_type, WorkflowHistory.from_json(path.stem, text)


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_a_recorded_history_replays(path: Path) -> None:
    workflow_type, history = load(path)

    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=REPLAY_CONVERTER, interceptors=[Sealing(WORKER_KEYS)]
    )
    result = await replayer.replay_workflow(history)

    assert result.replay_failure is None
    assert workflow_type in {w.__name__ for w in WORKFLOWS}
