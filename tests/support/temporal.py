"""Temporal for the tests: the time-skipping test server and a worker of the engine on it.

The worker registers the real workflows and the real activities, built on the test's own
migrated database.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import build_activities
from config.client import build_data_converter
from config.codec import KeyRing
from store.audit import AuditStore
from store.notifications import NotificationOutbox
from workflows import WORKFLOWS
from workflows.sealing import Sealing
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
TEST_SERVER_STARTUP = timedelta(seconds=60)
"""The SDK waits 5 s by default; a loaded machine has taken longer to start the server."""
# The engine's own converter, payloads encrypted, under a fixed test key (so that recorded
# histories replay); the key is public and protects nothing.
TEST_KEYS = KeyRing({"test": hashlib.sha256(b"mandates test key").digest()}, "test")
DATA_CONVERTER = build_data_converter(TEST_KEYS)
REPLAY_CONVERTER = build_data_converter(TEST_KEYS, strict=False)
"""For the histories recorded in the clear under tests/workflows/histories/."""
WORKER_KEYS = KeyRing.generate()
"""The workers' sealing keys for the tests' workers (``workflows/sealing.py``)."""


CORE_LOGGER = logging.getLogger("temporalio.core")
"""Where the SDK core's log lines go in the tests (``forward_core_logs``)."""


def forward_core_logs() -> None:
    """Send the SDK core's log lines (its coloured ``WARN temporalio_sdk_core`` lines, written
    from its own threads) through Python logging instead of straight to the terminal: pytest
    then captures them with the test that caused them (shown when it fails), rather than
    printing them amid its progress. Call before anything makes the default runtime."""
    telemetry = TelemetryConfig(
        logging=LoggingConfig(
            filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
            forwarding=LogForwardingConfig(logger=CORE_LOGGER),
        )
    )
    Runtime.set_default(Runtime(telemetry=telemetry), error_if_already_set=False)


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (the venv's binary; the SDK's download if it has none)
    that knows the engine's search attributes."""
    existing = str(TEST_SERVER) if TEST_SERVER.exists() else None
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=existing,
        test_server_startup_timeout=TEST_SERVER_STARTUP,
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


async def register_search_attributes(client: Client) -> None:
    """The test server knows no custom search attribute until told (and cannot list them)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in SEARCH_ATTRIBUTES
            },
        )
    )


@dataclass
class Engine:
    """What a scenario drives: the client, its task queue, and the stores it checks."""

    env: WorkflowEnvironment
    task_queue: str
    audit: AuditStore
    outbox: NotificationOutbox

    @property
    def client(self) -> Client:
        return self.env.client


@asynccontextmanager
async def running_engine(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    activities: Sequence[Callable[..., Any]] | None = None,
    *,
    prefix: str = "mandates",
) -> AsyncIterator[Engine]:
    """A worker with the real workflows (and the real activities, unless others are given)
    on a fresh task queue of ``env``."""
    engine = Engine(env, f"{prefix}-{uuid.uuid4()}", AuditStore(pool), NotificationOutbox(pool))
    async with Worker(
        env.client,
        task_queue=engine.task_queue,
        workflows=WORKFLOWS,
        activities=list(activities) if activities is not None else build_activities(pool),
        interceptors=[Sealing(WORKER_KEYS)],
    ):
        yield engine
