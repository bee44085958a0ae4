"""Poison never wedges a mandate.

What the database refuses for what it is given (a NUL character, a character its encoding
cannot hold) is refused to the caller at once, never retried for ever; a workflow meeting
such a refusal refuses the command that led to it (an update) or skips it (a timer) and goes
on; a request that breaks the rules of ``domain.values`` never reaches the workflow's code.

The refusals are the database's own: a NUL in a ``jsonb`` payload, a database encoded in
LATIN1 that cannot hold Japanese text, and a trigger that refuses one event type with the
SQLSTATE of an untranslatable character. A wedged mandate never answers, so each call is
guarded: a mandate that does not answer within ``GUARD`` fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import build_activities
from activities.audit import AppendEventsInput, AuditActivities
from activities.notifications import NotificationActivities, NotifyInput
from domain import events as ev
from domain.plan import validate_plan
from domain.state import MandateStatus
from store.audit import AuditStore
from store.migrate import apply_migrations
from store.notifications import NotificationOutbox
from tests.support.database import Database, with_database
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import start, state_of, types, until
from workflows.consultation import ConsultationWorkflow
from workflows.mandate import MandateWorkflow
from workflows.messages import CompleteTaskRequest, RespondRequest, WithdrawRequest
from workflows.starter import consultation_handle

T = TypeVar("T")
DAY = timedelta(days=1)
GUARD = 60.0  # seconds: far beyond any answer of a mandate that is not wedged
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
PARTIES = ["Austria", "Mexico"]
JAPANESE = "日本からの回答"  # no character of it exists in LATIN1

CONSULT_THEN_TASK = validate_plan(
    {
        "steps": [
            {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
             "parties": PARTIES},
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 60},
        ]
    }
)  # fmt: skip
TASK = validate_plan({"steps": [{"type": "task", "id": "draft", "title": "Draft", "due_in_days": 10}]})


async def answered(call: Awaitable[T]) -> T:
    """The call's outcome; a mandate that never answers fails the test, not hangs it."""
    return await asyncio.wait_for(call, GUARD)


async def refused(call: Awaitable[Any]) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await answered(call)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def task_failures(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The workflow task failures of a mandate's history (a wedged mandate has them)."""
    history = await handle.fetch_history()
    return [
        e.workflow_task_failed_event_attributes.failure.message
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


# --- the activities: refused for good, at once ------------------------------------------


async def test_an_event_holding_nul_is_refused_at_once_not_retried(pool: asyncpg.Pool) -> None:
    """The attack of `respond --file f` with 'a\\x00b' in f, one layer down: Postgres refuses
    the NUL in the jsonb payload; the activity says so once, non-retryable."""
    audit = AuditActivities(AuditStore(pool))
    poisoned = ev.ResponseReceived(
        step_id="consult", party="Austria", text="a\x00b", confidential=False, at=T0
    )

    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(
            audit.append_mandate_events,
            AppendEventsInput(stream_id="mandate-x-para-1", expected_version=0, events=[poisoned]),
        )

    assert failed.value.type == "unrecordable" and failed.value.non_retryable
    assert failed.value.message.startswith("the audit log cannot record this: ")
    assert "\n" not in failed.value.message
    assert await AuditStore(pool).read_stream("mandate-x-para-1") == []


async def test_a_notice_to_a_name_holding_nul_is_refused_at_once_not_retried(pool: asyncpg.Pool) -> None:
    outbox = NotificationActivities(NotificationOutbox(pool))
    overdue = ev.StepOverdue(step_id="consult", deadline=T0, recipients=["Aus\x00tria"], at=T0)
    request = NotifyInput(
        mandate_id="mandate-x-para-1",
        resolution_symbol="7/6",
        paragraph=1,
        step_titles={"consult": "Consult"},
        events=[ev.RecordedEvent(version=4, event=overdue)],
    )

    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(outbox.enqueue_notifications, request)

    assert failed.value.type == "unrecordable" and failed.value.non_retryable


# --- a request that breaks the rules never reaches the workflow's code --------------------


@pytest.mark.parametrize(
    ("update", "request_data"),
    [
        ("respond", {"party": "Austria", "text": "a\x00b"}),
        ("respond", {"party": "Aus\r\nBcc: eve@example.org", "text": "agreed"}),
        ("complete_task", {"by": "j.doe", "outcome": "done", "cost": "1e200000"}),
        ("extend_deadline", {"by": "j.doe", "until": "9999-12-31T23:59:59Z", "reason": "later"}),
        ("withdraw", {"by": "j.doe", "reason": "x" * 100_001}),
    ],
)
async def test_a_request_breaking_the_rules_is_rejected_and_the_mandate_goes_on(
    engine: Engine, update: str, request_data: dict[str, Any]
) -> None:
    """Sent as raw data (as a client that skips the request models would): the workflow's
    request model refuses it before the update is accepted; nothing is recorded."""
    handle = await start(engine, make_mandate(f"poison-request-{uuid.uuid4().hex[:8]}", CONSULT_THEN_TASK))
    before = await state_of(handle)

    rejected = await refused(handle.execute_update(update, request_data))

    assert rejected.message == "Failed decoding arguments"  # (the SDK's word for a refused model)
    history = await handle.fetch_history()
    accepted = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert accepted == [] and await state_of(handle) == before
    done = await answered(
        handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Austria", text="agreed"))
    )
    assert done.events == ["ResponseReceived"]
    assert await task_failures(handle) == []


# --- what the database refuses: the command is refused, the mandate goes on ---------------


@pytest.fixture
async def latin1_pool(postgres_admin_url: str, database: Database) -> AsyncIterator[asyncpg.Pool]:
    """A migrated database encoded in LATIN1, connected as the application role: valid text
    that it cannot hold is refused by Postgres itself (untranslatable character)."""
    name = f"mandates_latin1_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(
            f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        )
        conn = await asyncpg.connect(with_database(postgres_admin_url, name))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(with_database(database.app_dsn, name), min_size=1, max_size=10)
        try:
            yield pool
        finally:
            await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_a_response_the_database_cannot_hold_is_refused_and_the_mandate_goes_on(
    engine_factory: Callable[..., Any], latin1_pool: asyncpg.Pool
) -> None:
    audit = AuditStore(latin1_pool)
    async with engine_factory(build_activities(latin1_pool)) as engine:
        handle = await start(engine, make_mandate("poison-latin1", CONSULT_THEN_TASK))
        child = consultation_handle(engine.client, handle.id, "consult")

        through_mandate = await refused(
            handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Austria", text=JAPANESE))
        )
        to_consultation = await refused(
            child.execute_update(ConsultationWorkflow.respond, RespondRequest(party="Mexico", text=JAPANESE))
        )

        for refusal in (through_mandate, to_consultation):
            assert refusal.type == "unrecordable" and refusal.non_retryable
            assert refusal.message.startswith("the audit log cannot record this: ")
            assert "LATIN1" in refusal.message and "\n" not in refusal.message
        await answered(
            handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Austria", text="agreed"))
        )
        await answered(
            handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Mexico", text="d'accord"))
        )
        await until(handle, lambda s: s.current_step == "draft")
        outcome = await refused(
            handle.execute_update(
                MandateWorkflow.complete_task, CompleteTaskRequest(by="j.doe", outcome=JAPANESE)
            )
        )
        assert outcome.type == "unrecordable"
        withdrawn = await answered(
            handle.execute_update(MandateWorkflow.withdraw, WithdrawRequest(by="c", reason="test over"))
        )

        assert withdrawn.status is MandateStatus.WITHDRAWN
        stored = await audit.read_stream(handle.id)
        assert [s.version for s in stored] == list(range(1, len(stored) + 1))
        assert [s.type for s in stored].count("ResponseReceived") == 2
        assert all(JAPANESE not in str(s.payload) for s in stored)
        assert await task_failures(handle) == []
        assert await task_failures(child) == []


REFUSE_REMINDERS = """
CREATE FUNCTION refuse_reminders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.event_type = 'ReminderDue' THEN
        RAISE EXCEPTION 'this database holds no reminder' USING ERRCODE = 'untranslatable_character';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse_reminders BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_reminders();
"""


async def test_a_timer_whose_events_the_database_refuses_is_skipped_and_the_next_one_fires(
    engine: Engine, admin_conn: asyncpg.Connection
) -> None:
    """A task due in 10 days gets a reminder at once, then at 3 and 1 days, then falls
    overdue; the database refuses every reminder: each is skipped (once), the overdue
    notice is recorded, and the mandate still takes its commands."""
    await admin_conn.execute(REFUSE_REMINDERS)
    handle = await start(engine, make_mandate("poison-timer", TASK))

    await engine.env.sleep(11 * DAY)
    state = await until(handle, lambda s: s.step("draft").overdue)
    assert state.step("draft").reminders_sent == []
    done = await answered(
        handle.execute_update(MandateWorkflow.complete_task, CompleteTaskRequest(by="j.doe", outcome="done"))
    )

    assert done.status is MandateStatus.COMPLETED
    stored = await engine.audit.read_stream(handle.id)
    assert types([ev.from_payload(s.type, s.payload) for s in stored]) == [
        "MandateStarted", "StepStarted", "StepOverdue", "TaskCompleted", "StepCompleted", "MandateCompleted",
    ]  # fmt: skip
    assert await task_failures(handle) == []
    history = await handle.fetch_history()
    attempted = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "append_mandate_events"
    ]
    assert len(attempted) == 3 + 1 + 1 + 1  # start, 3 reminders tried once each, overdue, completion
