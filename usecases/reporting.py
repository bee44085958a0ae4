"""The progress report to the Implementation Review Group, from the audit log alone.

``progress_report`` reads the whole log and builds the report (``reports.progress``);
``compile_report_for_step`` is what completing a step that compiles the report does:
the report on the mandate's resolution is compiled from the log as it stands, saved
under the data folder, and its path and SHA-256 go into the step's recorded outcome,
so that the audit log says exactly which text was compiled.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from domain import events as ev
from reports import compile_report_for
from reports.progress import ProgressReport, ReportPeriod, ReportPeriodInvalid, build_progress_report
from reports.render import to_html, to_markdown
from store.audit import AuditStore, StoredEvent
from usecases.engine import Engine
from usecases.errors import NotFound
from usecases.files import write_file
from usecases.reading import show_mandate

__all__ = [
    "CompiledReport",
    "ProgressReport",
    "ReportPeriod",
    "ReportPeriodInvalid",
    "audit_records",
    "compile_report_for_step",
    "progress_report",
    "render",
]


class CompiledReport(BaseModel):
    """The report a step compiled: where it was saved, and its SHA-256."""

    model_config = ConfigDict(frozen=True)

    path: Path
    sha256: str

    def outcome(self, outcome: str) -> str:
        where = f"{self.path.parent.name}/{self.path.name}"
        return f"{outcome} (progress report compiled from the audit log: {where}, sha256 {self.sha256})"


async def audit_records(engine: Engine) -> list[StoredEvent]:
    """Every event of the audit log, in order."""
    return [event async for event in AuditStore(await engine.pool()).iterate_all()]


async def progress_report(
    engine: Engine, *, resolution: str | None = None, period: ReportPeriod | None = None
) -> ProgressReport:
    """The progress report on every mandate (or one resolution's), over a period or all time;
    a period that has not ended yet is reported as it stands now.

    Raises:
        NotFound: a resolution was named and the log holds no mandate of it.
    """
    report = build_progress_report(
        await audit_records(engine), resolution=resolution, period=period, now=engine.now()
    )
    if resolution and not report.resolutions:
        raise NotFound(f"no mandates of resolution {resolution!r} in the audit log (see `mandates list`)")
    return report


def render(report: ProgressReport, fmt: str) -> str:
    """The report as ``md`` (Markdown) or ``html`` (one self-contained file)."""
    return to_html(report) if fmt == "html" else to_markdown(report)


async def compile_report_for_step(
    engine: Engine, mandate_id: str, step_id: str | None = None
) -> CompiledReport | None:
    """If the mandate's current step (the one named, when it is current) compiles the progress
    report, compile it, save it and return where; else None."""
    detail = await show_mandate(engine, mandate_id)
    if detail is None or detail.current_step is None:
        return None
    if step_id is not None and step_id != detail.current_step:
        return None  # (the completion will be refused, naming the current step)
    stream = await AuditStore(await engine.pool()).read_stream(mandate_id)
    started = next((r for r in stream if r.type == "MandateStarted"), None)
    if started is None:
        return None
    event = ev.event_of(started.stream_id, started.type, started.payload, started.occurred_at)
    assert isinstance(event, ev.MandateStarted)
    step = event.mandate.plan.step(detail.current_step)
    if not getattr(step, "compiles_report", False):
        return None
    data = compile_report_for(await audit_records(engine), detail.resolution_slug).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    out = engine.settings.data_path / "reports"
    path = out / f"{mandate_id}--{detail.current_step}--{digest[:12]}.md"
    await write_file(path, data)
    return CompiledReport(path=path, sha256=digest)
