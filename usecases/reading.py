"""Reading what the engine knows: the list of mandates, one mandate, the read models' lag.

All of it comes from the read models and the audit log; none of it needs Temporal, so it
works while Temporal is down and after workflow histories have gone with retention.
"""

from __future__ import annotations

from projections import CHECKPOINT, CheckpointStatus, MandateDetail, MandateSummary, Projector
from projections import list_mandates as _list_mandates
from projections import mandate_detail as _mandate_detail
from projections.queries import StepDetail
from usecases.engine import Engine

STATUSES = ("active", "completed", "withdrawn", "followed")

__all__ = [
    "STATUSES",
    "CheckpointStatus",
    "MandateDetail",
    "MandateSummary",
    "StepDetail",
    "list_mandates",
    "projection_status",
    "rebuild_projections",
    "show_mandate",
]


async def list_mandates(
    engine: Engine, *, status: str | None = None, kind: str | None = None, overdue: bool = False
) -> list[MandateSummary]:
    """The mandates by resolution and paragraph; ``overdue``: active ones past their step's
    deadline now."""
    return await _list_mandates(
        await engine.pool(), now=engine.now(), status=status, kind=kind, overdue=overdue
    )


async def show_mandate(engine: Engine, mandate_id: str) -> MandateDetail | None:
    """One mandate: its steps, deadlines, parties, costs and timeline (None if unknown)."""
    return await _mandate_detail(await engine.pool(), mandate_id)


async def projection_status(engine: Engine) -> CheckpointStatus:
    """How far the read models are behind the audit log."""
    return await Projector(await engine.pool(), name=CHECKPOINT).status()


async def rebuild_projections(engine: Engine) -> tuple[int, CheckpointStatus]:
    """Rebuild every read model from the whole log, in one transaction; the events replayed."""
    projector = Projector(await engine.pool())
    replayed = await projector.rebuild()
    return replayed, await projector.status()
