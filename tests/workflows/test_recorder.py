"""The determinism gate, shown to work: a change that would break running mandates fails
replay of the recorded histories, and a change guarded by ``workflow.patched`` does not.

Two guarded changes:

- ``workflows.recorder.FIRST_REMINDER_PATCH``: a step that starts, or whose deadline
  moves, after the moment of its plan's first reminder gets a reminder at once ("due in
  N days") instead of nothing until the next one on the plan's list. A history recorded by
  the code as it was, in which that happened (``first-reminder-before-the-change.json``),
  replays down the old path; forced down the new one it breaks, which is what the patch
  prevents. A history recorded with the new path (``first-reminder-at-once.json``) replays
  too, and breaks on the old code.
- ``workflows.recorder.SEARCH_ATTRIBUTES_TASK_PATCH``: search attributes upserted by a
  task of their own rather than by the handler that changed the state. Every history
  recorded before it (``histories/before-search-attribute-task/``) breaks when forced down
  the new path, and every history recorded since breaks on the old one.

Record the first two again with ``RECORD_HISTORIES=1 pytest tests/workflows/test_recorder.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.plan import validate_plan
from domain.state import MandateStatus
from tests.support.mandates import make_mandate
from tests.support.temporal import REPLAY_CONVERTER, Engine
from tests.support.workflows import EARLIER_HISTORIES, HISTORIES, audit_log, drive_to_completion, start
from workflows import WORKFLOWS
from workflows.consultation import ConsultationWorkflow
from workflows.mandate import MandateWorkflow
from workflows.messages import ConsultationInput, ConsultationResult, MandateInput, MandateResult
from workflows.recorder import FIRST_REMINDER_PATCH, SEARCH_ATTRIBUTES_TASK_PATCH

NEW_PATH = "first-reminder-at-once"
OLD_PATH = "first-reminder-before-the-change"


def histories(of_type: str | None = None, folder: Path = HISTORIES) -> list[Path]:
    """The histories recorded by the current code (or in ``folder``), of one workflow type."""
    found = []
    for path in sorted(folder.glob("*.json")):
        first = json.loads(path.read_text())["events"][0]
        name = first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
        if of_type is None or name == of_type:
            found.append(path)
    return found


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def replay(history: WorkflowHistory, *workflow_classes: type) -> Exception | None:
    replayer = Replayer(workflows=list(workflow_classes), data_converter=REPLAY_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure


# --- deliberately non-deterministic changes --------------------------------------


@workflow.defn(name="MandateWorkflow", sandboxed=False)
class MandateWorkflowThatPausesFirst(MandateWorkflow):
    """A change that would break running mandates: a timer before the mandate starts."""

    @workflow.run
    async def run(self, input: MandateInput) -> MandateResult:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


@workflow.defn(name="ConsultationWorkflow", sandboxed=False)
class ConsultationWorkflowThatPausesFirst(ConsultationWorkflow):
    @workflow.run
    async def run(self, input: ConsultationInput) -> ConsultationResult:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


@pytest.mark.parametrize("path", histories("MandateWorkflow"), ids=lambda p: p.stem)
async def test_a_mandate_change_that_breaks_determinism_fails_the_gate(path: Path) -> None:
    history = load(path)
    assert await replay(history, *WORKFLOWS) is None  # the gate passes on the code as it is

    failure = await replay(history, MandateWorkflowThatPausesFirst, ConsultationWorkflow)

    assert isinstance(failure, workflow.NondeterminismError), failure


@pytest.mark.parametrize("path", histories("ConsultationWorkflow"), ids=lambda p: p.stem)
async def test_a_consultation_change_that_breaks_determinism_fails_the_gate(path: Path) -> None:
    failure = await replay(load(path), MandateWorkflow, ConsultationWorkflowThatPausesFirst)
    assert isinstance(failure, workflow.NondeterminismError), failure


# --- the patched change: the first reminder at once ---------------------------------


REAL_PATCHED = workflow.patched


def always(path_taken: bool, patch: str = FIRST_REMINDER_PATCH) -> Callable[..., bool]:
    """``workflow.patched`` answering ``path_taken`` for ``patch`` whatever the history says
    (and what the history says for any other patch)."""
    return lambda patch_id, **kw: path_taken if patch_id == patch else REAL_PATCHED(patch_id, **kw)


async def test_the_change_without_its_patch_would_break_recorded_mandates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = [p for p in histories(folder=EARLIER_HISTORIES) if p.stem != NEW_PATH]  # recorded before
    guarded = {p.stem: await replay(load(p), *WORKFLOWS) for p in paths}
    monkeypatch.setattr(workflow, "patched", always(True))  # the new path, unguarded
    unguarded = {p.stem: await replay(load(p), *WORKFLOWS) for p in paths}

    assert all(failure is None for failure in guarded.values()), guarded  # old runs: old path
    broken = sorted(name for name, failure in unguarded.items() if failure is not None)
    assert broken == [OLD_PATH], broken  # the one whose step started after its first reminder
    assert isinstance(unguarded[OLD_PATH], workflow.NondeterminismError)
    assert all("core_patch" not in p.read_text() for p in paths)


def late_start_plan():
    """A task due in ten days: it starts after the moment of its 14-day reminder."""
    return validate_plan(
        {
            "steps": [
                {"type": "task", "id": "compile", "title": "Compile the answers", "due_in_days": 10},
                {"type": "approval", "id": "approve", "title": "Approve the compilation", "due_in_days": 20,
                 "approvers": ["chief.of.section"], "rule": "any"},
            ]
        }
    )  # fmt: skip


async def run_late_start(engine: Engine, slug: str) -> WorkflowHistory:
    handle = await start(engine, make_mandate(slug, late_start_plan()))
    await drive_to_completion(handle)
    assert (await handle.result()).status is MandateStatus.COMPLETED
    return await handle.fetch_history()


async def test_a_history_of_each_path_is_recorded_and_both_replay(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same plan run by the code as it was (``first-reminder-before-the-change``) and as it
    is (``first-reminder-at-once``): each replays on the current code, down its own path."""
    with monkeypatch.context() as before_the_change:
        before_the_change.setattr(workflow, "patched", always(False))  # the code as it was
        old = await run_late_start(engine, OLD_PATH)
    new = await run_late_start(engine, NEW_PATH)

    old_events = await audit_log(engine, make_mandate(OLD_PATH, late_start_plan()).id)
    new_events = await audit_log(engine, make_mandate(NEW_PATH, late_start_plan()).id)
    assert [e.type for e in old_events[:3]] == ["MandateStarted", "StepStarted", "TaskCompleted"]
    assert [e.type for e in new_events[:3]] == ["MandateStarted", "StepStarted", "ReminderDue"]
    assert new_events[2].days_before == 10  # "due in 10 days", at once, not nothing until 3 days before
    markers = [e.marker_recorded_event_attributes.marker_name for e in new.events if e.event_type ==
               EventType.EVENT_TYPE_MARKER_RECORDED]  # fmt: skip
    assert markers == ["core_patch"] * 3  # this change's, the search attributes task's, the requests'

    if os.environ.get("RECORD_HISTORIES"):
        (HISTORIES / f"{OLD_PATH}.json").write_text(old.to_json())
        (HISTORIES / f"{NEW_PATH}.json").write_text(new.to_json())
    runs = {
        "old": [old, load(HISTORIES / f"{OLD_PATH}.json")],
        "new": [new, load(HISTORIES / f"{NEW_PATH}.json")],
    }
    for run in runs["old"] + runs["new"]:
        assert await replay(run, *WORKFLOWS) is None  # the gate: both paths replay
    monkeypatch.setattr(workflow, "patched", always(False))
    for run in runs["new"]:  # the code as it was cannot run what the new path recorded
        assert isinstance(await replay(run, *WORKFLOWS), workflow.NondeterminismError)


# --- the patched change: search attributes from a task of their own ----------------


async def test_the_search_attributes_task_without_its_patch_would_break_every_mandate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    earlier = histories(folder=EARLIER_HISTORIES)
    current = histories()
    assert earlier and current
    as_recorded = {f"{p.parent.name}/{p.stem}": await replay(load(p), *WORKFLOWS) for p in earlier + current}
    assert all(failure is None for failure in as_recorded.values()), as_recorded

    monkeypatch.setattr(workflow, "patched", always(True, SEARCH_ATTRIBUTES_TASK_PATCH))
    forced_new = {p.stem: await replay(load(p), *WORKFLOWS) for p in earlier}
    monkeypatch.setattr(workflow, "patched", always(False, SEARCH_ATTRIBUTES_TASK_PATCH))
    forced_old = {p.stem: await replay(load(p), *WORKFLOWS) for p in current}

    for failures in (forced_new, forced_old):
        assert all(isinstance(f, workflow.NondeterminismError) for f in failures.values()), failures
