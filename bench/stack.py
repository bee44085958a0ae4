"""The servers a benchmark session runs on: one embedded Postgres and one Temporal dev server.

Both are started once per session (``python -m bench`` or the smoke test) on free
ports of 127.0.0.1, under a temporary folder, and stopped at the end. Engine and
baseline runs share them. Every run gets a fresh database copied from a migrated
template, so no run sees what an earlier one wrote (``fresh_database``).

The engine side runs as users run it: its clients come from ``config.client``
(``engine_client``), so payloads are encrypted with the session's codec key and
updates are signed with a caller's token, and its worker gets the same key and
an identities file that vouches for that caller (``WorkerProcess(..., codec=True)``).
The benchmarks used to build every client, the engine's worker's too, with the bare
pydantic data converter instead of ``config.client``, so neither happened.
``client()`` stays the plain client, for bare Temporal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config.client import connect_temporal
from config.codec import KeyRing, format_keys
from config.settings import APP_ROLE, Settings
from devstack.postgres import EmbeddedPostgres, set_password
from devstack.processes import LOOPBACK, ManagedProcess, free_port
from devstack.temporal import dev_server_command, ensure_search_attributes, temporal_cli
from store.migrate import apply_migrations

NAMESPACE = "default"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CALLER = "j.doe"
"""The person whose token signs the benchmarks' starts and updates; ``CALLER_ROLES`` are the
names they act as (the coordinator who starts ``bench.mandates``, the assignee of its tasks,
its consulted parties and its approver)."""
CALLER_ROLES = (
    "coordinator.bench", "secretariat", "chief.of.section", "Council of Europe (GRECO)",
    "OECD Working Group on Bribery", "OAS (MESICIC)", "States parties",
)  # fmt: skip
_ENGINE_ENVIRONMENT = ("MANDATES_CODEC_KEYS", "MANDATES_CODEC_KEY_ID", "MANDATES_IDENTITIES",
                       "MANDATES_IDENTITY_TOKEN_FILE", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE")  # fmt: skip


def with_database(url: str, database: str, user: str | None = None) -> str:
    """``url`` to ``database`` (as ``user``, with the URL's password: the bench's server gives
    the application role the superuser's)."""
    parts = urlsplit(url)
    credentials = f"{user}:{parts.password}" if parts.password else user
    netloc = parts.netloc if user is None else f"{credentials}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit(parts._replace(path=f"/{database}", netloc=netloc))


@dataclass(frozen=True)
class Database:
    """One migrated database: the owner's URL (setup, tampering) and the application's."""

    name: str
    admin_url: str
    app_url: str


@dataclass
class BenchStack:
    """Postgres and the Temporal dev server for one benchmark session."""

    root: Path
    admin_url: str = ""
    temporal_address: str = ""
    template: str = ""
    codec_keys: KeyRing = field(default_factory=lambda: KeyRing.generate("bench"))
    identities_file: Path | None = None
    token_file: Path | None = None
    _postgres: EmbeddedPostgres | None = None
    _temporal: ManagedProcess | None = None
    _workers: list[WorkerProcess] = field(default_factory=list)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls, durable: bool = False, temporal_in_memory: bool = False, keep: bool = False
    ) -> AsyncIterator[BenchStack]:
        """Start both servers in a temporary folder; stop them (and remove it) afterwards.

        ``durable``: Postgres with fsync on (off by default, as in the tests).
        ``temporal_in_memory``: the dev server without its database file (the dev
        stack keeps one, so that is the default here too).
        """
        stack = cls(Path(tempfile.mkdtemp(prefix="mandates-bench-")))
        try:
            await stack._start(durable, temporal_in_memory)
            yield stack
        finally:
            stack._stop()
            if not keep:
                shutil.rmtree(stack.root, ignore_errors=True)

    async def _start(self, durable: bool, temporal_in_memory: bool) -> None:
        run_dir, log_dir = self.root / "run", self.root / "logs"
        self._postgres = EmbeddedPostgres(
            self.root / "pgdata", free_port(), ManagedProcess("postgres", run_dir, log_dir), durable=durable
        )
        self._temporal = ManagedProcess("temporal", run_dir, log_dir)
        binary, _ = temporal_cli()
        port = free_port()
        command = dev_server_command(binary, self.root / "temporal.db", port, free_port(), NAMESPACE)
        if temporal_in_memory:
            at = command.index("--db-filename")
            del command[at : at + 2]
        started = self._temporal.start(command)
        await asyncio.to_thread(self._postgres.start)
        # No SSL on loopback: asyncpg's default probe (sslmode=prefer) leaves a stray
        # "Future exception was never retrieved" behind when the server refuses it.
        self.admin_url = self._postgres.url() + "?sslmode=disable"
        self.temporal_address = f"{LOOPBACK}:{port}"
        self.template = f"bench_template_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(with_database(self.admin_url, self.template))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        await set_password(self.admin_url, APP_ROLE, self._postgres.password)
        client = await self._wait_for_temporal(started)
        await ensure_search_attributes(client, NAMESPACE)
        self._write_identities()

    def _write_identities(self) -> None:
        """An identities file for the engine's worker and the caller's token file (mode 0600)."""
        token = secrets.token_urlsafe(32)
        self.identities_file = self.root / "identities.json"
        self.token_file = self.root / "caller-token"
        identity = {"person": CALLER, "roles": list(CALLER_ROLES), "token": token}
        for path, text in (
            (self.identities_file, json.dumps({"identities": [identity]})),
            (self.token_file, token),
        ):
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_text(text + "\n")

    async def _wait_for_temporal(self, process) -> Client:
        deadline = time.monotonic() + 60
        assert self._temporal is not None
        while True:
            reason = self._temporal.exited_early(process)
            if reason is not None:
                raise RuntimeError(f"the Temporal dev server exited: {reason}")
            try:
                return await self.client()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)

    def _stop(self) -> None:
        for worker in self._workers:  # any a failed benchmark left running
            if worker.process is not None and worker.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
        if self._temporal is not None:
            self._temporal.stop()
        if self._postgres is not None:
            self._postgres.stop()

    @property
    def postgres_pid(self) -> int | None:
        process = self._postgres.process.running() if self._postgres else None
        return process.pid if process else None

    @property
    def temporal_pid(self) -> int | None:
        process = self._temporal.running() if self._temporal else None
        return process.pid if process else None

    async def client(self) -> Client:
        """A plain client of the dev server: the pydantic data converter, nothing encrypted
        or signed (bare Temporal, and the engine with ``BENCH_CODEC=off``); one per call."""
        return await Client.connect(
            self.temporal_address, namespace=NAMESPACE, data_converter=pydantic_data_converter
        )

    def engine_settings(self, *, sign: bool = True) -> Settings:
        """The settings an engine user has here: this dev server, the session's codec key,
        and (``sign``) the caller's token file."""
        return Settings(
            temporal_address_override=self.temporal_address,
            temporal_namespace=NAMESPACE,
            codec_keys=format_keys(self.codec_keys.keys),
            codec_key_id=self.codec_keys.active,
            identity_token_file=self.token_file if sign else None,
        )

    async def engine_client(self, codec: bool = True) -> Client:
        """The client an engine user gets (``config.client.connect_temporal``): payloads
        encrypted, updates signed. ``codec=False``: the plain ``client()``."""
        if not codec:
            return await self.client()
        return await connect_temporal(self.engine_settings())

    def worker_environment(self, codec: bool) -> dict[str, str]:
        """The environment of a worker process: the codec key and the identities file when
        ``codec``, neither otherwise (whatever the calling shell has set)."""
        env = {k: v for k, v in os.environ.items() if k not in _ENGINE_ENVIRONMENT}
        if codec:
            assert self.identities_file is not None
            env["MANDATES_CODEC_KEYS"] = format_keys(self.codec_keys.keys)
            env["MANDATES_CODEC_KEY_ID"] = self.codec_keys.active
            env["MANDATES_IDENTITIES"] = str(self.identities_file)
        return env

    @contextlib.asynccontextmanager
    async def fresh_database(self, prefix: str = "bench") -> AsyncIterator[Database]:
        """A migrated database for one run, dropped afterwards."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        await self.create_database(name)
        try:
            yield self.database(name)
        finally:
            await self.drop_database(name)

    async def create_database(self, name: str) -> Database:
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        finally:
            await admin.close()
        return self.database(name)

    def database(self, name: str) -> Database:
        return Database(
            name, with_database(self.admin_url, name), with_database(self.admin_url, name, APP_ROLE)
        )

    async def drop_database(self, name: str) -> None:
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class WorkerProcess:
    """A ``python -m bench.worker`` process: started, awaited until it polls, stopped.

    ``codec``: the worker encrypts payloads with the session's key and checks the
    callers of updates against its identities file, as the engine's worker does when
    deployed (an engine worker only). ``stop()`` returns the peak resident set size it
    reported (bytes), or None.
    """

    def __init__(
        self,
        stack: BenchStack,
        kind: str,
        task_queue: str,
        database_url: str | None,
        options: dict[str, str] | None = None,
        codec: bool = False,
    ) -> None:
        if codec and kind != "engine":
            raise ValueError("only the engine's worker runs with the codec")
        self.stack = stack
        self.kind = kind
        self.task_queue = task_queue
        self.database_url = database_url
        self.options = options or {}
        self.codec = codec
        self.process: asyncio.subprocess.Process | None = None
        self.peak_rss: int | None = None

    @property
    def log_path(self) -> Path:
        return self.stack.root / "logs" / f"worker-{self.kind}-{self.task_queue}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def __aenter__(self) -> WorkerProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "bench.worker",
            self.kind,
            "--task-queue",
            self.task_queue,
            "--temporal",
            self.stack.temporal_address,
            "--namespace",
            NAMESPACE,
        ]
        if self.database_url:
            command += ["--database-url", self.database_url]
        for name, value in self.options.items():
            command += [f"--{name.replace('_', '-')}", str(value)]
        self.stack._workers.append(self)
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=PROJECT_ROOT,
            env=self.stack.worker_environment(self.codec),
        )
        log.close()
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout=90)
        except TimeoutError:
            line = b""
        if line.strip() != b"ready":
            await self.stop()
            raise RuntimeError(f"the {self.kind} benchmark worker did not start (log in {log.name})")

    async def stop(self) -> int | None:
        process = self.process
        if process is None or process.returncode is not None:
            return self.peak_rss
        assert process.stdout is not None
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(60):
                async for raw in process.stdout:
                    if raw.startswith(b"{"):
                        self.peak_rss = int(json.loads(raw)["peak_rss_bytes"])
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
        return self.peak_rss
