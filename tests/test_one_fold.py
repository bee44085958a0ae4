"""One fold (ARCHITECTURE.md): on any history the domain allows, the workflows' state, the
read models kept live, the read models rebuilt and the progress report agree.

Hypothesis drives random command sequences through ``domain.decide`` for several mandates
at once (start, responses, approvals, rejections, completions with effort and costs,
deadline extensions, the timers' reminders, overdue notices, escalations and consultation
closings, withdrawals; ``tests/support/stories.random_story``), appends each command's
events to the audit log as the workflows would, interleaved, and checks every mandate:

- the workflows' state (folded batch by batch, as ``workflows/recorder.py`` does) is the
  fold of its stream read back from the audit log;
- the read models kept live (``Projector.catch_up``) and rebuilt (``Projector.rebuild``)
  show that state (``mandate_view`` against ``view_of_state``; the deadlines of
  ``rm_deadlines`` against the state's);
- the progress report over the stored records says the same: the mandate's status, each
  step's status, each deadline's outcome, the effort and the cost totals.
"""

from __future__ import annotations

import uuid

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import events as ev
from domain.state import DeadlineRecord, MandateState, StepStatus, fold
from projections import Projector, mandate_view, view_of_state
from reports.progress import MandateSection, build_progress_report
from store.audit import AuditStore
from tests.support.mandates import make_mandate
from tests.support.stories import KIND_SETS, Story, append_batches, interleaved, random_story

DEADLINES = "SELECT step_id, status, overdue FROM rm_deadlines WHERE mandate_id = $1 ORDER BY set_position"

choices = st.lists(st.integers(min_value=0, max_value=(1 << 16) - 1), min_size=20, max_size=200)
mandates = st.lists(st.tuples(st.sampled_from(KIND_SETS), st.booleans(), choices), min_size=1, max_size=3)


def step_status(state: MandateState, step_id: str) -> str:
    """What the report calls a step in this state (reports/progress.py)."""
    step = state.steps[step_id]
    if step.status is StepStatus.COMPLETED:
        return "done"
    if step.status is StepStatus.ACTIVE:
        return "under way" if state.is_active else "stopped"
    return "pending"


def outcome_agrees(line_outcome: str, record: DeadlineRecord) -> bool:
    """A closed deadline's outcome is its status; an open one is open, or overdue (it fell
    overdue, or its date has passed when the report stands)."""
    if record.status != "open":
        return line_outcome == record.status
    return line_outcome == "overdue" if record.overdue else line_outcome in ("open", "overdue")


async def read_models_agree(pool: asyncpg.Pool, story: Story, state: MandateState) -> None:
    assert await mandate_view(pool, story.mandate_id) == view_of_state(state)
    deadlines = [tuple(r) for r in await pool.fetch(DEADLINES, story.mandate_id)]
    assert deadlines == [(d.step_id, d.status, d.overdue) for d in state.deadlines]


def report_agrees(section: MandateSection, state: MandateState) -> None:
    mandate = state.mandate
    assert mandate is not None
    assert section.status == state.status.value
    assert section.current_step == (state.current_step if state.is_active else None)
    assert [(s.step_id, s.status) for s in section.steps] == [
        (s.id, step_status(state, s.id)) for s in mandate.plan.steps
    ]
    assert len(section.deadlines) == len(state.deadlines)
    for line, record in zip(section.deadlines, state.deadlines, strict=True):  # (in the order set)
        assert (line.step_id, line.deadline) == (record.step_id, record.deadline)
        assert outcome_agrees(line.outcome, record), (line, record)
    assert section.effort_days == state.effort_days
    assert {m.currency: m.amount for m in section.cost_totals} == state.costs


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mandates=mandates)
async def test_the_workflow_state_the_read_models_the_rebuild_and_the_report_agree(
    pool: asyncpg.Pool, audit_store: AuditStore, mandates: list
) -> None:
    slug = f"fold-{uuid.uuid4().hex[:12]}"  # the database is shared by the examples of this test
    stories = [
        random_story(make_mandate(slug, paragraph=n, kinds=kinds, confidential=confidential), picks)
        for n, (kinds, confidential, picks) in enumerate(mandates, start=1)
    ]
    await append_batches(audit_store, interleaved(stories))

    folds = {}
    for story in stories:
        stored = await audit_store.read_stream(story.mandate_id)
        folds[story.mandate_id] = fold(ev.from_payload(s.type, s.payload) for s in stored)
        assert folds[story.mandate_id] == story.state  # the workflow's state is the log's fold

    await Projector(pool).catch_up()
    for story in stories:
        await read_models_agree(pool, story, folds[story.mandate_id])
    await Projector(pool).rebuild()
    for story in stories:
        await read_models_agree(pool, story, folds[story.mandate_id])

    report = build_progress_report([e async for e in audit_store.iterate_all()], resolution=slug)
    (resolution,) = report.resolutions
    sections = {m.mandate_id: m for m in resolution.mandates}
    assert set(sections) == {s.mandate_id for s in stories}
    for story in stories:
        report_agrees(sections[story.mandate_id], folds[story.mandate_id])
