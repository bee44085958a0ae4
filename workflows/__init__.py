"""Workflows: the durable processes that carry out mandates.

- ``MandateWorkflow`` (``workflows.mandate``): one per mandate, id = mandate id.
- ``ConsultationWorkflow`` (``workflows.consultation``): a consultation step,
  child of its mandate, id ``<mandate-id>--<step-id>``.
- ``FollowedParagraphWorkflow`` (``workflows.followed``): records a paragraph the engine
  follows without a plan; id = its mandate id.
- ``ReviewsImportWorkflow`` (``workflows.reviews``): records one import of the review
  calendar; id ``reviews-import-<calendar version>-<batch hash>``.
- ``workflows.starter``: client-side helpers (start a mandate once, find its handle).
- ``workflows.messages``: the models that cross these boundaries.

Workflow code is deterministic: state comes from ``domain`` functions, every side
effect is an activity, time is ``workflow.now()``.
"""

from __future__ import annotations

from workflows.consultation import ConsultationWorkflow
from workflows.followed import FollowedParagraphWorkflow
from workflows.mandate import MandateWorkflow
from workflows.reviews import ReviewsImportWorkflow

WORKFLOWS: list[type] = [
    MandateWorkflow,
    ConsultationWorkflow,
    FollowedParagraphWorkflow,
    ReviewsImportWorkflow,
]

__all__ = [
    "WORKFLOWS",
    "ConsultationWorkflow",
    "FollowedParagraphWorkflow",
    "MandateWorkflow",
    "ReviewsImportWorkflow",
]
