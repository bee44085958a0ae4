"""The use cases on the tests' servers: an ``Engine`` whose pool is the test database's and whose
Temporal client is the test server's (with the real worker on its task queue)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from temporalio.client import Client

from config.settings import Settings
from usecases.engine import Engine


class EngineOnTestServers(Engine):
    """An engine that uses the connections it is given (and leaves them open when closed)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: Client,
        task_queue: str,
        data_dir: Path,
        *,
        user: str = "coordinator",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        settings = Settings(task_queue=task_queue, data_dir=data_dir, user=user)
        super().__init__(settings, clock=clock or (lambda: datetime.now(UTC)), wait_seconds=60)
        self._given_pool = pool
        self._given_client = client

    async def pool(self) -> asyncpg.Pool:
        return self._given_pool

    async def temporal(self) -> Client:
        return self._given_client

    async def close(self) -> None:
        return None
