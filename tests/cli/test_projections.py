"""`mandates projections status | rebuild` against the test database."""

from __future__ import annotations

import asyncio
import json

import asyncpg

from store.audit import StoredEvent
from tests.support.cli import Invoke
from tests.support.read_models import snapshot


async def test_projections_status_and_rebuild_from_the_command_line(
    pool: asyncpg.Pool, projected: list[StoredEvent], mandates: Invoke
) -> None:
    # the command runs its own event loop: give it a thread
    result = await asyncio.to_thread(mandates, "projections", "status", "--json")
    status = json.loads(result.stdout)
    assert status["name"] == "read_models"
    assert (status["position"], status["head"], status["behind"]) == (len(projected), len(projected), 0)
    assert "up to date" in (await asyncio.to_thread(mandates, "projections", "status")).stdout

    before = await snapshot(pool)
    result = await asyncio.to_thread(mandates, "projections", "rebuild")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"rebuilt: {len(projected)} events replayed; read models at position 92"
    assert await snapshot(pool) == before
