"""The one builder of mandates for the tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from domain.default_plans import IMPLEMENTATION_REVIEW_GROUP, default_plan
from domain.mandate import Mandate
from domain.plan import Plan
from domain.vocabulary import MandateKind

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
"""When the tests' stories begin (a Monday)."""
COORDINATOR = "coordinator.anti-corruption"
SLUG = "cosp-7-enhancing-synergies"


def make_mandate(
    slug: str = SLUG,
    plan: Plan | None = None,
    *,
    paragraph: int = 3,
    kinds: Sequence[MandateKind] = (MandateKind.INFORMATION_COLLECTION,),
    confidential: bool = False,
    symbol: str = "7/6",
    verb: str = "requests",
    reports_to: str | None = IMPLEMENTATION_REVIEW_GROUP,
    coordinator: str = COORDINATOR,
    title: str = "enhancing synergies",
) -> Mandate:
    """Paragraph ``paragraph`` of resolution ``symbol`` (``slug``), with ``plan``, or the
    default plan of its ``kinds`` (reporting to the Implementation Review Group) if none."""
    if plan is None:
        plan = default_plan(kinds, reports_to=IMPLEMENTATION_REVIEW_GROUP)
    return Mandate(
        resolution_symbol=symbol,
        resolution_slug=slug,
        paragraph=paragraph,
        verb=verb,
        kinds=list(kinds),
        confidential=confidential,
        reports_to=reports_to,
        coordinator=coordinator,
        title=title,
        plan=plan,
    )
