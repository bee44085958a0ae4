"""FollowedParagraphWorkflow: records one operative paragraph the engine follows.

A paragraph addressed to others (States parties, the Conference), or asking the
Secretariat for no work the engine tracks, gets no plan; it is recorded in the audit log
all the same (``MandateFollowed``), so that reports account for it. The record is written
by a worker like every other event, so that it is signed with the worker's key and its
author is the authenticated caller who imported the resolution (``by``): the importer
starts this workflow, whose id is the paragraph's mandate id (a second import finds it
started and records nothing), and whose one activity appends the event.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.audit import AppendEventsInput, AuditActivities
    from domain.access import may_follow
    from domain.events import MandateFollowed
    from workflows.recorder import ACTIVITY_RETRY, ACTIVITY_TIMEOUT


@workflow.defn
class FollowedParagraphWorkflow:
    """Appends the paragraph's ``MandateFollowed`` to its stream, once."""

    @workflow.run
    async def run(self, followed: MandateFollowed) -> int:
        result = await workflow.execute_activity_method(
            AuditActivities.append_mandate_events,
            AppendEventsInput(
                stream_id=followed.mandate_id,
                expected_version=0,
                events=[followed],
                correlation_id=followed.mandate_id,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
            summary=f"audit v1: paragraph {followed.paragraph} followed",
        )
        return result.version

    def authorise(
        self, operation: str, args: Sequence[Any], person: str, names: Collection[str]
    ) -> str | None:
        """Why an authenticated caller may not record this paragraph (``config.identity``), or None."""
        return may_follow(args[0], person, names)
