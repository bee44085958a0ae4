"""The invariant: on any history the domain allows, the read model of each mandate
equals the fold of its events in the audit log (compared as a normalized view)."""

from __future__ import annotations

import uuid

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import events as ev
from domain.state import fold
from projections import Projector, mandate_view, view_of_state
from store.audit import AuditStore
from tests.support.mandates import make_mandate
from tests.support.stories import KIND_SETS, append_batches, interleaved, random_story

choices = st.lists(st.integers(min_value=0, max_value=(1 << 16) - 1), min_size=40, max_size=300)
mandates = st.lists(
    st.tuples(st.sampled_from(KIND_SETS), st.booleans(), choices),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mandates=mandates, batch_size=st.sampled_from([3, 500]))
async def test_the_read_model_of_each_mandate_equals_the_fold_of_its_events(
    pool: asyncpg.Pool, audit_store: AuditStore, mandates: list, batch_size: int
) -> None:
    slug = f"h-{uuid.uuid4().hex[:12]}"  # the database is shared by the examples of this test
    stories = [
        random_story(make_mandate(slug, paragraph=n, kinds=kinds, confidential=confidential), picks)
        for n, (kinds, confidential, picks) in enumerate(mandates, start=1)
    ]
    await append_batches(audit_store, interleaved(stories))
    await Projector(pool, batch_size=batch_size).catch_up()
    for story in stories:
        stored = await audit_store.read_stream(story.mandate_id)
        folded = fold(ev.from_payload(s.type, s.payload) for s in stored)
        assert await mandate_view(pool, story.mandate_id) == view_of_state(folded)
        assert folded == story.state
