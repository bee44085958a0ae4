"""Projections: read models kept from the audit log, and the queries that read them.

- ``projections.fold``: audit records folded, mandate by mandate, with the domain's one
  fold (``domain.state``); ``projections.rows``: a mandate's state as its read-model rows.
- ``projections.projector``: follows the log by position and applies each event exactly
  once (``Projector``, ``run``, ``projector_running``); ``rebuild()`` replays the whole log.
  Both take out, fold and write through the same path; the SQL is ``store.read_models``'.
- ``projections.reviews``: the review calendar's read model (its own checkpoint, the fold of
  ``domain.calendar``) and the queries ``mandates reviews`` reads; the projector runs it too.
- ``projections.queries``: what ``mandates list`` and ``mandates show`` read, and the
  normalized view (``mandate_view``/``view_of_state``) that compares the read model
  with the fold of a mandate's events.

Run the projector on its own with ``python -m projections`` (and
``MANDATES_PROJECTOR=off`` for the worker), or inside the worker (the default).
"""

from __future__ import annotations

from projections.fold import ProjectionInconsistent
from projections.projector import CHECKPOINT, CheckpointStatus, Projector, projector_running, run
from projections.queries import (
    MandateDetail,
    MandateSummary,
    list_mandates,
    mandate_detail,
    mandate_view,
    view_of_state,
)
from store.read_models import READ_MODEL_TABLES

__all__ = [
    "CHECKPOINT",
    "READ_MODEL_TABLES",
    "CheckpointStatus",
    "MandateDetail",
    "MandateSummary",
    "ProjectionInconsistent",
    "Projector",
    "list_mandates",
    "mandate_detail",
    "mandate_view",
    "projector_running",
    "run",
    "view_of_state",
]
