"""Bare workflows: the Temporal commands the engine's workflows issue, with nothing inside.

- ``BareMandateWorkflow`` + ``BareConsultationWorkflow`` (benchmark 1) mirror
  ``MandateWorkflow`` + ``ConsultationWorkflow`` driven through a consultation
  with three parties, a task and an approval: a start activity, a child workflow
  that waits on a timer and takes the answers as forwarded signals (one activity
  and one signal back each), updates with validators (``respond``,
  ``complete_task``, ``approve``), search-attribute upserts, a ``state`` query,
  and a timer re-armed after every change. Activities are no-ops; no audit, no
  domain decisions, no pydantic state.
- ``BareTimerWorkflow`` (benchmark 6) mirrors a mandate whose task waits for its
  deadline: a start activity, a timer to the deadline, two activities when it
  fires (the audit append and the outbox), then a timer a week out (the
  escalation). Its start and its firing are marked in a plain table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bench.bare_messages import (
        BareAnswer,
        BareConsultationInput,
        BareDone,
        BareMandateInput,
        BareMarks,
        BareProgress,
        BareResult,
        BareState,
        BareTimerInput,
        MarkInput,
        StepInput,
        bare_step,
    )
    from workflows import search_attributes as sa

TIMEOUT = timedelta(seconds=30)
ALARM = timedelta(days=14)
PROGRESS = "bare_progress"


async def _step(workflow_id: str, what: str) -> None:
    await workflow.execute_activity(
        bare_step, StepInput(workflow_id=workflow_id, what=what), start_to_close_timeout=TIMEOUT
    )


async def _wait_for_change(value: Callable[[], int]) -> None:
    """Wait until ``value()`` changes, on a timer (as the engine waits for its next alarm)."""
    seen = value()
    try:
        await workflow.wait_condition(lambda: value() != seen, timeout=ALARM)
    except TimeoutError:
        pass


def _publish(status: str, step: str | None, version: int) -> None:
    workflow.set_current_details(f"{step or 'no step'} · version {version}")
    workflow.upsert_search_attributes(
        [
            sa.MANDATE_STATUS.value_set(status),
            sa.CURRENT_STEP.value_set(step) if step else sa.CURRENT_STEP.value_unset(),
        ]
    )


@workflow.defn
class BareConsultationWorkflow:
    @workflow.init
    def __init__(self, input: BareConsultationInput) -> None:
        self._answered: list[str] = []
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: BareConsultationInput) -> int:
        _publish("active", "consultation", 0)
        while len(self._answered) < len(input.parties):
            await _wait_for_change(lambda: len(self._answered))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self._answered)

    @workflow.signal
    async def forwarded(self, answer: BareAnswer) -> None:
        async with self._lock:
            info = workflow.info()
            await _step(info.workflow_id, "respond")
            self._answered.append(answer.party)
            _publish("active", "consultation", len(self._answered))
            assert info.parent is not None
            await workflow.get_external_workflow_handle(info.parent.workflow_id).signal(
                PROGRESS, BareProgress(answered=len(self._answered))
            )


@workflow.defn
class BareMandateWorkflow:
    @workflow.init
    def __init__(self, input: BareMandateInput) -> None:
        self._version = 0
        self._step = "starting"
        self._child: workflow.ChildWorkflowHandle[Any, int] | None = None
        self._answered = 0
        self._parties = len(input.parties)

    @workflow.run
    async def run(self, input: BareMandateInput) -> BareResult:
        await _step(input.mandate_id, "start")
        self._changed("consultation")
        self._child = await workflow.start_child_workflow(
            BareConsultationWorkflow.run,
            BareConsultationInput(mandate_id=input.mandate_id, parties=input.parties),
            id=f"{input.mandate_id}--consultation",
        )
        await self._child
        self._child = None
        while self._step != "done":
            await _wait_for_change(lambda: self._version)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return BareResult(mandate_id=input.mandate_id, version=self._version)

    def _changed(self, step: str) -> None:
        self._step = step
        self._version += 1
        _publish("completed" if step == "done" else "active", step, self._version)

    def _expect(self, step: str) -> None:
        if self._step != step:
            raise ValueError(f"the current step is {self._step}, not {step}")

    @workflow.signal(name=PROGRESS)
    def progress(self, progress: BareProgress) -> None:
        self._answered = progress.answered
        if self._answered == self._parties:  # the last answer closes the consultation
            self._changed("task")
        else:
            self._version += 1
            _publish("active", self._step, self._version)

    @workflow.query
    def state(self) -> BareState:
        return BareState(version=self._version, step=self._step)

    @workflow.update
    async def respond(self, answer: BareAnswer) -> int:
        before = self._answered
        await workflow.wait_condition(lambda: self._child is not None)
        assert self._child is not None
        await self._child.signal(BareConsultationWorkflow.forwarded, answer)
        await workflow.wait_condition(lambda: self._answered > before)
        return self._version

    @respond.validator
    def _check_respond(self, answer: BareAnswer) -> None:
        self._expect("consultation")

    @workflow.update
    async def complete_task(self, done: BareDone) -> int:
        await _step(workflow.info().workflow_id, "complete_task")
        self._changed("approval")
        return self._version

    @complete_task.validator
    def _check_complete_task(self, done: BareDone) -> None:
        self._expect("task")

    @workflow.update
    async def approve(self, done: BareDone) -> int:
        await _step(workflow.info().workflow_id, "approve")
        self._changed("done")
        return self._version

    @approve.validator
    def _check_approve(self, done: BareDone) -> None:
        self._expect("approval")


@workflow.defn
class BareTimerWorkflow:
    @workflow.run
    async def run(self, input: BareTimerInput) -> None:
        await _mark(input.workflow_id, "started")
        _publish("active", "task", 1)
        delay = input.deadline - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(lambda: False, timeout=delay)
            except TimeoutError:
                pass
        await _mark(input.workflow_id, "fired")
        await _step(input.workflow_id, "outbox")
        _publish("active", "task", 2)
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(days=input.then_wait_days))
        except TimeoutError:
            pass


async def _mark(workflow_id: str, kind: str) -> None:
    await workflow.execute_activity_method(
        BareMarks.bare_mark,
        MarkInput(workflow_id=workflow_id, kind=kind, observed_at=workflow.now()),
        start_to_close_timeout=TIMEOUT,
    )


BARE_WORKFLOWS: list[type] = [BareMandateWorkflow, BareConsultationWorkflow, BareTimerWorkflow]
