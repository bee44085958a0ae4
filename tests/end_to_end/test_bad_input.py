"""Bad input everywhere a user can type or send something: a clear error, and nothing changed.

Property-based (hypothesis): plan files, contact files, update requests, commands on
states the domain allows, and ``mandates`` argument lists. Each either works or fails
with the error type meant for it (one line), never with anything else; a refused
command leaves the state as it was, and a CLI command writes no audit event.

Inputs found to break this are pinned as strict expected failures at the end (so that
fixing them shows up here), with the reason in their marker.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from cli.app import run_cli
from devstack.processes import free_port
from domain import decide as d
from domain.contacts import Contact, ContactsInvalid, parse_contacts
from domain.errors import DomainError
from domain.plan import Plan, PlanInvalid, load_plan
from domain.state import MandateState, fold
from domain.values import name_problem, unstorable
from tests.support.database import Database
from tests.support.mandates import make_mandate
from tests.support.stories import KIND_SETS, Story, random_story
from workflows.messages import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    RejectRequest,
    RespondRequest,
    WithdrawRequest,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- building blocks ----------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["2027-01-15", "2027-01-15T09:00:00Z", "2027-01-15T09:00:00", "P3D", "", " "]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
STEP_KEYS = ["type", "id", "title", "due", "due_in_days", "parties", "approvers", "rule", "on_reject_go_to",
             "grace_days", "confidential", "assignee", "body", "session_date"]  # fmt: skip
step_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["consultation", "approval", "task", "report", "meeting"]) | scalars,
        "id": st.sampled_from(["consult", "approve", "draft", "Bad Id", ""]) | scalars,
        "title": st.text(max_size=10) | scalars,
        "due": st.sampled_from(["2027-01-15T09:00:00Z", "2027-01-15", "not a date"]) | scalars,
        "due_in_days": st.integers(min_value=-5, max_value=400) | scalars,
        "parties": st.lists(st.text(max_size=8), max_size=3) | scalars,
        "approvers": st.lists(st.text(max_size=8), max_size=3) | scalars,
        "rule": st.sampled_from(["all", "any", "most"]) | scalars,
        "on_reject_go_to": st.sampled_from(["consult", "draft", "nowhere"]) | scalars,
        "grace_days": st.integers(min_value=-2, max_value=400) | scalars,
        "session_date": st.sampled_from(["2027-02-01", "2026-12-01"]) | scalars,
    },
)
plan_like = st.fixed_dictionaries(
    {},
    optional={
        "steps": st.lists(step_like, max_size=4) | scalars,
        "deadlines": st.dictionaries(
            st.sampled_from(["reminder_days", "escalation_every_days", "late_start_days", "other"]),
            st.lists(st.integers(min_value=-2, max_value=30), max_size=3) | scalars,
            max_size=3,
        ),
    },
)


def one_line(err: Exception) -> bool:
    text = str(err)
    return bool(text.strip()) and "\n" not in text


# --- plan files ---------------------------------------------------------------------


@FAST
@given(text=st.text(max_size=200) | json_values.map(json.dumps) | plan_like.map(lambda p: json.dumps(p)))
@example(text='{"steps": [{"type": "task", "id": "a", "title": "t", "due_in_days": 1}]}')
def test_a_plan_file_is_a_plan_or_one_line_saying_why_not(text: str) -> None:
    try:
        plan = load_plan(text)
    except PlanInvalid as err:
        assert one_line(err), err
        return
    assert isinstance(plan, Plan)


# --- contact files ------------------------------------------------------------------

contact_lines = st.lists(
    st.tuples(
        st.sampled_from(["States parties", "chief.of.section", "", " ", "x,y", '"quoted"'])
        | st.text(max_size=8),
        st.sampled_from(["party", "approver", "coordinator", "secretariat", "PARTY", "boss", ""]),
        st.sampled_from(["a@b.example", "not-an-address", "", "a@b", "x@y.z"]) | st.text(max_size=8),
    ),
    max_size=4,
)


def csv_text(header: str, rows: list[tuple[str, str, str]]) -> str:
    return "\n".join([header, *(",".join(row) for row in rows)])


def yaml_text(rows: list[tuple[str, str, str]]) -> str:
    return "\n".join(
        f"- {{name: {json.dumps(n)}, role: {json.dumps(r)}, email: {json.dumps(e)}}}" for n, r, e in rows
    )


contact_files = st.one_of(
    st.tuples(st.text(max_size=200), st.sampled_from(["c.csv", "c.yaml", "c.yml", "c.txt", "C.CSV"])),
    st.tuples(
        st.builds(
            csv_text,
            st.sampled_from(
                [
                    "name,role,email",
                    "name,role",
                    "email,role,name,display_name",
                    "name,role,email,phone",
                    "# comment",
                ]
            ),
            contact_lines,
        ),
        st.just("c.csv"),
    ),
    st.tuples(st.builds(yaml_text, contact_lines), st.sampled_from(["c.yaml", "c.yml"])),
)


@FAST
@given(file=contact_files)
def test_a_contact_file_is_contacts_or_one_line_saying_why_not(file: tuple[str, str]) -> None:
    text, name = file
    try:
        contacts = parse_contacts(text, name)
    except ContactsInvalid as err:
        assert one_line(err), err
        return
    assert contacts and all(isinstance(c, Contact) for c in contacts)


# --- update requests ----------------------------------------------------------------

REQUESTS: list[type[BaseModel]] = [
    RespondRequest,
    ApproveRequest,
    RejectRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    WithdrawRequest,
]
request_fields = st.sampled_from(
    ["party", "text", "step_id", "by", "comment", "outcome", "effort_days", "cost", "currency", "until",
     "reason", "extra"]
)  # fmt: skip
field_values = st.one_of(
    json_values,
    st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        ["2027-01-15T09:00:00+02:00", "2027-01-15T09:00:00", "9999-12-31T23:59:59Z", "-1", "1e400"]
    ),
)


@FAST
@given(model=st.sampled_from(REQUESTS), data=st.dictionaries(request_fields, field_values, max_size=6))
def test_an_update_request_is_a_model_or_a_validation_error(
    model: type[BaseModel], data: dict[str, Any]
) -> None:
    try:
        request = model.model_validate(data)
    except ValidationError:
        return
    command = request.to_command()  # type: ignore[attr-defined]  # a valid request is a valid command
    assert command.type  # (the workflow's handlers never meet a ValidationError)


# --- commands on states the domain allows -------------------------------------------

# Commands as the update requests can make them (the values the domain refuses are covered
# by tests/domain/test_values.py and the update-request test above).
who = st.sampled_from(
    ["States parties", "OAS (MESICIC)", "chief.of.section", "legal-affairs", "j.doe"]
) | st.text(min_size=1, max_size=12).filter(lambda t: name_problem(t) is None)


def texts(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=max_size).filter(
        lambda t: unstorable(t) is None and (min_size == 0 or bool(t.strip()))
    )


zones = st.builds(
    timezone, st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))
)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2031, 1, 1), timezones=zones)
steps = st.sampled_from(["dialogue-consultation", "request-information", "approve-report", "compile-report",
                         "draft-mou", "nowhere"]) | st.none()  # fmt: skip
amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
commands = st.one_of(
    st.builds(d.RecordResponse, party=who, text=texts(1, 10), step_id=steps),
    st.builds(d.Approve, by=who, comment=texts(0, 5), step_id=steps),
    st.builds(d.Reject, by=who, comment=texts(1, 5), step_id=steps),
    st.builds(
        d.CompleteTask,
        by=who,
        outcome=texts(1, 5),
        effort_days=amounts,
        cost=amounts,
        currency=st.sampled_from(["USD", "EUR", "XYZ"]),
        step_id=steps,
    ),
    st.builds(d.ExtendDeadline, until=moments, reason=texts(1, 5), by=who, step_id=steps),
    st.builds(d.Withdraw, reason=texts(1, 5), by=who),
    st.builds(
        d.ReminderFired, step_id=steps.filter(bool), days_before=st.integers(min_value=-3, max_value=30)
    ),
    st.builds(d.DeadlineReached, step_id=steps.filter(bool)),
    st.builds(d.EscalationDue, step_id=steps.filter(bool), escalation=st.integers(min_value=-1, max_value=5)),
    st.builds(d.ConsultationDeadlinePassed, step_id=steps.filter(bool)),
)
stories = st.builds(
    lambda kinds, picks: random_story(make_mandate("bad-input", paragraph=1, kinds=kinds), picks),
    st.sampled_from(KIND_SETS),
    st.lists(st.integers(min_value=0, max_value=(1 << 16) - 1), max_size=80),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story=stories, command=commands, now=moments, restart=st.booleans())
def test_a_command_is_decided_or_refused_and_a_refusal_changes_nothing(
    story: Any, command: Any, now: datetime, restart: bool
) -> None:
    state: MandateState = story.state
    if restart:
        command = d.StartMandate(mandate=story.mandate)
    before = state.model_copy(deep=True)
    try:
        events = d.decide(state, command, now)
    except DomainError as err:
        assert type(err) in d.REFUSALS and one_line(err), err
        assert state == before
        return
    assert state == before  # decide never changes the state it is given
    after = fold(events, state)
    assert after.version == state.version + len(events)


# --- the command line ---------------------------------------------------------------

COMMANDS = [
    "import", "respond", "approve", "reject", "complete", "extend", "withdraw", "list", "show", "report",
    "calendar", "audit verify", "audit log", "audit checkpoint", "contacts import", "contacts list",
    "projections status", "projections rebuild", "dev status", "dev mail", "setup", "--help", "nonsense",
    "reviews import", "reviews overlaps", "reviews burden", "reviews costs", "calendar --reviews",
]  # fmt: skip
OPTIONS = [
    "--party", "--text", "--file", "--as", "--comment", "--outcome", "--effort-days", "--cost", "--until",
    "--reason", "--json", "--start", "--dry-run", "--plan", "--format", "--out", "--status", "--kind",
    "--overdue", "--checkpoints", "--key-file", "--replace", "--period", "--resolution", "--help", "-d",
    "--window-days", "--state", "--from", "--to", "--csv", "--confidential", "--reviews", "--table",
]  # fmt: skip
VALUES = [
    "mandate-cosp-7-x-para-1", "chief.of.section", "States parties", "2027-13-45", "2027-03-31", "1500 EUR",
    "-3", "NaN", "1e999", "md", "html", "pdf", "active", "", " ", "--", "-",
]  # fmt: skip
FILES = [
    "resolution.txt", "contacts.csv", "contacts.yaml", "plan.json", "binary.bin", "missing.txt", ".",
    "reviews.csv", "answers.json",
]  # fmt: skip
TOKENS = st.one_of(
    st.sampled_from(OPTIONS),
    st.sampled_from(VALUES),
    st.sampled_from(FILES),
    st.text(max_size=12).filter(lambda t: "\x00" not in t),
)
arguments = st.tuples(st.sampled_from(COMMANDS), st.lists(TOKENS, max_size=6))


def audit_state(url: str) -> tuple[Any, ...]:
    async def read() -> tuple[Any, ...]:
        conn = await asyncpg.connect(url)
        try:
            head = await conn.fetchrow("SELECT position, hash FROM audit_head")
            rows = await conn.fetchval("SELECT count(*) FROM audit_events")
            outbox = await conn.fetchval("SELECT count(*) FROM notifications_outbox")
            return (head["position"], head["hash"], rows, outbox)
        finally:
            await conn.close()

    return asyncio.run(read())


@pytest.fixture
def cli_env(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI pointed at the test database, at a Temporal address where nothing listens,
    working in a folder of files a user might pass."""
    for name in ("DATABASE_ADMIN_URL", "MANDATES_IDENTITY_TOKEN_FILE", "MANDATES_IDENTITIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("MANDATES_CODEC_KEYS", "k1:" + base64.b64encode(b"k" * 32).decode())
    monkeypatch.setenv("MANDATES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MANDATES_USER", "tester")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "resolution.txt").write_text(
        "The Conference,\n\n1. Requests the secretariat to continue the dialogue with States parties;\n"
    )
    (tmp_path / "contacts.csv").write_text("name,role,email\nStates parties,party,a@b.example\n")
    (tmp_path / "contacts.yaml").write_text("- {name: x, role: boss, email: nope}\n")
    (tmp_path / "plan.json").write_text('{"steps": []}')
    (tmp_path / "binary.bin").write_bytes(b"\x00\xff\x01PDF")
    (tmp_path / "reviews.csv").write_text(
        "mechanism,state,cycle,stage,start,end\nGRECO,France,round 5,visit,2027-01-01,2027-01-05\n"
    )
    (tmp_path / "answers.json").write_text('{"contact": "x", "schedule": [{"state": "=1+1"}]}')
    return tmp_path


NAMES = {"--as", "--party"}  # options whose value becomes a person's or party's name (1..200 characters)
STEERING = {"respond", "approve", "reject", "complete", "extend", "withdraw"}


def empty_or_long_name(argv: list[str]) -> bool:
    """A steering command given an empty (or over-long) name (the example list below)."""
    return argv[0] in STEERING and any(
        a in NAMES and (not b or len(b) > 200) for a, b in itertools.pairwise(argv)
    )


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,  # the same examples every run: a finding is not a flaky test
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(args=arguments)
@example(args=("approve", ["mandate-cosp-7-x-para-1"]))
@example(args=("audit", ["verify", "--checkpoints", "missing.txt"]))
@example(args=("import", ["resolution.txt", "--start", "--plan", "plan.json"]))
@example(args=("contacts", ["import", "contacts.yaml"]))
@example(args=("respond", ["mandate-cosp-7-x-para-1", "--party", "States parties", "--file", "binary.bin"]))
@example(args=("reviews import", ["reviews.csv"]))
@example(args=("reviews import", ["contacts.csv"]))
@example(args=("respond", ["mandate-cosp-7-x-para-1", "--party", "States parties", "--file", "answers.json"]))
@example(args=("reviews overlaps", ["--window-days", "-3", "--json"]))
def test_any_argument_list_exits_0_1_or_2_without_a_traceback_and_writes_no_audit_event(
    cli_env: Path, database: Database, capsys: pytest.CaptureFixture[str], args: tuple[str, list[str]]
) -> None:
    command, rest = args
    argv = command.split() + rest
    before = audit_state(database.admin_dsn)
    try:
        code = run_cli(argv)
    except BaseException as err:  # what run_cli lets through becomes a traceback for the user
        pytest.fail(f"mandates {argv!r} raised {type(err).__name__}: {err}")
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    if code != 0:
        assert err.strip(), (argv, "a failure says why")
    assert audit_state(database.admin_dsn) == before, argv


# --- inputs that once broke the rules above ------------------------------------------


def test_a_plan_with_a_huge_number_is_refused_in_one_line() -> None:
    with pytest.raises(PlanInvalid):
        load_plan('{"steps": [{"type": "task", "id": "a", "title": "t", "due_in_days": ' + "9" * 5000 + "}]}")


def test_a_deeply_nested_plan_is_refused_in_one_line() -> None:
    with pytest.raises(PlanInvalid):
        load_plan("[" * 100_000)


def test_a_contact_file_with_a_huge_field_is_refused_in_one_line() -> None:
    with pytest.raises(ContactsInvalid):
        parse_contacts("name,role,email\n" + "x" * 200_000 + ",party,a@b.example\n", "c.csv")


def test_a_deeply_nested_contact_file_is_refused_in_one_line() -> None:
    with pytest.raises(ContactsInvalid):
        parse_contacts("[" * 5000, "c.yaml")


def test_a_contact_file_with_a_byte_order_mark_is_read() -> None:
    assert parse_contacts("\ufeffname,role,email\nx,party,a@b.example\n", "c.csv")[0].name == "x"


def test_a_contact_name_with_a_nul_character_is_refused() -> None:
    with pytest.raises(ContactsInvalid):
        parse_contacts("name,role,email\n\x00x,party,a@b.example\n", "c.csv")


BAD_NAMES = [
    ["approve", "m", "--as", ""],
    ["respond", "m", "--party", "", "--text", "t"],
    ["withdraw", "m", "--reason", "r", "--as", "x" * 201],
]


@pytest.mark.parametrize("argv", BAD_NAMES)
def test_an_empty_or_over_long_name_is_one_line(cli_env: Path, argv: list[str]) -> None:
    assert empty_or_long_name(argv)
    assert run_cli(argv) == 2


@pytest.mark.parametrize(
    "until", [datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(8999, 12, 31, 23, 59, 59, tzinfo=UTC)]
)
def test_a_deadline_at_the_end_of_time_is_refused_or_decided(until: datetime) -> None:
    """``mandates extend --until 9999-12-31`` is typeable: it is refused as a command, and
    the latest deadline a command may hold is decided without overflowing."""
    # at its first step, a consultation
    story = Story(make_mandate("bad-input", paragraph=1, kinds=KIND_SETS[2]))
    step = story.state.active_step()
    assert step is not None and step.type == "consultation"
    try:
        command = d.ExtendDeadline(until=until, reason="r", by="x")
    except ValidationError as err:
        assert until.year >= 9000 and "too far in the future" in str(err)
        return
    try:
        d.decide(story.state, command, story.now)
    except DomainError:
        pass
    except OverflowError:
        pytest.fail("a consultation's closing time (deadline + grace days) overflows: OverflowError")
