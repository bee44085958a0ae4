"""Where a projection stands against the audit log (its checkpoint and the log's head)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CheckpointStatus:
    """Where a projection stands against the log."""

    name: str
    position: int
    head: int
    updated_at: datetime | None

    @property
    def behind(self) -> int:
        """Events appended to the log and not applied yet."""
        return max(self.head - self.position, 0)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "position": self.position,
            "head": self.head,
            "behind": self.behind,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
