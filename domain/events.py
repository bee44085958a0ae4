"""Domain events: one frozen model for every transition of a mandate.

Each event names what happened, to which step, and when (``at``, passed in by
whoever decided it). ``to_payload``/``from_payload`` turn events into the
audit store's ``(type, payload)`` and back; ``event_of`` reads an audit record
(a stored event of any type) as the domain event it holds, if any.

Confidentiality: a ``ResponseReceived`` for a confidential consultation keeps
its text (the audit store is the secure store) and says ``confidential: true``
so that reports can count responses without printing them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from domain.default_plans import with_step_roles
from domain.forms import FormAnswers
from domain.mandate import Mandate
from domain.values import RECORDED

ENGINE = "mandate-engine"
"""The actor of events no person caused (timers, hand-over between steps)."""


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime

    @property
    def actor(self) -> str:
        """Who caused the event: the person or party, or the engine itself."""
        for name in ("by", "party"):
            value = getattr(self, name, None)
            if isinstance(value, str):
                return value
        return ENGINE


class MandateStarted(_Event):
    type: Literal["MandateStarted"] = "MandateStarted"
    mandate: Mandate  # with its plan resolved: every deadline absolute

    @model_validator(mode="before")
    @classmethod
    def _recorded_before_step_roles(cls, data: Any) -> Any:
        """A start recorded before plan steps said what they serve (``with_step_roles``)."""
        if isinstance(data, dict) and isinstance(data.get("mandate"), dict):
            mandate = data["mandate"]
            if isinstance(mandate.get("plan"), dict):
                return {**data, "mandate": {**mandate, "plan": with_step_roles(mandate["plan"])}}
        return data


class StepStarted(_Event):
    type: Literal["StepStarted"] = "StepStarted"
    step_id: str
    deadline: AwareDatetime
    attempt: int = 1


class ConsultationOpened(_Event):
    type: Literal["ConsultationOpened"] = "ConsultationOpened"
    step_id: str
    parties: list[str]
    deadline: AwareDatetime
    closes_at: AwareDatetime
    confidential: bool


class Attachment(BaseModel):
    """A file sent with an answer: stored by its content's SHA-256, which the log records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=0)]
    content_type: str = "application/octet-stream"


class ResponseReceived(_Event):
    """A party's answer; ``revision`` 1, 2... when it replaces the party's earlier answer
    (both stay in the log; the latest counts). ``answers``: its answers to the step's form,
    canonical (``domain.forms``); absent from the payload of an answer without them."""

    type: Literal["ResponseReceived"] = "ResponseReceived"
    step_id: str
    party: str
    text: str
    confidential: bool
    revision: int = 0
    attachments: list[Attachment] = []
    by: str | None = None  # who recorded it on the party's behalf (None: the party itself)
    answers: FormAnswers | None = None


class ReminderDue(_Event):
    type: Literal["ReminderDue"] = "ReminderDue"
    step_id: str
    recipients: list[str]
    deadline: AwareDatetime
    days_before: int
    scheduled_for: AwareDatetime


class DeadlineExtended(_Event):
    type: Literal["DeadlineExtended"] = "DeadlineExtended"
    step_id: str
    previous: AwareDatetime
    until: AwareDatetime
    closes_at: AwareDatetime | None = None  # a consultation's new closing time
    reason: str
    by: str
    # The later steps' planned deadlines, moved with this one (``decide._later_steps``); none
    # in extensions recorded before they were moved.
    later: dict[str, AwareDatetime] = {}


class StepOverdue(_Event):
    type: Literal["StepOverdue"] = "StepOverdue"
    step_id: str
    deadline: AwareDatetime
    recipients: list[str]


class Escalated(_Event):
    type: Literal["Escalated"] = "Escalated"
    step_id: str
    recipient: str
    deadline: AwareDatetime
    escalation: int  # 1 for the first escalation of this deadline
    scheduled_for: AwareDatetime


class ApprovalRequested(_Event):
    type: Literal["ApprovalRequested"] = "ApprovalRequested"
    step_id: str
    approvers: list[str]
    rule: Literal["all", "any"]
    deadline: AwareDatetime


class Approved(_Event):
    type: Literal["Approved"] = "Approved"
    step_id: str
    by: str
    comment: str = ""


class Rejected(_Event):
    type: Literal["Rejected"] = "Rejected"
    step_id: str
    by: str
    comment: str
    go_to: str


class TaskCompleted(_Event):
    type: Literal["TaskCompleted"] = "TaskCompleted"
    step_id: str
    outcome: str
    effort_days: Decimal
    cost: Decimal
    currency: str
    by: str


class StepCompleted(_Event):
    type: Literal["StepCompleted"] = "StepCompleted"
    step_id: str
    outcome: str = ""


class ConsultationClosed(_Event):
    type: Literal["ConsultationClosed"] = "ConsultationClosed"
    step_id: str
    respondents: list[str]
    non_respondents: list[str]
    reason: Literal["all_answered", "deadline"]


class MandateCompleted(_Event):
    type: Literal["MandateCompleted"] = "MandateCompleted"


class MandateWithdrawn(_Event):
    type: Literal["MandateWithdrawn"] = "MandateWithdrawn"
    reason: str
    by: str


class MandateFollowed(_Event):
    """An operative paragraph the engine records and follows, but runs no steps for
    (addressed to States parties or the Conference, or asking the Secretariat for no
    work the engine tracks).

    Read leniently, since it is the one event written outside a workflow: missing keys
    fall back (``mandate_id`` to the stream's id, ``at`` to the record's time, the symbol
    and slug to each other), and ``resolution`` may be a slug, a symbol or an object
    with ``slug``/``symbol``.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", serialize_by_alias=True)

    type: Literal["MandateFollowed"] = "MandateFollowed"
    mandate_id: str
    resolution_symbol: str
    resolution_slug: str
    resolution_title: str | None = None
    paragraph: int = 0
    verb: str = ""
    addressee: str = Field("other", alias="actor")  # who the paragraph is addressed to
    kinds: list[str] = []
    reports_to: str | None = None
    text: str | None = None
    why: str = ""
    by: str | None = None  # who imported it (recorded as the event's actor)

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        resolution = data.get("resolution")
        if isinstance(resolution, dict):
            slug = resolution.get("slug") or resolution.get("resolution_slug")
            symbol = resolution.get("symbol") or resolution.get("resolution_symbol")
        else:
            slug = symbol = resolution if isinstance(resolution, str) else None
        slug = data.get("resolution_slug") or slug or symbol or data.get("mandate_id")
        symbol = data.get("resolution_symbol") or symbol or slug
        kinds = data.get("kinds") or []
        try:
            paragraph = int(data.get("paragraph") or 0)
        except (TypeError, ValueError):
            paragraph = 0
        reports_to, text = data.get("reports_to"), data.get("text")
        return {
            **data,
            "mandate_id": str(data.get("mandate_id") or ""),
            "resolution_symbol": str(symbol or ""),
            "resolution_slug": str(slug or ""),
            "paragraph": paragraph,
            "verb": str(data.get("verb") or ""),
            "actor": str(data.get("actor") or "other"),
            "kinds": [str(k) for k in kinds] if isinstance(kinds, list) else [str(kinds)],
            "reports_to": str(reports_to) if reports_to else None,
            "text": str(text) if text else None,
            "why": str(data.get("why") or ""),
        }


MandateEvent = Annotated[
    MandateStarted
    | StepStarted
    | ConsultationOpened
    | ResponseReceived
    | ReminderDue
    | DeadlineExtended
    | StepOverdue
    | Escalated
    | ApprovalRequested
    | Approved
    | Rejected
    | TaskCompleted
    | StepCompleted
    | ConsultationClosed
    | MandateCompleted
    | MandateWithdrawn
    | MandateFollowed,
    Field(discriminator="type"),
]

EVENT_CLASSES: tuple[type[_Event], ...] = get_args(get_args(MandateEvent)[0])
"""Every class of the union, in its order."""

DOMAIN_EVENT_TYPES: frozenset[str] = frozenset(c.model_fields["type"].default for c in EVENT_CLASSES)
"""The audit event types the domain reads (any other type in the log is not a mandate's event)."""

FOLLOWED = MandateFollowed.model_fields["type"].default


class RecordedEvent(BaseModel):
    """An event and the version it has in its mandate's audit stream."""

    model_config = ConfigDict(frozen=True)

    version: int
    event: MandateEvent


_ADAPTER: TypeAdapter[MandateEvent] = TypeAdapter(MandateEvent)
NOTIFYING = ("ReminderDue", "StepOverdue", "Escalated")
"""Event types that also put notifications in the outbox."""

REQUESTING = ("ConsultationOpened", "ApprovalRequested")
"""Event types that ask people to act, and so also tell them (a consultation's request to
each party, with its answer link; an approval's to each approver)."""


def to_payload(event: MandateEvent) -> tuple[str, dict[str, Any]]:
    """The audit store's ``(type, payload)`` for an event; the payload is plain JSON."""
    payload = event.model_dump(mode="json", exclude={"type"})
    if payload.get("answers", ...) is None:
        del payload["answers"]  # an answer without a form's, written as before forms existed
    return event.type, payload


def from_payload(event_type: str, payload: dict[str, Any]) -> MandateEvent:
    """The event an audit record holds (inverse of ``to_payload``), read as it was written:
    the rules of ``domain.values`` apply to what comes in, not to what was recorded."""
    return _ADAPTER.validate_python({**payload, "type": event_type}, context=RECORDED)


class AuditRecord(Protocol):
    """What the domain reads of an audit log record (``store.audit.StoredEvent`` has it)."""

    @property
    def position(self) -> int: ...
    @property
    def stream_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def payload(self) -> dict[str, Any]: ...


def event_of(
    stream_id: str, event_type: str, payload: dict[str, Any], occurred_at: datetime
) -> MandateEvent | None:
    """The domain event an audit record holds, or None for a type the domain does not read.

    Raises:
        pydantic.ValidationError: the payload does not fit the event its type names.
    """
    if event_type not in DOMAIN_EVENT_TYPES:
        return None
    if event_type == FOLLOWED:
        payload = {"at": occurred_at, **payload}
        payload["mandate_id"] = payload.get("mandate_id") or stream_id
    return from_payload(event_type, payload)


def target_of(stream_id: str, event: MandateEvent | None) -> str:
    """The mandate an event is about: its stream's, or the one a followed paragraph names."""
    return event.mandate_id if isinstance(event, MandateFollowed) else stream_id
