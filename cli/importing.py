"""``mandates import``: from a resolution document to tracked mandates."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.output import fail, print_json, table
from domain.resolution import Resolution, parse_resolution


def read_resolution(path: Path) -> Resolution:
    """Read and parse a resolution file; unreadable input raises a DomainError."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        fail(f"{path} is a folder, not a resolution file", code=2)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}", code=2)
    return parse_resolution(data)


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


def import_command(
    file: Path = typer.Argument(..., help="The resolution as plain text (UTF-8, Markdown emphasis allowed)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Parse and show; start and record nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the mandates found as a JSON array."),
    start: bool = typer.Option(False, "--start", help="Start one workflow per Secretariat mandate."),
    plan: Path | None = typer.Option(None, "--plan", help="JSON plan file replacing the default plans."),
) -> None:
    """Parse a resolution and show the mandates its operative paragraphs give."""
    resolution = read_resolution(file)
    if as_json:
        print_json([p.to_summary() for p in resolution.operative])
    else:
        typer.echo(describe(resolution))
    if dry_run or not start:
        return
    fail("--start needs the mandate workflows, which this build does not include yet")
