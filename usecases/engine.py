"""What a use case works with: the settings, a Postgres pool and a Temporal client.

An ``Engine`` is opened once per command (the CLI) or once per process (the web
console) and closed at the end; the pool and the client are made the first time a
use case needs them, so a command that reads only the database never connects to
Temporal, and the reverse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError

from config.client import connect_temporal
from config.settings import Settings
from store.database import create_pool


def _now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """The settings, and the connections made from them when first needed."""

    def __init__(
        self,
        settings: Settings,
        *,
        pool_size: int = 2,
        clock: Callable[[], datetime] = _now,
        wait_seconds: float = 30.0,
        pool: asyncpg.Pool | None = None,
        client: Client | None = None,
    ) -> None:
        self.settings = settings
        self.wait_seconds = wait_seconds  # how long a use case waits on a workflow's answer
        self._pool_size = pool_size
        self._pool = pool
        self._client = client
        self._owns_pool = pool is None
        self._clock = clock

    def now(self) -> datetime:
        """The time a use case acts at (UTC)."""
        return self._clock()

    async def pool(self) -> asyncpg.Pool:
        """The Postgres pool (``DATABASE_URL``), connected on first use."""
        if self._pool is None:
            self._pool = await create_pool(self.settings.database_url, min_size=1, max_size=self._pool_size)
        return self._pool

    async def temporal(self) -> Client:
        """The Temporal client (``TEMPORAL_ADDRESS``, the engine's codec), connected on first use."""
        if self._client is None:
            self._client = await connect_temporal(self.settings)
        return self._client

    async def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            await self._pool.close()
        self._pool = None
        self._client = None


@asynccontextmanager
async def open_engine(settings: Settings | None = None, **options: object) -> AsyncIterator[Engine]:
    """An ``Engine`` for the block (``Settings.load()`` when none are given), closed after it."""
    engine = Engine(settings or Settings.load(), **options)  # type: ignore[arg-type]
    try:
        yield engine
    finally:
        await engine.close()


def failure_message(exc: BaseException) -> str | None:
    """One line for a failure of the servers a use case talks to (None for any other)."""
    if isinstance(exc, asyncpg.PostgresError):
        return f"database: {exc}"
    if isinstance(exc, RPCError):
        return f"Temporal refused the request: {exc.message}"
    if isinstance(exc, TimeoutError | OSError):
        return f"cannot reach a server: {exc}"
    return None
