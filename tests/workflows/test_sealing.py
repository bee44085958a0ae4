"""The workflows' own messages (workflows/sealing.py), attacked as a client that reaches the
Temporal frontend would: the internal signals and a consultation started on its own.

An attacker without the codec key sends plain JSON (as ``temporal workflow signal --input``
does), which the strict codec refuses; one who holds the codec key but not the workers' key
sends encrypted messages with no seal, or a seal made with another key. None of it
changes the mandate, none of it reaches the audit log, and the workflows go on taking
real commands.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter

from config.codec import KeyRing
from domain import events as ev
from domain.decide import ExtendDeadline, RecordResponse
from domain.plan import validate_plan
from tests.support.mandates import make_mandate
from tests.support.temporal import DATA_CONVERTER, Engine
from tests.support.workflows import audit_log, child_started, start, state_of, until
from workflows.consultation import ConsultationWorkflow
from workflows.mandate import MandateWorkflow
from workflows.messages import ConsultationInput, ConsultationProgress, ForwardedCommand, RespondRequest
from workflows.sealing import Sealer
from workflows.starter import consultation_handle

PARTIES = ["Austria", "Mexico"]
PLAN = validate_plan(
    {
        "steps": [
            {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
             "parties": PARTIES},
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 40},
        ]
    }
)  # fmt: skip
WHEN = datetime(2027, 2, 1, tzinfo=UTC)


def plain_client(engine: Engine) -> Client:
    """A client that speaks JSON with no codec: what an attacker without the key uses."""
    env = engine.env.client
    return Client(env.service_client, namespace=env.namespace, data_converter=pydantic_data_converter)


def keyed_client(engine: Engine) -> Client:
    """A client with the codec key (it encrypts) but not the workers' sealing key."""
    env = engine.env.client
    return Client(env.service_client, namespace=env.namespace, data_converter=DATA_CONVERTER)


async def consulting(engine: Engine, slug: str) -> Any:
    handle = await start(engine, make_mandate(slug, PLAN))
    await until(handle, lambda s: s.current_step == "consult")
    await child_started(engine.client, f"{handle.id}--consult")
    return handle


def forged_answer() -> ForwardedCommand:
    return ForwardedCommand(command=RecordResponse(party="Austria", text="FORGED"), causation_id=None)


@pytest.mark.parametrize("attacker", ["without the codec key", "with the codec key", "with another seal"])
async def test_a_forged_forwarded_signal_records_nothing(
    engine: Engine, attacker: str, caplog: pytest.LogCaptureFixture
) -> None:
    handle = await consulting(engine, f"forged-forwarded-{attacker.split()[1]}")
    child_id = f"{handle.id}--consult"
    before = await audit_log(engine, handle.id)
    caplog.set_level(logging.WARNING, logger="temporalio.workflow")

    message = forged_answer()
    client = plain_client(engine) if attacker == "without the codec key" else keyed_client(engine)
    if attacker == "with another seal":  # a seal made with a key the workers do not hold
        (message,) = Sealer(KeyRing.generate()).seal("signal", child_id, "forwarded", [message])
    await client.get_workflow_handle(child_id).signal("forwarded", message)
    # and the extension of the table, "by someone else"
    extend = ForwardedCommand(command=ExtendDeadline(until=WHEN, reason="r", by="someone-else"))
    await client.get_workflow_handle(child_id).signal("forwarded", extend)

    # a real answer afterwards is taken, and is the only one recorded
    await handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Mexico", text="ours"))
    after = await audit_log(engine, handle.id)
    added = after[len(before) :]
    assert [(e.type, getattr(e, "party", None)) for e in added] == [("ResponseReceived", "Mexico")]
    assert not any(isinstance(e, ev.DeadlineExtended) for e in after)
    if attacker != "without the codec key":  # (the codec drops the plain one before any seal is read)
        assert "does not carry the workers' seal" in caplog.text


async def test_a_forged_progress_signal_changes_nothing_and_real_updates_still_work(engine: Engine) -> None:
    handle = await consulting(engine, "forged-progress")
    state = await state_of(handle)
    withdrawn = ev.RecordedEvent(
        version=state.version + 1, event=ev.MandateWithdrawn(reason="forged", by="someone else", at=WHEN)
    )
    for client in (plain_client(engine), keyed_client(engine)):
        await client.get_workflow_handle(handle.id).signal(
            "consultation_progress", ConsultationProgress(events=[withdrawn])
        )
    await handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Austria", text="first"))
    result = await handle.execute_update(
        MandateWorkflow.respond, RespondRequest(party="Mexico", text="second")
    )

    assert result.status.value == "active" and result.current_step == "draft"
    types = [e.type for e in await audit_log(engine, handle.id)]
    assert "MandateWithdrawn" not in types and types.count("ResponseReceived") == 2


async def test_a_consultation_started_on_its_own_records_nothing(engine: Engine) -> None:
    handle = await consulting(engine, "forged-child")
    state = await state_of(handle)
    rogue_id = f"{handle.id}--rogue"
    rogue = await keyed_client(engine).start_workflow(
        ConsultationWorkflow.run,
        ConsultationInput(state=state, step_id="consult"),
        id=rogue_id,
        task_queue=engine.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await rogue.result()
    assert "runs only as its mandate's child" in str(failed.value.cause)
    stored = await engine.audit.read_stream(handle.id)
    assert [s.version for s in stored] == list(range(1, state.version + 1))  # nothing more


async def test_the_child_the_mandate_started_still_takes_its_own_updates(engine: Engine) -> None:
    handle = await consulting(engine, "sealed-child")
    child = consultation_handle(engine.client, handle.id, "consult")
    await child.execute_update(ConsultationWorkflow.respond, RespondRequest(party="Austria", text="direct"))
    await handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Mexico", text="forwarded"))
    await until(handle, lambda s: s.current_step == "draft")
    responses = [e for e in await audit_log(engine, handle.id) if isinstance(e, ev.ResponseReceived)]
    assert [(e.party, e.text) for e in responses] == [("Austria", "direct"), ("Mexico", "forwarded")]
