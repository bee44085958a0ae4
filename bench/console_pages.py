"""Benchmark 8: the web console's pages over a large log.

A log of 10,000 mandates of 104 events each (1,040,000 events, full scale), every mandate
waiting for the approval of the person signed in (who also coordinates them all), projected
into the read models. The console is served by uvicorn on 127.0.0.1, as ``mandates web``
serves it, and asked over HTTP, one request at a time, for My work (the 100 soonest of
10,000 and the count), the mandate list (a page of 25, and the count) and a random
mandate's page (90 answers, a timeline of 104 events): p95 of each, in milliseconds; against
the same app's trivial page (``/health``) in the same run.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import uvicorn

from bench.event_log import GeneratedLog, awaiting_approval_events, generate
from bench.harness import FunctionBenchmark, Metric, Metrics, ratio_target
from bench.log_reads import percentile
from bench.registry import Context, register
from bench.stack import Database
from config.identity import CONSOLE, hash_password
from config.settings import Settings
from devstack.processes import free_port
from projections.projector import Projector
from usecases.engine import Engine
from web.app import create_app

PERSON, PASSWORD = "bench.approver", "the benchmark's password"
ROLES = ["chief.of.section", "coordinator.anti-corruption"]  # (the generated mandates' names)
PAGES = ("work", "list", "mandate")
METRICS = tuple(Metric(f"{page}_p95", "ms", lower_is_better=True, target=0.1) for page in PAGES)
EVENTS_PER_MANDATE = 104


class _Console:
    """The console on its own database and port, signed in."""

    def __init__(self, ctx: Context, mandates: int, requests: int) -> None:
        self.ctx = ctx
        self.mandates = mandates
        self.requests = requests
        self.database: Database | None = None
        self.log: GeneratedLog | None = None
        self.pool: asyncpg.Pool | None = None
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.client: httpx.AsyncClient | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
        self.rng = random.Random(8)
        self.notes: list[str] = []

    async def prepare(self) -> None:
        self.database = await self.ctx.stack.create_database("bench_console")
        conn = await asyncpg.connect(self.database.admin_url)
        try:
            self.log = await generate(
                conn,
                self.mandates * EVENTS_PER_MANDATE,
                wave=min(self.ctx.sizes.log_wave, self.mandates),
                template=awaiting_approval_events,
            )
        finally:
            await conn.close()
        assert self.log.events_per_mandate == EVENTS_PER_MANDATE, self.log.events_per_mandate
        self.pool = await asyncpg.create_pool(self.database.app_url, min_size=2, max_size=5)
        began = time.monotonic()
        projected = await Projector(self.pool).rebuild()
        print(
            f"  generated {self.log.events:,} events ({self.log.mandates:,} mandates) in "
            f"{self.log.seconds:.0f}s, projected in {time.monotonic() - began:.0f}s"
        )
        assert projected == self.log.events
        identities = self.folder / "identities.json"
        identities.write_text(
            json.dumps(
                {"identities": [
                    {"person": PERSON, "roles": ROLES, "token": secrets.token_urlsafe(32),
                     "password_hash": hash_password(PASSWORD)},
                    {"person": CONSOLE, "roles": [], "delegate": True, "token": secrets.token_urlsafe(32)},
                ]}
            )
        )  # fmt: skip
        identities.chmod(0o600)
        port = free_port()
        settings = Settings(  # type: ignore[call-arg]
            MANDATES_DATA_DIR=str(self.folder),
            MANDATES_IDENTITIES=str(identities),
            MANDATES_WEB_SECRET=secrets.token_urlsafe(32),
            MANDATES_WEB_PORT=port,
        )
        app = create_app(settings, Engine(settings, pool=self.pool))
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(600):  # (uvicorn says so only by this flag)
            if self.server.started:
                break
            await asyncio.sleep(0.05)
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
        form = (await self.client.get("/signin")).text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None
        signed = await self.client.post(
            "/signin", data={"person": PERSON, "password": PASSWORD, "csrf": token.group(1)}
        )
        assert signed.status_code == 303, signed.text
        work = await self.client.get("/work")
        assert work.status_code == 200, work.text[:2000]
        assert self.log.mandates <= 100 or f"of {self.log.mandates}" in work.text  # (all of them wait)
        self.notes.append(
            f"{self.log.mandates:,} mandates, {self.log.events:,} events; {self.requests} requests of each "
            "page per run, one at a time, over HTTP to uvicorn on 127.0.0.1"
        )

    async def finish(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task
        if self.pool is not None:
            await self.pool.close()
        if self.database is not None:
            await self.ctx.stack.drop_database(self.database.name)

    async def _p95(self, path_of: Callable[[], str], expect: str) -> float:
        assert self.client is not None
        times = []
        for _ in range(self.requests):
            path = path_of()
            began = time.perf_counter()
            response = await self.client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200 and expect in response.text, (path, response.status_code)
        return percentile(times, 95)

    async def pages(self) -> Metrics:
        assert self.log is not None
        streams = self.log.stream_ids()
        pages = (self.log.mandates + 24) // 25
        return {
            "work_p95": await self._p95(lambda: "/work", "Approve the summary"),
            "list_p95": await self._p95(
                lambda: f"/mandates?page_number={self.rng.randint(1, pages)}", "para"
            ),
            "mandate_p95": await self._p95(lambda: f"/mandates/{self.rng.choice(streams)}", "State party 90"),
        }

    async def trivial(self) -> Metrics:
        p95 = await self._p95(lambda: "/health", "ok")
        return {f"{page}_p95": p95 for page in PAGES}


@register("8", order=45)
def console_pages(ctx: Context) -> FunctionBenchmark:
    mandates = ctx.size("console_mandates", tiny=30, small=1_000, full=10_000)
    requests = ctx.size("console_requests", tiny=10, small=100, full=300)
    console = _Console(ctx, mandates, requests)
    bench = FunctionBenchmark(
        "8",
        f"console pages, {mandates:,} mandates",
        METRICS,
        ratio_target(*METRICS),
        console.pages,
        console.trivial,
        console.prepare,
        console.finish,
    )
    bench.notes = console.notes
    return bench
