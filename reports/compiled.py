"""A reporting mandate's "compile" step: the progress report, built from the audit log, is
its content.

When the coordinator completes a ``compile-report`` step, the report on the mandate's
resolution is compiled from the log as it stands, saved under the data folder, and its
path and SHA-256 go into the step's recorded outcome, so the audit log says exactly which
text was compiled.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from projections.queries import mandate_detail
from reports import compile_report_for
from store.audit import AuditStore

COMPILE_STEP = "compile-report"


@dataclass(frozen=True)
class CompiledReport:
    path: Path
    sha256: str

    def outcome(self, outcome: str) -> str:
        where = f"{self.path.parent.name}/{self.path.name}"
        return f"{outcome} (progress report compiled from the audit log: {where}, sha256 {self.sha256})"


def is_compile_step(step_id: str | None) -> bool:
    """``compile-report``, or its suffixed copy in a merged plan (``compile-report-2``)."""
    return step_id is not None and (step_id == COMPILE_STEP or step_id.startswith(f"{COMPILE_STEP}-"))


async def compile_for_current_step(
    pool: asyncpg.Pool, mandate_id: str, out_dir: Path
) -> CompiledReport | None:
    """If the mandate is at a compile step, write its report and return where; else None."""
    detail = await mandate_detail(pool, mandate_id)
    if detail is None or not is_compile_step(detail.current_step):
        return None
    records = [event async for event in AuditStore(pool).iterate_all()]
    text = compile_report_for(records, detail.resolution_slug)
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    path = out_dir / f"{mandate_id}--{detail.current_step}--{digest[:12]}.md"
    await asyncio.to_thread(_write, path, data)
    return CompiledReport(path, digest)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
