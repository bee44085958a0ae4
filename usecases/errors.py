"""How a use case says no: one line, and whether the person asked wrongly or was refused."""

from __future__ import annotations

from domain.errors import DomainError


class Refused(DomainError):
    """The engine refuses the action (wrong person, wrong state, nothing running).
    ``reason``: the code of the domain's refusal behind it, when the workflow gave one
    (``already_responded``, ...), for an interface that has a hint to add."""

    code = "refused"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class NotFound(DomainError):
    """What the person named does not exist (no such mandate, no audit events)."""

    code = "not_found"


class BadInput(DomainError):
    """What the person gave cannot be used as given (a wrong value, an unreadable file)."""

    code = "bad_input"
