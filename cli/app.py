"""The ``mandates`` command: every subcommand, and one-line errors instead of tracebacks."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
import typer

from cli import (
    audit,
    calendar,
    codec_server,
    contacts,
    dev,
    importing,
    listing,
    projections,
    reports,
    steering,
)
from config.client import connect_temporal
from config.logging import configure_logging
from config.settings import Settings
from devstack.postgres import migrate
from devstack.temporal import ensure_namespace, ensure_search_attributes
from domain.errors import DomainError

app = typer.Typer(
    name="mandates",
    help="Track what resolutions ask the Secretariat to do.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("import")(importing.import_command)
for _name, _command in steering.COMMANDS.items():
    app.command(_name)(_command)
app.add_typer(dev.app, name="dev")
app.add_typer(audit.app, name="audit")
app.add_typer(contacts.app, name="contacts")
app.command("calendar")(calendar.calendar_command)
app.command("codec-server")(codec_server.codec_server_command)
app.command("list")(listing.list_command)
app.command("show")(listing.show_command)
app.command("report")(reports.report_command)
app.add_typer(projections.app, name="projections")


@app.command()
def setup() -> None:
    """Apply the database migrations and register the Temporal namespace and search attributes."""
    settings = Settings.load()

    async def run() -> None:
        applied = await migrate(settings.database_admin_url)
        typer.echo(f"migrations: {applied} applied")
        client = await connect_temporal(settings)
        if await ensure_namespace(client, settings.temporal_namespace):
            typer.echo(f"namespace {settings.temporal_namespace!r} registered")
        added = await ensure_search_attributes(client, settings.temporal_namespace)
        typer.echo(f"search attributes: {', '.join(added) if added else 'all present'}")

    asyncio.run(run())


def main() -> None:
    """Console-script entry point: run the command, turn failures into one line, exit."""
    configure_logging(os.environ.get("LOG_FORMAT", "console"), "warning")
    code = run_cli()
    # Leave without interpreter teardown: the Temporal client's native threads can abort a
    # finalizing interpreter (temporalio/sdk-python#300), which would turn success into 134.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_cli(args: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    try:
        app(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except DomainError as exc:
        return _die(str(exc))
    except asyncpg.PostgresError as exc:
        return _die(f"database: {exc}")
    except (TimeoutError, OSError) as exc:
        return _die(f"cannot reach a server: {exc}")
    except RuntimeError as exc:
        return _die(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except KeyboardInterrupt:
        return _die("interrupted", 130)
    return 0


def _die(message: str, code: int = 1) -> int:
    if os.environ.get("MANDATES_DEBUG"):
        raise
    print(f"error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    main()
