"""``mandates contacts``: the directory of e-mail addresses that reminders go to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from cli.output import fail, print_json, table
from config.database import create_pool
from config.settings import Settings
from domain.contacts import Contact, parse_contacts
from store.contacts import ContactStore, ImportSummary

app = typer.Typer(help="The contact directory: who reminders, overdue notices and escalations go to.")


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
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    except IsADirectoryError:
        fail(f"{file} is a folder, not a contact file", code=2)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", code=2)
    contacts = parse_contacts(text, file.name)
    if dry_run:
        typer.echo(_table(contacts))
        return

    async def store() -> ImportSummary:
        pool = await create_pool(Settings.load().database_url, min_size=1, max_size=2)
        try:
            return await ContactStore(pool).import_contacts(contacts, replace=replace)
        finally:
            await pool.close()

    summary = asyncio.run(store())
    typer.echo(
        f"imported {summary.addresses} address{'es' if summary.addresses != 1 else ''} "
        f"for {summary.names} name{'s' if summary.names != 1 else ''} "
        f"({summary.removed} replaced or removed)"
    )


@app.command("list")
def list_contacts(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the directory."""

    async def read() -> list[Contact]:
        pool = await create_pool(Settings.load().database_url, min_size=1, max_size=2)
        try:
            return await ContactStore(pool).all()
        finally:
            await pool.close()

    contacts = asyncio.run(read())
    if as_json:
        print_json([c.model_dump(mode="json") for c in contacts])
    elif not contacts:
        typer.echo("the directory is empty: `mandates contacts import FILE`")
    else:
        typer.echo(_table(contacts))


def _table(contacts: list[Contact]) -> str:
    return table(
        ["name", "role", "email", "display name"],
        [(c.name, c.role.value, c.email, c.display_name) for c in contacts],
    )
