"""Who records an import of the review calendar: the worker, for an authenticated coordinator
acting in their own name (``ReviewsImportWorkflow.authorise``); anyone else is refused at the
start with the rule, and nothing is recorded."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.identity import CallerSigning
from config.settings import Settings
from domain.reviews import REVIEW_STREAM
from store.audit import AuditStore
from tests.support.reviews import calendar_csv
from tests.support.temporal import DATA_CONVERTER
from tests.support.usecases import EngineOnTestServers
from usecases import reviews
from usecases.errors import Refused
from worker import build_worker

COORDINATOR_TOKEN = "coordinator-token-0123456789abcdefgh"
LIAISON_TOKEN = "liaison-token-0123456789abcdefghij"


@pytest.fixture
async def guarded(
    workflow_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[str]:
    """A worker with an identities file: m.rossi holds the coordinator role, l.ortiz does not."""
    identities = tmp_path / "identities.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {"person": "m.rossi", "roles": ["coordinator"], "token": COORDINATOR_TOKEN},
                    {"person": "l.ortiz", "roles": ["OECD Working Group on Bribery"], "token": LIAISON_TOKEN},
                ]
            }
        )
    )
    identities.chmod(0o600)
    queue = f"guarded-reviews-{uuid.uuid4()}"
    settings = Settings(MANDATES_IDENTITIES=str(identities), MANDATES_TASK_QUEUE=queue)  # type: ignore[arg-type]
    async with build_worker(workflow_env.client, pool, settings):
        yield queue


def app_of(
    env: WorkflowEnvironment, pool: asyncpg.Pool, queue: str, token: str, tmp_path: Path
) -> EngineOnTestServers:
    plain = env.client
    client = Client(
        plain.service_client,
        namespace=plain.namespace,
        data_converter=DATA_CONVERTER,
        interceptors=[CallerSigning(token)],
    )
    return EngineOnTestServers(pool, client, queue, tmp_path)


async def test_only_a_coordinator_in_their_own_name_imports_the_calendar(
    workflow_env: WorkflowEnvironment, pool: asyncpg.Pool, guarded: str, tmp_path: Path
) -> None:
    liaison = app_of(workflow_env, pool, guarded, LIAISON_TOKEN, tmp_path)
    with pytest.raises(Refused) as refused:
        await reviews.import_reviews(liaison, calendar_csv(), "calendar.csv", "l.ortiz")
    assert str(refused.value) == (
        "calendar.csv not recorded: not authorised: l.ortiz may not import reviews into the review calendar "
        "(allowed: coordinator)"
    )
    coordinator = app_of(workflow_env, pool, guarded, COORDINATOR_TOKEN, tmp_path)
    with pytest.raises(Refused, match=r"m\.rossi may not act as 'l\.ortiz'"):
        await reviews.import_reviews(coordinator, calendar_csv(), "calendar.csv", "l.ortiz")
    assert await pool.fetchval("SELECT count(*) FROM audit_events") == 0
    assert await pool.fetchval("SELECT count(*) FROM review_import_batches") == 0

    imported = await reviews.import_reviews(coordinator, calendar_csv(), "calendar.csv", "m.rossi")
    assert imported.recorded is not None and imported.recorded.version == 42
    stream = await AuditStore(pool).read_stream(REVIEW_STREAM)
    assert {s.actor for s in stream} == {"m.rossi"} and len(stream) == 42
