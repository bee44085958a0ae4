"""The steering commands (respond, approve, reject, complete, extend, withdraw) as a
coordinator runs them: the installed command, against the test's worker and database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.identity import CallerSigning
from config.settings import Settings
from domain.plan import validate_plan
from projections import Projector
from store.audit import AuditStore
from tests.support import cosp7
from tests.support.cli import Command
from tests.support.database import Database
from tests.support.mandates import make_mandate
from tests.support.temporal import DATA_CONVERTER, Engine
from tests.support.workflows import audit_log, start, state_of, types, until
from worker import build_worker
from workflows.starter import mandate_handle, start_mandate

PLAN = validate_plan(
    {
        "steps": [
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 10},
            {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
             "parties": ["States parties", "OECD Working Group on Bribery"]},
            {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 40,
             "approvers": ["chief.of.section"], "on_reject_go_to": "draft"},
            {"type": "report", "id": "submit", "title": "Submit", "due_in_days": 50},
        ]
    }
)  # fmt: skip


async def started(engine: Engine, pool: asyncpg.Pool, slug: str) -> str:
    mandate = make_mandate(slug, PLAN, coordinator="coordinator")
    await start(engine, mandate)
    await Projector(pool).catch_up()
    return mandate.id


async def test_a_completion_sent_again_is_refused_naming_the_current_step(
    engine: Engine, pool: asyncpg.Pool, command: Command
) -> None:
    """The hint of `make demo` run a second time completed whatever step was current then, with
    the first step's outcome, effort and cost. Naming the step refuses it, saying where it is."""
    mandate = await started(engine, pool, "steer-twice")
    complete = ("complete", mandate, "--step", "draft", "--outcome", "Drafted", "--effort-days", "2")

    first = await command(*complete)
    assert first.code == 0, first.err
    assert "now at step consult" in first.out
    second = await command(*complete)

    assert second.error() == (
        "refused: step 'draft' is not the current step (it is completed); "
        "the current step is 'consult' (a consultation)"
    )
    assert types(await audit_log(engine, mandate)).count("TaskCompleted") == 1
    wrong = await command("respond", mandate, "--step", "approve", "--party", "States parties", "--text", "x")
    assert "the current step is 'consult'" in wrong.error()
    assert "--step: 'Draft' is not a step id" in (
        await command(*complete[:3], "Draft", "--outcome", "x")
    ).error(2)


async def test_a_cost_names_its_currency_and_no_cost_shows_none(
    engine: Engine, pool: asyncpg.Pool, command: Command
) -> None:
    mandate = await started(engine, pool, "steer-costs")

    bare = await command("complete", mandate, "--outcome", "Drafted", "--cost", "1500")
    assert bare.error(2) == "--cost: '1500' needs its currency, e.g. '1500 USD' (or set MANDATES_CURRENCY)"
    done = await command("complete", mandate, "--outcome", "Drafted", "--effort-days", "2")
    assert done.code == 0, done.err
    await Projector(pool).catch_up()
    shown = await command("show", mandate)

    assert "0.00" not in shown.out
    assert "total: 2 person-days" in shown.out
    assert "draft done by coordinator: 2 person-days" in shown.out  # (the timeline)
    for party in ("States parties", "OECD Working Group on Bribery"):
        assert (await command("respond", mandate, "--party", party, "--text", "ok")).code == 0
    assert (await command("approve", mandate, "--as", "chief.of.section")).code == 0
    submitted = await command(
        "complete", mandate, "--outcome", "Sent", "--cost", "1,500", MANDATES_CURRENCY="EUR"
    )
    assert submitted.code == 0, submitted.err
    await Projector(pool).catch_up()
    shown = await command("show", mandate)
    assert "EUR 1,500.00" in shown.out and "total: 2 person-days · EUR 1,500.00" in shown.out
    assert "submit done by coordinator: EUR 1,500.00" in shown.out


async def test_approve_and_reject_act_as_mandates_user_by_default(
    engine: Engine, pool: asyncpg.Pool, command: Command
) -> None:
    mandate = await started(engine, pool, "steer-as")
    assert (await command("complete", mandate, "--outcome", "Drafted")).code == 0
    for party in ("States parties", "OECD Working Group on Bribery"):
        assert (await command("respond", mandate, "--party", party, "--text", "ok")).code == 0

    rejected = await command(
        "reject", mandate, "--step", "approve", "--comment", "redo", MANDATES_USER="chief.of.section"
    )
    assert rejected.code == 0, rejected.err
    assert "now at step draft" in rejected.out
    state = await state_of(engine.client.get_workflow_handle(mandate))
    assert state.step("approve").returns[0].comment == "redo"
    events = await audit_log(engine, mandate)
    assert [e.by for e in events if e.type == "Rejected"] == ["chief.of.section"]  # type: ignore[attr-defined]


async def test_names_are_matched_whatever_their_case_and_an_unknown_party_lists_the_consulted(
    engine: Engine, pool: asyncpg.Pool, command: Command
) -> None:
    mandate = await started(engine, pool, "steer-names")
    assert (await command("complete", mandate, "--outcome", "Drafted")).code == 0
    await Projector(pool).catch_up()

    answered = await command("respond", mandate, "--party", "states parties", "--text", "We agree.")

    assert answered.code == 0, answered.err
    events = await audit_log(engine, mandate)
    assert [e.party for e in events if e.type == "ResponseReceived"] == ["States parties"]  # type: ignore[attr-defined]
    unknown = await command("respond", mandate, "--party", "Atlantis", "--text", "hi")
    assert unknown.error() == (
        "refused: 'Atlantis' is not consulted in step 'consult' "
        "(consulted: States parties, OECD Working Group on Bribery)"
    )


async def test_a_name_typed_in_another_case_is_signed_as_the_plan_spells_it(
    workflow_env: WorkflowEnvironment, pool: asyncpg.Pool, database: Database, tmp_path: Path
) -> None:
    """Where identities are checked, the caller must act as a name they hold: the command
    matches the typed name to the plan's before it signs, so a party's liaison typing its
    name in lower case is not refused as someone else."""
    tokens = {
        "l.ortiz": "liaison-token-0123456789abcdefghij",
        "m.rossi": "coordinator-token-0123456789abcdef",
    }
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"identities": [
        {"person": "l.ortiz", "roles": ["OECD Working Group on Bribery"], "token": tokens["l.ortiz"]},
        {"person": "m.rossi", "roles": ["coordinator"], "token": tokens["m.rossi"]},
    ]}))  # fmt: skip
    identities.chmod(0o600)
    (tmp_path / "liaison.token").write_text(tokens["l.ortiz"])
    (tmp_path / "liaison.token").chmod(0o600)
    queue = f"guarded-{uuid.uuid4()}"
    settings = Settings(MANDATES_IDENTITIES=str(identities), MANDATES_TASK_QUEUE=queue)  # type: ignore[arg-type]
    plan = validate_plan({"steps": [PLAN.steps[1].model_dump(mode="json")]})
    mandate = make_mandate("steer-signed", plan, coordinator="coordinator")
    coordinator = Client(
        workflow_env.client.service_client,
        namespace=workflow_env.client.namespace,
        data_converter=DATA_CONVERTER,
        interceptors=[CallerSigning(tokens["m.rossi"])],
    )
    liaison = Command.against(
        database.app_dsn, workflow_env.client, queue, tmp_path / "data",
        MANDATES_IDENTITY_TOKEN_FILE=str(tmp_path / "liaison.token"),
    )  # fmt: skip
    async with build_worker(workflow_env.client, pool, settings):
        assert (await start_mandate(coordinator, mandate, queue)).status == "started"
        await until(mandate_handle(workflow_env.client, mandate.id), lambda s: s.version > 0)
        await Projector(pool).catch_up()

        answered = await liaison(
            "respond", mandate.id, "--party", "oecd working group on bribery", "--text", "ok"
        )

        assert answered.code == 0, answered.err
        stored = await AuditStore(pool).read_stream(mandate.id)
        assert [(e.payload["party"], e.actor) for e in stored if e.type == "ResponseReceived"] == [
            ("OECD Working Group on Bribery", "OECD Working Group on Bribery")
        ]


async def test_an_extension_moves_what_follows_in_show_and_shows_what_cannot_move(
    engine: Engine, pool: asyncpg.Pool, command: Command
) -> None:
    session = (datetime.now(UTC) + timedelta(days=30)).date()
    plan = validate_plan(
        {"steps": [
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 10},
            {"type": "task", "id": "edit", "title": "Edit", "due_in_days": 15},
            {"type": "report", "id": "submit", "title": "Submit", "due_in_days": 20,
             "session_date": session.isoformat()},
            {"type": "task", "id": "follow-up", "title": "Follow up", "due_in_days": 60},
        ]}
    )  # fmt: skip
    mandate = make_mandate("steer-extend", plan, coordinator="coordinator")
    await start(engine, mandate)
    await Projector(pool).catch_up()
    before = {s["step_id"]: s for s in json.loads((await command("show", mandate.id, "--json")).out)["steps"]}
    until = datetime.fromisoformat(before["draft"]["deadline"]) + timedelta(days=25)

    extended = await command(
        "extend", mandate.id, "--step", "draft", "--until", until.isoformat(), "--reason", "late"
    )

    assert extended.code == 0, extended.err
    await Projector(pool).catch_up()
    after = {s["step_id"]: s for s in json.loads((await command("show", mandate.id, "--json")).out)["steps"]}
    moved = {k: datetime.fromisoformat(v["planned_due"]) - datetime.fromisoformat(before[k]["planned_due"])
             for k, v in after.items() if k != "draft"}  # fmt: skip
    assert moved["follow-up"] == timedelta(days=25)
    eve = datetime.combine(session, datetime.min.time(), tzinfo=UTC) - timedelta(minutes=1)
    # the report is held before its session, and the step before it with it
    assert [datetime.fromisoformat(after[k]["planned_due"]) for k in ("edit", "submit")] == [eve, eve]
    shown = (await command("show", mandate.id)).out
    (submit,) = [line for line in shown.splitlines() if " submit " in line]
    assert "planned before the current step's deadline" in submit
    assert "1 later step moved" not in shown and "3 later steps moved" in shown  # (the timeline)


async def test_withdrawing_says_the_mandate_is_withdrawn_and_later_actions_say_so_too(
    engine: Engine, pool: asyncpg.Pool, command: Command
) -> None:
    mandate = await started(engine, pool, "steer-withdraw")

    withdrawn = await command("withdraw", mandate, "--reason", "superseded by 8/2")

    assert withdrawn.code == 0, withdrawn.err
    assert withdrawn.out.startswith(f"{mandate}: recorded MandateWithdrawn; now withdrawn (version ")
    assert "now at step" not in withdrawn.out
    handle = engine.client.get_workflow_handle(mandate)
    await handle.result()
    await Projector(pool).catch_up()
    shown = json.loads((await command("show", mandate, "--json")).out)
    assert shown["current_step"] is None
    assert [s["status"] for s in shown["steps"]] == ["stopped", "pending", "pending", "pending"]
    assert "current step" not in (await command("show", mandate)).out
    after = await command("complete", mandate, "--outcome", "late")
    line = after.error()
    assert line.startswith(f"mandate '{mandate}' was withdrawn on ")
    assert line.endswith(": superseded by 8/2; nothing more can be recorded")
    assert "no running mandate" not in line


@pytest.mark.parametrize(
    ("paragraph", "says"),
    [
        (3, "was completed on 2018-03-15 09:00 UTC; nothing more can be recorded"),
        (4, "is only followed (addressed to states parties): the engine tracks no work"),
        (1, "is active but its workflow is not running (is the worker up? `mandates dev status`)"),
        (9, "no mandate 'mandate-cosp-7-enhancing-synergies-para-9' (see `mandates list`)"),
    ],
)
async def test_acting_on_a_mandate_without_a_running_workflow_says_what_it_is(
    pool: asyncpg.Pool, command: Command, paragraph: int, says: str
) -> None:
    await cosp7.append(pool, cosp7.build())  # (its mandates have no workflows here)
    await Projector(pool).catch_up()

    refused = await command("approve", f"mandate-cosp-7-enhancing-synergies-para-{paragraph}")

    assert says in refused.error()
