"""Running the ``mandates`` command in the tests: in process (typer's runner) or as a process."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Invoke = Callable[..., Result]
"""``invoke("list", "--json")``: the command run in process, its result."""
MANDATES = str(Path(sys.executable).parent / "mandates")
"""The installed ``mandates`` command of this environment."""


def activated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the commands as a person with the environment activated (its ``bin`` first on
    ``PATH``): the hints they print name ``mandates`` (``config.commands``)."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(MANDATES).parent), os.environ.get("PATH", "")]))
