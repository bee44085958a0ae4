"""``mandates web``: serve the web console on ``MANDATES_WEB_HOST``:``MANDATES_WEB_PORT``;
``mandates password-hash``: a person's console password as the identities file keeps it."""

from __future__ import annotations

import sys

import typer

from cli.output import BadInput, echo
from config.identity import hash_password
from web.__main__ import main

MIN_PASSWORD = 12


def web_command() -> None:
    """Serve the web console (127.0.0.1:8080 unless MANDATES_WEB_HOST/MANDATES_WEB_PORT say
    otherwise): the Secretariat's work and the parties' answer pages."""
    main()


def password_hash_command() -> None:
    """Ask for a console password (twice, not shown; or read one line from a pipe) and print
    its hash for the person's "password_hash" in the identities file."""
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a console password needs at least {MIN_PASSWORD} characters")
    echo(hash_password(password))
