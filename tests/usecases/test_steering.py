"""Steering use cases (usecases/steering.py): what a person's action waits for, and for how long."""

from __future__ import annotations

import time

import asyncpg
import pytest

from config.settings import Settings
from domain.plan import validate_plan
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import start
from usecases import Refused, steering
from usecases.engine import Engine as UseCaseEngine
from workflows.messages import RespondRequest

PLAN = validate_plan(
    {"steps": [{"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                "parties": ["Austria"]}]}
)  # fmt: skip


async def test_an_action_on_a_mandate_nobody_works_on_says_what_it_waited_for(
    engine_factory: object, pool: asyncpg.Pool, tmp_path: object
) -> None:
    async with engine_factory() as running:  # type: ignore[operator]
        workers: Engine = running
        mandate = make_mandate("nobody-works", PLAN)
        await start(workers, mandate)
    # the worker is gone: the update is never taken
    use = UseCaseEngine(
        Settings(MANDATES_DATA_DIR=str(tmp_path)), pool=pool, client=workers.client, wait_seconds=2
    )  # type: ignore[call-arg]
    began = time.monotonic()
    with pytest.raises(Refused) as refused:
        await steering.respond(use, mandate.id, RespondRequest(party="Austria", text="hello"))
    assert time.monotonic() - began < 30  # bounded by --timeout, not by Temporal
    assert str(refused.value).startswith(f"no answer from mandate {mandate.id!r} within 2 s to respond: ")
    assert "`mandates dev status`" in str(refused.value)
