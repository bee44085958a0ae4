"""``mandates dev up | down | status``: bring the embedded stack up, report it, stop it."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from config import codec_server
from config.client import TemporalUnreachable, connect_temporal
from config.codec import load_or_create_secret
from config.identity import write_dev_identities, write_secret
from config.settings import APP_ROLE, EMBEDDED_DATABASE, Settings
from devstack.postgres import EmbeddedPostgres, ensure_database, set_password
from devstack.processes import DevStackError, ManagedProcess, port_answers, require_free_ports
from devstack.temporal import (
    dev_server_command,
    ensure_namespace,
    ensure_search_attributes,
    temporal_cli,
    web_ui_answers,
)
from domain.default_plans import PARTNER_SECRETARIATS, STATES_PARTIES
from store.database import redact
from store.migrate import migrate

PARTS = ("postgres", "temporal", "codec", "mail", "worker", "dispatcher", "web")


@dataclass(frozen=True)
class PartStatus:
    """What ``dev status`` says of one part."""

    name: str
    state: str  # up, down, external, starting
    address: str
    pid: int | None = None
    note: str = ""


class DevStack:
    """The parts of the embedded stack under one data folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.data_path
        self.run_dir = self.root / "run"
        self.log_dir = self.root / "logs"
        self.parts = {name: ManagedProcess(name, self.run_dir, self.log_dir) for name in PARTS}

    # Paths and commands.

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def temporal_db(self) -> Path:
        return self.root / "temporal.db"

    def postgres(self) -> EmbeddedPostgres:
        return EmbeddedPostgres(
            self.pgdata,
            self.settings.postgres_port,
            self.parts["postgres"],
            password=_password(self.settings.postgres_password_path),
        )

    def worker_command(self) -> list[str]:
        return [sys.executable, "-m", "worker"]

    def codec_command(self) -> list[str]:
        return [sys.executable, "-m", "config.codec_server"]

    def mail_command(self) -> list[str]:
        return [sys.executable, "-m", "devstack.mail_sink"]

    def dispatcher_command(self) -> list[str]:
        return [sys.executable, "-m", "delivery"]

    def web_command(self) -> list[str]:
        return [sys.executable, "-m", "web"]

    def worker_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["MANDATES_DATA_DIR"] = str(self.root)
        env.setdefault("LOG_FORMAT", "json")
        if self.settings.identities_file is None:
            env["MANDATES_IDENTITIES"] = str(self.settings.dev_identities_file)
        return env

    def ensure_identities(self, say: Any = print) -> None:
        """Secure by default: without ``MANDATES_IDENTITIES``, the stack makes identities for
        its people (whoever runs it, in the Secretariat's roles; each consulted party of the
        default plans; the web console) and its worker checks every caller against them."""
        if self.settings.identities_file is not None:
            return
        path = self.settings.dev_identities_file
        parties = [*STATES_PARTIES, *PARTNER_SECRETARIATS]
        password = secrets.token_urlsafe(12)
        if write_dev_identities(path, self.settings.acting_person(), parties, password):
            write_secret(self.settings.console_password_file, password)
            say(f"made identities for {self.settings.acting_person()} and the consulted parties in {path}")

    # What is running.

    def running(self) -> dict[str, int]:
        """The parts whose recorded process is alive, with their pids."""
        found = {}
        for name, part in self.parts.items():
            process = part.running()
            if process is not None:
                found[name] = process.pid
        return found

    def status(self) -> list[PartStatus]:
        s = self.settings
        alive = self.running()
        rows = []
        if s.uses_embedded_postgres:
            address = f"127.0.0.1:{s.postgres_port}"
            up = "postgres" in alive and port_answers(s.postgres_port)
            rows.append(PartStatus("postgres", "up" if up else "down", address, alive.get("postgres")))
        else:
            rows.append(PartStatus("postgres", "external", redact(s.database_url)))
        if s.uses_embedded_temporal:
            up = "temporal" in alive and port_answers(s.temporal_port)
            rows.append(
                PartStatus("temporal", "up" if up else "down", s.temporal_address, alive.get("temporal"))
            )
            ui_up = up and web_ui_answers(s.temporal_ui_url)
            rows.append(
                PartStatus("web-ui", "up" if ui_up else "down", s.temporal_ui_url, alive.get("temporal"))
            )
        else:
            rows.append(PartStatus("temporal", "external", s.temporal_address))
        up = "codec" in alive and codec_server.answers(s.codec_port)
        codec_url = f"http://127.0.0.1:{s.codec_port}"
        rows.append(PartStatus("codec", "up" if up else "down", codec_url, alive.get("codec")))
        smtp = f"{s.smtp_host}:{s.smtp_port}"
        if s.uses_embedded_mail:
            up = "mail" in alive and port_answers(s.smtp_port)
            rows.append(PartStatus("mail", "up" if up else "down", smtp, alive.get("mail")))
        else:
            rows.append(PartStatus("mail", "external", smtp))
        rows.append(
            PartStatus(
                "worker",
                "up" if "worker" in alive else "down",
                f"task queue {s.task_queue}",
                alive.get("worker"),
            )
        )
        rows.append(
            PartStatus(
                "dispatcher",
                "up" if "dispatcher" in alive else "down",
                f"smtp {smtp}",
                alive.get("dispatcher"),
            )
        )
        up = "web" in alive and _health(s.web_port)
        rows.append(PartStatus("web", "up" if up else "down", s.web_url, alive.get("web")))
        return rows

    # Bringing it up.

    async def up(self, say=print) -> list[PartStatus]:
        """Start every part that is not running; return the resulting status."""
        s = self.settings
        self.root.mkdir(parents=True, exist_ok=True)
        self.ensure_identities(say)
        alive = self.running()
        for name in alive:
            say(f"{name} is already running (pid {alive[name]}); leaving it as it is")

        if s.uses_embedded_postgres and "postgres" not in alive:
            require_free_ports("Postgres", {"MANDATES_PG_PORT": s.postgres_port})
            server = self.postgres()
            say(f"starting Postgres on 127.0.0.1:{s.postgres_port} (data in {self.pgdata})")
            server.start()
            await ensure_database(server.url(), EMBEDDED_DATABASE)
        elif not s.uses_embedded_postgres:
            say(f"using the Postgres server of DATABASE_URL: {redact(s.database_url)}")
        applied = await migrate(s.database_admin_url)
        say(f"migrations applied: {applied} new")
        if s.uses_embedded_postgres:  # (the application role is made by the first migration)
            await set_password(s.database_admin_url, APP_ROLE, _password(s.app_password_path))

        if s.uses_embedded_temporal and "temporal" not in alive:
            binary, origin = temporal_cli()
            require_free_ports(
                "Temporal",
                {"MANDATES_TEMPORAL_PORT": s.temporal_port, "MANDATES_UI_PORT": s.temporal_ui_port},
            )
            say(f"starting the Temporal dev server on {s.temporal_address} ({binary}, {origin})")
            part = self.parts["temporal"]
            started = part.start(
                dev_server_command(
                    binary,
                    self.temporal_db,
                    s.temporal_port,
                    s.temporal_ui_port,
                    s.temporal_namespace,
                    codec_endpoint=codec_server.ui_endpoint(s),
                )
            )
            client = await self._wait_for_temporal(part, started)
            await self._wait(lambda: web_ui_answers(s.temporal_ui_url), "the Temporal Web UI", part, started)
        else:
            if not s.uses_embedded_temporal:
                say(f"using the Temporal server of TEMPORAL_ADDRESS: {s.temporal_address}")
            client = await self._connect(timeout=15)
        await ensure_namespace(client, s.temporal_namespace)
        added = await ensure_search_attributes(client, s.temporal_namespace)
        if added:
            say(f"registered search attributes: {', '.join(added)}")

        if s.uses_embedded_temporal and "codec" not in alive:
            require_free_ports("the codec server", {"MANDATES_CODEC_PORT": s.codec_port})
            part = self.parts["codec"]
            say(f"starting the codec server on 127.0.0.1:{s.codec_port} (the Web UI decodes through it)")
            started = part.start(self.codec_command(), env=self.worker_env())
            await self._wait(lambda: codec_server.answers(s.codec_port), "the codec server", part, started)

        if "worker" not in alive:
            part = self.parts["worker"]
            say(f"starting the worker on task queue {s.task_queue!r}")
            started = part.start(self.worker_command(), env=self.worker_env())
            await self._wait_for_worker(client, part, started)

        if s.uses_embedded_mail and "mail" not in alive:
            require_free_ports("the mail sink", {"MANDATES_SMTP_PORT": s.smtp_port})
            part = self.parts["mail"]
            say(f"starting the mail sink on 127.0.0.1:{s.smtp_port} (messages in {s.mail_path})")
            started = part.start(self.mail_command(), env=self.worker_env())
            await self._wait(lambda: port_answers(s.smtp_port), "the mail sink", part, started)
        elif not s.uses_embedded_mail:
            say(f"sending mail through the SMTP server of MANDATES_SMTP_HOST: {s.smtp_host}:{s.smtp_port}")

        if "dispatcher" not in alive:
            part = self.parts["dispatcher"]
            say("starting the mail dispatcher")
            offset = part.logfile.stat().st_size if part.logfile.exists() else 0
            started = part.start(self.dispatcher_command(), env=self.worker_env())
            await self._wait(
                lambda: _logged_since(part.logfile, offset, "dispatcher started"),
                "the mail dispatcher",
                part,
                started,
            )

        if "web" not in alive:
            require_free_ports("the web console", {"MANDATES_WEB_PORT": s.web_port})
            part = self.parts["web"]
            say(f"starting the web console on {s.web_url}")
            started = part.start(self.web_command(), env=self.worker_env())
            await self._wait(lambda: _health(s.web_port), "the web console", part, started)
        return self.status()

    def down(self) -> list[str]:
        """Stop exactly the processes this data folder's pid files name; dispatcher and worker first."""
        stopped = []
        for name in reversed(PARTS):
            part = self.parts[name]
            did = self.postgres().stop() if name == "postgres" and self.pgdata.exists() else part.stop()
            if did:
                stopped.append(name)
        return stopped

    # Waiting for parts to answer.

    async def _connect(self, timeout: float) -> Client:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return await connect_temporal(self.settings)
            except TemporalUnreachable:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)

    async def _wait_for_temporal(self, part: ManagedProcess, started) -> Client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reason = part.exited_early(started)
            if reason is not None:
                raise DevStackError(
                    f"the Temporal dev server exited while starting: {reason} (log: {part.logfile})"
                )
            try:
                return await connect_temporal(self.settings)
            except TemporalUnreachable:
                await asyncio.sleep(0.3)
        raise DevStackError(f"the Temporal dev server did not answer within 60s (log: {part.logfile})")

    async def _wait(self, check, what: str, part: ManagedProcess, started, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(check):
                return
            reason = part.exited_early(started)
            if reason is not None:
                raise DevStackError(f"{what} exited while starting: {reason} (log: {part.logfile})")
            await asyncio.sleep(0.3)
        raise DevStackError(f"{what} did not answer within {timeout:.0f}s (log: {part.logfile})")

    async def _wait_for_worker(self, client: Client, part: ManagedProcess, started) -> None:
        request = DescribeTaskQueueRequest(
            namespace=self.settings.temporal_namespace,
            task_queue=TaskQueue(name=self.settings.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )

        async def polling() -> bool:
            # The server remembers pollers for a while: look for this process's identity.
            response = await client.workflow_service.describe_task_queue(request)
            return any(p.identity.startswith(f"{started.pid}@") for p in response.pollers)

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reason = part.exited_early(started)
            if reason is not None:
                raise DevStackError(f"the worker exited while starting: {reason} (log: {part.logfile})")
            if await polling():
                return
            await asyncio.sleep(0.3)
        raise DevStackError(f"the worker did not poll its task queue within 60s (log: {part.logfile})")


def _health(port: int) -> bool:
    """Whether the console on ``port`` answers (the same ``/health`` check as the codec server)."""
    return codec_server.answers(port, timeout=2)


def _password(path: Path) -> str:
    """The password a file of the data folder holds, made once (mode 0600) when missing."""
    return load_or_create_secret(path, lambda: secrets.token_urlsafe(24)).strip()


def _logged_since(logfile: Path, offset: int, text: str) -> bool:
    """Whether ``text`` appears in the log after ``offset`` (what this start wrote)."""
    try:
        with logfile.open("rb") as log:
            log.seek(offset)
            return text.encode() in log.read()
    except FileNotFoundError:
        return False
