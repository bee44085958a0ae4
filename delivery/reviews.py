"""The review calendar as iCalendar: one all-day entry per review stage.

Pure: stages as a viewer sees them in (``domain.reviews.StageView``), text out. A stage the
viewer may not see (confidential) has no dates to show and is left out; the caller says how
many. Every text a person wrote (names, notes) goes through ``spreadsheet_safe`` too: a file
opened in a spreadsheet never runs a cell as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time

from delivery.notices import MAIL_DOMAIN, CalendarEvent, calendar
from domain.reviews import StageView, spreadsheet_safe


def review_event(view: StageView, stamp: datetime) -> CalendarEvent | None:
    """The entry of a stage (None for one the viewer may not see)."""
    if view.hidden or view.start is None or view.end is None or view.uid is None:
        return None
    s = spreadsheet_safe
    lines = [
        f"Mechanism: {s(view.mechanism)}",
        f"State: {s(view.state)}",
        f"Cycle: {s(view.cycle or '')}",
        f"Stage: {s(view.stage or '')}",
        f"Days: {view.start} to {view.end}",
    ]
    lines += [f"{s(name)}: {s(value)}" for name, value in sorted(view.notes.items())]
    if view.confidential:
        lines.append("Confidential: its details are for the coordinators only.")
    return CalendarEvent(
        uid=f"review.{view.uid}@{MAIL_DOMAIN}",
        stamp=stamp,
        start=datetime.combine(view.start, time(0, 0), tzinfo=UTC),
        last_day=view.end,
        summary=s(f"{view.mechanism}: {view.state}, {view.cycle}, {view.stage}"),
        description="\n".join(lines),
        alarm_days_before=None,
    )


def reviews_calendar(views: Iterable[StageView], stamp: datetime) -> tuple[str, list[CalendarEvent]]:
    """The VCALENDAR of the stages a viewer may see, and its entries, by day."""
    events = [e for v in views if (e := review_event(v, stamp)) is not None]
    events.sort(key=lambda e: (e.start, e.uid))
    return calendar(events), events
