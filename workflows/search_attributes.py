"""Custom search attributes that make mandates legible in the Temporal Web UI.

Operators filter on these, e.g.
``MandateKind = 'reporting' AND NextDeadline < '2027-01-01T00:00:00Z'``.
None of them may carry confidential content.
"""

from temporalio.common import SearchAttributeKey
from temporalio.converter import PayloadConverter

MANDATE_KIND = SearchAttributeKey.for_keyword_list("MandateKind")
MANDATE_STATUS = SearchAttributeKey.for_keyword("MandateStatus")
RESOLUTION_SYMBOL = SearchAttributeKey.for_keyword("ResolutionSymbol")
OPERATIVE_PARAGRAPH = SearchAttributeKey.for_int("OperativeParagraph")
CURRENT_STEP = SearchAttributeKey.for_keyword("CurrentStep")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
AWAITING_PARTIES = SearchAttributeKey.for_keyword_list("AwaitingParties")

ALL = (
    MANDATE_KIND,
    MANDATE_STATUS,
    RESOLUTION_SYMBOL,
    OPERATIVE_PARAGRAPH,
    CURRENT_STEP,
    NEXT_DEADLINE,
    AWAITING_PARTIES,
)

# A Temporal server refuses a search attribute value larger than 2,048 bytes (its default
# limit) by failing the workflow task, again and again: the mandate would stop. The
# converted value is kept within this, with room for the payload's metadata.
VALUE_BYTES = 1_900


def within_value_limit(names: list[str]) -> list[str]:
    """``names`` as they are if they fit in one search attribute value; otherwise the first
    ones that fit and, last, how many more there are ("+57 more").

    Only lists that a server would have refused change, so no recorded history replays
    differently."""
    if _size(names) <= VALUE_BYTES:
        return names
    kept: list[str] = []
    for name in names:
        if _size([*kept, name, f"+{len(names)} more"]) > VALUE_BYTES:
            break
        kept.append(name)
    return [*kept, f"+{len(names) - len(kept)} more"]


def _size(values: list[str]) -> int:
    return len(PayloadConverter.default.to_payloads([values])[0].data)
