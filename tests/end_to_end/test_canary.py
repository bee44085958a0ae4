"""The canary: a confidential response never reaches the Temporal server in the clear.

A mandate's confidential consultation gets a response carrying a unique canary
string, on the real Temporal dev server (its own sqlite file, free ports, no UI)
with a worker in this process using the real codec. The canary must not appear
in ``temporal workflow show`` without the codec, in visibility (list, describe),
in the server's database file, in the worker's logs, or in the progress report;
with the codec server and its token it decodes, and without the token nothing is
decoded. A control workflow started without the codec proves each of these
checks would have seen the string.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest
import structlog
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config.client import TemporalUnreachable, connect_temporal
from config.codec import EncryptionCodec, KeyRing, format_keys
from config.codec_server import CodecServer
from config.logging import configure_logging
from config.settings import APP_ROLE, Settings
from devstack.processes import DevStackError, ManagedProcess, free_port, port_answers
from devstack.temporal import ensure_search_attributes, temporal_cli
from domain.default_plans import default_plan
from domain.vocabulary import MandateKind
from reports.progress import build_progress_report
from reports.render import to_html, to_markdown
from store.audit import AuditStore
from tests.support.database import with_database, with_user
from tests.support.mandates import make_mandate
from worker import build_worker
from workflows.mandate import MandateWorkflow
from workflows.messages import RespondRequest
from workflows.starter import mandate_handle, start_mandate

CANARY = f"CANARY{uuid.uuid4().hex.upper()}"
CONTROL = f"CONTROL{uuid.uuid4().hex.upper()}"
TOKEN = f"codec-token-{uuid.uuid4().hex}"

try:
    TEMPORAL, _ = temporal_cli()
except DevStackError as exc:
    pytest.skip(reason=f"no Temporal CLI: {exc}", allow_module_level=True)


def forms(secret: str) -> list[bytes]:
    """The secret as raw bytes and as it would look inside base64 at any alignment."""
    raw = secret.encode()
    found = [raw]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        found.append(encoded[4 if shift else 0 : -4])
    return found


def holds(blob: bytes | str, secret: str) -> bool:
    data = blob.encode() if isinstance(blob, str) else blob
    return any(form in data for form in forms(secret))


@dataclass
class CanaryRun:
    address: str
    mandate_id: str
    consultation_id: str
    control_id: str
    ring: KeyRing
    shown: dict[str, str] = field(default_factory=dict)  # `temporal workflow show`, no codec
    visibility: dict[str, str] = field(default_factory=dict)  # list, describe
    shown_with_codec: str = ""
    database: bytes = b""
    logs: str = ""
    audit_log: str = ""
    report: str | None = None
    sealed: Payload | None = None  # the activity input carrying the response, as stored


def temporal(address: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    result = subprocess.run(
        [str(TEMPORAL), *args, "--address", address, "--disable-config-file", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
async def canary(
    tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str, template_database: str
) -> AsyncIterator[CanaryRun]:
    root = tmp_path_factory.mktemp("canary")
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = ManagedProcess("temporal", root / "run", root / "logs")
    db_file = root / "temporal.db"
    started = server.start(
        [str(TEMPORAL), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless",
         "--db-filename", str(db_file), "--log-level", "warn"]
    )  # fmt: skip
    database = f"mandates_canary_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_admin_url)
    await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template_database}"')
    app_dsn = with_user(with_database(postgres_admin_url, database), APP_ROLE)
    ring = KeyRing.generate("canary")
    settings = Settings(  # type: ignore[call-arg]
        TEMPORAL_ADDRESS=address,
        MANDATES_CODEC_KEYS=format_keys(ring.keys),
        MANDATES_WORKER_KEYS=format_keys(KeyRing.generate().keys),
        MANDATES_CODEC_KEY_ID=ring.active,
        MANDATES_DATA_DIR=str(root / "data"),
        MANDATES_TASK_QUEUE=f"canary-{uuid.uuid4().hex[:8]}",
        DATABASE_URL=app_dsn,
    )
    saved_structlog = structlog.get_config()
    root_logger = logging.getLogger()
    saved_handlers, saved_level = list(root_logger.handlers), root_logger.level
    pool = None
    try:
        deadline = time.monotonic() + 60
        while True:
            reason = server.exited_early(started)
            assert reason is None, f"the dev server exited: {reason}"
            try:
                client = await connect_temporal(settings)
                break
            except TemporalUnreachable:
                assert time.monotonic() < deadline, "the dev server did not answer in 60s"
                await asyncio.sleep(0.3)
        await ensure_search_attributes(client, settings.temporal_namespace)
        configure_logging("json", "debug")  # as the worker logs, at the most talkative level
        capture = _Capture()
        root_logger.addHandler(capture)
        pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=5)

        plan = default_plan([MandateKind.INFORMATION_COLLECTION])
        mandate = make_mandate("canary-information", plan, confidential=True)
        run = CanaryRun(address, mandate.id, f"{mandate.id}--request-information", "", ring)
        async with build_worker(client, pool, settings):
            assert (await start_mandate(client, mandate, settings.task_queue)).status == "started"
            handle = mandate_handle(client, mandate.id)
            await _until(handle, lambda s: s.current_step == "request-information")
            party = plan.steps[0].parties[0]  # type: ignore[union-attr]
            response = RespondRequest(
                party=party, text=f"Our confidential figures: {CANARY} (not for sharing)"
            )
            await handle.execute_update(MandateWorkflow.respond, response)
            await _until(handle, lambda s: len(s.step("request-information").answered()) == 1)
            run.sealed = await _sealed_response(client, run.consultation_id, EncryptionCodec(ring))

        run.control_id = await _control_workflow(address)
        for workflow_id in (run.mandate_id, run.consultation_id, run.control_id):
            run.shown[workflow_id] = temporal(address, "workflow", "show", "-w", workflow_id)
            run.visibility[f"describe {workflow_id}"] = temporal(
                address, "workflow", "describe", "-w", workflow_id
            )
        run.visibility["list"] = temporal(address, "workflow", "list")
        with _codec_server(ring) as codec_port:
            run.shown_with_codec = temporal(
                address, "workflow", "show", "-w", run.consultation_id,
                "--codec-endpoint", f"http://127.0.0.1:{codec_port}", "--codec-auth", f"Bearer {TOKEN}",
            )  # fmt: skip
        stored = await AuditStore(pool).read_all()
        run.audit_log = "\n".join(e.model_dump_json() for e in stored)
        run.report = _report(stored)
        server.stop()  # the database file, complete and closed
        run.logs = "\n".join([*capture.lines, server.logfile.read_text(errors="replace")])
        run.database = b"".join(p.read_bytes() for p in sorted(root.glob("temporal.db*")))
        yield run
    finally:
        structlog.reset_defaults()
        structlog.configure(**saved_structlog)
        root_logger.handlers[:] = saved_handlers
        root_logger.setLevel(saved_level)
        if pool is not None:
            await pool.close()
        server.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def _until(handle, condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition(await handle.query(MandateWorkflow.state)):
        assert time.monotonic() < deadline, f"{handle.id} did not get there in {timeout}s"
        await asyncio.sleep(0.05)


async def _sealed_response(client: Client, consultation_id: str, codec: EncryptionCodec) -> Payload | None:
    """The stored (encrypted) input of the audit activity that recorded the response."""
    history = await client.get_workflow_handle(consultation_id).fetch_history()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            for payload in event.activity_task_scheduled_event_attributes.input.payloads:
                if CANARY.encode() in codec.decode_sync([payload])[0].data:
                    return payload
    return None


async def _control_workflow(address: str) -> str:
    """A workflow started without the codec, its input holding the control string."""
    plain = await Client.connect(address, data_converter=pydantic_data_converter)
    handle = await plain.start_workflow(
        "CanaryControl", {"text": CONTROL}, id=f"canary-control-{uuid.uuid4().hex[:8]}", task_queue="nobody"
    )
    await handle.terminate("control")
    return handle.id


class _codec_server:
    def __init__(self, ring: KeyRing) -> None:
        self.server = CodecServer(EncryptionCodec(ring), TOKEN, ["http://127.0.0.1:8233"], port=0)

    def __enter__(self) -> int:
        self.server.start()
        assert port_answers(self.server.port)
        return self.server.port

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _report(stored: list) -> str:  # type: ignore[type-arg]
    """The progress report as data, and rendered as `mandates report` renders it."""
    report = build_progress_report(stored)
    return "\n".join([report.model_dump_json(), to_markdown(report), to_html(report)])


# --- the checks --------------------------------------------------------------------------------


def test_the_scenario_recorded_the_canary_and_the_control(canary: CanaryRun) -> None:
    assert CANARY in canary.audit_log  # the audit log is the record: the response is there
    assert canary.sealed is not None
    assert holds(canary.shown[canary.control_id], CONTROL)  # the checks below can see a string
    assert holds(canary.database, CONTROL)
    assert holds(canary.visibility["list"], "CanaryControl")


def test_the_history_without_the_codec_does_not_show_it(canary: CanaryRun) -> None:
    for workflow_id in (canary.mandate_id, canary.consultation_id):
        shown = canary.shown[workflow_id]
        assert not holds(shown, CANARY), workflow_id
        assert holds(shown, "binary/encrypted"), workflow_id


def test_visibility_does_not_show_it(canary: CanaryRun) -> None:
    for what, text in canary.visibility.items():
        assert not holds(text, CANARY), what
    listed = json.dumps(canary.visibility["list"])
    assert canary.mandate_id in listed and canary.consultation_id in listed


def test_the_servers_database_file_does_not_hold_it(canary: CanaryRun) -> None:
    assert len(canary.database) > 0
    assert not holds(canary.database, CANARY)


def test_the_worker_and_server_logs_do_not_hold_it(canary: CanaryRun) -> None:
    assert "worker shutdown" in canary.logs  # the capture saw the worker's logging
    assert not holds(canary.logs, CANARY)


def test_the_progress_report_does_not_hold_it(canary: CanaryRun) -> None:
    assert canary.report is not None
    assert canary.mandate_id in canary.report
    assert not holds(canary.report, CANARY)


def test_the_codec_server_decodes_it_with_the_token_and_only_with_it(canary: CanaryRun) -> None:
    assert canary.sealed is not None
    assert not holds(canary.sealed.SerializeToString(), CANARY)
    body = json_format.MessageToJson(Payloads(payloads=[canary.sealed])).encode()
    with _codec_server(canary.ring) as port:

        def decode(**headers: str) -> tuple[int, bytes]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/decode",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", **headers},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    return answer.status, answer.read()
            except urllib.error.HTTPError as refused:
                return refused.code, refused.read()

        status, answer = decode(Authorization=f"Bearer {TOKEN}")
        assert status == 200
        [decoded] = json.loads(answer)["payloads"]
        assert CANARY in base64.b64decode(decoded["data"]).decode()

        status, answer = decode()
        assert status in (401, 403) and not holds(answer, CANARY)
        status, answer = decode(Authorization="Bearer not-the-token-at-all")
        assert status in (401, 403) and not holds(answer, CANARY)
    # ...and the Temporal CLI, given the codec server and the token, shows it.
    assert holds(canary.shown_with_codec, CANARY)
