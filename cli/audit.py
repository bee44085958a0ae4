"""``mandates audit``: the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.output import commands, echo, print_json, run, table
from domain.timeline import describe_event
from usecases import auditing
from usecases.reconciling import reconcile

app = commands(help="Inspect and verify the audit event log.")

CHECKPOINTS = typer.Option(
    None, "--checkpoints", help="Checkpoint file (default: <data folder>/checkpoints/audit.jsonl)."
)
KEY = typer.Option(None, "--key-file", help="Checkpoint key (default: <data folder>/checkpoint.key).")


@app.command()
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    checkpoints: Path | None = CHECKPOINTS,
    key_file: Path | None = KEY,
) -> None:
    """Recompute the hash chain, check the signature of every commit (public keys:
    MANDATES_AUDIT_PUBLIC_KEY_FILE) and the signed checkpoints; exit 1 and name the first bad
    position if anything breaks."""
    result = run(lambda engine: auditing.verify(engine, checkpoints=checkpoints, key_file=key_file))
    if as_json:
        print_json(result.as_dict())
    else:
        echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def checkpoint(checkpoints: Path | None = CHECKPOINTS, key_file: Path | None = KEY) -> None:
    """Sign the log's current head and append it to the checkpoint file (outside the database)."""
    signed, where = run(
        lambda engine: auditing.checkpoint(engine, checkpoints=checkpoints, key_file=key_file)
    )
    echo(f"checkpoint at position {signed.position} appended to {where}")


@app.command("log")
def log_(
    mandate_id: str = typer.Argument(..., metavar="ID", help="The mandate id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every audit event of one mandate, in order, with its position and hash."""
    events = run(lambda engine: auditing.mandate_log(engine, mandate_id))
    if as_json:
        print_json([
            {
                "position": e.position, "version": e.version, "type": e.type, "actor": e.actor,
                "occurred_at": e.occurred_at.isoformat(), "recorded_at": e.recorded_at.isoformat(),
                "payload": e.payload, "idempotency_key": e.idempotency_key,
                "prev_hash": e.prev_hash, "hash": e.hash,
            }
            for e in events
        ])  # fmt: skip
        return
    rows = [
        (e.position, e.version, e.occurred_at.strftime("%Y-%m-%d %H:%M"), e.type, e.actor,
         describe_event(e.type, e.payload), e.hash[:12])
        for e in events
    ]  # fmt: skip
    echo(table(["pos", "ver", "at (UTC)", "event", "actor", "what", "hash"], rows))


def reconcile_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Hold each mandate's workflow against its audit log: name every mandate whose workflow
    was terminated, reset or diverged (exit 1 when one is found)."""
    found = run(reconcile)
    if as_json:
        print_json([r.model_dump(mode="json") for r in found])
    else:
        wrong = [r for r in found if not r.agrees]
        if wrong:
            echo(table(["mandate", "log", "workflow", "finding"], [
                (r.mandate_id, f"{r.log_status} v{r.log_version}", r.workflow, r.finding) for r in wrong
            ]))  # fmt: skip
        echo(f"{len(found) - len(wrong)} of {len(found)} mandates agree with their workflows")
    if any(not r.agrees for r in found):
        raise typer.Exit(1)
