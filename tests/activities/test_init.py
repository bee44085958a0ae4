"""The activities a worker registers (activities/__init__.py)."""

from __future__ import annotations

import asyncpg

from activities import build_activities


def test_the_worker_gets_both_activities(pool: asyncpg.Pool) -> None:
    names = [fn.__temporal_activity_definition.name for fn in build_activities(pool)]  # type: ignore[attr-defined]

    assert names == ["append_mandate_events", "enqueue_notifications"]
