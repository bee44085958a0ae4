"""From a parsed resolution to the mandates the engine tracks (pure).

A Secretariat paragraph that asks for at least one kind of work becomes a
:class:`~domain.mandate.Mandate` with a plan (the default plan for its kinds, or
the plan file's). Every other paragraph (addressed to States parties or the
Conference, or asking the Secretariat for nothing the engine recognises) is
*followed*: recorded in the audit log with a
:class:`~domain.events.MandateFollowed` event and no steps, so that reports can
still account for it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.default_plans import default_plan
from domain.errors import DomainError
from domain.events import MandateFollowed
from domain.mandate import Mandate, mandate_id
from domain.plan import Plan, validate_plan
from domain.resolution import OperativeParagraph, Resolution, ResolutionUnreadable
from domain.values import MAX_NAME, MAX_TEXT
from domain.vocabulary import Actor

TITLE_LENGTH = 72


class PlanFileInvalid(DomainError):
    """The plan file does not fit the resolution being imported."""

    code = "plan_invalid"


class ImportPlan(BaseModel):
    """What importing a resolution means: mandates to start, paragraphs to follow."""

    model_config = ConfigDict(frozen=True)

    resolution: Resolution
    mandates: list[Mandate]
    followed: list[MandateFollowed]


_ACTION = re.compile(r"\bto ([a-z]+\b.*)")


def _secretariat_text(paragraph: OperativeParagraph) -> str:
    """The text from the first clause that gives the Secretariat work (the whole text if none)."""
    clause = next((c for c in paragraph.clauses if c.actor is Actor.SECRETARIAT), None)
    if clause is None or not paragraph.clauses or clause is paragraph.clauses[0]:
        return paragraph.text
    start = paragraph.text.find(clause.text)
    return paragraph.text[start:] if start >= 0 else clause.text


def short_title(paragraph: OperativeParagraph) -> str:
    """A public one-line description: what the paragraph asks ("Continue its dialogue with…").

    The first infinitive ("... the Secretariat, within existing resources, to undertake ...")
    of the first clause that gives the Secretariat work names the action ("Recalls ..., and
    requests the Secretary-General to prepare ..." gives "Prepare ..."); without one, the
    words after the verb do.
    """
    source = _secretariat_text(paragraph)
    found = _ACTION.search(source)
    if found:
        text = found[1]
    else:
        words = paragraph.text.split()
        text = " ".join(words[len(paragraph.verb.split()) :]) or paragraph.text
    text = text.rstrip(" ;.,")
    text = text[:1].upper() + text[1:]
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def resolution_title(resolution: Resolution) -> str | None:
    """The resolution's title on one line, cut to what a label holds (``MAX_NAME``)."""
    title = " ".join((resolution.title or "").split())
    if not title:
        return None
    return title if len(title) <= MAX_NAME else title[: MAX_NAME - 1].rsplit(" ", 1)[0] + "…"


def resolution_review_clause(resolution: Resolution) -> str | None:
    """A review clause that covers the whole resolution ("Decides to review the implementation of
    the present resolution at its tenth session"), as written, with its paragraph number."""
    for paragraph in resolution.operative:
        clause = paragraph.review_clause
        if clause and paragraph.actor is not Actor.SECRETARIAT:
            return f"para {paragraph.number}: {clause}"
    return None


def plans_by_paragraph(data: Any, numbers: list[int]) -> dict[int, Plan]:
    """Read a plan file's data: one plan for every mandate, or ``{"paragraphs": {"1": plan}}``.

    Raises:
        PlanInvalid: a plan breaks a rule.
        PlanFileInvalid: the file names a paragraph the resolution gives no mandate.
    """
    if isinstance(data, dict) and "paragraphs" in data:
        plans = data["paragraphs"]
        if not isinstance(plans, dict):
            raise PlanFileInvalid("plan file: 'paragraphs' must map paragraph numbers to plans")
        result = {}
        for key, value in plans.items():
            if not str(key).isdigit() or int(key) not in numbers:
                raise PlanFileInvalid(
                    f"plan file: paragraph {key} is not a Secretariat mandate of this resolution"
                )
            result[int(key)] = validate_plan(value)
        return result
    plan = validate_plan(data)
    return dict.fromkeys(numbers, plan)


def _check_paragraph(paragraph: OperativeParagraph) -> None:
    """What the importer read of a paragraph, within the bounds of what is recorded of it
    (a followed paragraph's text goes into the audit log whole)."""
    for what, value, limit in (
        ("text", paragraph.text, MAX_TEXT),
        ("verb", paragraph.verb, MAX_NAME),
        ("reporting body", paragraph.reports_to or "", MAX_NAME),
    ):
        if len(value) > limit:
            raise ResolutionUnreadable(
                f"operative paragraph {paragraph.number}: its {what} is longer than {limit:,} characters"
            )


def _mandate(source: OperativeParagraph, **fields: Any) -> Mandate:
    """The mandate of a paragraph, or ``ResolutionUnreadable`` naming what of it cannot be one."""
    try:
        return Mandate(**fields)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first.get("ctx", {}).get("error", first["msg"]))
        raise ResolutionUnreadable(f"operative paragraph {source.number}: {where}: {message}") from None


def plan_import(resolution: Resolution, now: datetime, plan_data: Any | None = None) -> ImportPlan:
    """Decide which paragraphs become mandates (with which plan) and which are followed.

    A report due date the paragraph names ("by 31 March 2028") becomes the mandate's
    ``report_due`` (and so the default reporting plan's deadlines) when it is still ahead.
    """
    symbol = resolution.symbol or resolution.slug
    title = resolution_title(resolution)
    workable = [p for p in resolution.operative if p.actor is Actor.SECRETARIAT and p.kinds]
    chosen = {id(p) for p in workable}  # (by identity: comparing paragraphs is by every field)
    overrides = plans_by_paragraph(plan_data, [p.number for p in workable]) if plan_data is not None else {}
    for p in resolution.operative:
        _check_paragraph(p)
    mandates = []
    for p in workable:
        due = p.report_due_date if p.report_due_date and p.report_due_date > now.date() else None
        mandates.append(
            _mandate(
                p,
                resolution_symbol=symbol,
                resolution_slug=resolution.slug,
                resolution_title=title,
                paragraph=p.number,
                verb=p.verb,
                actor=p.actor,
                kinds=list(p.kinds),
                confidential=p.confidential,
                reports_to=p.reports_to,
                report_due=due,
                title=short_title(p),
                plan=overrides.get(p.number)
                or default_plan(p.kinds, reports_to=p.reports_to, report_due=due),
                text=p.text,
                addressees=[c.addressee for c in p.clauses if c.actor is Actor.SECRETARIAT and c.addressee],
                reporting_frequency=p.reporting_frequency,
                report_due_session=p.report_due_session,
                review_clause=p.review_clause or resolution_review_clause(resolution),
                sunset_clause=p.sunset_clause,
                unsure=list(p.unsure),
            )
        )
    for mandate in mandates:
        mandate.plan.resolve(now)  # raises PlanInvalid if resolved deadlines break a rule
    followed = [
        MandateFollowed(
            at=now,
            mandate_id=mandate_id(resolution.slug, p.number),
            resolution_symbol=symbol,
            resolution_slug=resolution.slug,
            resolution_title=title,
            paragraph=p.number,
            verb=p.verb,
            actor=p.actor.value,
            kinds=[k.value for k in p.kinds],
            reports_to=p.reports_to,
            text=p.text,
            why=(
                f"addressed to {p.actor.value.replace('_', ' ')}"
                if p.actor is not Actor.SECRETARIAT
                else "asks the Secretariat for no work the engine tracks"
            ),
        )
        for p in resolution.operative
        if id(p) not in chosen
    ]
    return ImportPlan(resolution=resolution, mandates=mandates, followed=followed)
