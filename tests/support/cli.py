"""Running the ``mandates`` command in the tests: in process (typer's runner) or as a process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

Invoke = Callable[..., Result]
"""``invoke("list", "--json")``: the command run in process, its result."""
MANDATES = str(Path(sys.executable).parent / "mandates")
"""The installed ``mandates`` command of this environment."""
