"""MandateWorkflow: one per mandate, workflow id = mandate id = audit stream id.

It starts the mandate, then runs its plan step by step: approvals, tasks and
reports here, consultations as ``ConsultationWorkflow`` children (the child is
the stream's writer while it runs; this workflow mirrors its events through the
``consultation_progress`` signal). Reminders, overdue notices and escalations
are durable timers computed from the state (``domain.deadlines``).

Updates (each with a validator, so a refused request never enters the history
and the caller gets an ``ApplicationError`` typed with the domain code at once):
``respond``, ``approve``, ``reject``, ``complete_task``, ``extend_deadline``,
``withdraw``. Query: ``state``. ``respond`` and a consultation's
``extend_deadline`` are forwarded to the running consultation, so a caller
needs only the mandate id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import events as ev
    from domain.access import may, may_start
    from domain.decide import (
        ConsultationClosed,
        ExtendDeadline,
        RecordResponse,
        StartMandate,
        consulted_party,
    )
    from domain.errors import DomainError
    from domain.mandate import consultation_workflow_id
    from domain.plan import ConsultationStep
    from domain.state import MandateState, PartyStatus, progress_line
    from workflows.consultation import PROGRESS_SIGNAL, REFUSED_SIGNAL, ConsultationWorkflow
    from workflows.messages import (
        ApproveRequest,
        CompleteTaskRequest,
        ConsultationInput,
        ConsultationProgress,
        ConsultationResult,
        ExtendDeadlineRequest,
        ForwardedCommand,
        ForwardRefused,
        MandateInput,
        MandateResult,
        RejectRequest,
        RespondRequest,
        StopConsultation,
        UpdateResult,
        WithdrawRequest,
    )
    from workflows.recorder import (
        Recorder,
        extension,
        past_history_limit,
        refusal,
        update_id,
        update_result,
    )


FORWARD_BY_CAUSE_PATCH = "forwarded-commands-answered-by-cause"
RECORDED_BEFORE_CONTINUING_PATCH = "a-command-recorded-before-continuing-as-new"
"""Runs before it waited for the state to show a forwarded command's effect."""


@workflow.defn
class MandateWorkflow:
    """Carries out one mandate: its plan's steps, deadlines, reminders and audit trail."""

    @workflow.init
    def __init__(self, input: MandateInput) -> None:
        self._rec = Recorder(input.mandate.id, input.carried or MandateState())
        self._history_limit = input.history_limit
        self._child: workflow.ChildWorkflowHandle[Any, ConsultationResult] | None = None
        self._child_step: str | None = None
        self._mirrored: list[ev.RecordedEvent] = []  # events the consultations signalled (this run)
        self._forwarding: set[str | None] = set()  # forwarded commands awaiting their consultation
        self._caused: dict[str, list[ev.RecordedEvent]] = {}  # what each of them led to
        self._refused: dict[str, ForwardRefused] = {}  # by update id
        self._withdrawing = False

    @property
    def _state(self) -> MandateState:
        return self._rec.state

    @workflow.run
    async def run(self, input: MandateInput) -> MandateResult:
        self._rec.begin()
        if input.carried is None:
            try:
                await self._rec.execute(StartMandate(mandate=input.mandate))
            except DomainError as err:
                raise refusal(err) from None
        else:
            self._rec.publish()
        while self._state.is_active:
            if self._withdrawing:
                await workflow.wait_condition(lambda: not (self._state.is_active and self._withdrawing))
                continue
            suggested = workflow.info().is_continue_as_new_suggested()
            if suggested and self._history_limit is None:  # (a run begun before the limit existed)
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._next_run(input))
            if past_history_limit(self._history_limit) or (suggested and self._history_limit is not None):
                await workflow.wait_condition(lambda: True)  # (the updates of this task have started)
                step = self._state.active_step()
                if not self._withdrawing and (step is None or step.type != "consultation"):
                    await workflow.wait_condition(workflow.all_handlers_finished)
                # Between steps. Answers that came early for the consultation this run would
                # start next wait for it and have recorded nothing: they are let go, and their
                # callers retry on the next run (waiting for them here would never end). A
                # command being recorded is not: the rejection that reopened the consultation
                # may still be sending its requests, and its caller gets its answer first.
                if workflow.patched(RECORDED_BEFORE_CONTINUING_PATCH):
                    await workflow.wait_condition(lambda: not self._rec.recording)
                if self._state.is_active and not self._withdrawing:
                    workflow.continue_as_new(self._next_run(input))
                continue
            step = self._state.active_step()
            if step is not None and step.type == "consultation":
                await self._run_consultation(step.step_id)
            else:
                await self._rec.wait_for_alarm(lambda: self._withdrawing)
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._rec.publish()  # (the final status, before the run closes)
        return MandateResult(
            mandate_id=self._rec.mandate_id,
            status=self._state.status,
            version=self._state.version,
            summary=progress_line(self._state),
        )

    def _next_run(self, input: MandateInput) -> MandateInput:
        self._rec.publish()  # (before the run closes)
        return MandateInput(mandate=input.mandate, carried=self._state, history_limit=self._history_limit)

    async def _run_consultation(self, step_id: str) -> None:
        mandate = self._state.mandate
        assert mandate is not None
        planned = mandate.plan.step(step_id)
        assert isinstance(planned, ConsultationStep)
        step = self._state.step(step_id)
        assert step.deadline is not None and step.closes_at is not None
        self._child_step = step_id
        try:
            self._child = await workflow.start_child_workflow(
                ConsultationWorkflow.run,
                ConsultationInput(state=self._state, step_id=step_id, history_limit=self._history_limit),
                id=consultation_workflow_id(self._rec.mandate_id, step_id),
                static_summary=(
                    f"{mandate.resolution_symbol} para {mandate.paragraph} · consultation: {planned.title}"
                ),
                static_details="\n".join(
                    [
                        f"Consultation **{planned.title}** of {self._rec.mandate_id}",
                        f"- attempt: {step.attempt}",
                        f"- parties: {', '.join(planned.parties)}",
                        f"- deadline: {step.deadline.isoformat()}",
                        f"- closes: {step.closes_at.isoformat()}",
                        "- responses are confidential" if step.confidential else "- responses are public",
                    ]
                ),
            )
            result = await self._child
        finally:
            self._child = None
            self._child_step = None
        self._rec.apply(result.events)
        if self._state.version < result.version:  # (the mandate may have moved on since)
            raise RuntimeError(
                f"consultation {step_id} handed back at version {result.version}, "
                f"the mandate is at {self._state.version}"
            )

    @workflow.signal(name=PROGRESS_SIGNAL)
    def consultation_progress(self, progress: ConsultationProgress) -> None:
        """Events the running consultation has recorded in this mandate's stream."""
        self._mirrored.extend(progress.events)
        if progress.causation_id in self._forwarding:
            self._caused.setdefault(progress.causation_id, []).extend(progress.events)
        self._rec.apply(progress.events)

    @workflow.signal(name=REFUSED_SIGNAL)
    def consultation_refused(self, refused: ForwardRefused) -> None:
        """The running consultation refused a command this workflow forwarded to it."""
        self._refused[refused.causation_id] = refused

    @workflow.query
    def state(self) -> MandateState:
        """The mandate's state: equal to the fold of its audit stream."""
        return self._state

    def authorise(
        self, operation: str, args: Sequence[Any], person: str, names: Collection[str]
    ) -> str | None:
        """Why an authenticated caller may not do ``operation`` (``config.identity``), or None."""
        if operation == "start:MandateWorkflow":
            return may_start(args[0].mandate, person, names)
        return may(
            self._state,
            operation,
            person,
            names,
            on_behalf=bool(getattr(args[0], "by", None)) if operation == "respond" else False,
        )

    # --- updates handled here -------------------------------------------------

    async def _execute(self, command: Any) -> UpdateResult:
        try:
            recorded = await self._rec.execute(command, causation_id=update_id())
        except DomainError as err:
            raise refusal(err) from None
        return update_result(self._state, recorded)

    @workflow.update
    async def approve(self, request: ApproveRequest) -> UpdateResult:
        """An approver of the pending approval step approves it."""
        return await self._execute(request.to_command())

    @approve.validator
    def _check_approve(self, request: ApproveRequest) -> None:
        self._rec.check(request.to_command())

    @workflow.update
    async def reject(self, request: RejectRequest) -> UpdateResult:
        """An approver rejects: the mandate goes back to the step the plan names, with the comment."""
        return await self._execute(request.to_command())

    @reject.validator
    def _check_reject(self, request: RejectRequest) -> None:
        self._rec.check(request.to_command())

    @workflow.update
    async def complete_task(self, request: CompleteTaskRequest) -> UpdateResult:
        """The current task or report is done, with its outcome, effort and cost."""
        return await self._execute(request.to_command())

    @complete_task.validator
    def _check_complete_task(self, request: CompleteTaskRequest) -> None:
        self._rec.check(request.to_command())

    @workflow.update
    async def withdraw(self, request: WithdrawRequest) -> UpdateResult:
        """The mandate is withdrawn (with a reason): a running consultation hands back first."""
        self._withdrawing = True
        try:
            await workflow.wait_condition(lambda: self._child is not None or self._child_step is None)
            if self._child is not None:
                await self._child.signal(ConsultationWorkflow.stop, StopConsultation())
                await workflow.wait_condition(lambda: self._child_step is None)
            return await self._execute(request.to_command())
        finally:
            self._withdrawing = False

    @withdraw.validator
    def _check_withdraw(self, request: WithdrawRequest) -> None:
        self._rec.check(request.to_command())

    # --- updates forwarded to the running consultation -------------------------

    # (ABANDON: an answer still waiting for its consultation to start when the run continues
    # as new has recorded nothing; its caller gets an error and sends it again.)
    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def respond(self, request: RespondRequest) -> UpdateResult:
        """A consulted party answers the current consultation."""
        command = request.to_command()
        step = self._state.active_step()
        assert step is not None
        step_id, attempt = step.step_id, step.attempt
        party = consulted_party(step, request.party) or request.party  # (as the fold records it)

        def answered(state: MandateState) -> bool:
            now = state.steps[step_id]
            return now.attempt == attempt and now.parties.get(party) is PartyStatus.ANSWERED

        return await self._forward(step_id, command, answered)

    @respond.validator
    def _check_respond(self, request: RespondRequest) -> None:
        self._rec.check(request.to_command())

    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def extend_deadline(self, request: ExtendDeadlineRequest) -> UpdateResult:
        """The current step's deadline moves later (with a reason); its reminders follow, and
        the later steps' planned deadlines move with it."""
        command = extension(request.to_command())
        step = self._state.active_step()
        if step is None or step.type != "consultation":
            return await self._execute(command)
        step_id, attempt, before = step.step_id, step.attempt, step.extensions

        def extended(state: MandateState) -> bool:
            now = state.steps[step_id]
            return now.attempt == attempt and now.extensions > before

        return await self._forward(step_id, command, extended)

    @extend_deadline.validator
    def _check_extend_deadline(self, request: ExtendDeadlineRequest) -> None:
        self._rec.check(request.to_command())

    def _consulting(self, step_id: str) -> bool:
        step = self._state.active_step()
        return step is not None and step.step_id == step_id

    async def _forward(
        self,
        step_id: str,
        command: RecordResponse | ExtendDeadline,
        done: Callable[[MandateState], bool],
    ) -> UpdateResult:
        version, cause = self._state.version, update_id()
        if workflow.patched(FORWARD_BY_CAUSE_PATCH) and cause is not None:
            # (what this command led to, not what the state shows: another answer of the same
            # party, recorded meanwhile, is not this one)
            def done(state: MandateState) -> bool:
                return cause in self._caused

        await workflow.wait_condition(
            lambda: (self._child is not None and self._child_step == step_id) or not self._consulting(step_id)
        )
        try:
            if self._child is not None and self._child_step == step_id and not self._withdrawing:
                self._forwarding.add(cause)
                await self._child.signal(
                    ConsultationWorkflow.forwarded, ForwardedCommand(command=command, causation_id=cause)
                )
                await workflow.wait_condition(
                    lambda: done(self._state) or cause in self._refused or not self._consulting(step_id)
                )
            if cause in self._refused:
                refused = self._refused.pop(cause)
                raise ApplicationError(refused.message, type=refused.code, non_retryable=True)
            if not done(self._state):
                self._rec.check(command)
                raise refusal(ConsultationClosed(f"consultation {step_id!r} is closed"))
        finally:
            self._forwarding.discard(cause)
        recorded = self._caused.pop(cause, None) if cause is not None else None
        if recorded is None:
            recorded = [r for r in self._mirrored if r.version > version]
        return update_result(self._state, recorded)
