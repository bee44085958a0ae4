"""A mandate: what one operative paragraph asks of the Secretariat, and the plan to do it."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.plan import SLUG_PATTERN, Plan
from domain.values import STORABLE, Label, Name
from domain.vocabulary import Actor, MandateKind, ReportingFrequency

KIND_LABELS: dict[MandateKind, str] = {
    MandateKind.DIALOGUE: "dialogue",
    MandateKind.MOU_EXPLORATION: "MoU exploration",
    MandateKind.INFORMATION_COLLECTION: "information collection",
    MandateKind.REPORTING: "reporting",
}


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens: ``"COSP 7/6"`` → ``"cosp-7-6"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def mandate_id(resolution_slug: str, paragraph: int) -> str:
    """The mandate's id, used as its Temporal workflow id and its audit stream id.

    >>> mandate_id("cosp-7-enhancing-synergies", 1)
    'mandate-cosp-7-enhancing-synergies-para-1'
    """
    slug = slugify(resolution_slug)
    if not slug:
        raise ValueError(f"resolution slug {resolution_slug!r} has no letters or digits")
    if paragraph < 1:
        raise ValueError(f"operative paragraph must be 1 or more, not {paragraph}")
    return f"mandate-{slug}-para-{paragraph}"


def consultation_workflow_id(mandate_id_: str, step_id: str) -> str:
    """The id of the child workflow that runs one consultation step of a mandate."""
    return f"{mandate_id_}--{step_id}"


class Mandate(BaseModel):
    """One operative paragraph's request to the Secretariat, with the plan to carry it out.

    Attributes:
        resolution_symbol: The resolution's symbol or number as printed (e.g. "7/6"); its
            slug when it has none.
        resolution_slug: Lowercase slug of the resolution; with the paragraph, makes the id.
        resolution_title: The resolution's title ("Enhancing synergies between ..."), if known.
        paragraph: Operative paragraph number.
        verb: The operative verb ("requests", "invites", "calls upon").
        actor: Who the paragraph is addressed to.
        kinds: What the paragraph asks for (one or more).
        confidential: Whether the information collected is confidential.
        reports_to: The body the Secretariat reports to (e.g. the Implementation Review Group).
        report_due: When the report is due (the body's session date), if known.
        coordinator: The role escalations go to.
        title: A short public description for the Web UI.
        plan: The steps to carry it out.
        text: The operative paragraph's full text, as the resolution gives it.
        addressees: Whom the paragraph's Secretariat clauses address, as written
            ("the Secretary-General", "the Peacebuilding Support Office").
        reporting_frequency: How often the paragraph asks for a report, if it does.
        report_due_session: The session a report is due at ("eighty-first session").
        review_clause: The paragraph's review clause as written, if any.
        sunset_clause: The paragraph's sunset clause as written, if any.
        unsure: What the importer was unsure of, for the coordinator to check.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    resolution_symbol: Annotated[str, Field(min_length=1, max_length=120), STORABLE]
    resolution_slug: Annotated[str, Field(pattern=SLUG_PATTERN, max_length=120)]
    resolution_title: Label | None = None
    paragraph: Annotated[int, Field(ge=1)]
    verb: Annotated[str, Field(min_length=1, max_length=80), STORABLE]
    actor: Actor = Actor.SECRETARIAT
    kinds: Annotated[list[MandateKind], Field(min_length=1)]
    confidential: bool = False
    reports_to: Label | None = None
    report_due: date | None = None
    coordinator: Name = "coordinator"
    title: Label = ""
    plan: Plan
    text: str = ""
    addressees: list[str] = Field(default_factory=list)
    reporting_frequency: ReportingFrequency | None = None
    report_due_session: str | None = None
    review_clause: str | None = None
    sunset_clause: str | None = None
    unsure: list[str] = Field(default_factory=list)

    @field_validator("kinds")
    @classmethod
    def _unique_kinds(cls, kinds: list[MandateKind]) -> list[MandateKind]:
        return [k for k in MandateKind if k in kinds]

    @property
    def id(self) -> str:
        return mandate_id(self.resolution_slug, self.paragraph)

    def kinds_label(self) -> str:
        """E.g. ``"dialogue + reporting"``."""
        return " + ".join(KIND_LABELS[k] for k in self.kinds)

    def summary(self) -> str:
        """One public line for the Web UI: symbol, paragraph, kinds and title."""
        head = f"{self.resolution_symbol} para {self.paragraph} · {self.kinds_label()}"
        return f"{head} · {self.title}" if self.title else head

    def details(self) -> str:
        """A public markdown outline of the mandate and its plan for the Web UI."""
        lines = [
            f"**{self.resolution_symbol}**, operative paragraph {self.paragraph}: "
            f"*{self.verb}* ({self.actor.value})",
            f"- kinds: {self.kinds_label()}",
            f"- coordinator: {self.coordinator}",
        ]
        if self.reports_to:
            due = f" by {self.report_due}" if self.report_due else ""
            lines.append(f"- reports to: {self.reports_to}{due}")
        if self.confidential:
            lines.append("- information collected is confidential")
        lines.append("")
        lines.append("Plan:")
        for n, step in enumerate(self.plan.steps, start=1):
            when = step.due.date().isoformat() if step.due else f"day {step.due_in_days}"
            lines.append(f"{n}. {step.title} ({step.type}, due {when})")
        return "\n".join(lines)
