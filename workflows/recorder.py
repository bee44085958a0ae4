"""What the mandate and consultation workflows share: deciding, recording, timers, legibility.

A ``Recorder`` holds the mandate's state inside one workflow. ``execute`` decides
a command with the pure domain, appends the events to the mandate's audit
stream through the audit activity (then the outbox activity for reminders,
overdue notices and escalations), folds them into the state and refreshes the
search attributes and current details. A lock keeps one batch at a time, so
versions are gapless and the workflow stays the stream's sole writer.

What the store refuses for good (``Unrecordable``: the database cannot hold the data)
refuses the command, as ``decide`` would: an update's caller gets the refusal, a timer's
command is skipped (and not tried again for that deadline), and the mandate goes on. A
version or idempotency conflict is a bug, not a refusal: it fails the workflow task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.audit import AppendEventsInput, AuditActivities
    from activities.notifications import NotificationActivities, NotifyInput
    from domain import events as ev
    from domain.deadlines import Alarm, AlarmKind, step_alarms
    from domain.decide import Command, ExtendDeadline, command_for, decide
    from domain.errors import DomainError, IdempotencyConflict, Unrecordable, VersionConflict
    from domain.state import MandateState, fold, progress_line
    from workflows import search_attributes as sa
    from workflows.messages import UpdateResult

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=[VersionConflict.code, IdempotencyConflict.code, Unrecordable.code],
)


FIRST_REMINDER_PATCH = "first-reminder-at-once"
SEARCH_ATTRIBUTES_TASK_PATCH = "search-attributes-from-their-own-task"
REQUEST_NOTICES_PATCH = "requests-tell-whom-they-ask"
EXTENSION_MOVES_LATER_STEPS_PATCH = "extension-moves-later-steps"
"""An extension moves the later steps' planned deadlines with it (``ExtendDeadline.
move_later_steps``); extensions recorded before moved nothing, and replay so."""


def extension(command: ExtendDeadline) -> ExtendDeadline:
    """The extension an update handler decides: one that moves the later steps, unless the
    run recorded its extensions before they did (call from the handler, never a validator)."""
    if workflow.patched(EXTENSION_MOVES_LATER_STEPS_PATCH):
        return command.model_copy(update={"move_later_steps": True})
    return command


def missed_first_reminder(state: MandateState, now: datetime) -> Alarm | None:
    """The reminder a step gets at once when it starts (or its deadline moves) after the
    moment of its plan's first reminder, with a whole day or more left: "due in N days",
    now, rather than nothing until the next reminder on the plan's list."""
    step, mandate = state.active_step(), state.mandate
    if step is None or mandate is None or step.deadline is None or step.deadline_set_at is None:
        return None
    offsets = mandate.plan.deadlines.reminder_days
    if step.reminders_sent or step.overdue or not offsets:
        return None
    if step.deadline - timedelta(days=max(offsets)) > step.deadline_set_at:
        return None  # the first reminder is still to come, on its day
    days_left = round((step.deadline - now) / timedelta(days=1))
    if days_left < 1:
        return None
    return Alarm(step_id=step.step_id, kind=AlarmKind.REMINDER, at=now, days_before=days_left)


def past_history_limit(limit: int | None) -> bool:
    """Whether this run's history holds more than ``limit`` events (never, for a run begun
    without a limit: the limit is versioned by the workflow input, so that runs recorded
    before it existed replay as they ran)."""
    return limit is not None and workflow.info().get_current_history_length() > limit


def unrecordable(err: ActivityError) -> Unrecordable | None:
    """The refusal an activity failed with when the store refused its data for good (None
    for any other failure)."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == Unrecordable.code:
        return Unrecordable(cause.message)
    return None


def refusal(err: DomainError) -> ApplicationError:
    """The error an update caller gets for a refused command: typed with the domain code."""
    return ApplicationError(str(err), type=err.code, non_retryable=True)


def update_result(state: MandateState, recorded: Sequence[ev.RecordedEvent]) -> UpdateResult:
    """What an accepted update tells its caller."""
    return UpdateResult(
        version=state.version,
        status=state.status,
        current_step=state.current_step,
        events=[r.event.type for r in recorded],
    )


def update_id() -> str | None:
    """The id of the update being handled, recorded as the events' causation id."""
    info = workflow.current_update_info()
    return info.id if info is not None else None


class Recorder:
    """The mandate's state inside a workflow, and the one way to change it."""

    def __init__(
        self,
        mandate_id: str,
        state: MandateState,
        on_recorded: Callable[[list[ev.RecordedEvent], str | None], Awaitable[None]] | None = None,
    ) -> None:
        self.mandate_id = mandate_id
        self.state = state
        self._on_recorded = on_recorded
        self._lock = asyncio.Lock()
        self._published: dict[str, Any] = {}
        self._published_version = -1
        self._publisher: asyncio.Task[None] | None = None
        self._skipped: set[tuple[Any, ...]] = set()  # alarms whose events the store refused

    def begin(self) -> None:
        """Call first in the workflow's run: from here on the search attributes are upserted
        by a task of their own, never from inside a signal or update handler.

        A handler's upsert lands among the update acceptances of its workflow task in the
        order the worker happened to get the jobs, and a replay can get them in another
        order (an update delivered with the task, a signal read from the history), which
        then fails as non-deterministic. The task below is woken only once every handler of
        the workflow task has run, so its upserts come after all of them on every replay.
        Runs recorded before this existed replay as they ran (``workflow.patched``)."""
        if workflow.patched(SEARCH_ATTRIBUTES_TASK_PATCH):
            self._publisher = asyncio.create_task(self._keep_published())

    async def _keep_published(self) -> None:
        while True:
            await workflow.wait_condition(lambda: self.state.version != self._published_version)
            self.publish()

    @property
    def recording(self) -> bool:
        """Whether a command is being decided, recorded or notified (its caller waits for
        its answer)."""
        return self._lock.locked()

    def check(self, command: Command) -> None:
        """Refuse (for an update validator) a command the current state would refuse."""
        try:
            decide(self.state, command, workflow.now())
        except DomainError as err:
            raise refusal(err) from None

    async def execute(self, command: Command, causation_id: str | None = None) -> list[ev.RecordedEvent]:
        """Decide ``command`` now and record what it causes (DomainError when refused)."""
        async with self._lock:
            events = decide(self.state, command, workflow.now())
            return await self._record(events, causation_id)

    async def _record(
        self, events: Sequence[ev.MandateEvent], causation_id: str | None
    ) -> list[ev.RecordedEvent]:
        if not events:
            return []
        version = self.state.version
        try:
            await workflow.execute_activity_method(
                AuditActivities.append_mandate_events,
                AppendEventsInput(
                    stream_id=self.mandate_id,
                    expected_version=version,
                    events=list(events),
                    correlation_id=self.mandate_id,
                    causation_id=causation_id,
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
                summary=f"audit v{version + 1}-{version + len(events)}: {events[-1].type}",
            )
        except ActivityError as err:
            refused = unrecordable(err)
            if refused is not None:  # the data, not the stream: the command is refused
                raise refused from None
            # The stream holds other events than this workflow decided: a bug, not a
            # refusal. Fail the workflow task (it retries, visibly) rather than the mandate.
            raise RuntimeError(f"audit stream {self.mandate_id} rejected versions after {version}") from err
        recorded = [ev.RecordedEvent(version=version + i, event=e) for i, e in enumerate(events, start=1)]
        self.apply(recorded)
        notices = [r for r in recorded if r.event.type in ev.NOTIFYING]
        requests = [r for r in recorded if r.event.type in ev.REQUESTING]
        if requests and workflow.patched(REQUEST_NOTICES_PATCH):  # (runs from before: no request mail)
            notices = sorted([*notices, *requests], key=lambda r: r.version)
        if notices:
            await self._notify(notices)
        if self._on_recorded is not None:
            await self._on_recorded(recorded, causation_id)
        return recorded

    async def _notify(self, notices: list[ev.RecordedEvent]) -> None:
        mandate = self.state.mandate
        assert mandate is not None
        try:
            await workflow.execute_activity_method(
                NotificationActivities.enqueue_notifications,
                NotifyInput(
                    mandate_id=self.mandate_id,
                    resolution_symbol=mandate.resolution_symbol,
                    paragraph=mandate.paragraph,
                    step_titles={s.id: s.title for s in mandate.plan.steps},
                    events=notices,
                    attempts={
                        step_id: step.attempt
                        for step_id, step in self.state.steps.items()
                        if any(getattr(r.event, "step_id", None) == step_id for r in notices)
                    },
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
                summary=f"outbox: {', '.join(r.event.type for r in notices)}",
            )
        except ActivityError as err:
            refused = unrecordable(err)
            if refused is None:
                raise
            # The events are recorded; only their mails are lost, and trying again is no cure.
            workflow.logger.warning("notices of %s not put in the outbox: %s", self.mandate_id, refused)

    def apply(self, recorded: Sequence[ev.RecordedEvent]) -> None:
        """Fold events recorded here or by a consultation (those already folded are skipped)."""
        new = [r for r in recorded if r.version > self.state.version]
        if not new:
            return
        if [r.version for r in new] != list(range(self.state.version + 1, self.state.version + 1 + len(new))):
            raise RuntimeError(
                f"events of {self.mandate_id} arrived out of order: at version {self.state.version}, "
                f"got {[r.version for r in new]}"
            )
        self.state = fold([r.event for r in new], self.state)
        if self._publisher is None:
            self.publish()

    def publish(self) -> None:
        """Refresh the search attributes that changed, and the current details."""
        self._published_version = self.state.version
        workflow.set_current_details(progress_line(self.state))
        mandate = self.state.mandate
        if mandate is None:
            return
        step = self.state.active_step()
        wanted: list[tuple[Any, Any]] = [
            (sa.MANDATE_KIND, [k.value for k in mandate.kinds]),
            (sa.MANDATE_STATUS, self.state.status.value),
            (sa.RESOLUTION_SYMBOL, mandate.resolution_symbol),
            (sa.OPERATIVE_PARAGRAPH, mandate.paragraph),
            (sa.CURRENT_STEP, step.step_id if step else None),
            (sa.NEXT_DEADLINE, self.state.next_deadline()),
            (sa.AWAITING_PARTIES, sa.within_value_limit(self.state.awaiting()) or None),
        ]
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in wanted:
            if key.name in self._published and self._published[key.name] == value:
                continue
            self._published[key.name] = value
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)

    async def wait_for_alarm(self, interrupted: Callable[[], bool]) -> None:
        """Wait for the active step's next alarm and act on it, unless the state changes
        (or ``interrupted()`` turns true) first; then return so the caller can look again."""
        missed = missed_first_reminder(self.state, workflow.now())
        if missed is not None and self._alarm_key(missed) in self._skipped:
            missed = None
        if missed is not None and workflow.patched(FIRST_REMINDER_PATCH):
            await self._fire(missed)
            return
        alarm = self._next_alarm()
        seen = self.state.version

        def changed() -> bool:
            return self.state.version != seen or interrupted()

        if alarm is None:
            await workflow.wait_condition(changed)
            return
        delay = alarm.at - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(changed, timeout=delay, timeout_summary=alarm.summary())
                return
            except TimeoutError:
                pass
        await self._fire(alarm)

    def _next_alarm(self) -> Alarm | None:
        """The soonest alarm of the active step (``domain.deadlines.next_alarm``), passing over
        those whose events the store refused."""
        step, mandate = self.state.active_step(), self.state.mandate
        if step is None or mandate is None:
            return None
        alarms = step_alarms(step, mandate.plan.deadlines)
        return next((a for a in alarms if self._alarm_key(a) not in self._skipped), None)

    def _alarm_key(self, alarm: Alarm) -> tuple[Any, ...]:
        """What identifies an alarm each time it is computed (not its moment: a first
        reminder sent at once is computed anew, at that moment): its step's attempt and
        deadline too, so that a new deadline brings its alarms back."""
        step = self.state.steps.get(alarm.step_id)
        attempt, deadline = (step.attempt, step.deadline) if step is not None else (None, None)
        return (alarm.step_id, alarm.kind.value, alarm.days_before, alarm.escalation, attempt, deadline)

    async def _fire(self, alarm: Alarm) -> None:
        try:
            await self.execute(command_for(alarm))
        except Unrecordable as err:  # refused for good: never tried again, the next alarm goes on
            self._skipped.add(self._alarm_key(alarm))
            workflow.logger.warning("alarm %s of %s skipped: %s", alarm.kind, alarm.step_id, err)
        except DomainError as err:  # the state moved on while the timer ran
            workflow.logger.info("alarm %s of %s skipped: %s", alarm.kind, alarm.step_id, err.code)
