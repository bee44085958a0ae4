"""The worker's metrics endpoint: the engine's metrics next to the SDK's, and they move."""

from __future__ import annotations

import re
import urllib.request
import uuid

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings, SettingsInvalid
from config.telemetry import EngineMetrics, metrics_runtime, tracing_interceptors
from devstack.processes import free_port
from domain.default_plans import default_plan
from domain.vocabulary import MandateKind
from store.audit import AuditStore
from store.notifications import NotificationOutbox
from tests.support.mandates import make_mandate
from tests.support.temporal import DATA_CONVERTER, Engine
from tests.support.workflows import start
from worker import build_worker

ENGINE_METRICS = (
    "mandates_by_status",
    "mandates_overdue_steps",
    "mandates_outbox_pending",
    "mandates_notifications_sent",
    "mandates_projector_lag_events",
    "mandates_audit_append_seconds",
)


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def value(text: str, name: str, labels: str = "") -> float:
    """The sample ``name{...labels...}`` (labels a substring of its label set); 0 when absent."""
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{([^}}]*)\}} (\S+)$", line)
        if match and labels in match.group(1):
            return float(match.group(2))
    return 0.0


async def test_the_metrics_endpoint_serves_the_engines_metrics_and_they_change(
    workflow_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    port = free_port()
    runtime = metrics_runtime(Settings(MANDATES_METRICS_PORT=str(port)))  # type: ignore[arg-type]
    assert runtime is not None
    metrics = EngineMetrics(runtime.metric_meter)
    await metrics.collect(pool)
    before = scrape(port)
    assert value(before, "mandates_by_status", 'status="active"') == 0
    assert value(before, "mandates_audit_append_seconds_count") == 0

    queue = f"metrics-{uuid.uuid4()}"
    settings = Settings(MANDATES_TASK_QUEUE=queue)  # type: ignore[arg-type]
    client = await Client.connect(  # on the metrics runtime, as the worker's is (worker.run)
        workflow_env.client.service_client.config.target_host,
        namespace=workflow_env.client.namespace,
        data_converter=DATA_CONVERTER,
        runtime=runtime,
    )
    async with build_worker(client, pool, settings, metrics):
        engine = Engine(workflow_env, queue, AuditStore(pool), NotificationOutbox(pool))
        plan = default_plan([MandateKind.INFORMATION_COLLECTION])
        await start(engine, make_mandate("metrics-information", plan))
        await metrics.collect(pool)
        after = scrape(port)

    for name in ENGINE_METRICS:
        assert f"# TYPE {name} " in after, name
    assert value(after, "mandates_audit_append_seconds_count") >= 1
    assert value(after, "mandates_outbox_pending", 'kind="reminder"') == 0  # reminders are not due yet
    if "rm_mandates" in await pool.fetchval("SELECT string_agg(tablename, ',') FROM pg_tables"):
        lag = value(after, "mandates_projector_lag_events", 'projection="read_models"')
        assert lag >= 3  # MandateStarted, StepStarted, ConsultationOpened: no projector runs here
    # The SDK's own metrics share the endpoint.
    assert value(after, "temporal_workflow_completed_total") + value(after, "temporal_request_total") > 0
    assert "# TYPE temporal_workflow_task_execution_latency histogram" in after


def test_metrics_are_off_without_a_port_and_a_busy_port_is_one_line() -> None:
    assert metrics_runtime(Settings()) is None
    port = free_port()
    first = metrics_runtime(Settings(MANDATES_METRICS_PORT=str(port)))  # type: ignore[arg-type]
    assert first is not None
    with pytest.raises(SettingsInvalid) as raised:
        metrics_runtime(Settings(MANDATES_METRICS_PORT=str(port)))  # type: ignore[arg-type]
    assert str(raised.value).startswith("invalid setting MANDATES_METRICS_PORT: cannot serve metrics")


def test_tracing_is_off_without_an_endpoint() -> None:
    assert tracing_interceptors(Settings()) == []


def test_tracing_without_opentelemetry_installed_is_one_line() -> None:
    try:
        import opentelemetry.sdk  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip(reason="OpenTelemetry is installed here")
    with pytest.raises(SettingsInvalid) as raised:
        tracing_interceptors(Settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318"))  # type: ignore[arg-type]
    assert "mandate-engine[otel]" in str(raised.value)
