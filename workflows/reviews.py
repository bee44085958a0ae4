"""ReviewsImportWorkflow: records one import of the review calendar.

Every audit append is made by a worker and signed with its key; an import of a calendar
file is no exception. The use case (``usecases.reviews.import_reviews``) stages the events
the file leads to and starts this workflow with their hash, signed by the caller; its id
names the calendar's version and the batch (``reviews-import-<version>-<hash>``), so the
same import started twice runs once. Its one activity appends the events.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.reviews import ReviewActivities, ReviewImport, ReviewImportResult
    from domain.access import may_import_reviews
    from workflows.recorder import ACTIVITY_RETRY

__all__ = ["ReviewImport", "ReviewImportResult", "ReviewsImportWorkflow", "import_workflow_id"]

APPEND_TIMEOUT = timedelta(minutes=5)
"""An import of the largest file (``domain.reviews.MAX_IMPORT_ROWS`` events) is one statement."""


def import_workflow_id(expected_version: int, batch: str) -> str:
    return f"reviews-import-{expected_version}-{batch[:32]}"


@workflow.defn
class ReviewsImportWorkflow:
    """Appends one import's staged review events to the calendar's stream, once."""

    @workflow.run
    async def run(self, request: ReviewImport) -> ReviewImportResult:
        return await workflow.execute_activity_method(
            ReviewActivities.append_review_batch,
            request,
            start_to_close_timeout=APPEND_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
            summary=f"review calendar: {request.events} events from {request.source or 'an import'}",
        )

    def authorise(
        self, operation: str, args: Sequence[Any], person: str, names: Collection[str]
    ) -> str | None:
        """Why an authenticated caller may not import reviews (``config.identity``), or None."""
        return may_import_reviews(person, names)
