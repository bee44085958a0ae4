"""Running the ``mandates`` command in the tests: in process (typer's runner) or as a process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client
from typer.testing import Result

from config.codec import format_keys
from tests.support.temporal import TEST_KEYS

Invoke = Callable[..., Result]
"""``invoke("list", "--json")``: the command run in process, its result."""
MANDATES = str(Path(sys.executable).parent / "mandates")
"""The installed ``mandates`` command of this environment."""


def activated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the commands as a person with the environment activated (its ``bin`` first on
    ``PATH``): the hints they print name ``mandates`` (``config.commands``)."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(MANDATES).parent), os.environ.get("PATH", "")]))


@dataclass(frozen=True)
class Ran:
    """What one run of the command did."""

    code: int
    out: str
    err: str

    def error(self, code: int = 1) -> str:
        """The one line of a failure (checked: exit ``code``, no traceback), without ``error: ``."""
        assert self.code == code, (self.code, self.out, self.err)
        lines = self.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        return lines[0].removeprefix("error: ")


@dataclass(frozen=True)
class Command:
    """The installed command run as a process (so that a worker in the test's event loop
    answers it) against the test's database and Temporal server."""

    env: dict[str, str]

    @classmethod
    def against(cls, database_url: str, client: Client, task_queue: str, data: Path, **env: str) -> Command:
        """The command for the database at ``database_url`` and the worker of ``task_queue``
        on ``client``'s server, as a person with the environment activated."""
        keep = {"HOME", "LANG", "LC_ALL", "TMPDIR"}
        return cls(
            {k: v for k, v in os.environ.items() if k in keep}
            | {
                "PATH": os.pathsep.join([str(Path(MANDATES).parent), os.environ.get("PATH", "")]),
                "DATABASE_URL": database_url,
                "TEMPORAL_ADDRESS": client.service_client.config.target_host,
                "TEMPORAL_NAMESPACE": client.namespace,
                "MANDATES_TASK_QUEUE": task_queue,
                "MANDATES_CODEC_KEYS": format_keys(TEST_KEYS.keys),
                "MANDATES_DATA_DIR": str(data),
                "MANDATES_USER": "coordinator",
            }
            | env
        )

    async def __call__(self, *args: str, **env: str) -> Ran:
        process = await asyncio.create_subprocess_exec(
            MANDATES,
            *args,
            env={**self.env, **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return Ran(process.returncode, out.decode(), err.decode())
