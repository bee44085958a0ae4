"""The harness's own dev stack, and the faults done to it.

The stack is ``devstack.DevStack`` under a temporary data folder, every part on a
free port of 127.0.0.1 (the settings come from this process's environment, which
the stack's processes inherit). A fault stops a part the hard way, then
``DevStack.up()`` starts whatever is no longer running, exactly as
``mandates dev up`` would after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil

from config.settings import Settings
from devstack.processes import free_port
from devstack.stack import DevStack

# What would point the stack at servers other than its own.
_EXTERNAL = (
    "DATABASE_URL",
    "DATABASE_ADMIN_URL",
    "TEMPORAL_ADDRESS",
    "MANDATES_SMTP_HOST",
    "MANDATES_IDENTITIES",
    "MANDATES_IDENTITY_TOKEN_FILE",
    "MANDATES_METRICS_PORT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)
_APPENDS_IN_FLIGHT = (
    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
    " AND (query LIKE '%audit_append(%' OR query LIKE '%audit_append_group(%') AND pid <> pg_backend_pid()"
)


def stack_environment(root: Path, task_queue: str = "faults") -> dict[str, str]:
    """The variables that put a dev stack in ``root`` on free ports."""
    return {
        "MANDATES_DATA_DIR": str(root),
        "MANDATES_PG_PORT": str(free_port()),
        "MANDATES_TEMPORAL_PORT": str(free_port()),
        "MANDATES_UI_PORT": str(free_port()),
        "MANDATES_SMTP_PORT": str(free_port()),
        "MANDATES_CODEC_PORT": str(free_port()),
        "MANDATES_WEB_PORT": str(free_port()),
        "MANDATES_TASK_QUEUE": task_queue,
        "MANDATES_MAIL_POLL_SECONDS": "1",
        "MANDATES_PROJECTOR": "worker",
        "LOG_FORMAT": "json",
    }


@dataclass
class FaultRecord:
    """One fault done during the run."""

    kind: str  # worker-kill, postgres-restart, temporal-restart
    at: float  # seconds since the run started
    down_seconds: float
    note: str = ""
    appends_in_flight: int | None = None  # audit appends Postgres was executing at a worker kill


@dataclass
class FaultStack:
    """A dev stack of its own, and the faults the harness does to it."""

    root: Path
    say: Callable[[str], None] = print
    faults: list[FaultRecord] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        for name in _EXTERNAL:
            os.environ.pop(name, None)
        os.environ.update(stack_environment(self.root))
        self.settings = Settings.load()
        self.stack = DevStack(self.settings)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def env(self) -> dict[str, str]:
        """The environment a ``mandates`` command needs to reach this stack."""
        return dict(os.environ)

    async def up(self) -> None:
        """Start every part that is not running and wait until each answers."""
        await self.stack.up(say=lambda line: self.say(f"  stack: {line}"))

    def down(self) -> None:
        self.stack.down()

    # --- faults ---------------------------------------------------------------

    async def kill_worker(self, wait_for_appends: float = 0.0) -> FaultRecord:
        """SIGKILL the worker (with ``wait_for_appends``, at the first moment Postgres shows an
        audit append in flight, waiting at most that long), then start a new one."""
        in_flight = await self._appends_in_flight(wait_for_appends) if wait_for_appends else 0
        process = self.stack.parts["worker"].running()
        if process is None:
            raise RuntimeError("the worker is not running")
        at = self.elapsed
        os.kill(process.pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            process.wait(10)
        began = time.monotonic()
        await self.up()
        note = f"pid {process.pid}; {in_flight} audit append(s) in flight at the kill"
        record = self._record("worker-kill", at, time.monotonic() - began, note)
        record.appends_in_flight = in_flight
        return record

    async def restart_postgres(self) -> FaultRecord:
        """Stop Postgres (fast shutdown: open transactions roll back) and start it again."""
        at = self.elapsed
        began = time.monotonic()
        if not await asyncio.to_thread(self.stack.postgres().stop):
            raise RuntimeError("Postgres was not running")
        await self.up()
        return self._record("postgres-restart", at, time.monotonic() - began)

    async def restart_temporal(self, down_for: float) -> FaultRecord:
        """Stop the Temporal dev server, leave it down ``down_for`` seconds, start it again on
        the same database file."""
        at = self.elapsed
        began = time.monotonic()
        if not await asyncio.to_thread(self.stack.parts["temporal"].stop):
            raise RuntimeError("the Temporal dev server was not running")
        await asyncio.sleep(max(0.0, down_for - (time.monotonic() - began)))
        await self.up()
        return self._record("temporal-restart", at, time.monotonic() - began)

    def _record(self, kind: str, at: float, down: float, note: str = "") -> FaultRecord:
        record = FaultRecord(kind, round(at, 1), round(down, 1), note)
        self.faults.append(record)
        self.say(f"[{at:6.1f}s] {kind}: back after {down:.1f}s{'; ' + note if note else ''}")
        return record

    async def _appends_in_flight(self, patience: float) -> int:
        """Poll Postgres until it shows an audit append executing (or ``patience`` runs out)."""
        deadline = time.monotonic() + patience
        try:
            conn = await asyncpg.connect(self.settings.database_admin_url, timeout=5)
        except (OSError, asyncpg.PostgresError):
            return 0
        try:
            while time.monotonic() < deadline:
                found = int(await conn.fetchval(_APPENDS_IN_FLIGHT))
                if found:
                    return found
                await asyncio.sleep(0.002)
            return 0
        finally:
            await conn.close()
