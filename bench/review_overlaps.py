"""Benchmark 9: the review calendar's overlaps on 100,000 scheduled stages (under a second).

The calendar holds ``overlap_stages`` stages (100,000 at the full scale) of 190 States by four
mechanisms, each mechanism's stages of a State back to back in cycles (5 to 40 days, 100 to
1,000 days apart), written straight into the read model (``rm_reviews``) as the projection
writes it: the query is what is measured, not the import.

- engine: ``usecases.reviews.overlaps`` as ``mandates reviews overlaps`` calls it: the calendar's
  projection brought up to the log's head (nothing to do here), then each stage's range of its
  State's stages by start through the index ``rm_reviews_state_start``, and the answer as the
  viewer sees it (views, sorted by State then date);
- baseline: a plain SQL self-join of each State's stages (every pair of two mechanisms compared),
  the pairs fetched, nothing more.

Both find the same pairs (checked). The target is absolute: the engine answers in under a second.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

import asyncpg

from bench.harness import FunctionBenchmark, Metric, Target
from bench.registry import Context, register
from config.settings import Settings
from domain.reviews import DEFAULT_WINDOW_DAYS, name_key, review_key, review_uid
from usecases import reviews
from usecases.engine import Engine

MECHANISMS = (
    "UNCAC Implementation Review Mechanism",
    "OECD Working Group on Bribery",
    "Council of Europe (GRECO)",
    "OAS (MESICIC)",
)
STAGES = ("self-assessment", "country visit", "draft report", "plenary", "follow-up")
SECONDS = Metric("seconds", "s", lower_is_better=True)
UNDER = 1.0
_COLUMNS = (
    "review_key", "state_key", "mechanism_key", "uid", "mechanism", "state", "cycle", "stage",
    "start_date", "end_date", "confidential", "notes", "source", "refs",
)  # fmt: skip
_PLAIN_JOIN = f"""
SELECT a.review_key, b.review_key
FROM rm_reviews a
JOIN rm_reviews b
  ON a.state_key = b.state_key
 AND a.mechanism_key <> b.mechanism_key
 AND a.review_key < b.review_key
 AND greatest(a.start_date, b.start_date) - least(a.end_date, b.end_date) <= {DEFAULT_WINDOW_DAYS}
"""


def generated(count: int, states: int, seed: int = 9) -> list[tuple[Any, ...]]:
    """``count`` stages of ``states`` States, as rows of ``rm_reviews``."""
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    lanes = states * len(MECHANISMS)
    for lane in range(lanes):
        state, mechanism = f"State {lane // len(MECHANISMS):03d}", MECHANISMS[lane % len(MECHANISMS)]
        day = date(1900, 1, 1) + timedelta(days=rng.randint(0, 900))
        for n in range(count // lanes + (1 if lane < count % lanes else 0)):
            cycle, stage = f"cycle {n // len(STAGES) + 1}", STAGES[n % len(STAGES)]
            end = day + timedelta(days=rng.randint(5, 40) - 1)
            key = review_key(mechanism, state, cycle, stage)
            rows.append(
                (key, name_key(state), name_key(mechanism), review_uid(key), mechanism, state, cycle, stage,
                 day, end, rng.random() < 0.05, "{}", "import", [len(rows) + 1])
            )  # fmt: skip
            day = end + timedelta(days=rng.randint(100, 1000))
    return rows


@register("9", order=70)
def review_overlaps(ctx: Context) -> FunctionBenchmark:
    count = ctx.size("overlap_stages", tiny=500, small=10_000, full=100_000)
    states = 20 if count < 5_000 else 190
    state: dict[str, Any] = {}
    notes: list[str] = []

    async def prepare() -> None:
        database = await ctx.stack.create_database(f"bench_overlaps_{count}")
        state["database"] = database
        rows = generated(count, states)
        conn = await asyncpg.connect(database.admin_url)
        try:
            await conn.copy_records_to_table("rm_reviews", records=rows, columns=_COLUMNS)
            await conn.execute("ANALYZE rm_reviews")
        finally:
            await conn.close()
        engine = Engine(Settings(database_url_override=database.app_url), pool_size=2)  # type: ignore[call-arg]
        state["engine"] = engine
        found = await reviews.overlaps(engine)  # warm: the projection's check, the statement's plan
        pool = await engine.pool()
        plain = await pool.fetch(_PLAIN_JOIN)
        assert len(plain) == len(found), (len(plain), len(found))
        state["pairs"] = len(found)
        notes.append(
            f"{count:,} stages of {states} States by {len(MECHANISMS)} mechanisms; "
            f"{len(found):,} pairs within {DEFAULT_WINDOW_DAYS} days (both sides find the same number)"
        )

    async def engine_run() -> dict[str, float]:
        began = time.perf_counter()
        found = await reviews.overlaps(state["engine"])
        seconds = time.perf_counter() - began
        assert len(found) == state["pairs"]
        return {"seconds": seconds}

    async def baseline_run() -> dict[str, float]:
        pool = await state["engine"].pool()
        began = time.perf_counter()
        rows = await pool.fetch(_PLAIN_JOIN)
        seconds = time.perf_counter() - began
        assert len(rows) == state["pairs"]
        return {"seconds": seconds}

    async def finish() -> None:
        await state["engine"].close()
        await ctx.stack.drop_database(state["database"].name)

    def under_a_second(result: Any) -> bool:
        return bool(result.engine["seconds"].median < UNDER)

    bench = FunctionBenchmark(
        "9",
        f"review overlaps, {count:,} stages",
        (SECONDS,),
        Target(f"the engine answers in under {UNDER:g} s (median)", under_a_second),
        engine_run,
        baseline_run,
        prepare,
        finish,
        notes,
    )
    return bench
