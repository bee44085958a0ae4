"""What the steering use cases say back (usecases/steering.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.state import MandateStatus
from usecases import BadInput
from usecases.steering import Recorded, parse_cost
from workflows.messages import UpdateResult


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
