"""Activities: the engine's I/O (Postgres), each idempotent and safe to retry.

``build_activities(pool, signer)`` builds the activity classes once with the worker's
pool (and the key its audit appends are signed with) and returns their bound methods
for ``Worker(activities=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from activities.audit import AuditActivities
from activities.notifications import NotificationActivities
from activities.reviews import ReviewActivities
from store.audit import AuditStore
from store.notifications import NotificationOutbox
from store.signing import Signer


def build_activities(pool: asyncpg.Pool, signer: Signer | None = None) -> list[Callable[..., Any]]:
    """The engine's activities, bound to stores that share ``pool``; audit appends signed
    with ``signer`` (unsigned without one: ``mandates audit verify`` then reports them)."""
    store = AuditStore(pool, signer=signer)
    audit = AuditActivities(store)
    outbox = NotificationActivities(NotificationOutbox(pool))
    reviews = ReviewActivities(store, pool)
    return [audit.append_mandate_events, outbox.enqueue_notifications, reviews.append_review_batch]


__all__ = ["AuditActivities", "NotificationActivities", "ReviewActivities", "build_activities"]
