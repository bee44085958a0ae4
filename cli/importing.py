"""``mandates import``: from a resolution document to tracked mandates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from cli.output import echo, fail, print_json, run, table
from cli.steering import caller
from domain.plan import PlanInvalid
from domain.resolution import Resolution
from usecases import importing
from usecases.files import PLAN_LIMIT, RESOLUTION_LIMIT, read_limited


def read_resolution(path: Path) -> Resolution:
    """Read (up to its limit) and parse a resolution file; unreadable input raises a DomainError."""
    return importing.read_resolution(read_limited(path, RESOLUTION_LIMIT, "resolution file"))


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
            p.resource_constraint or "",
        )
        for p in resolution.operative
    ]
    return "\n".join(header) + table(
        ["para", "verb", "actor", "kinds", "confidential", "reports to", "resources"], rows
    )


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
    file: Path = typer.Argument(..., help="The resolution as plain text (UTF-8, Markdown emphasis allowed)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Parse and show; start and record nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the mandates found as a JSON array."),
    start: bool = typer.Option(False, "--start", help="Start one workflow per Secretariat mandate."),
    plan: Path | None = typer.Option(None, "--plan", help="JSON plan file replacing the default plans."),
) -> None:
    """Parse a resolution and show the mandates its operative paragraphs give.

    With --start, start one workflow per Secretariat mandate and record the other
    paragraphs as followed. Importing the same resolution again starts nothing new.
    """
    resolution = read_resolution(file)
    # Validate everything (plans included) before anything is shown as started.
    planned = importing.plan(resolution, datetime.now(UTC), _plan_data(plan))
    if as_json:
        print_json([p.to_summary() for p in resolution.operative])
    else:
        echo(describe(resolution))
    if dry_run or not start:
        if start and dry_run and not as_json:
            echo("\n--dry-run: nothing started")
        return
    imported = run(lambda engine: importing.start(engine, planned, caller()))
    rows = [(r.paragraph, r.mandate_id, r.status) for r in imported]
    started = sum(1 for _, _, status in rows if status == "started")
    out = echo if not as_json else (lambda text: echo(text, err=True))
    out("")
    out(table(["para", "mandate", "status"], rows))
    out(f"\n{started} mandate(s) started; see them with `mandates list`.")
