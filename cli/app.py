"""The ``mandates`` command: every subcommand, and one-line errors instead of tracebacks."""

from __future__ import annotations

import os
import sys

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
    reviews,
    steering,
    web,
)
from cli.output import commands, echo, hint, printable, run
from config.logging import configure_logging
from domain.errors import DomainError
from usecases import BadInput, failure_message
from usecases.setup import setup as set_up

app = commands(
    name="mandates",
    help="Track what resolutions ask the Secretariat to do.",
    no_args_is_help=True,
)
app.command("import")(importing.import_command)
for _name, _command in steering.COMMANDS.items():
    app.command(_name)(_command)
app.add_typer(dev.app, name="dev")
app.add_typer(audit.app, name="audit")
app.command("reconcile")(audit.reconcile_command)
app.command("web")(web.web_command)
app.command("password-hash")(web.password_hash_command)
app.add_typer(contacts.app, name="contacts")
app.command("calendar")(calendar.calendar_command)
app.command("codec-server")(codec_server.codec_server_command)
app.command("list")(listing.list_command)
app.command("show")(listing.show_command)
app.command("report")(reports.report_command)
app.add_typer(projections.app, name="projections")
app.add_typer(reviews.app, name="reviews")


@app.command()
def setup() -> None:
    """Apply the database migrations and register the Temporal namespace and search attributes."""
    for line in run(set_up):
        echo(line)


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
    except BadInput as exc:
        return _die(str(exc), 2)
    except DomainError as exc:
        return _die(str(exc))
    except KeyboardInterrupt:
        return _die("interrupted", 130)
    except Exception as exc:
        message = failure_message(exc)
        if message is None and isinstance(exc, RuntimeError):
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if message is None:
            raise
        return _die(message)
    return 0


def _die(message: str, code: int = 1) -> int:
    if os.environ.get("MANDATES_DEBUG"):
        raise
    echo(f"error: {printable(hint(message), keep='')}", err=True)
    return code


if __name__ == "__main__":
    main()
