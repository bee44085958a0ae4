"""``mandates import``: from a resolution document to tracked mandates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from cli.output import echo, fail, hint, print_json, run, table
from cli.steering import caller
from domain.plan import PlanInvalid
from domain.resolution import OperativeParagraph, Resolution
from usecases import importing
from usecases.files import PLAN_LIMIT, read_limited


def read_resolution(path: Path) -> Resolution:
    """Read and parse a resolution file (PDF, Word, HTML or text, told by its content).

    Unreadable input raises a DomainError (one line, exit 1).
    """
    try:
        return importing.read_resolution_file(path)
    except IsADirectoryError:
        fail(f"{path} is a folder, not a resolution file", code=2)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}", code=2)


def _due(p: OperativeParagraph) -> str:
    """When and how often the paragraph asks for a report ("once, eighty-first session")."""
    parts = [
        p.reporting_frequency.value.replace("_", " ") if p.reporting_frequency else "",
        p.report_due_session or "",
        p.report_due_date.isoformat() if p.report_due_date else "",
    ]
    return ", ".join(x for x in parts if x)


COLUMNS = (
    "para", "verb", "actor", "kinds", "confidential", "reports to", "report due", "review", "resources",
    "unsure",
)  # fmt: skip


def describe(resolution: Resolution) -> str:
    """The human view of what the importer found."""
    header = [
        f"{resolution.title or '(untitled resolution)'}",
        " · ".join(
            x
            for x in (
                resolution.symbol or resolution.slug,
                resolution.body,
                resolution.session,
                resolution.place,
                resolution.date,
            )
            if x
        ),
        "",
    ]
    rows = [
        (
            p.number,
            p.verb,
            p.actor.value,
            ", ".join(k.value for k in p.kinds) or "-",
            "yes" if p.confidential else "",
            p.reports_to or "",
            _due(p),
            "yes" if p.review_clause or p.sunset_clause else "",
            p.resource_constraint or "",
            "?" if p.unsure else "",
        )
        for p in resolution.operative
    ]
    lines = [table(COLUMNS, rows)]
    unsure = [(p.number, item) for p in resolution.operative for item in p.unsure]
    if unsure:
        lines.append("\nUnsure (check before --start; correct kinds or plans with --plan):")
        lines.extend(f"  para {number}: {item}" for number, item in unsure)
    return "\n".join(header) + "\n".join(lines)


def _plan_data(plan: Path | None) -> Any | None:
    if plan is None:
        return None
    try:
        text = read_limited(plan, PLAN_LIMIT, "plan file").decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"cannot read plan file {plan}: {exc}", code=2)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanInvalid(f"plan file is not valid JSON: {err.msg} at line {err.lineno}") from None


def import_command(
    file: Path = typer.Argument(
        ...,
        help="The resolution: PDF (with a text layer), Word (.docx), HTML, or UTF-8 text (Markdown allowed).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Parse and show; start and record nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the mandates found as a JSON array."),
    start: bool = typer.Option(False, "--start", help="Start one workflow per Secretariat mandate."),
    plan: Path | None = typer.Option(None, "--plan", help="JSON plan file replacing the default plans."),
    timeout: float = typer.Option(
        30.0, "--timeout", min=1, max=3600, help="Seconds to wait for each followed paragraph to be recorded."
    ),
) -> None:
    """Parse a resolution and show the mandates its operative paragraphs give.

    With --start, start one workflow per Secretariat mandate and record the other
    paragraphs as followed. Importing the same resolution again starts nothing new.
    """
    resolution = read_resolution(file)
    # Validate everything (plans included) before anything is shown as started.
    planned = importing.plan(resolution, datetime.now(UTC), _plan_data(plan))
    if as_json:
        print_json([p.to_record() for p in resolution.operative])
    else:
        echo(describe(resolution))
    if dry_run or not start:
        if start and dry_run and not as_json:
            echo("\n--dry-run: nothing started")
        return
    imported = run(
        lambda engine: importing.start(engine, planned, caller(), timeout=engine.wait_seconds),
        timeout=timeout,
    )
    rows = [(r.paragraph, r.mandate_id, r.status) for r in imported]
    started = sum(1 for _, _, status in rows if status == "started")
    out = echo if not as_json else (lambda text: echo(text, err=True))
    out("")
    out(table(["para", "mandate", "status"], rows))
    out(hint(f"\n{started} mandate{'s' if started != 1 else ''} started; see them with `mandates list`."))
