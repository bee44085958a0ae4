"""Payloads are JSON objects of bounded size and depth: checked by the store before the call
(a clear error), and by the append functions whoever calls them (migration 007)."""

from __future__ import annotations

import asyncpg
import pytest

from domain.decide import StartMandate, decide
from domain.events import to_payload
from domain.mandate import Mandate
from domain.plan import validate_plan
from domain.state import MandateState
from domain.vocabulary import MandateKind
from store.audit import AuditStore, NewEvent
from store.chain import (
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_LEVELS,
    PayloadInvalid,
    canonical_json,
    canonical_payload,
)
from tests.support.raw_appends import T0, raw_append


def nested(levels: int, leaf: object = "leaf") -> dict:
    """A payload whose deepest value is at ``levels`` (its own members are level 1)."""
    payload: object = leaf
    for _ in range(levels - 1):
        payload = {"a": payload}
    return {"a": payload}


def event(key: str, payload: dict) -> NewEvent:
    return NewEvent(
        type="TaskCompleted", actor="secretariat", occurred_at=T0, payload=payload, idempotency_key=key
    )


def test_the_store_checks_the_bounds_itself_before_any_call() -> None:
    assert canonical_payload(nested(MAX_PAYLOAD_LEVELS))[0] == nested(MAX_PAYLOAD_LEVELS)
    # an empty object or list at the deepest level holds no value one level further down
    assert canonical_payload(nested(MAX_PAYLOAD_LEVELS, leaf={}))[1].endswith(":{}" + "}" * 64)
    for payload in (nested(MAX_PAYLOAD_LEVELS + 1), {"text": "x" * MAX_PAYLOAD_BYTES}, {"n": float("nan")}):
        with pytest.raises(PayloadInvalid):
            canonical_payload(payload)
    with pytest.raises(PayloadInvalid, match="is a list, not a JSON object"):
        canonical_payload([1, 2])  # type: ignore[arg-type]


async def test_a_payload_at_the_depth_bound_is_stored_and_one_level_more_is_refused(
    audit_store: AuditStore,
) -> None:
    (stored,) = await audit_store.append("mandate-a", 0, [event("a-1", nested(MAX_PAYLOAD_LEVELS))])
    assert stored.payload == nested(MAX_PAYLOAD_LEVELS)
    with pytest.raises(PayloadInvalid, match="nested more than 64 levels deep"):
        await audit_store.append("mandate-a", 1, [event("a-2", nested(MAX_PAYLOAD_LEVELS + 1))])
    assert (await audit_store.head())[0] == 1


async def test_a_1500_deep_payload_is_refused_in_one_line(audit_store: AuditStore) -> None:
    with pytest.raises(PayloadInvalid, match="nested more than 64 levels deep"):
        await audit_store.append("mandate-a", 0, [event("a-1", nested(1500))])
    deep_list: object = []
    for _ in range(1500):
        deep_list = [deep_list]
    with pytest.raises(PayloadInvalid, match="nested more than 64 levels deep"):
        await audit_store.append("mandate-a", 0, [event("a-1", {"a": deep_list})])
    assert (await audit_store.head())[0] == 0


async def test_a_payload_larger_than_the_bound_is_refused(audit_store: AuditStore) -> None:
    just_fits = {"text": "x" * (MAX_PAYLOAD_BYTES - len('{"text":""}'))}
    assert len(canonical_json(just_fits).encode()) == MAX_PAYLOAD_BYTES
    await audit_store.append("mandate-a", 0, [event("a-1", just_fits)])
    with pytest.raises(PayloadInvalid, match="4,194,305 bytes of JSON, more than 4,194,304"):
        await audit_store.append("mandate-a", 1, [event("a-2", {"text": just_fits["text"] + "x"})])
    # counted in bytes of UTF-8: a quarter as many four-byte characters take as much
    with pytest.raises(PayloadInvalid, match="more than 4,194,304"):
        await audit_store.append("mandate-a", 1, [event("a-2", {"text": "😀" * (MAX_PAYLOAD_BYTES // 4)})])
    assert (await audit_store.head())[0] == 1


async def test_a_mandate_that_consults_5000_parties_fits_with_room(audit_store: AuditStore) -> None:
    """Every party's name as long as a plan allows (200 characters)."""
    parties = [f"{n:04d} " + "State party to the Convention " * 7 for n in range(5000)]
    parties = [name[:200] for name in parties]
    plan = validate_plan({"steps": [
        {"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 60, "parties": parties},
        {"type": "approval", "id": "approve", "title": "Approve", "due_in_days": 90, "approvers": ["chief"]},
    ]})  # fmt: skip
    mandate = Mandate(
        resolution_symbol="9/1", resolution_slug="cosp-9-big", paragraph=1, verb="requests",
        kinds=[MandateKind.DIALOGUE], title="a large consultation", plan=plan,
    )  # fmt: skip
    events = [to_payload(e) for e in decide(MandateState(), StartMandate(mandate=mandate), T0)]
    sizes = {kind: len(canonical_json(payload).encode()) for kind, payload in events}
    assert max(sizes.values()) * 4 < MAX_PAYLOAD_BYTES, sizes  # with room: four times as much would fit
    new = [event(f"big:{n}", payload) for n, (_, payload) in enumerate(events, start=1)]
    assert len(await audit_store.append(mandate.id, 0, new)) == len(events)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ("[1, 2]", "is a JSON array, not an object"),
        ('"text"', "is a JSON string, not an object"),
        ("null", "is a JSON null, not an object"),
        ('{"a":' * 65 + '"leaf"' + "}" * 65, "is nested more than 64 levels deep"),
        ('{"a":' * 1500 + "1" + "}" * 1500, "is nested more than 64 levels deep"),
        ('{"text":"' + "x" * MAX_PAYLOAD_BYTES + '"}', "is 4194315 bytes long, more than 4194304"),
    ],
    ids=["array", "string", "null", "65-levels", "1500-levels", "too-large"],
)
async def test_the_append_functions_refuse_a_payload_out_of_bounds_whoever_calls(
    audit_store: AuditStore, pool: asyncpg.Pool, payload: str, why: str
) -> None:
    """A client that skips the store's checks (the content hash right for what it sends)."""
    with pytest.raises(asyncpg.PostgresError, match=f"the payload of event 1 {why}") as raised:
        await raw_append(pool, "mandate-a", 0, [payload])
    assert raised.value.sqlstate == "MND05"
    assert (await audit_store.head())[0] == 0
    # the same call with a payload in bounds is taken: it is the payload that was refused
    assert (await raw_append(pool, "mandate-a", 0, [canonical_json(nested(MAX_PAYLOAD_LEVELS))]))[0] == 1
