"""``mandates import``: from a resolution document to tracked mandates."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from cli.output import fail, print_json, table
from cli.steering import caller
from config.audit_keys import audit_signer
from config.client import connect_temporal
from config.database import create_pool
from config.settings import Settings
from domain.importing import ImportPlan, MandateFollowed, plan_import
from domain.plan import PlanInvalid
from domain.resolution import Resolution, parse_resolution
from store.audit import AuditStore, NewEvent
from workflows.starter import start_mandate


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


def _plan_data(plan: Path | None) -> Any | None:
    if plan is None:
        return None
    try:
        text = plan.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read plan file {plan}: {getattr(exc, 'strerror', None) or exc}", code=2)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanInvalid(f"plan file is not valid JSON: {err.msg} at line {err.lineno}") from None


async def _record_followed(store: AuditStore, followed: MandateFollowed, actor: str) -> str:
    if await store.stream_version(followed.mandate_id) > 0:
        return "followed (already recorded)"
    event_type, payload = followed.to_payload()
    await store.append(
        followed.mandate_id,
        0,
        [
            NewEvent(
                type=event_type,
                actor=actor,
                occurred_at=followed.at,
                payload=payload,
                idempotency_key=f"{followed.mandate_id}:followed",
            )
        ],
    )
    return "followed"


async def _start(plan: ImportPlan, settings: Settings, actor: str) -> list[tuple[int, str, str]]:
    """Start every mandate and record every followed paragraph; idempotent."""
    client = await connect_temporal(settings)
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        store = AuditStore(pool, signer=audit_signer(settings))
        rows = []
        for followed in plan.followed:
            rows.append(
                (followed.paragraph, followed.mandate_id, await _record_followed(store, followed, actor))
            )
        for mandate in plan.mandates:
            started = await start_mandate(client, mandate, settings.task_queue)
            rows.append((mandate.paragraph, mandate.id, started.status.replace("_", " ")))
        return sorted(rows)
    finally:
        await pool.close()


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
    planned = plan_import(resolution, datetime.now(UTC), _plan_data(plan))
    if as_json:
        print_json([p.to_summary() for p in resolution.operative])
    else:
        typer.echo(describe(resolution))
    if dry_run or not start:
        if start and dry_run and not as_json:
            typer.echo("\n--dry-run: nothing started")
        return
    rows = asyncio.run(_start(planned, Settings.load(), caller()))
    started = sum(1 for _, _, status in rows if status == "started")
    out = typer.echo if not as_json else (lambda text: typer.echo(text, err=True))
    out("")
    out(table(["para", "mandate", "status"], rows))
    out(f"\n{started} mandate(s) started; see them with `mandates list`.")
