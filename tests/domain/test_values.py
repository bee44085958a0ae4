"""The values the engine takes from outside (``domain.values``) and the boundaries that use
them: plans, contacts, the resolution importer, recorded events.

Property-based: whatever text, number or moment comes in, it is refused with one line, or
it is one that can be stored, computed with and shown. The sets of characters are written
here independently of the module (Unicode categories, code points), so a rule dropped from
the module shows up as a counterexample.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from domain import events as ev
from domain.contacts import ContactsInvalid, parse_contacts
from domain.deadlines import escalation_time
from domain.decide import StartMandate, decide
from domain.importing import plan_import
from domain.mandate import Mandate
from domain.plan import MAX_POLICY_DAYS, PlanInvalid, load_plan
from domain.resolution import ResolutionUnreadable, parse_resolution
from domain.state import MandateState
from domain.values import (
    MAX_AMOUNT,
    MAX_NAME,
    MAX_TEXT,
    Amount,
    Comment,
    Deadline,
    Name,
    Text,
)
from domain.vocabulary import MandateKind

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAME: TypeAdapter[str] = TypeAdapter(Name)
TEXT: TypeAdapter[str] = TypeAdapter(Text)
COMMENT: TypeAdapter[str] = TypeAdapter(Comment)
AMOUNT: TypeAdapter[Decimal] = TypeAdapter(Amount)
DEADLINE: TypeAdapter[datetime] = TypeAdapter(Deadline)


def noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def storable(text: str) -> bool:
    """What Postgres (text, jsonb) and UTF-8 hold, and no noncharacter."""
    return all(c != "\x00" and unicodedata.category(c) != "Cs" and not noncharacter(c) for c in text)


def one_line(text: str) -> bool:
    return all(unicodedata.category(c) not in ("Cc", "Zl", "Zp") for c in text)


POISON = st.sampled_from(["\x00", "\ud800", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff"])
LINE_BREAKS = st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
CONTROLS = LINE_BREAKS | st.sampled_from(["\t", "\x1b", "\x07", "\x7f", "\x9b"])
any_text = st.text(st.characters(codec=None, categories=None), max_size=40)


def insert(text: str, poison: str, at: int) -> str:
    at = at % (len(text) + 1)
    return text[:at] + poison + text[at:]


def refused_in_one_line(adapter: TypeAdapter[Any], value: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(value)
    first = refused.value.errors(include_url=False)[0]
    message = str(first.get("ctx", {}).get("error", first["msg"]))
    assert message.strip() and "\n" not in message
    return message


# --- names and texts ---------------------------------------------------------------------


@FAST
@given(text=any_text | st.text(max_size=MAX_NAME + 20))
@example(text="Eve\r\nBcc: victim@example.org")
@example(text="a\x00b")
@example(text=" ")
@example(text="x" * (MAX_NAME + 1))
def test_a_name_is_accepted_only_as_one_storable_line(text: str) -> None:
    try:
        name = NAME.validate_python(text)
    except ValidationError:
        return
    assert name == text
    assert storable(name) and one_line(name) and name.strip() and 1 <= len(name) <= MAX_NAME


@FAST
@given(text=st.text(min_size=1, max_size=30), poison=POISON | CONTROLS, at=st.integers(min_value=0))
def test_any_control_or_unstorable_character_in_a_name_is_refused_saying_where(
    text: str, poison: str, at: int
) -> None:
    message = refused_in_one_line(NAME, insert(text, poison, at))
    assert message.startswith("holds ") or "string" in message.lower()


@FAST
@given(text=any_text | st.text(max_size=60))
@example(text="line one\nline two\r\n\ttabbed")
@example(text="a\x00b")
@example(text="\n\n")
def test_a_text_is_accepted_only_when_it_can_be_stored(text: str) -> None:
    try:
        accepted = TEXT.validate_python(text)
    except ValidationError:
        assert not (storable(text) and text.strip()) or len(text) > MAX_TEXT
        return
    assert accepted == text and storable(accepted) and accepted.strip()


@FAST
@given(text=st.text(max_size=30), poison=POISON, at=st.integers(min_value=0))
def test_an_unstorable_character_in_a_text_or_comment_is_refused(text: str, poison: str, at: int) -> None:
    for adapter in (TEXT, COMMENT):
        refused_in_one_line(adapter, insert(text, poison, at) + "x")


def test_a_text_is_bounded_and_says_so() -> None:
    assert TEXT.validate_python("x" * MAX_TEXT)
    assert "at most 100000 characters" in refused_in_one_line(TEXT, "x" * (MAX_TEXT + 1))
    assert refused_in_one_line(NAME, "a\x00b") == "holds a NUL character (U+0000) at character 2"
    assert refused_in_one_line(NAME, "Eve\r\nBcc: x") == "holds a line break (U+000D) at character 4"
    assert refused_in_one_line(TEXT, "a\ufffeb") == "holds a Unicode noncharacter (U+FFFE) at character 2"


# --- amounts and deadlines ----------------------------------------------------------------

amounts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(lambda m, e: Decimal(f"{m}e{e}"), st.integers(-(10**6), 10**6), st.integers(-300_000, 300_000)),
    st.sampled_from(["1e200000", "-0", "NaN", "-Infinity", "1500.00", "0.0000001", "1" + "0" * 13]),
)


@FAST
@given(value=amounts)
@example(value="1e200000")
def test_an_amount_is_finite_bounded_and_prints_short(value: Any) -> None:
    try:
        amount = AMOUNT.validate_python(value)
    except ValidationError:
        return
    assert amount.is_finite() and 0 <= amount <= MAX_AMOUNT
    assert amount.as_tuple().exponent >= -6  # type: ignore[operator]
    assert len(f"{amount:,.2f}") <= len("1,000,000,000,000.00")
    assert len(json.dumps(str(amount))) < 40


moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.builds(
        timezone, st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timedelta(minutes=m))
    ),
)


@FAST
@given(moment=moments)
@example(moment=datetime(9999, 12, 30, 23, 59, tzinfo=UTC))
@example(moment=datetime(8999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-23))))
@example(moment=datetime(1, 1, 2, tzinfo=timezone(timedelta(hours=23))))
def test_a_deadline_leaves_room_for_everything_computed_from_it(moment: datetime) -> None:
    try:
        deadline = DEADLINE.validate_python(moment)
    except ValidationError:
        assert not (datetime(1900, 1, 1, tzinfo=UTC) <= moment < datetime(9000, 1, 1, tzinfo=UTC))
        return
    # what the engine computes from a deadline, with every bound the plans allow, never overflows
    deadline.astimezone(UTC)
    deadline - timedelta(days=MAX_POLICY_DAYS)
    deadline + timedelta(days=MAX_POLICY_DAYS)  # a consultation's closing (grace days)
    deadline + timedelta(days=MAX_POLICY_DAYS * 1000)  # a thousand escalations, a year apart


# --- plans: what loads can be started and computed with ------------------------------------

steps = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["consultation", "approval", "task", "report"]),
        "id": st.sampled_from(["a", "b", "c"]),
        "title": st.sampled_from(["Consult", "Tab\there", "Bell\x07", "ok"]) | st.text(max_size=5),
        "parties": st.lists(
            st.sampled_from(["Austria", "a\x00b", "Eve\r\nBcc: x", ""]), min_size=1, max_size=2
        ),
        "approvers": st.lists(st.sampled_from(["legal-affairs", "\x1b[2J"]), min_size=1, max_size=2),
    },
    optional={
        "due": st.sampled_from(["9999-12-31T23:59:59Z", "8999-12-31T00:00:00-12:00",
                                "0001-01-01T00:00:00+01:00", "2027-03-01T00:00:00Z", "1899-12-31T23:59:59Z"]),
        "due_in_days": st.sampled_from([0, 30, 36_525, 36_526, 10**12, 10**18]) | st.integers(),
        "grace_days": st.integers(min_value=-1, max_value=400),
    },
)  # fmt: skip
policies = st.fixed_dictionaries(
    {},
    optional={
        "reminder_days": st.lists(st.integers(min_value=-1, max_value=10**9), max_size=12),
        "escalation_every_days": st.integers(min_value=-1, max_value=10**12),
        "late_start_days": st.integers(min_value=-1, max_value=10**12),
    },
)
starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step_list=st.lists(steps, min_size=1, max_size=3), policy=policies, start=starts)
def test_a_plan_that_loads_starts_and_computes_its_alarms(
    step_list: list[dict[str, Any]], policy: dict[str, Any], start: datetime
) -> None:
    try:
        plan = load_plan(json.dumps({"steps": step_list, "deadlines": policy}))
    except PlanInvalid as err:
        assert str(err).strip() and "\n" not in str(err)
        return
    for step in plan.steps:
        for name in [step.title, *getattr(step, "parties", []), *getattr(step, "approvers", [])]:
            assert storable(name) and one_line(name)
    mandate = Mandate(
        resolution_symbol="7/6", resolution_slug="values", paragraph=1, verb="requests",
        kinds=[MandateKind.REPORTING], plan=plan,
    )  # fmt: skip
    try:
        events = decide(MandateState(), StartMandate(mandate=mandate), start)
    except PlanInvalid:
        return  # a resolved deadline breaks a rule (a report on or after its session, say)
    started = events[0]
    assert isinstance(started, ev.MandateStarted)
    policy_ = started.mandate.plan.deadlines
    for step in started.mandate.plan.steps:
        assert step.due is not None
        for days in policy_.reminder_days:
            step.due - timedelta(days=days)
        step.due + timedelta(days=getattr(step, "grace_days", 0))
        escalation_time(step.due, policy_, 1000)
        step.due.astimezone(UTC)


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ({"due": "9999-12-31T23:59:59Z"}, "steps.0.due: is too far in the future"),
        ({"due_in_days": 10**12}, "steps.0.due_in_days: Input should be less than or equal to 36525"),
        ({"parties": ["a\x00b"]}, "steps.0.parties.0: holds a NUL character (U+0000) at character 2"),
        ({"parties": ["Eve\nBcc: x"]}, "steps.0.parties.0: holds a line break (U+000A) at character 4"),
    ],
)
def test_the_plan_attacks_of_the_issue_are_refused_in_one_line(step: dict[str, Any], reason: str) -> None:
    consult = {"type": "consultation", "id": "consult", "title": "Consult", "parties": ["Austria"]}
    if "due" not in step:
        consult["due_in_days"] = 30
    with pytest.raises(PlanInvalid) as refused:
        load_plan(json.dumps({"steps": [consult | step]}))
    assert str(refused.value).startswith(reason)


# --- contacts ------------------------------------------------------------------------------


@FAST
@given(
    column=st.sampled_from(["name", "display_name"]),
    value=st.text(st.characters(exclude_characters="\x00"), max_size=10),
    poison=LINE_BREAKS | st.sampled_from(["\x1b", "\t", "\ufffe"]),
    at=st.integers(min_value=0),
    fmt=st.sampled_from(["csv", "yaml"]),
)
def test_a_contact_name_holding_a_line_break_or_control_is_refused_naming_its_line(
    column: str, value: str, poison: str, at: int, fmt: str
) -> None:
    fields = {"name": "Austria", "role": "party", "email": "focal.point@example.org", "display_name": "A"}
    fields[column] = "A" + insert(value, poison, at) + "Z"  # (the ends of a field are trimmed)
    if fmt == "csv":
        quoted = {k: '"' + v.replace('"', '""') + '"' for k, v in fields.items()}
        text = "name,role,email,display_name\nMexico,party,mx@example.org,M\n" + ",".join(
            quoted[k] for k in ("name", "role", "email", "display_name")
        )
    else:
        rows = [{"name": "Mexico", "role": "party", "email": "mx@example.org"}, fields]
        text = "\n".join(f"- {json.dumps(row)}" for row in rows)
    with pytest.raises(ContactsInvalid) as refused:
        parse_contacts(text, f"contacts.{fmt}")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("line 3: " if fmt == "csv" else "line 2: ")


@pytest.mark.parametrize("column", ["name", "display_name"])
def test_an_overlong_contact_name_is_refused_naming_its_line(column: str) -> None:
    fields = {"name": "Austria", "display_name": "Austria"} | {column: "N" * 5000}
    text = f"name,role,email,display_name\n{fields['name']},party,a@example.org,{fields['display_name']}\n"
    with pytest.raises(ContactsInvalid, match=f"^line 2: {column} is longer than {MAX_NAME} characters"):
        parse_contacts(text, "contacts.csv")


# --- the resolution importer ----------------------------------------------------------------

RESOLUTION = "The Conference,\n\n1. Requests the secretariat to continue the dialogue with States parties;\n"


@pytest.mark.parametrize("poison", ["\ufffe", "\U0001ffff", "\ud800"])
def test_a_resolution_holding_an_unstorable_character_is_refused(poison: str) -> None:
    text = RESOLUTION.replace("dialogue", f"dia{poison}logue")
    with pytest.raises(ResolutionUnreadable, match="holds a "):
        parse_resolution(text)
    if poison != "\ud800":  # (bytes cannot hold a lone surrogate)
        with pytest.raises(ResolutionUnreadable, match="holds a "):
            parse_resolution(text.encode("utf-8"))


def test_a_paragraph_longer_than_any_recorded_text_is_refused_before_anything_starts() -> None:
    resolution = parse_resolution(RESOLUTION + "2. Invites States parties to " + "consider " * 12_000 + ";\n")
    with pytest.raises(
        ResolutionUnreadable, match=r"^operative paragraph 2: its text is longer than 100,000"
    ):
        plan_import(resolution, datetime(2027, 1, 4, tzinfo=UTC))


# --- what was recorded before a rule was made stricter is read as written -----------------


def test_a_recorded_plan_is_read_as_written_though_it_would_be_refused_now() -> None:
    step = {"type": "task", "id": "draft", "title": "Tab\tin title", "due": "2027-03-01T00:00:00Z"}
    plan = {"steps": [step]}
    mandate = {"resolution_symbol": "7/6", "resolution_slug": "values", "paragraph": 1, "verb": "requests",
               "kinds": ["reporting"], "plan": plan}  # fmt: skip
    started = ev.from_payload("MandateStarted", {"mandate": mandate, "at": "2027-01-04T00:00:00Z"})
    assert isinstance(started, ev.MandateStarted)
    assert started.mandate.plan.steps[0].title == "Tab\tin title"
    with pytest.raises(PlanInvalid, match="holds a control character"):
        load_plan(json.dumps(plan))
