"""The projection's fold: audit records, in log order, into the states of the mandates they touch.

Each record is read as the domain event it holds (``domain.events.event_of``) and folded
into its mandate's state with the one fold of ``domain.state``; the rows written are a
mapping of those states (``projections.rows``). Besides the fold, the projection keeps
the log's facts the domain does not decide:

- every record of a mandate's stream moves its version (a type the domain does not read
  moves only the version, the last position and the time);
- an event that does not follow the version held raises ``ProjectionInconsistent``,
  rather than be applied twice or after a gap;
- events of a stream with no mandate (no ``MandateStarted`` or ``MandateFollowed`` yet)
  are not a mandate's and are left out.

The live projector and the rebuild both fold with ``ReadModelFold`` and write what it holds.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from domain import events as ev
from domain.errors import DomainError
from domain.state import MandateState, apply
from domain.values import RECORDED
from projections.rows import rows_of


class ProjectionInconsistent(DomainError):
    """An event does not follow the version the read model holds for its mandate."""

    code = "projection_inconsistent"


# --- reading an event from its payload's text -----------------------------------


def _holds_decimal(annotation: Any, seen: set[type] | None = None) -> bool:
    """Whether a field annotation (or a model's fields, at any depth) holds a Decimal."""
    seen = set() if seen is None else seen
    if annotation is Decimal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        return any(_holds_decimal(f.annotation, seen) for f in annotation.model_fields.values())
    return any(_holds_decimal(arg, seen) for arg in typing.get_args(annotation))


Reader = Callable[[str, str, datetime], Any]


def _reader(event_class: type[BaseModel]) -> Reader:
    """How events of one class are read from their payload's JSON text.

    The domain reads a payload parsed by ``json.loads`` (``events.event_of``). Validating
    the text itself (``model_validate_json``) gives the same event at half the cost, with
    exceptions: a Decimal written as a JSON number (``json.loads`` makes it a float first,
    so ``1e2`` becomes ``Decimal('100.0')``, not ``Decimal('100')``), and the followed
    paragraph, read leniently. Those are read the domain's way; so is any payload the
    direct way refuses, which then fails, or not, as it fails there.
    """
    event_type = event_class.model_fields["type"].default

    def as_the_domain_reads(stream_id: str, text: str, occurred_at: datetime) -> Any:
        return ev.event_of(stream_id, event_type, json.loads(text), occurred_at)

    if _holds_decimal(event_class) or event_type == ev.FOLLOWED:
        return as_the_domain_reads

    def directly(stream_id: str, text: str, occurred_at: datetime) -> Any:
        try:
            return event_class.model_validate_json(text, context=RECORDED)
        except ValidationError:
            return as_the_domain_reads(stream_id, text, occurred_at)

    return directly


EVENT_READERS: dict[str, Reader] = {
    event_class.model_fields["type"].default: _reader(event_class) for event_class in ev.EVENT_CLASSES
}
"""The reader of each domain event type (``events.DOMAIN_EVENT_TYPES``)."""

_STARTS = (ev.MandateStarted, ev.MandateFollowed)


class ReadModelFold:
    """The states of the mandates the records applied so far touched."""

    def __init__(self, states: Iterable[tuple[str, MandateState]] = ()) -> None:
        self.held: dict[str, MandateState] = dict(states)

    @staticmethod
    def read(stream_id: str, event_type: str, occurred_at: datetime, payload_text: str) -> Any:
        """The domain event a record holds (None for a type the domain does not read)."""
        read = EVENT_READERS.get(event_type)
        return read(stream_id, payload_text, occurred_at) if read is not None else None

    @staticmethod
    def target(stream_id: str, event: ev.MandateEvent | None) -> str:
        return ev.target_of(stream_id, event)

    def apply(
        self,
        position: int,
        stream_id: str,
        version: int,
        event_type: str,
        occurred_at: datetime,
        payload_text: str,
        event: Any = None,
    ) -> bool:
        """Fold one record (``event``: the record read already, if it was); False when it
        is no mandate's."""
        if event is None:
            event = self.read(stream_id, event_type, occurred_at, payload_text)
        target = ev.target_of(stream_id, event)
        state = self.held.get(target)
        if isinstance(event, _STARTS):
            if state is None:
                state = self.held[target] = MandateState()
        elif state is None:
            return False  # not a mandate's stream (or its start is not in the log)
        elif state.version != version - 1:
            raise ProjectionInconsistent(
                f"event #{position} is version {version} of {stream_id}, "
                f"but the read model holds version {state.version}"
            )
        if event is None:
            state.version += 1
            state.last_position = position
            state.last_event_at = occurred_at
        else:
            apply(state, event, position)
        state.version = version
        return True

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of every state held, table by table."""
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for mandate_id, state in self.held.items():
            for table, rows in rows_of(mandate_id, state).items():
                tables.setdefault(table, []).extend(rows)
        return tables
