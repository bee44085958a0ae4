"""Benchmark 10: importing a 40-page PDF resolution (under two seconds).

The document is the tests' own printed-resolution layout (``tests.support.documents``, written
with fpdf2: running headers and footers on every page, footnotes mid-paragraph at the page
breaks, paragraph numbers set apart), ``pdf_pages`` pages long (40 at the full scale).

- engine: what ``mandates import FILE.pdf`` does before anything starts: the document told by
  its content, its text layer read page by page, the page furniture and footnotes taken out,
  the paragraphs found and classified (``usecases.importing.read_resolution``), and every
  mandate's default plan made (``usecases.importing.plan``);
- baseline: pypdf's text extraction of every page, the floor under any import of the file.

The target is absolute (the import a coordinator waits for takes under two seconds, median);
the ratio says what the importer adds to reading the text.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

from bench.harness import FunctionBenchmark, Metric, Target
from bench.registry import Context, register

SECONDS = Metric("seconds", "s", lower_is_better=True)
UNDER = 2.0
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # (the plans' deadlines count from a fixed day)


@register("10", order=72, requires=("fpdf",), extra="dev")
def pdf_import(ctx: Context) -> FunctionBenchmark:
    pages = ctx.size("pdf_pages", tiny=3, small=20, full=40)
    state: dict[str, Any] = {}
    notes: list[str] = []

    async def prepare() -> None:
        from pypdf import PdfReader

        from tests.support.documents import long_resolution_pdf
        from usecases import importing

        data = long_resolution_pdf(pages)
        state["data"] = data
        resolution = importing.read_resolution(data)
        planned = importing.plan(resolution, NOW)
        state["mandates"] = len(planned.mandates)
        state["pages"] = len(PdfReader(io.BytesIO(data)).pages)
        notes.append(
            f"a {state['pages']}-page PDF ({len(data) / 1024:.0f} KiB): "
            f"{len(resolution.operative)} operative paragraphs, {state['mandates']} mandates planned"
        )

    async def engine_run() -> dict[str, float]:
        from usecases import importing

        began = time.perf_counter()
        planned = importing.plan(importing.read_resolution(state["data"]), NOW)
        seconds = time.perf_counter() - began
        assert len(planned.mandates) == state["mandates"]
        return {"seconds": seconds}

    async def baseline_run() -> dict[str, float]:
        from pypdf import PdfReader

        began = time.perf_counter()
        texts = [page.extract_text() for page in PdfReader(io.BytesIO(state["data"])).pages]
        seconds = time.perf_counter() - began
        assert len(texts) == state["pages"]
        return {"seconds": seconds}

    def under_two_seconds(result: Any) -> bool:
        return bool(result.engine["seconds"].median < UNDER)

    return FunctionBenchmark(
        "10",
        f"import of a {pages}-page PDF",
        (SECONDS,),
        Target(f"the import reads and plans it in under {UNDER:g} s (median)", under_two_seconds),
        engine_run,
        baseline_run,
        prepare,
        None,
        notes,
    )
