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

# A Temporal server refuses a search attribute value of more than 2,048 bytes (its default
# limit, measured on the value's converted data, as ``_size`` does) by failing the workflow
# task, again and again: the mandate would stop.
VALUE_BYTES = 2_048


def within_value_limit(names: list[str]) -> list[str]:
    """``names`` as they are if a server accepts them as one search attribute value;
    otherwise the first ones that fit and, last, how many more there are ("+57 more").

    Only lists that a server refuses change, so no history it recorded replays differently."""
    if _size(names) <= VALUE_BYTES:
        return names
    kept: list[str] = []
    for name in names:
        if _size([*kept, name, f"+{len(names)} more"]) > VALUE_BYTES:
            break
        kept.append(name)
    return [*kept, f"+{len(names) - len(kept)} more"]


def _size(values: list[str]) -> int:
    """The size a server checks: the value's data as the SDK converts it (JSON)."""
    return len(PayloadConverter.default.to_payloads([values])[0].data)
