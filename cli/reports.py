"""``mandates report``: the progress report to the Implementation Review Group.

Built from the audit log alone (no Temporal, no read model), so the same log gives
the same report, byte for byte.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path

import typer

from cli.output import fail
from config.database import create_pool
from config.settings import Settings
from reports.progress import ReportPeriod, ReportPeriodInvalid, build_progress_report
from reports.render import to_html, to_markdown
from store.audit import AuditStore, StoredEvent


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"


async def _records() -> list[StoredEvent]:
    pool = await create_pool(Settings.load().database_url, min_size=1, max_size=2)
    try:
        return [event async for event in AuditStore(pool).iterate_all()]
    finally:
        await pool.close()


def report_command(
    resolution: str | None = typer.Option(
        None, "--resolution", help="Only this resolution (its symbol or slug, as `mandates list` shows)."
    ),
    period: str | None = typer.Option(
        None,
        "--period",
        metavar="FROM..TO",
        help="Whole days, e.g. 2027-01-01..2027-06-30 (either end open).",
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.MD, "--format", help="md (Markdown) or html (one file)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the report to this file instead of printing it."
    ),
) -> None:
    """Write the progress report to the Implementation Review Group from the audit log."""
    try:
        span = ReportPeriod.parse(period) if period else None
    except ReportPeriodInvalid as exc:
        fail(str(exc), code=2)
    report = build_progress_report(asyncio.run(_records()), resolution=resolution, period=span)
    if resolution and not report.resolutions:
        fail(f"no mandates of resolution {resolution!r} in the audit log (see `mandates list`)")
    text = to_html(report) if fmt is ReportFormat.HTML else to_markdown(report)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    mandates = sum(len(r.mandates) for r in report.resolutions)
    typer.echo(f"report on {mandates} paragraph{'s' if mandates != 1 else ''} written to {out}")
