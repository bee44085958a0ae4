"""Steering use cases (usecases/steering.py): what a person's action waits for, for how long,
and what it says back."""

from __future__ import annotations

import time
from decimal import Decimal

import asyncpg
import pytest

from config.settings import Settings
from domain.plan import validate_plan
from domain.state import MandateStatus
from tests.support.mandates import make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import start
from usecases import BadInput, Refused, steering
from usecases.engine import Engine as UseCaseEngine
from usecases.steering import Recorded, parse_cost
from workflows.messages import RespondRequest, UpdateResult

PLAN = validate_plan(
    {"steps": [{"type": "consultation", "id": "consult", "title": "Consult", "due_in_days": 30,
                "parties": ["Austria"]}]}
)  # fmt: skip


async def test_an_action_on_a_mandate_nobody_works_on_says_what_it_waited_for(
    engine_factory: object, pool: asyncpg.Pool, tmp_path: object
) -> None:
    async with engine_factory() as running:  # type: ignore[operator]
        workers: Engine = running
        mandate = make_mandate("nobody-works", PLAN)
        await start(workers, mandate)
    # the worker is gone: the update is never taken
    use = UseCaseEngine(
        Settings(MANDATES_DATA_DIR=str(tmp_path)), pool=pool, client=workers.client, wait_seconds=2
    )  # type: ignore[call-arg]
    began = time.monotonic()
    with pytest.raises(Refused) as refused:
        await steering.respond(use, mandate.id, RespondRequest(party="Austria", text="hello"))
    assert time.monotonic() - began < 30  # bounded by --timeout, not by Temporal
    assert str(refused.value).startswith(f"no answer from mandate {mandate.id!r} within 2 s to respond: ")
    assert "`mandates dev status`" in str(refused.value)


def test_a_withdrawal_says_the_mandate_is_withdrawn_not_at_the_step_it_stopped() -> None:
    """A withdrawal answered by a workflow that still names the step it stopped at (one
    recorded before the fold forgot it) says withdrawn all the same."""
    result = UpdateResult(
        version=4, status=MandateStatus.WITHDRAWN, current_step="scope-partners", events=["MandateWithdrawn"]
    )

    line = Recorded(mandate_id="mandate-x-para-2", result=result).line()

    assert line == "mandate-x-para-2: recorded MandateWithdrawn; now withdrawn (version 4)"


@pytest.mark.parametrize(
    ("text", "default", "cost"),
    [
        ("1500 EUR", None, (Decimal(1500), "EUR")),
        ("eur 1,500.50", None, (Decimal("1500.50"), "EUR")),
        ("1500", "CHF", (Decimal(1500), "CHF")),
        (" 0.5 usd ", "CHF", (Decimal("0.5"), "USD")),
    ],
)
def test_a_cost_names_its_currency_or_takes_the_configured_one(
    text: str, default: str | None, cost: tuple[Decimal, str]
) -> None:
    assert parse_cost(text, default) == cost


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1500", "'1500' needs its currency, e.g. '1500 USD' (or set MANDATES_CURRENCY)"),
        ("1500 euros", "'1500 euros' is not a cost such as '1500 USD'"),
        ("EUR 1500 USD", "'EUR 1500 USD' is not a cost such as '1500 USD'"),
        ("-3 EUR", "must be zero or more, not '-3 EUR'"),
        ("NaN EUR", "'NaN EUR' is not a cost such as '1500 USD'"),
        ("Infinity EUR", "must be zero or more, not 'Infinity EUR'"),
    ],
)
def test_a_bare_number_is_no_longer_silently_dollars(text: str, says: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_cost(text, None)
    assert str(raised.value) == says
