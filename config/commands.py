"""How a person runs the ``mandates`` command here, for the commands the engine prints.

``make install`` puts the command in ``.venv/bin``, which is on no one's ``PATH`` until they
activate the environment: a hint saying ``mandates list`` would then be a command that does
not exist. Every hint (the CLI's messages, the dev stack's, the e-mails) names the command
as it can be run from where the person is: ``mandates`` when that name on ``PATH`` is this
installation's, else the path of this installation's (``.venv/bin/mandates`` from the
project's folder).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

NAME = "mandates"
_HINT = re.compile(r"`mandates(?=[ `])")


def mandates_command(cwd: Path | None = None, path: str | None = None) -> str:
    """``mandates`` when that is this installation's command on ``PATH`` (``path``, default
    the environment's), else this installation's command by its path: relative to ``cwd``
    (default the current folder) when it lies under it."""
    installed = Path(sys.executable).parent / NAME
    found = shutil.which(NAME, path=path if path is not None else os.environ.get("PATH"))
    if found is not None and _same(Path(found), installed):
        return NAME
    here = (cwd or Path.cwd()).absolute()
    try:
        relative = installed.absolute().relative_to(here)
    except ValueError:
        return str(installed.absolute())
    return str(relative) if len(relative.parts) > 1 else f"./{relative}"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or os.path.samefile(a, b)
    except OSError:
        return False


def with_command(text: str, command: str | None = None) -> str:
    """``text`` with each quoted ``mandates ...`` command (in backquotes) naming the command
    as it runs here (``mandates_command()``)."""
    command = command or mandates_command()
    if command == NAME:
        return text
    return _HINT.sub(lambda _: f"`{command}", text)
