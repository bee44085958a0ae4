"""``mandates contacts``: the directory of e-mail addresses that reminders go to."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.output import commands, echo, fail, hint, print_json, run, table
from domain.contacts import Contact
from usecases import directory
from usecases.files import CONTACTS_LIMIT, read_limited

app = commands(help="The contact directory: who reminders, overdue notices and escalations go to.")


@app.command("import")
def import_contacts(
    file: Path = typer.Argument(..., help="A CSV (name,role,email[,display_name]) or YAML file."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace the whole directory (default: only the names the file lists)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show; store nothing."),
) -> None:
    """Validate a directory file and store it; nothing is stored when any line is bad."""
    try:
        text = read_limited(file, CONTACTS_LIMIT, "contact file").decode("utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    contacts = directory.read_contacts(text, file.name)
    if dry_run:
        echo(_table(contacts))
        return

    summary = run(lambda engine: directory.import_contacts(engine, contacts, replace=replace))
    echo(
        f"imported {summary.addresses} address{'es' if summary.addresses != 1 else ''} "
        f"for {summary.names} name{'s' if summary.names != 1 else ''} "
        f"({summary.removed} replaced or removed)"
    )


@app.command("list")
def list_contacts(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the directory."""

    contacts = run(directory.list_contacts)
    if as_json:
        print_json([c.model_dump(mode="json") for c in contacts])
    elif not contacts:
        echo(hint("the directory is empty: `mandates contacts import FILE`"))
    else:
        echo(_table(contacts))


def _table(contacts: list[Contact]) -> str:
    return table(
        ["name", "role", "email", "display name"],
        [(c.name, c.role.value, c.email, c.display_name) for c in contacts],
    )
