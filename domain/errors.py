"""Errors the domain and its stores raise.

Each carries a stable ``code`` so that callers (the CLI, update validators,
activities) can report or branch on the kind of error without parsing text.
"""


class DomainError(Exception):
    """Base of every error the engine reports to a user as one line."""

    code = "domain_error"


class VersionConflict(DomainError):
    """A different event was appended at a stream version that is already taken."""

    code = "version_conflict"

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(f"stream {stream_id!r} is at version {actual_version}, expected {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class IdempotencyConflict(DomainError):
    """An idempotency key was reused for an event of another stream."""

    code = "idempotency_conflict"


class Unrecordable(DomainError):
    """The store refuses what it was given, and would refuse it again (a character its
    database cannot hold, a value past its limits): the command that led to it is refused."""

    code = "unrecordable"
