"""Custom search attributes that make mandates legible in the Temporal Web UI.

Operators filter on these, e.g.
``MandateKind = 'reporting' AND NextDeadline < '2027-01-01T00:00:00Z'``.
None of them may carry confidential content.
"""

from temporalio.common import SearchAttributeKey

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
