"""ConsultationWorkflow: one consultation step of a mandate, run as a child workflow.

Its id is ``<mandate-id>--<step-id>`` (``domain.mandate.consultation_workflow_id``),
so a party's answer can be sent to it knowing only the mandate id and the
step; the mandate's own ``respond`` update forwards answers here as well.

While it runs, the consultation is the only writer of the mandate's audit
stream: the mandate hands it the state and waits. It records responses,
reminders to the parties that have not answered, the overdue notice, the
escalations and the closing (all answered, or at ``closes_at`` with the
non-respondents), signalling each batch to the mandate so that the mandate's
``state`` query stays current; then it hands back.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import events as ev
    from domain.access import may
    from domain.decide import ExtendDeadline, RecordResponse
    from domain.errors import DomainError
    from domain.state import MandateState
    from workflows.messages import (
        ConsultationInput,
        ConsultationProgress,
        ConsultationResult,
        ExtendDeadlineRequest,
        ForwardedCommand,
        ForwardRefused,
        RespondRequest,
        StopConsultation,
        UpdateResult,
    )
    from workflows.recorder import (
        Recorder,
        extension,
        past_history_limit,
        refusal,
        update_id,
        update_result,
    )

PROGRESS_SIGNAL = "consultation_progress"
REFUSED_SIGNAL = "consultation_refused"


@workflow.defn
class ConsultationWorkflow:
    """Asks the consulted parties for input by the deadline and records what comes back."""

    @workflow.init
    def __init__(self, input: ConsultationInput) -> None:
        assert input.state.mandate_id is not None
        self._step_id = input.step_id
        self._rec = Recorder(input.state.mandate_id, input.state, on_recorded=self._tell_mandate)
        self._stopped = False
        self._recorded: list[ev.RecordedEvent] = []

    @property
    def _open(self) -> bool:
        step = self._rec.state.active_step()
        return step is not None and step.step_id == self._step_id

    @workflow.run
    async def run(self, input: ConsultationInput) -> ConsultationResult:
        self._rec.begin()
        self._rec.publish()
        while self._open and not self._stopped:
            if workflow.info().is_continue_as_new_suggested() or past_history_limit(input.history_limit):
                await workflow.wait_condition(workflow.all_handlers_finished)
                self._rec.publish()  # (before the run closes)
                workflow.continue_as_new(
                    ConsultationInput(
                        state=self._rec.state, step_id=self._step_id, history_limit=input.history_limit
                    )
                )
            await self._rec.wait_for_alarm(lambda: self._stopped)
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._rec.publish()
        return ConsultationResult(
            step_id=self._step_id,
            version=self._rec.state.version,
            stopped=self._stopped,
            events=self._recorded,
        )

    async def _tell_mandate(self, recorded: list[ev.RecordedEvent], causation_id: str | None) -> None:
        self._recorded.extend(recorded)
        progress = ConsultationProgress(events=recorded, causation_id=causation_id)
        await self._mandate().signal(PROGRESS_SIGNAL, progress)

    def _mandate(self) -> workflow.ExternalWorkflowHandle[Any]:
        parent = workflow.info().parent
        assert parent is not None, "a consultation runs as a child of its mandate"
        return workflow.get_external_workflow_handle(parent.workflow_id)

    def _respond_command(self, request: RespondRequest) -> RecordResponse:
        return request.to_command().model_copy(update={"step_id": self._step_id})

    def _extend_command(self, request: ExtendDeadlineRequest) -> ExtendDeadline:
        return ExtendDeadline(
            until=request.until, reason=request.reason, by=request.by, step_id=self._step_id
        )

    def _check(self, command: RecordResponse | ExtendDeadline) -> None:
        if self._stopped:
            raise refusal(_Stopped(f"consultation {self._step_id!r} is closed"))
        self._rec.check(command)

    async def _run(self, command: RecordResponse | ExtendDeadline) -> UpdateResult:
        self._check(command)
        try:
            recorded = await self._rec.execute(command, causation_id=update_id())
        except DomainError as err:
            raise refusal(err) from None
        return update_result(self._rec.state, recorded)

    @workflow.update
    async def respond(self, request: RespondRequest) -> UpdateResult:
        """A consulted party answers (only a consulted party that has not answered, while open)."""
        return await self._run(self._respond_command(request))

    @respond.validator
    def _check_respond(self, request: RespondRequest) -> None:
        self._check(self._respond_command(request))

    @workflow.update
    async def extend_deadline(self, request: ExtendDeadlineRequest) -> UpdateResult:
        """Move the consultation's deadline later (with a reason); reminders follow it, and the
        later steps' planned deadlines move with it."""
        return await self._run(extension(self._extend_command(request)))

    @extend_deadline.validator
    def _check_extend(self, request: ExtendDeadlineRequest) -> None:
        self._check(self._extend_command(request))

    @workflow.signal
    async def forwarded(self, forwarded: ForwardedCommand) -> None:
        """A command the mandate validated and forwards (its own ``respond``/``extend_deadline``)."""
        command = forwarded.command.model_copy(update={"step_id": self._step_id})
        try:
            await self._rec.execute(command, causation_id=forwarded.causation_id)
        except DomainError as err:  # the state moved on since the mandate validated it
            if forwarded.causation_id is not None:
                await self._mandate().signal(
                    REFUSED_SIGNAL,
                    ForwardRefused(causation_id=forwarded.causation_id, code=err.code, message=str(err)),
                )

    @workflow.signal
    def stop(self, request: StopConsultation) -> None:
        """Hand back to the mandate now, recording nothing more (the mandate is withdrawn)."""
        self._stopped = True

    @workflow.query
    def state(self) -> MandateState:
        """The mandate's state as this consultation sees it."""
        return self._rec.state

    def authorise(
        self, operation: str, args: Sequence[Any], person: str, names: Collection[str]
    ) -> str | None:
        """Why an authenticated caller may not do ``operation`` (``config.identity``), or None."""
        return may(
            self._rec.state,
            operation,
            person,
            names,
            on_behalf=bool(getattr(args[0], "by", None)) if operation == "respond" else False,
        )


class _Stopped(DomainError):
    code = "consultation_closed"
