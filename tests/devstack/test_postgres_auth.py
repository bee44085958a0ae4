"""The embedded Postgres requires a password of every connection (scram-sha-256), the
superuser's included; the dev stack keeps its passwords in the data folder, readable by
their owner only; a cluster made when the dev stack trusted every local connection requires
passwords from its next start."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from config.settings import APP_ROLE
from devstack.postgres import AUTH_METHOD, SUPERUSER, EmbeddedPostgres
from devstack.processes import ManagedProcess, free_port
from tests.support.database import Database

MANDATES = str(Path(sys.executable).parent / "mandates")


def with_password(url: str, password: str | None) -> str:
    parts = urlsplit(url)
    user = parts.username or SUPERUSER
    credentials = f"{user}:{password}" if password is not None else user
    return urlunsplit(parts._replace(netloc=f"{credentials}@{parts.netloc.rsplit('@', 1)[-1]}"))


async def refused(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        return True
    except asyncpg.ClientConfigurationError as exc:  # (no password to give when one is asked for)
        return "password" in str(exc)
    await conn.close()
    return False


@pytest.mark.parametrize("password", [None, "", "not-the-password"])
async def test_the_test_server_refuses_the_superuser_and_the_application_without_the_password(
    database: Database, password: str | None
) -> None:
    if os.environ.get("DATABASE_ADMIN_URL") or os.environ.get("DATABASE_URL"):
        pytest.skip(reason="an external server authenticates as its owner set it up")
    assert await refused(with_password(database.admin_dsn, password))
    assert await refused(with_password(database.app_dsn, password))
    conn = await asyncpg.connect(database.app_dsn)  # with the password: in
    try:
        assert await conn.fetchval("SELECT current_user") == APP_ROLE
    finally:
        await conn.close()


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    root = tmp_path_factory.mktemp("postgres-auth")
    server = EmbeddedPostgres(
        root / "pgdata", free_port(), ManagedProcess("postgres", root / "run", root / "logs"), durable=False
    )
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def test_a_cluster_that_trusted_every_connection_requires_passwords_from_its_next_start(
    cluster: EmbeddedPostgres,
) -> None:
    """As a data folder made before passwords were required: its pg_hba.conf trusts every
    local connection, and its superuser has no password."""
    await asyncio.to_thread(cluster.start)
    conn = await asyncpg.connect(cluster.url())
    try:
        await conn.execute(f"ALTER ROLE {SUPERUSER} PASSWORD NULL")
    finally:
        await conn.close()
    mode = cluster.hba_file.stat().st_mode
    cluster.hba_file.write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
    )
    assert cluster.trusts_connections() and cluster.stop()
    assert await asyncio.to_thread(cluster.ready) is False

    await asyncio.to_thread(cluster.start)

    assert not cluster.trusts_connections()
    assert stat.S_IMODE(cluster.hba_file.stat().st_mode) == stat.S_IMODE(mode)
    assert await refused(cluster.url(password=""))
    assert await refused(cluster.url(password="guess"))
    conn = await asyncpg.connect(cluster.url())
    try:
        assert await conn.fetchval("SELECT current_setting('password_encryption')") == AUTH_METHOD
        assert await conn.fetchval(
            "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = $1", SUPERUSER
        )
    finally:
        await conn.close()


@pytest.mark.devstack
def test_the_dev_stack_keeps_its_passwords_to_its_owner_and_postgres_asks_for_them(tmp_path: Path) -> None:
    external = {"DATABASE_URL", "DATABASE_ADMIN_URL", "TEMPORAL_ADDRESS"}
    env = {k: v for k, v in os.environ.items() if k not in external}
    env.update(
        MANDATES_DATA_DIR=str(tmp_path / "data"),
        MANDATES_PG_PORT=str(free_port()),
        MANDATES_TEMPORAL_PORT=str(free_port()),
        MANDATES_UI_PORT=str(free_port()),
        MANDATES_SMTP_PORT=str(free_port()),
        MANDATES_CODEC_PORT=str(free_port()),
        MANDATES_WEB_PORT=str(free_port()),
        MANDATES_TASK_QUEUE=f"devstack-auth-{tmp_path.name}",
    )

    def mandates(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MANDATES, *args], env=env, capture_output=True, text=True, timeout=240)

    try:
        up = mandates("dev", "up", "--detach")
        assert up.returncode == 0, up.stdout + up.stderr
        data = tmp_path / "data"
        for name in ("postgres-admin-password", "postgres-app-password"):
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
            assert len((data / name).read_text().strip()) >= 32
        port = env["MANDATES_PG_PORT"]
        for user in (SUPERUSER, APP_ROLE):
            assert asyncio.run(refused(f"postgresql://{user}@127.0.0.1:{port}/mandates"))
        listed = mandates("list")  # the CLI connects as the application, with its password
        assert listed.returncode == 0 and "no mandates yet" in listed.stdout, listed.stderr
        hba = (data / "postgres" / "pg_hba.conf").read_text()
        rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
        assert rules and all(rule[-1] == AUTH_METHOD for rule in rules)
    finally:
        mandates("dev", "down")
