"""Observability: Prometheus metrics and, when configured, OpenTelemetry tracing.

Metrics (``MANDATES_METRICS_PORT`` set; off by default): one endpoint,
``http://127.0.0.1:<port>/metrics`` (``MANDATES_METRICS_HOST`` to bind elsewhere),
served by the Temporal SDK's runtime. It carries the SDK's own metrics
(``temporal_*``: workflow and activity task latencies, polls, sticky cache...) and
the engine's, made with the same runtime's metric meter:

- ``mandates_by_status{status}``: mandates by status (the read model)
- ``mandates_overdue_steps``: active steps past their deadline
- ``mandates_outbox_pending{kind}``: notifications due and not yet sent
- ``mandates_notifications_sent{kind}``: notifications sent (reminders, overdue
  notices, escalations)
- ``mandates_projector_lag_events{projection}``: audit events a projection has
  not applied yet
- ``mandates_audit_append_seconds``: how long each audit append takes (a histogram,
  measured around the ``append_mandate_events`` activity)

The gauges are read from Postgres every ``interval`` seconds by the worker.

Tracing: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, clients and workers get the SDK's
``TracingInterceptor`` and spans go to that OTLP/HTTP endpoint. OpenTelemetry is
optional (``pip install 'mandate-engine[otel]'``); without it a set endpoint is a
one-line error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.common import MetricGauge, MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from config.settings import Settings, SettingsInvalid
from store import read_models
from store.notifications import NotificationOutbox

log = structlog.get_logger("telemetry")

AUDIT_APPEND_ACTIVITY = "append_mandate_events"
AUDIT_APPEND_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STATUSES = ("not_started", "active", "completed", "withdrawn", "followed")
KINDS = ("reminder", "overdue", "escalation")


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving Prometheus metrics on the configured port, or None when off.

    Raises:
        SettingsInvalid: the port cannot be bound.
    """
    if settings.metrics_port is None:
        return None
    address = f"{settings.metrics_host}:{settings.metrics_port}"
    config = PrometheusConfig(
        bind_address=address,
        counters_total_suffix=True,
        durations_as_seconds=True,
        histogram_bucket_overrides={"mandates_audit_append_seconds": list(AUDIT_APPEND_BUCKETS)},
    )
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=config))
    except Exception as exc:  # the core reports a busy port as a plain exception
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SettingsInvalid(
            f"invalid setting MANDATES_METRICS_PORT: cannot serve metrics on {address}: {reason}"
        ) from None


class EngineMetrics:
    """The engine's own metrics, made with a runtime's metric meter."""

    def __init__(self, meter: MetricMeter) -> None:
        self.mandates = meter.create_gauge("mandates_by_status", "Mandates by status (read model)")
        self.overdue_steps = meter.create_gauge("mandates_overdue_steps", "Active steps past their deadline")
        self.outbox_pending = meter.create_gauge(
            "mandates_outbox_pending", "Notifications due and not yet sent, by kind"
        )
        self.notifications_sent = meter.create_gauge(
            "mandates_notifications_sent", "Notifications sent (reminders, overdue notices, escalations)"
        )
        self.projector_lag = meter.create_gauge(
            "mandates_projector_lag_events", "Audit events a projection has not applied yet"
        )
        self.audit_append = meter.create_histogram_float(
            "mandates_audit_append_seconds", "Time to append a batch of events to the audit log", "s"
        )

    def interceptor(self) -> Interceptor:
        """The worker interceptor that times audit appends."""
        return _AuditTiming(self)

    async def collect(self, pool: asyncpg.Pool, now: datetime | None = None) -> None:
        """Read the gauges from Postgres once. A read model that does not exist (yet) is skipped."""
        now = now or datetime.now(UTC)
        async with pool.acquire() as conn:
            by_status = await _optional(read_models.mandates_by_status(conn))
            if by_status is not None:
                _set_by(self.mandates, "status", STATUSES, by_status)
            overdue = await _optional(read_models.overdue_steps(conn, now))
            if overdue is not None:
                self.overdue_steps.set(overdue)
            lags = await _optional(read_models.lags(conn))
            if lags is not None:
                _set_by(self.projector_lag, "projection", (), lags)
        counts = await NotificationOutbox(pool).counts_by_kind(now)
        _set_by(self.outbox_pending, "kind", KINDS, {k: pending for k, (pending, _) in counts.items()})
        _set_by(self.notifications_sent, "kind", KINDS, {k: sent for k, (_, sent) in counts.items()})

    @contextlib.asynccontextmanager
    async def collecting(self, pool: asyncpg.Pool, interval: float = 15.0) -> AsyncIterator[None]:
        """Refresh the gauges every ``interval`` seconds while the block runs."""

        async def loop() -> None:
            while True:
                try:
                    await self.collect(pool)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("metrics not refreshed", error=str(exc).splitlines()[0] if str(exc) else "")
                await asyncio.sleep(interval)

        task = asyncio.create_task(loop(), name="engine-metrics")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _optional(query: Any) -> Any:
    """The query's result, or None when its table does not exist in this database."""
    try:
        return await query
    except asyncpg.UndefinedTableError:
        return None


def _set_by(gauge: MetricGauge, label: str, known: Iterable[str], values: dict[str, int]) -> None:
    for name in {*known, *values}:
        gauge.with_additional_attributes({label: name}).set(int(values.get(name, 0)))


class _AuditTiming(Interceptor):
    def __init__(self, metrics: EngineMetrics) -> None:
        self._metrics = metrics

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _AuditTimingInbound(next, self._metrics)


class _AuditTimingInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, metrics: EngineMetrics) -> None:
        super().__init__(next)
        self._metrics = metrics

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if activity.info().activity_type != AUDIT_APPEND_ACTIVITY:
            return await super().execute_activity(input)
        started = time.perf_counter()
        try:
            return await super().execute_activity(input)
        finally:
            self._metrics.audit_append.record(time.perf_counter() - started)


# --- tracing ------------------------------------------------------------------------

_tracing: list[Any] = []  # the one interceptor of this process, once made


def tracing_interceptors(settings: Settings) -> list[Any]:
    """The SDK's tracing interceptor when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, else none.

    Raises:
        SettingsInvalid: the endpoint is set but OpenTelemetry is not installed.
    """
    if not settings.otel_endpoint:
        return []
    if _tracing:
        return list(_tracing)
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from temporalio.contrib.opentelemetry import TracingInterceptor
    except ImportError:
        raise SettingsInvalid(
            "invalid setting OTEL_EXPORTER_OTLP_ENDPOINT: tracing needs OpenTelemetry: "
            "pip install 'mandate-engine[otel]'"
        ) from None
    provider = TracerProvider(resource=Resource.create({"service.name": "mandate-engine"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # reads OTEL_EXPORTER_OTLP_*
    trace.set_tracer_provider(provider)
    _tracing.append(TracingInterceptor())
    return list(_tracing)
