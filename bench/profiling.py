"""Where the time goes: py-spy profiles of a worker process, EXPLAIN ANALYZE of hot statements.

``BENCH_PROFILE=<folder>`` makes ``python -m bench`` record py-spy profiles of the
engine's worker (benchmark 1, and benchmark 6 around the shared deadline) as
collapsed stacks, and write their top frames next to them (``*.top.txt``).
py-spy comes with the ``bench`` extra (``pip install -e '.[bench]'``); without it,
profiling is skipped with a note.
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass
class Recording:
    process: asyncio.subprocess.Process
    output: Path

    async def finish(self) -> Path:
        """Stop recording (py-spy writes its file on SIGINT) and summarise it."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=60)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self.output.exists():
            summary = self.output.with_suffix(".top.txt")
            summary.write_text(top_frames(self.output.read_text()))
        return self.output


class Profiler:
    """Starts py-spy recordings into one folder."""

    def __init__(self, folder: Path, rate: int = 67) -> None:
        self.folder = folder
        self.rate = rate
        self.binary = py_spy()
        folder.mkdir(parents=True, exist_ok=True)

    async def record(self, pid: int, name: str) -> Recording | None:
        """Start recording ``pid`` (until ``finish()``), or None without py-spy."""
        if self.binary is None:
            print("  (py-spy is not installed: no profile; pip install -e '.[bench]')")
            return None
        output = self.folder / f"{name}.collapsed.txt"
        command = [self.binary, "record", "--pid", str(pid), "--rate", str(self.rate), "--format", "raw",
                   "--output", str(output), "--nonblocking"]  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        return Recording(process, output)


def top_frames(collapsed: str, limit: int = 40) -> str:
    """The functions that hold the most samples, inclusive and on top of the stack."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return "no samples\n"
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(limit)]
    lines += ["", "self:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(limit)]
    return "\n".join(lines) + "\n"


def _short(frame: str) -> str:
    """``func (/long/path/site-packages/pkg/mod.py:12)`` -> ``func (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


async def explain(conn: asyncpg.Connection, sql: str, *args: object) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement, rolled back."""
    tx = conn.transaction()
    await tx.start()
    try:
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
    finally:
        await tx.rollback()
    return "\n".join(r[0] for r in rows)


_AUTO_EXPLAIN = (
    "log_min_duration = 0", "log_analyze = on", "log_nested_statements = on", "log_buffers = on",
    "log_level = notice", "log_parameter_max_length = 0",
)  # fmt: skip


class _OnConnection:
    """What ``AuditStore`` needs of a pool, on one held connection (so that its notices stay heard)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        return await self._conn.fetchrow(sql, *args)


async def explain_hot_statements(admin_url: str, stream_id: str) -> str:
    """Plans of the store's hot statements on a (large) log: one timeline read, and the
    statements inside ``audit_append`` (auto_explain, with timings) for an append of 100
    events to a new stream and of one event to ``stream_id``. The appends are real: run
    this on a log that is about to be dropped."""
    from bench.audit_append import stream_events
    from store.audit import _READ_STREAM, _STREAM_VERSION, AuditStore

    notices: list[str] = []
    conn = await asyncpg.connect(admin_url)
    try:
        parts = ["== read_stream ==\n" + await explain(conn, _READ_STREAM, stream_id)]
        version = int(await conn.fetchval(_STREAM_VERSION, stream_id))
        conn.add_log_listener(lambda _c, message: notices.append(str(message.message)))
        await conn.execute("LOAD 'auto_explain'")
        for setting in _AUTO_EXPLAIN:
            await conn.execute(f"SET auto_explain.{setting}")
        await conn.execute("SET client_min_messages = notice")
        store = AuditStore(_OnConnection(conn))  # type: ignore[arg-type]
        new_stream = "mandate-bench-explain-para-1"
        for title, append in (
            (
                "100 events to a new stream",
                lambda: store.append(new_stream, 0, stream_events(new_stream, 100)),
            ),
            ("1 event", lambda: store.append(stream_id, version, stream_events(stream_id, version + 1)[-1:])),
        ):
            notices.clear()
            await append()
            await asyncio.sleep(0.1)
            plans = [n for n in notices if "typeinfo_tree" not in n and "set_config" not in n]
            parts.append(f"== audit_append, {title}: each statement (auto_explain) ==\n" + "\n\n".join(plans))
    finally:
        await conn.close()
    return "\n\n".join(parts) + "\n"
