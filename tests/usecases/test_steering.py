"""What the steering use cases say back (usecases/steering.py)."""

from __future__ import annotations

from domain.state import MandateStatus
from usecases.steering import Recorded
from workflows.messages import UpdateResult


def test_a_withdrawal_says_the_mandate_is_withdrawn_not_at_the_step_it_stopped() -> None:
    """A withdrawal answered by a workflow that still names the step it stopped at (one
    recorded before the fold forgot it) says withdrawn all the same."""
    result = UpdateResult(
        version=4, status=MandateStatus.WITHDRAWN, current_step="scope-partners", events=["MandateWithdrawn"]
    )

    line = Recorded(mandate_id="mandate-x-para-2", result=result).line()

    assert line == "mandate-x-para-2: recorded MandateWithdrawn; now withdrawn (version 4)"
