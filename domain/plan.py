"""A mandate's plan: the ordered steps the Secretariat takes to carry it out.

A plan is data. It is validated when it is built or loaded (``load_plan``) and
every problem is reported as one line through ``PlanInvalid``. Step deadlines
are written either absolutely (``due``) or relative to the mandate's start
(``due_in_days``); ``Plan.resolve(start)`` turns every relative deadline into
an absolute one when the mandate starts.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from domain.errors import DomainError
from domain.forms import Form
from domain.values import Deadline, DueInDays, Name
from domain.vocabulary import MandateKind

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
StepId = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
MAX_STEPS = 100
MAX_PARTIES = 10_000
"""Parties of one consultation (the Convention has 191 States parties; far more would pass
what one workflow run answers well, RELIABILITY.md section 4)."""
MAX_APPROVERS = 100
MAX_POLICY_DAYS = 365
"""The longest reminder offset, escalation interval or late start, in days."""


class PlanInvalid(DomainError):
    """A plan (a plan file or a plan built in code) breaks a rule; the message says which."""

    code = "plan_invalid"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Step(_Frozen):
    """What every step has: a unique slug id, a title and exactly one deadline; and,
    for the report, the kind of work it serves and whether completing it concludes
    that work (a default plan's steps say both; a plan file may)."""

    id: StepId
    title: Name
    due: Deadline | None = None
    due_in_days: DueInDays | None = None
    serves: MandateKind | None = None
    concludes: bool = False

    @model_validator(mode="after")
    def _one_deadline(self) -> _Step:
        if (self.due is None) == (self.due_in_days is None):
            raise ValueError(f"step {self.id!r} needs exactly one of due or due_in_days")
        return self

    def due_at(self, start: datetime) -> datetime:
        """The absolute deadline of this step for a mandate started at ``start``."""
        if self.due is not None:
            return self.due
        assert self.due_in_days is not None
        return start + timedelta(days=self.due_in_days)


def _names(step_id: str, what: str, names: list[str]) -> None:
    if not names:
        raise ValueError(f"step {step_id!r} has no {what}")
    if any(not n.strip() for n in names):
        raise ValueError(f"step {step_id!r} has a blank name among its {what}")
    if len(set(names)) != len(names):
        raise ValueError(f"step {step_id!r} lists one of its {what} twice")


class ConsultationStep(_Step):
    """Parties (States parties, partner secretariats) are asked for input by the deadline.

    The consultation stays open ``grace_days`` after its deadline for late answers
    (overdue, with escalations), then closes with the non-respondents recorded.

    ``form``: the questionnaire the parties answer (``domain.forms``), if any; a step without
    one is written (and stored) as it was before forms existed.
    """

    type: Literal["consultation"] = "consultation"
    parties: Annotated[list[Name], Field(max_length=MAX_PARTIES)]
    confidential: bool = False
    grace_days: Annotated[int, Field(ge=0, le=365)] = 14
    form: Form | None = None

    @model_validator(mode="after")
    def _parties(self) -> ConsultationStep:
        _names(self.id, "parties", self.parties)
        return self

    @model_serializer(mode="wrap")
    def _without_an_absent_form(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("form", ...) is None:
            del data["form"]
        return data


class ApprovalStep(_Step):
    """Named approvers or roles approve (all of them, or any one); a rejection sends
    the mandate back to ``on_reject_go_to`` (an earlier step; the step just before
    this one when not given)."""

    type: Literal["approval"] = "approval"
    approvers: Annotated[list[Name], Field(max_length=MAX_APPROVERS)]
    rule: Literal["all", "any"] = "all"
    on_reject_go_to: StepId | None = None

    @model_validator(mode="after")
    def _approvers(self) -> ApprovalStep:
        _names(self.id, "approvers", self.approvers)
        return self


class TaskStep(_Step):
    """Secretariat work, completed with an outcome, the effort and the cost it took.

    ``compiles_report``: completing it compiles the progress report on the mandate's
    resolution from the audit log, and the outcome records the report's file and hash.
    """

    type: Literal["task"] = "task"
    assignee: Name = "secretariat"
    compiles_report: bool = False


class ReportStep(_Step):
    """A contribution due before a reporting body's session."""

    type: Literal["report"] = "report"
    body: Name = "Implementation Review Group"
    session_date: date | None = None
    assignee: Name = "secretariat"
    compiles_report: bool = False

    @model_validator(mode="after")
    def _before_session(self) -> ReportStep:
        if self.due is not None and self.session_date is not None:
            if self.due.astimezone(UTC).date() >= self.session_date:
                raise ValueError(
                    f"report step {self.id!r} is due {self.due.date()}, "
                    f"not before its session on {self.session_date}"
                )
        return self


Step = Annotated[
    ConsultationStep | ApprovalStep | TaskStep | ReportStep,
    Field(discriminator="type"),
]
STEP_TYPES = ("consultation", "approval", "task", "report")


class DeadlinePolicy(_Frozen):
    """When reminders, overdue notices and escalations fall.

    ``late_start_days``: a step whose planned deadline has already passed when it
    starts (earlier steps ran late, or it is being reworked) gets this many days.
    """

    reminder_days: Annotated[
        tuple[Annotated[int, Field(ge=1, le=MAX_POLICY_DAYS)], ...], Field(max_length=10)
    ] = (14, 3, 1)
    escalation_every_days: Annotated[int, Field(ge=1, le=MAX_POLICY_DAYS)] = 7
    late_start_days: Annotated[int, Field(ge=1, le=MAX_POLICY_DAYS)] = 14

    @model_validator(mode="after")
    def _distinct(self) -> DeadlinePolicy:
        if len(set(self.reminder_days)) != len(self.reminder_days):
            raise ValueError("reminder_days lists an offset twice")
        return self


class Access(_Frozen):
    """Who may complete a task or report, extend a deadline, withdraw the mandate, or record
    a party's answer on its behalf: roles or people, when a plan names them; by default
    (None) the step's assignee and the coordinator complete, and only the coordinator does
    the rest (``domain.access``)."""

    complete: list[Name] | None = None
    extend: list[Name] | None = None
    withdraw: list[Name] | None = None
    record_answers: list[Name] | None = None  # who records a party's answer on its behalf


class Plan(_Frozen):
    """An ordered list of uniquely named steps, the deadline policy they run under and who
    may do what."""

    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS)]
    deadlines: DeadlinePolicy = DeadlinePolicy()
    access: Access = Access()

    @model_validator(mode="after")
    def _rules(self) -> Plan:
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r}")
            seen.add(step.id)
        for index, step in enumerate(self.steps):
            if isinstance(step, ApprovalStep) and step.on_reject_go_to is not None:
                earlier = {s.id for s in self.steps[:index]}
                if step.on_reject_go_to not in earlier:
                    raise ValueError(
                        f"approval step {step.id!r} sends rejections to "
                        f"{step.on_reject_go_to!r}, which is not an earlier step"
                    )
        _check_order(self.steps)
        return self

    def step(self, step_id: str) -> ConsultationStep | ApprovalStep | TaskStep | ReportStep:
        """The step with this id (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        """The position of the step with this id."""
        return [s.id for s in self.steps].index(step_id)

    def step_ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def is_resolved(self) -> bool:
        return all(s.due is not None for s in self.steps)

    def resolve(self, start: datetime) -> Plan:
        """This plan with every relative deadline made absolute from ``start``.

        Raises:
            PlanInvalid: the resolved deadlines break a rule (e.g. a report falls
                on or after its session date).
        """
        steps = [
            s.model_dump(mode="python") | {"due": s.due_at(start), "due_in_days": None} for s in self.steps
        ]
        return validate_plan(
            {"steps": steps, "deadlines": self.deadlines.model_dump(), "access": self.access.model_dump()}
        )


def _check_order(steps: list[Any]) -> None:
    """Deadlines must not decrease along the plan (compared within one representation)."""
    last_abs: tuple[str, datetime] | None = None
    last_rel: tuple[str, int] | None = None
    for step in steps:
        if step.due is not None:
            if last_abs is not None and step.due < last_abs[1]:
                raise ValueError(f"step {step.id!r} is due before the earlier step {last_abs[0]!r}")
            last_abs = (step.id, step.due)
        elif step.due_in_days is not None:
            if last_rel is not None and step.due_in_days < last_rel[1]:
                raise ValueError(f"step {step.id!r} is due before the earlier step {last_rel[0]!r}")
            last_rel = (step.id, step.due_in_days)


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of ``day``: the instant a date-only deadline means."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _one_line(err: ValidationError) -> str:
    first = err.errors(include_url=False)[0]
    kind = first["type"]
    loc = [str(p) for p in first["loc"] if p not in STEP_TYPES]
    where = ".".join(loc)
    if kind == "value_error":
        message = str(first.get("ctx", {}).get("error", first["msg"]))
        return message if not where or "step" in message else f"{where}: {message}"
    if kind == "union_tag_invalid":
        tag = first.get("ctx", {}).get("tag")
        return f"{where}: unknown step type {tag!r} (expected {', '.join(STEP_TYPES)})"
    if kind == "union_tag_not_found":
        return f"{where}: a step needs a type ({', '.join(STEP_TYPES)})"
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def validate_plan(data: Any) -> Plan:
    """A plan from plain data (dicts and lists), or ``PlanInvalid`` with the reason."""
    try:
        return Plan.model_validate(data)
    except ValidationError as err:
        raise PlanInvalid(_one_line(err)) from None


def load_plan(text: str) -> Plan:
    """A plan from the text of a JSON plan file, or ``PlanInvalid`` with the reason."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanInvalid(f"plan file is not valid JSON: {err.msg} at line {err.lineno}") from None
    except ValueError as err:  # e.g. an integer of thousands of digits
        raise PlanInvalid(f"plan file is not a usable plan: {err}") from None
    except RecursionError:
        raise PlanInvalid("plan file nests too deeply to be a plan") from None
    return validate_plan(data)
