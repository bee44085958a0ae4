"""The bare workflows' messages and activities (imported passed through by ``bench.baselines``).

The activities do nothing (``bare_step``) or write one row to a plain table
(``bare_mark``, so that a benchmark can see when a bare workflow started and
when its timer fired); neither touches the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from pydantic import AwareDatetime, BaseModel, ConfigDict
from temporalio import activity

MARKS_TABLE = """
CREATE TABLE IF NOT EXISTS bench_marks (
    workflow_id text        NOT NULL,
    kind        text        NOT NULL,
    observed_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
)
"""
_MARK = "INSERT INTO bench_marks (workflow_id, kind, observed_at, recorded_at) VALUES ($1, $2, $3, $4)"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class BareMandateInput(_Message):
    mandate_id: str
    parties: list[str]


class BareConsultationInput(_Message):
    mandate_id: str
    parties: list[str]


class BareAnswer(_Message):
    party: str


class BareDone(_Message):
    by: str


class BareProgress(_Message):
    answered: int


class BareResult(_Message):
    mandate_id: str
    version: int


class BareState(_Message):
    version: int
    step: str


class BareTimerInput(_Message):
    """A bare workflow that waits for one deadline, then for a far one (like an escalation)."""

    workflow_id: str
    deadline: AwareDatetime
    then_wait_days: int = 7


class StepInput(_Message):
    workflow_id: str
    what: str


class MarkInput(_Message):
    workflow_id: str
    kind: str
    observed_at: AwareDatetime


@activity.defn(name="bare_step")
async def bare_step(request: StepInput) -> int:
    """Nothing at all: the bare counterpart of an audit append."""
    return 1


class BareMarks:
    """``bare_mark``: one plain INSERT, through the bare worker's pool."""

    def __init__(self, pool: asyncpg.Pool | None) -> None:
        self._pool = pool

    @activity.defn(name="bare_mark")
    async def bare_mark(self, request: MarkInput) -> None:
        if self._pool is None:
            return
        await self._pool.execute(
            _MARK, request.workflow_id, request.kind, request.observed_at, datetime.now(UTC)
        )
