"""The composition root: settings, logging, the Postgres pool, the Temporal client and the worker.

Run it with ``python -m worker`` (``mandates dev up`` does). It stops cleanly on SIGINT
or SIGTERM, letting running activities finish.
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
import structlog
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from activities import build_activities
from config.audit_keys import audit_signer
from config.client import connect_temporal
from config.identity import CallerCheck, load_directory
from config.service import run_service, stop_on_signals
from config.settings import Settings, SettingsInvalid
from config.telemetry import EngineMetrics, metrics_runtime
from projections import projector_running
from store.checkpoints import checkpoints_running
from store.database import create_pool
from store.signing import Signer
from workflows import WORKFLOWS
from workflows.sealing import Sealing

log = structlog.get_logger("worker")


def build_worker(
    client,
    pool: asyncpg.Pool,
    settings: Settings,
    metrics: EngineMetrics | None = None,
    signer: Signer | None = None,
    **options: Any,
) -> Worker:
    """The worker for the engine's task queue, with every workflow and activity registered.

    The workflows' messages to each other are sealed with the workers' keys
    (``workflows/sealing.py``). With MANDATES_IDENTITIES set, every start of a mandate and
    every update needs an authenticated caller allowed to do it (``config/identity.py``,
    ``domain/access.py``); with ``metrics``, audit appends are timed; with ``signer``
    (``run`` passes the configured key), audit appends are signed. ``options`` tune the
    Temporal worker (cache size, pollers).
    """
    interceptors: list = [Sealing(settings.worker_key_ring())]
    if settings.identities_file is not None:
        interceptors.append(CallerCheck(load_directory(settings.identities_file)))
    if metrics is not None:
        interceptors.append(metrics.interceptor())
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(pool, signer),
        interceptors=interceptors,
        **options,
    )


def check_access(settings: Settings) -> None:
    """Refuse to serve a real Temporal server with nobody's identity checked: anyone who
    reaches its frontend could act in anyone's name. ``MANDATES_INSECURE=1`` says it is
    meant (a closed test cluster).

    Raises:
        SettingsInvalid: one line saying what to set.
    """
    if settings.identities_file is None and not settings.uses_embedded_temporal and not settings.insecure:
        raise SettingsInvalid(
            "invalid setting MANDATES_IDENTITIES: required with TEMPORAL_ADDRESS, or every caller acts "
            "in any name (set MANDATES_INSECURE=1 to run so on purpose)"
        )


async def run(settings: Settings) -> None:
    check_access(settings)
    runtime = metrics_runtime(settings)  # before any client, so the SDK's metrics go there too
    if runtime is not None:
        Runtime.set_default(runtime)
    metrics = EngineMetrics(runtime.metric_meter) if runtime is not None else None
    signer = audit_signer(settings)  # before anything connects: a bad key file stops the worker at once
    pool = await create_pool(settings.database_url)
    try:
        client = await connect_temporal(settings)
        worker = build_worker(client, pool, settings, metrics, signer)
        stop = stop_on_signals()
        log.info(
            "worker started",
            task_queue=settings.task_queue,
            temporal=settings.temporal_address,
            audit_signing_key=signer.key_id,
        )
        collecting = metrics.collecting(pool) if metrics is not None else contextlib.nullcontext()
        checkpoints = checkpoints_running(
            pool, settings.checkpoint_file, settings.checkpoint_key_file, settings.checkpoint_seconds
        )
        async with worker, collecting, projector_running(pool, settings.projector == "worker"), checkpoints:
            await stop.wait()
        log.info("worker stopped")
    finally:
        await pool.close()


def main() -> None:
    run_service("worker", run)


if __name__ == "__main__":
    main()
