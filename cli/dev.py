"""``mandates dev``: the embedded dev stack."""

from __future__ import annotations

import asyncio
import signal
import threading

import typer

from cli.output import commands, echo, hint, print_json, table
from config.settings import Settings
from devstack.mailbox import list_mail
from devstack.stack import DevStack, PartStatus

app = commands(help="Run the embedded dev stack: Temporal dev server + Web UI, Postgres, worker.")


def _print_status(rows: list[PartStatus]) -> None:
    echo(table(["part", "state", "address", "pid"], [(r.name, r.state, r.address, r.pid) for r in rows]))


@app.command()
def up(
    detach: bool = typer.Option(False, "--detach", "-d", help="Leave the stack running in the background."),
) -> None:
    """Start every part of the stack that is not running, wait until each answers."""
    settings = Settings.load()
    stack = DevStack(settings)
    already = stack.running()
    rows = asyncio.run(stack.up())
    echo("")
    _print_status(rows)
    echo("")
    if settings.uses_embedded_temporal:
        echo(f"Temporal Web UI: {settings.temporal_ui_url}")
    _print_console(settings)
    echo(f"Data folder: {stack.root}  (logs in {stack.log_dir})")
    if detach:
        echo(hint("Stop it with: `mandates dev down`"))
        return
    started = [name for name in stack.running() if name not in already]
    echo("Running in the foreground; press Ctrl-C to stop.")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(1.0):
        if any(name not in stack.running() for name in started):
            echo("a part of the stack stopped; see its log under " + str(stack.log_dir), err=True)
            break
    stopped = [name for name in stack.down() if name in started]
    echo(f"stopped: {', '.join(stopped) or 'nothing'}")


def _print_console(settings: Settings) -> None:
    echo(f"Web console:     {settings.web_url}")
    password = settings.console_password_file
    if settings.identities_file is None and password.exists():
        who = settings.acting_person()
        echo(f"                 sign in as {who} with the password {password.read_text().strip()}")


@app.command()
def console() -> None:
    """Print where the web console is and the dev stack's sign-in."""
    _print_console(Settings.load())


@app.command()
def down() -> None:
    """Stop the processes this data folder's stack started."""
    stack = DevStack(Settings.load())
    stopped = stack.down()
    echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Report each part of the stack as up or down."""
    rows = DevStack(Settings.load()).status()
    if as_json:
        print_json([r.__dict__ for r in rows])
    else:
        _print_status(rows)


@app.command()
def mail(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the messages the stack's mail sink received: time, to, subject."""
    settings = Settings.load()
    messages = list_mail(settings.mail_path)
    if as_json:
        print_json([{**m.__dict__, "path": str(m.path)} for m in messages])
    elif not messages:
        echo(f"no messages in {settings.mail_path}")
    else:
        echo(table(["time", "to", "subject"], [(m.received_at, m.to, m.subject) for m in messages]))
