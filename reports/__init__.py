"""Reports built from the audit log: the progress report to the Implementation Review Group.

- ``reports.progress``: ``build_progress_report``, audit records → ``ProgressReport``.
- ``reports.render``: ``to_markdown`` and ``to_html`` (one self-contained file).
- ``compile_report_for``: the Markdown a reporting mandate's "compile" step uses as
  its content, from the audit records of its resolution.

Everything here is pure: records in, text out, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.events import AuditRecord
from reports.progress import ProgressReport, ReportPeriod, build_progress_report
from reports.render import to_html, to_markdown


def compile_report_for(
    records: Iterable[AuditRecord],
    resolution: str,
    *,
    as_of: datetime | None = None,
    period: ReportPeriod | None = None,
) -> str:
    """The progress report on one resolution's mandates, as Markdown.

    Args:
        records: Audit log records (e.g. ``AuditStore.iterate_all()``); those of other
            resolutions are left out.
        resolution: The resolution's slug or symbol.
        as_of: When the report stands (default: the last recorded event of the resolution).
        period: Limit deadline outcomes and costs to a period (see ``build_progress_report``).
    """
    return to_markdown(build_progress_report(records, resolution=resolution, as_of=as_of, period=period))


__all__ = [
    "ProgressReport",
    "ReportPeriod",
    "build_progress_report",
    "compile_report_for",
    "to_html",
    "to_markdown",
]
