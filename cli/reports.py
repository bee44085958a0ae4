"""``mandates report``: the progress report to the Implementation Review Group.

Built from the audit log alone (no Temporal, no read model), so the same log gives
the same report, byte for byte.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from cli.output import echo, fail, run
from usecases import reporting
from usecases.files import write_whole
from usecases.reporting import ReportPeriod, ReportPeriodInvalid


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"


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
    report = run(lambda engine: reporting.progress_report(engine, resolution=resolution, period=span))
    text = reporting.render(report, fmt.value)
    if out is None:
        echo(text, nl=False)
        return
    try:
        write_whole(out, text.encode("utf-8"))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    mandates = sum(len(r.mandates) for r in report.resolutions)
    echo(f"report on {mandates} paragraph{'s' if mandates != 1 else ''} written to {out}")
