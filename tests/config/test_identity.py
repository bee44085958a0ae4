"""Access: updates carry an authenticated caller; the worker refuses the rest with the reason."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from config.identity import (
    HEADER,
    REFUSED,
    CallerSigning,
    Directory,
    Identity,
    caller_header,
    check_caller,
    load_directory,
    load_token,
)
from config.settings import Settings, SettingsInvalid
from domain import events as ev
from domain.plan import validate_plan
from store.audit import AuditStore
from store.notifications import NotificationOutbox
from tests.support.mandates import COORDINATOR, make_mandate
from tests.support.temporal import DATA_CONVERTER, Engine
from tests.support.workflows import audit_log, until
from worker import build_worker
from workflows.mandate import MandateWorkflow
from workflows.messages import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    MandateInput,
    RespondRequest,
    WithdrawRequest,
)
from workflows.starter import consultation_handle, mandate_handle, start_mandate

OECD = "OECD Working Group on Bribery"
OAS = "OAS (MESICIC)"
CHIEF = "chief.of.section"
LIAISON_TOKEN = "liaison-token-0123456789abcdefghij"
CHIEF_TOKEN = "chief-token-0123456789abcdefghijkl"
STRANGER_TOKEN = "stranger-token-0123456789abcdefghi"
COORDINATOR_TOKEN = "coordinator-token-0123456789abcdefgh"
DIRECTORY = Directory.of(
    {
        LIAISON_TOKEN: Identity("l.ortiz", frozenset({OECD, OAS})),
        CHIEF_TOKEN: Identity("a.khan", frozenset({CHIEF})),
    }
)
PLAN = validate_plan(
    {
        "steps": [
            {"type": "consultation", "id": "consult", "title": "Consult partners", "due_in_days": 30,
             "parties": [OECD, OAS]},
            {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 60,
             "approvers": [CHIEF], "rule": "any"},
        ]
    }
)  # fmt: skip

# --- the check itself (pure) ---------------------------------------------------------------

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def check(token: str, request: Any, *, signed_for: Any = None, at: datetime = NOW, update_id: str = "u1"):
    header = caller_header(
        token, workflow_id="m-1", update="approve", update_id="u1", args=[signed_for or request], at=at
    )
    return check_caller(
        DIRECTORY,
        workflow_id="m-1",
        update="approve",
        update_id=update_id,
        args=[request],
        headers={HEADER: header},
        now=NOW,
    )


def test_a_caller_acting_in_a_role_they_hold_is_accepted() -> None:
    identity, reason = check(CHIEF_TOKEN, ApproveRequest(by=CHIEF))
    assert reason is None and identity == Identity("a.khan", frozenset({CHIEF}))
    assert check(CHIEF_TOKEN, ApproveRequest(by="a.khan"))[1] is None  # or as themselves


@pytest.mark.parametrize(
    ("token", "kwargs", "reason"),
    [
        (LIAISON_TOKEN, {}, "l.ortiz may not act as 'chief.of.section'"),
        (STRANGER_TOKEN, {}, "not in the identities file"),
        # a header signed for another name, update or time does not fit this request
        (CHIEF_TOKEN, {"signed_for": ApproveRequest(by="a.khan")}, "signature does not match"),
        (CHIEF_TOKEN, {"update_id": "u2"}, "signature does not match"),
        (CHIEF_TOKEN, {"at": NOW - timedelta(minutes=11)}, "stale"),
        (CHIEF_TOKEN, {"at": NOW + timedelta(minutes=11)}, "stale"),
    ],
)
def test_a_caller_is_refused_with_the_reason(token: str, kwargs: dict[str, Any], reason: str) -> None:
    identity, why = check(token, ApproveRequest(by=CHIEF), **kwargs)
    assert identity is None and why is not None and reason in why


def test_a_missing_or_malformed_header_is_refused() -> None:
    base = {"workflow_id": "m-1", "update": "approve", "update_id": "u1", "args": [ApproveRequest(by=CHIEF)]}
    _, missing = check_caller(DIRECTORY, headers={}, now=NOW, **base)  # type: ignore[arg-type]
    assert missing is not None and "MANDATES_IDENTITY_TOKEN_FILE" in missing
    header = caller_header(CHIEF_TOKEN, at=NOW, **base)  # type: ignore[arg-type]
    header.data = json.dumps({"kid": "x"}).encode()
    _, malformed = check_caller(DIRECTORY, headers={HEADER: header}, now=NOW, **base)  # type: ignore[arg-type]
    assert malformed == "the caller header is malformed"


def test_the_header_holds_no_token_and_no_name() -> None:
    header = caller_header(
        CHIEF_TOKEN,
        workflow_id="m-1",
        update="approve",
        update_id="u1",
        args=[ApproveRequest(by=CHIEF)],
        at=NOW,
    )
    assert set(json.loads(header.data)) == {"v", "kid", "at", "mac"}
    assert CHIEF_TOKEN.encode() not in header.data and b"a.khan" not in header.data


# --- the files -------------------------------------------------------------------------------


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def identities_json(*entries: dict[str, Any]) -> str:
    return json.dumps({"identities": list(entries)})


def test_the_identities_file_loads_into_a_directory(tmp_path: Path) -> None:
    path = write(
        tmp_path / "identities.json",
        identities_json({"person": "a.khan", "roles": [CHIEF], "token": CHIEF_TOKEN}),
    )
    directory = load_directory(path)
    assert [identity for _, identity in directory.by_token_id.values()] == [
        Identity("a.khan", frozenset({CHIEF}))
    ]


@pytest.mark.parametrize(
    ("text", "mode", "reason"),
    [
        ("{", 0o600, "not JSON"),
        ('{"identities": []}', 0o600, "expected"),
        (identities_json({"roles": [], "token": CHIEF_TOKEN}), 0o600, "identity 1 has no person"),
        (identities_json({"person": "a", "roles": "chief", "token": CHIEF_TOKEN}), 0o600, "not a list"),
        (identities_json({"person": "a", "token": "short"}), 0o600, "shorter than 24"),
        (
            identities_json({"person": "a", "token": CHIEF_TOKEN}, {"person": "b", "token": CHIEF_TOKEN}),
            0o600,
            "also another identity's",
        ),
        (identities_json({"person": "a", "token": CHIEF_TOKEN}), 0o644, "readable by every user"),
    ],
)
def test_a_bad_identities_file_is_one_line(tmp_path: Path, text: str, mode: int, reason: str) -> None:
    path = write(tmp_path / "identities.json", text, mode)
    with pytest.raises(SettingsInvalid) as raised:
        load_directory(path)
    message = str(raised.value)
    assert message.startswith("invalid setting MANDATES_IDENTITIES: ") and reason in message
    assert CHIEF_TOKEN not in message


def test_a_token_file_must_be_private_and_long_enough(tmp_path: Path) -> None:
    assert load_token(write(tmp_path / "token", f"{CHIEF_TOKEN}\n")) == CHIEF_TOKEN
    for text, mode, reason in [(CHIEF_TOKEN, 0o640, "chmod 600"), ("short", 0o600, "at least 24")]:
        with pytest.raises(SettingsInvalid) as raised:
            load_token(write(tmp_path / "token", text, mode))
        assert str(raised.value).startswith("invalid setting MANDATES_IDENTITY_TOKEN_FILE: ")
        assert reason in str(raised.value)


# --- end to end, on the time-skipping server: the worker with MANDATES_IDENTITIES ------------


@pytest.fixture
async def guarded(
    workflow_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[Engine]:
    """A worker with an identities file. It checks a caller's signature against the workflow's
    clock: the test's own server (``workflow_env``), whose clock no other test has moved."""
    entries = [
        {"person": "l.ortiz", "roles": [OECD, OAS], "token": LIAISON_TOKEN},
        {"person": "a.khan", "roles": [CHIEF], "token": CHIEF_TOKEN},
        {"person": "m.rossi", "roles": [COORDINATOR], "token": COORDINATOR_TOKEN},
    ]
    identities = write(tmp_path / "identities.json", identities_json(*entries))
    queue = f"guarded-{uuid.uuid4()}"
    settings = Settings(  # type: ignore[call-arg]
        MANDATES_IDENTITIES=str(identities), MANDATES_TASK_QUEUE=queue, MANDATES_DATA_DIR=str(tmp_path)
    )
    async with build_worker(workflow_env.client, pool, settings):
        yield Engine(workflow_env, queue, AuditStore(pool), NotificationOutbox(pool))


def client_of(engine: Engine, token: str | None) -> Client:
    plain = engine.client
    interceptors = [CallerSigning(token)] if token else []
    return Client(
        plain.service_client,
        namespace=plain.namespace,
        data_converter=DATA_CONVERTER,
        interceptors=interceptors,
    )


async def refused(call: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await call
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_only_authenticated_callers_in_their_roles_steer_a_mandate(guarded: Engine) -> None:
    mandate = make_mandate("access-guarded", PLAN)
    started = await start_mandate(client_of(guarded, COORDINATOR_TOKEN), mandate, guarded.task_queue)
    assert started.status == "started"
    handle = mandate_handle(guarded.client, mandate.id)
    await until(handle, lambda s: s.version > 0)
    liaison = mandate_handle(client_of(guarded, LIAISON_TOKEN), mandate.id)
    chief = mandate_handle(client_of(guarded, CHIEF_TOKEN), mandate.id)
    stranger = mandate_handle(client_of(guarded, STRANGER_TOKEN), mandate.id)
    answer = RespondRequest(party=OECD, text="we will share the figures")

    unsigned = await refused(handle.execute_update(MandateWorkflow.respond, answer))
    assert unsigned.type == REFUSED and "an authenticated caller is required" in unsigned.message
    unknown = await refused(stranger.execute_update(MandateWorkflow.respond, answer))
    assert "not in the identities file" in unknown.message
    wrong_role = await refused(chief.execute_update(MandateWorkflow.respond, answer))
    assert wrong_role.message == (
        "not authorised: a.khan may not act as 'OECD Working Group on Bribery' (roles: chief.of.section)"
    )
    # The consultation's own update is guarded as well.
    child = consultation_handle(client_of(guarded, CHIEF_TOKEN), mandate.id, "consult")
    assert (await refused(child.execute_update("respond", answer))).type == REFUSED
    # The identity check comes first: an approval by the liaison is refused as such.
    not_chief = await refused(liaison.execute_update(MandateWorkflow.approve, ApproveRequest(by=CHIEF)))
    assert "l.ortiz may not act as 'chief.of.section'" in not_chief.message

    await liaison.execute_update(MandateWorkflow.respond, answer)
    await liaison.execute_update(MandateWorkflow.respond, RespondRequest(party=OAS, text="agreed"))
    await until(handle, lambda s: s.current_step == "approve")
    done = await chief.execute_update(MandateWorkflow.approve, ApproveRequest(by=CHIEF))

    assert done.status.value == "completed"
    events = await audit_log(guarded, mandate.id)
    responses = [e for e in events if e.type == "ResponseReceived"]
    assert [e.party for e in responses] == [OECD, OAS]  # type: ignore[attr-defined]
    assert [e.by for e in events if e.type == "Approved"] == [CHIEF]  # type: ignore[attr-defined]


# --- the attacks of the security issue, refused -----------------------------------------------

TASK_PLAN = validate_plan(
    {
        "steps": [
            {"type": "consultation", "id": "consult", "title": "Consult partners", "due_in_days": 30,
             "parties": [OECD, OAS]},
            {"type": "task", "id": "draft", "title": "Draft", "due_in_days": 60},
        ]
    }
)  # fmt: skip


async def started_by_the_coordinator(guarded: Engine, slug: str, plan: Any = TASK_PLAN) -> Any:
    mandate = make_mandate(slug, plan, coordinator=COORDINATOR)
    started = await start_mandate(client_of(guarded, COORDINATOR_TOKEN), mandate, guarded.task_queue)
    assert started.status == "started"
    handle = mandate_handle(guarded.client, mandate.id)
    await until(handle, lambda s: s.version > 0)
    return handle


async def test_a_mandate_started_without_a_caller_or_by_one_not_its_coordinator_records_nothing(
    guarded: Engine,
) -> None:
    """Anyone who reaches Temporal could start a workflow; only a coordinator's start runs."""
    for slug, token in (("raw-start", None), ("liaison-start", LIAISON_TOKEN)):
        mandate = make_mandate(slug, TASK_PLAN, coordinator=COORDINATOR)
        handle = await client_of(guarded, token).start_workflow(
            MandateWorkflow.run, MandateInput(mandate=mandate), id=mandate.id, task_queue=guarded.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert isinstance(failed.value.cause, ApplicationError) and failed.value.cause.type == REFUSED
        assert await guarded.audit.read_stream(mandate.id) == []
    assert "l.ortiz may not start mandate" in str(failed.value.cause.message)


async def test_who_may_do_what_is_the_mandates_rule_each_refusal_naming_it(guarded: Engine) -> None:
    handle = await started_by_the_coordinator(guarded, "access-rules")
    liaison = mandate_handle(client_of(guarded, LIAISON_TOKEN), handle.id)
    chief = mandate_handle(client_of(guarded, CHIEF_TOKEN), handle.id)
    coordinator = mandate_handle(client_of(guarded, COORDINATOR_TOKEN), handle.id)
    until_later = ExtendDeadlineRequest(
        by="l.ortiz", until=datetime(2030, 1, 1, tzinfo=UTC), reason="more time"
    )

    # a consulted party may not extend its own consultation, nor withdraw the mandate
    extended = await refused(liaison.execute_update(MandateWorkflow.extend_deadline, until_later))
    assert extended.message == (
        "not authorised: l.ortiz may not extend this mandate's deadlines "
        "(allowed: coordinator.anti-corruption)"
    )
    withdrawn = await refused(
        chief.execute_update(MandateWorkflow.withdraw, WithdrawRequest(by="a.khan", reason="no"))
    )
    assert "a.khan may not withdraw this mandate" in withdrawn.message
    # a coordinator may record an answer on a party's behalf, and the log says who
    on_behalf = RespondRequest(party=OECD, text="by post", by="m.rossi")
    assert (await refused(chief.execute_update(MandateWorkflow.respond, on_behalf))).type == REFUSED
    await coordinator.execute_update(MandateWorkflow.respond, on_behalf)
    await liaison.execute_update(MandateWorkflow.respond, RespondRequest(party=OAS, text="ours"))
    await until(handle, lambda s: s.current_step == "draft")
    # a task is completed by its assignee or the coordinator, not by an approver
    done = CompleteTaskRequest(by="a.khan", outcome="drafted")
    assert (
        "a.khan may not complete step 'draft'"
        in (await refused(chief.execute_update(MandateWorkflow.complete_task, done))).message
    )
    await coordinator.execute_update(MandateWorkflow.complete_task, done.model_copy(update={"by": "m.rossi"}))

    events = await audit_log(guarded, handle.id)
    answers = [(e.party, e.by) for e in events if isinstance(e, ev.ResponseReceived)]
    assert answers == [(OECD, "m.rossi"), (OAS, None)]
    assert not any(isinstance(e, ev.DeadlineExtended | ev.MandateWithdrawn) for e in events)


def test_a_captured_header_does_not_fit_other_arguments() -> None:
    signed = ApproveRequest(by=CHIEF, comment="as agreed")
    identity, reason = check(
        CHIEF_TOKEN, ApproveRequest(by=CHIEF, comment="something else"), signed_for=signed
    )
    assert identity is None and reason == "the caller's signature does not match this request"


async def test_two_answers_of_one_party_at_once_are_one_recorded_and_one_refused(guarded: Engine) -> None:
    handle = await started_by_the_coordinator(guarded, "answers-at-once")
    liaison = mandate_handle(client_of(guarded, LIAISON_TOKEN), handle.id)
    outcomes = await asyncio.gather(
        liaison.execute_update(MandateWorkflow.respond, RespondRequest(party=OECD, text="first")),
        liaison.execute_update(MandateWorkflow.respond, RespondRequest(party=OECD, text="second")),
        return_exceptions=True,
    )
    recorded = [o for o in outcomes if not isinstance(o, BaseException)]
    refusals = [o for o in outcomes if isinstance(o, WorkflowUpdateFailedError)]
    assert len(recorded) == 1 and len(refusals) == 1
    assert recorded[0].events == ["ResponseReceived"]
    assert "has already answered step 'consult' at " in str(refusals[0].cause)
    texts = [e.text for e in await audit_log(guarded, handle.id) if isinstance(e, ev.ResponseReceived)]
    assert len(texts) == 1
    # a revision is recorded as such, both texts kept
    revised = RespondRequest(party=OECD, text="third", revise=True)
    await liaison.execute_update(MandateWorkflow.respond, revised)
    responses = [e for e in await audit_log(guarded, handle.id) if isinstance(e, ev.ResponseReceived)]
    assert [(e.text, e.revision) for e in responses] == [(texts[0], 0), ("third", 1)]
