"""The progress report to the Implementation Review Group, built from the audit log alone.

``build_progress_report(records, ...)`` takes the audit log's records (anything
with the fields of ``store.audit.StoredEvent``: position, stream id, version,
type, actor, times, payload) and returns a ``ProgressReport``: for each
resolution and operative paragraph, where the mandate stands, its steps,
consultations, cooperation arrangements, information collected, deadlines, and
effort and costs, each figure with the audit positions it comes from (``refs``).

Pure: no I/O and no clock. The period and the "as of" are passed in; without
them the report stands as of the last recorded event. Each mandate's figures come from
the one fold of its events (``domain.state``), given their audit positions.

With a period, the mandates' state is the fold of their events up to the end of
the period; the lists of deadlines met, extended or missed and of effort and
costs keep only what happened within the period; consultations and steps are
shown as they stand at its end.

Confidentiality: response text is never read into the report. Responses are
counted and their senders named; nothing of what they said is kept.

Synergies: when the log holds a review calendar (imported, or answered in questionnaires),
the report has a section on it (``Synergies``): the overlaps between the mechanisms' reviews
of each State (in the period: stages that fall at least partly within it), the States under
the heaviest burden, the mechanisms' costs per review compared, and what the mandates did
about them (their consultations of those States and mechanisms, the answers that fed the
calendar). It is the fold of ``domain.calendar``, as the calendar's read model is; a
confidential review is "a confidential review" there, never its mechanism or dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from domain import events as ev
from domain.calendar import CALENDAR_RECORD_TYPES, CostComparison, ReviewCalendar, compare_costs
from domain.default_plans import IMPLEMENTATION_REVIEW_GROUP
from domain.errors import DomainError
from domain.events import AuditRecord
from domain.mandate import Mandate
from domain.plan import start_of_day
from domain.reviews import (
    DEFAULT_WINDOW_DAYS,
    BurdenView,
    OverlapView,
    Stage,
    burden,
    burden_view,
    find_overlaps,
    mechanism_name,
    name_key,
    overlap_view,
    state_name,
)
from domain.state import DeadlineRecord, MandateState, MandateStatus, StepState, StepStatus, fold_recorded
from domain.timeline import describe_event, kinds_label
from domain.vocabulary import MandateKind


class ReportPeriodInvalid(DomainError):
    """A report period that cannot be read, or that ends before it starts."""

    code = "report_period_invalid"


class ReportUnreadable(DomainError):
    """An audit record this version of the engine cannot read as the event its type names."""

    code = "report_unreadable"


# --- the report model ---------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReportPeriod(_Model):
    """Whole days, both ends included; either end may be open."""

    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ReportPeriod:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self

    @classmethod
    def parse(cls, text: str) -> ReportPeriod:
        """``"2027-01-01..2027-12-31"``; either side may be left empty (``"..2027-06-30"``)."""
        left, sep, right = text.strip().partition("..")
        if not sep:
            raise ReportPeriodInvalid(f"period {text!r} is not FROM..TO (e.g. 2027-01-01..2027-12-31)")
        try:
            start = date.fromisoformat(left.strip()) if left.strip() else None
            end = date.fromisoformat(right.strip()) if right.strip() else None
            return cls(start=start, end=end)
        except (ValueError, ValidationError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise ReportPeriodInvalid(f"period {text!r}: {reason.removeprefix('Value error, ')}") from None

    @property
    def starts_at(self) -> datetime | None:
        return start_of_day(self.start) if self.start else None

    @property
    def ends_before(self) -> datetime | None:
        """The first instant after the period (midnight UTC after its last day)."""
        return start_of_day(self.end + timedelta(days=1)) if self.end else None

    def label(self) -> str:
        return f"{self.start or 'the beginning'} to {self.end or 'the latest event'}"


class StepLine(_Model):
    step_id: str
    title: str
    type: str
    status: Literal["done", "under way", "pending", "stopped"]
    date: datetime | None  # completed at (done) or deadline (under way)
    outcome: str | None
    attempts: int
    approved_by: list[str]  # approvals of the last round of an approval step
    returned: list[str]  # comments of the rejections that sent the work back
    refs: list[int]


class PartyAnswer(_Model):
    party: str
    answered_at: datetime
    ref: int


class ConsultationLine(_Model):
    step_id: str
    title: str
    confidential: bool
    state: Literal["open", "closed"]
    asked: list[str]
    answered: list[PartyAnswer]
    not_answered: list[str]
    closes_at: datetime | None
    closed_reason: str | None
    refs: list[int]


class InformationLine(_Model):
    """Information requested in a consultation: counts and sources, never content."""

    step_id: str
    title: str
    confidential: bool
    requested_from: int
    responses: int
    sources: list[str]
    refs: list[int]


class CooperationLine(_Model):
    """How far a memorandum-of-understanding exploration has come."""

    stage: Literal["not started", "under exploration", "concluded", "stopped"]
    reached: list[str]
    next_step: str | None
    partners: list[str]
    refs: list[int]


class DeadlineLine(_Model):
    step_id: str
    title: str
    attempt: int = 1  # the step's attempt it was set for (a step reworked has several)
    deadline: datetime
    outcome: Literal["met", "missed", "extended", "open", "overdue", "cancelled"]
    closed_at: datetime | None
    closed_by: Literal["completed", "returned", "extended", "withdrawn"] | None
    extended_to: datetime | None
    reason: str | None
    refs: list[int]


class CostLine(_Model):
    step_id: str
    title: str
    at: datetime
    by: str
    effort_days: Decimal
    cost: Decimal
    currency: str
    ref: int


class Money(_Model):
    currency: str
    amount: Decimal
    refs: list[int]


class MandateSection(_Model):
    mandate_id: str
    paragraph: int
    verb: str
    actor: str
    kinds: list[str]
    kinds_label: str
    title: str
    confidential: bool
    reports_to: str | None
    status: str  # active | completed | withdrawn | followed
    status_refs: list[int]
    current_step: str | None = None
    current_step_title: str | None = None
    next_deadline: datetime | None = None
    withdrawal_reason: str | None = None
    paragraph_text: str | None = None
    steps: list[StepLine] = []
    consultations: list[ConsultationLine] = []
    information: list[InformationLine] = []
    cooperation: CooperationLine | None = None
    deadlines: list[DeadlineLine] = []
    costs: list[CostLine] = []
    effort_days: Decimal = Decimal(0)
    cost_totals: list[Money] = []

    @property
    def effort_refs(self) -> list[int]:
        return [c.ref for c in self.costs]


class ResolutionSection(_Model):
    slug: str
    symbol: str  # the slug when the resolution has no symbol
    mandates: list[MandateSection]
    title: str | None = None


class Count(_Model):
    """How many mandates, or steps, are in one state. For deadlines: the steps with a
    deadline of this outcome (``count``) and those deadlines (``deadlines``: more when a
    step was reworked, or extended more than once)."""

    label: str
    count: int
    refs: list[int]
    deadlines: int | None = None


class Totals(_Model):
    statuses: list[Count]
    deadlines: list[Count]
    effort_days: Decimal
    effort_refs: list[int]
    costs: list[Money]


class TraceEntry(_Model):
    position: int
    mandate_id: str
    version: int
    type: str
    occurred_at: datetime
    actor: str
    summary: str


class SynergyAction(_Model):
    """What one mandate did about the overlaps and the calendar: a consultation of the States
    and mechanisms concerned, or the answers that fed the calendar and the costs."""

    mandate_id: str
    paragraph: int
    kinds_label: str
    title: str  # the step's
    text: str
    refs: list[int]


class Synergies(_Model):
    """The review calendar in the report: its size, the overlaps, the heaviest burdens, the
    costs compared and the mandates' actions, each with the audit positions it comes from."""

    window_days: int
    stages: int
    states: int
    mechanisms: int
    confidential: int
    overlaps: list[OverlapView]
    heaviest: list[BurdenView]
    costs: list[CostComparison]
    actions: list[SynergyAction]
    refs: list[int]


HEAVIEST = 10
"""States listed under the heaviest burden."""


class ProgressReport(_Model):
    body: str
    as_of: datetime | None
    as_of_is_period_end: bool
    period: ReportPeriod | None
    period_not_over: bool = False  # the period ends after ``as_of`` (now): figures as of now
    resolution_filter: str | None
    first_position: int | None
    last_position: int | None
    resolutions: list[ResolutionSection]
    totals: Totals
    trace: list[TraceEntry]
    synergies: Synergies | None = None


# --- building the report ------------------------------------------------------


def _event(record: AuditRecord) -> ev.MandateEvent | None:
    try:
        return ev.event_of(record.stream_id, record.type, record.payload, record.occurred_at)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"] if p != record.type)
        event = f"audit event #{record.position} ({record.type})"
        raise ReportUnreadable(f"{event} cannot be read: {where or 'its payload'} does not fit") from None


def _matches(resolution: str | None, slug: str, symbol: str) -> bool:
    if resolution is None:
        return True
    wanted = resolution.strip().lower()
    return wanted in (slug.lower(), symbol.lower())


def _refs(*groups: Iterable[int | None]) -> list[int]:
    return sorted({r for group in groups for r in group if r is not None})


def _mandate_section(
    records: Sequence[AuditRecord], since: datetime | None, as_of: datetime | None
) -> MandateSection | None:
    """The section of one mandate's stream (None for a stream that is not a mandate's)."""
    events = [(r.position, e) for r in records if (e := _event(r)) is not None]
    if not events or not isinstance(events[0][1], ev.MandateStarted):
        return None
    state = fold_recorded(events)
    mandate = state.mandate
    assert mandate is not None and state.mandate_id is not None
    titles = {s.id: s.title for s in mandate.plan.steps}

    def in_period(at: datetime | None) -> bool:
        return since is None or (at is not None and at >= since)

    deadlines = [
        _deadline_line(d, titles.get(d.step_id, d.step_id), as_of)
        for d in state.deadlines
        if d.status == "open" or in_period(d.closed_at)
    ]
    deadlines.sort(key=lambda d: d.refs[0])
    costs = [
        CostLine(
            step_id=c.step_id,
            title=titles.get(c.step_id, c.step_id),
            at=c.at,
            by=c.by,
            effort_days=c.effort_days,
            cost=c.cost,
            currency=c.currency,
            ref=c.ref,
        )
        for c in state.cost_lines
        if in_period(c.at)
    ]
    steps = [_step_line(state, step_id, title) for step_id, title in titles.items()]
    consultation_lines = [
        _consultation_line(state, step, titles[step_id])
        for step_id, step in state.steps.items()
        if step.opened_ref is not None and step_id in titles
    ]
    information = [
        InformationLine(
            step_id=line.step_id,
            title=line.title,
            confidential=line.confidential,
            requested_from=len(line.asked),
            responses=len(line.answered),
            sources=[a.party for a in line.answered],
            refs=_refs(line.refs, [a.ref for a in line.answered]),
        )
        for line in consultation_lines
        if line.confidential or MandateKind.INFORMATION_COLLECTION in mandate.kinds
    ]
    current = state.active_step()
    return MandateSection(
        mandate_id=state.mandate_id,
        paragraph=mandate.paragraph,
        verb=mandate.verb,
        actor=mandate.actor.value,
        kinds=[k.value for k in mandate.kinds],
        kinds_label=mandate.kinds_label(),
        title=mandate.title,
        confidential=mandate.confidential,
        reports_to=mandate.reports_to,
        status=state.status.value,
        status_refs=list(state.status_refs),
        current_step=current.step_id if current else None,
        current_step_title=titles[current.step_id] if current else None,
        next_deadline=state.next_deadline(),
        withdrawal_reason=state.withdrawal_reason,
        steps=steps,
        consultations=consultation_lines,
        information=information,
        cooperation=_cooperation(state, mandate, steps, consultation_lines),
        deadlines=deadlines,
        costs=costs,
        effort_days=sum((c.effort_days for c in costs), Decimal(0)),
        cost_totals=_money(costs),
    )


def _deadline_line(d: DeadlineRecord, title: str, as_of: datetime | None) -> DeadlineLine:
    if d.status == "open":
        overdue = d.overdue or (as_of is not None and d.deadline < as_of)
        return DeadlineLine(
            step_id=d.step_id,
            title=title,
            attempt=max(d.attempt, 1),
            deadline=d.deadline,
            outcome="overdue" if overdue else "open",
            closed_at=None,
            closed_by=None,
            extended_to=None,
            reason=None,
            refs=_refs(d.refs),
        )
    return DeadlineLine(
        step_id=d.step_id,
        title=title,
        attempt=max(d.attempt, 1),
        deadline=d.deadline,
        outcome=d.status,
        closed_at=d.closed_at,
        closed_by=d.closed_by,
        extended_to=d.extended_to,
        reason=d.extension_reason,
        refs=_refs(d.refs),
    )


def _step_line(state: MandateState, step_id: str, title: str) -> StepLine:
    step = state.steps[step_id]
    if step.status is StepStatus.COMPLETED:
        status, when = "done", step.completed_at
    elif step.status is StepStatus.ACTIVE:
        status, when = ("under way" if state.is_active else "stopped"), step.deadline
    else:
        status, when = "pending", None
    return StepLine(
        step_id=step_id,
        title=title,
        type=step.type,
        status=status,  # type: ignore[arg-type]
        date=when,
        outcome=step.outcome if step.status is StepStatus.COMPLETED else None,
        attempts=step.attempt,
        approved_by=[a.by for a in step.approval_details],
        returned=[r.comment for r in step.returns],
        refs=_refs(step.refs, [a.ref for a in step.approval_details], [r.ref for r in step.returns]),
    )


def _consultation_line(state: MandateState, step: StepState, title: str) -> ConsultationLine:
    answered = [
        PartyAnswer(party=p, answered_at=step.answers[p].at, ref=step.answers[p].ref)  # type: ignore[arg-type]
        for p in step.consulted
        if p in step.answers
    ]
    open_ = step.status is StepStatus.ACTIVE and state.is_active and step.closed_reason is None
    return ConsultationLine(
        step_id=step.step_id,
        title=title,
        confidential=step.confidential,
        state="open" if open_ else "closed",
        asked=list(step.consulted),
        answered=answered,
        not_answered=[p for p in step.consulted if p not in step.answers],
        closes_at=step.closes_at,
        closed_reason=step.closed_reason,
        refs=_refs([step.opened_ref, step.closed_ref]),
    )


def _cooperation(
    state: MandateState, mandate: Mandate, steps: list[StepLine], consultations: list[ConsultationLine]
) -> CooperationLine | None:
    if MandateKind.MOU_EXPLORATION not in mandate.kinds:
        return None
    serving = {s.id for s in mandate.plan.steps if s.serves is MandateKind.MOU_EXPLORATION}
    concluding = {s.id for s in mandate.plan.steps if s.concludes}
    mou_steps = [s for s in steps if s.step_id in serving] or steps
    concluded_by = [s for s in mou_steps if s.step_id in concluding]
    last = concluded_by[-1] if concluded_by else mou_steps[-1]
    reached = [s for s in mou_steps if s.status == "done"]
    if last.status == "done":
        stage = "concluded"
    elif state.status is MandateStatus.WITHDRAWN:
        stage = "stopped"
    elif reached or any(s.status == "under way" for s in mou_steps):
        stage = "under exploration"
    else:
        stage = "not started"
    upcoming = next((s for s in mou_steps if s.status != "done"), None)
    ids = {s.step_id for s in mou_steps}
    partners: list[str] = []
    for line in consultations:
        if line.step_id in ids:
            partners.extend(p for p in line.asked if p not in partners)
    return CooperationLine(
        stage=stage,  # type: ignore[arg-type]
        reached=[s.title for s in reached],
        next_step=upcoming.title if upcoming and stage != "concluded" else None,
        partners=partners,
        refs=_refs(*(s.refs for s in reached)),
    )


def _money(costs: Iterable[CostLine]) -> list[Money]:
    totals: dict[str, tuple[Decimal, list[int]]] = {}
    for line in (c for c in costs if c.cost):  # (a line of effort only has no cost)
        amount, refs = totals.get(line.currency, (Decimal(0), []))
        totals[line.currency] = (amount + line.cost, [*refs, line.ref])
    return [Money(currency=c, amount=a, refs=sorted(r)) for c, (a, r) in sorted(totals.items())]


def _followed_section(record: AuditRecord) -> tuple[ev.MandateFollowed, MandateSection]:
    f = _event(record)
    assert isinstance(f, ev.MandateFollowed)
    return f, MandateSection(
        mandate_id=f.mandate_id,
        paragraph=f.paragraph,
        verb=f.verb,
        actor=f.addressee,
        kinds=f.kinds,
        kinds_label=kinds_label(f.kinds),
        title="",
        confidential=False,
        reports_to=f.reports_to,
        status="followed",
        status_refs=[record.position],
        paragraph_text=f.text,
    )


def build_progress_report(
    records: Iterable[AuditRecord],
    *,
    resolution: str | None = None,
    period: ReportPeriod | None = None,
    as_of: datetime | None = None,
    now: datetime | None = None,
    body: str = IMPLEMENTATION_REVIEW_GROUP,
) -> ProgressReport:
    """The progress report on every mandate in ``records`` (or those of one resolution).

    Args:
        records: Audit log records, any order (they are sorted by position).
        resolution: A resolution's slug or symbol (case-insensitive); None for all.
        period: Only events up to its end count; deadline outcomes and costs are
            those that fall within it.
        as_of: When the report stands; default the period's end (or ``now``, when the
            period has not ended by then), else the time the last included event was
            recorded.
        now: The time the report is made: a period that ends later is reported as it
            stands now (a deadline still ahead is open, not overdue), never later.
        body: Who the report is addressed to.
    """
    ends_before = period.ends_before if period else None
    since = period.starts_at if period else None
    streams: dict[str, list[AuditRecord]] = {}
    for record in sorted(records, key=lambda r: r.position):
        if ends_before is not None and record.occurred_at >= ends_before:
            continue
        streams.setdefault(record.stream_id, []).append(record)

    chosen: dict[str, tuple[str, list[MandateSection]]] = {}
    titles: dict[str, str] = {}
    used: list[AuditRecord] = []
    effective_as_of = as_of or ends_before
    not_over = as_of is None and ends_before is not None and now is not None and now < ends_before
    if not_over:
        assert now is not None
        # now, or the last event the period holds if the log runs ahead of this clock
        latest = max((r.occurred_at for s in streams.values() for r in s), default=now)
        effective_as_of = max(now, latest)
    if effective_as_of is None:
        # as of the last recorded event of the chosen resolutions: decided in a first pass
        effective_as_of = _last_recorded(streams, resolution)
    for stream_id in sorted(streams):
        stream = sorted(streams[stream_id], key=lambda r: r.version)
        first = stream[0]
        if first.type == ev.FOLLOWED:
            followed, section = _followed_section(first)
            slug, symbol = followed.resolution_slug, followed.resolution_symbol
            title = followed.resolution_title
        elif first.type == "MandateStarted":
            mandate = _event(first)
            assert isinstance(mandate, ev.MandateStarted)
            slug, symbol = mandate.mandate.resolution_slug, mandate.mandate.resolution_symbol
            title = mandate.mandate.resolution_title
            built = _mandate_section(stream, since, effective_as_of)
            if built is None:
                continue
            section = built
        else:
            continue
        if not _matches(resolution, slug, symbol):
            continue
        used.extend(stream)
        chosen.setdefault(slug, (symbol, []))[1].append(section)
        if title:
            titles.setdefault(slug, title)

    resolutions = [
        ResolutionSection(
            slug=slug,
            symbol=symbol,
            title=titles.get(slug),
            mandates=sorted(sections, key=lambda s: (s.paragraph, s.mandate_id)),
        )
        for slug, (symbol, sections) in sorted(chosen.items())
    ]
    sections = [m for r in resolutions for m in r.mandates]
    calendar_records = [r for stream in streams.values() for r in stream if r.type in CALENDAR_RECORD_TYPES]
    synergies = _synergies(calendar_records, sections, period)
    if synergies is not None:
        cited = set(synergies.refs)
        used.extend(r for r in calendar_records if r.position in cited)
    referenced = _referenced(sections) | set(synergies.refs if synergies else ())
    by_position = {r.position: r for r in used}
    trace = [
        TraceEntry(
            position=p,
            mandate_id=by_position[p].stream_id,
            version=by_position[p].version,
            type=by_position[p].type,
            occurred_at=by_position[p].occurred_at,
            actor=by_position[p].actor,
            summary=describe_event(by_position[p].type, by_position[p].payload),
        )
        for p in sorted(referenced)
        if p in by_position
    ]
    positions = sorted(by_position)
    return ProgressReport(
        body=body,
        as_of=effective_as_of,
        as_of_is_period_end=as_of is None and ends_before is not None and not not_over,
        period=period,
        period_not_over=not_over,
        resolution_filter=resolution,
        first_position=positions[0] if positions else None,
        last_position=positions[-1] if positions else None,
        resolutions=resolutions,
        totals=_totals(sections),
        trace=trace,
        synergies=synergies,
    )


def _in_period(stage: Stage, period: ReportPeriod | None) -> bool:
    if period is None:
        return True
    return (period.start is None or stage.end >= period.start) and (
        period.end is None or stage.start <= period.end
    )


def _synergies(
    records: Sequence[AuditRecord], sections: Sequence[MandateSection], period: ReportPeriod | None
) -> Synergies | None:
    """The Synergies section (None when the log holds no review calendar and no review cost)."""
    try:
        calendar = ReviewCalendar().fold(records)
    except ValidationError as exc:
        raise ReportUnreadable(
            f"a record of the review calendar cannot be read: {exc.errors()[0]['msg']}"
        ) from None
    stages = [s for s in calendar.stages.values() if _in_period(s, period)]
    answered = calendar.all_costs()
    if not stages and not answered:
        return None
    overlaps = find_overlaps(stages, DEFAULT_WINDOW_DAYS)
    start, end = (period.start, period.end) if period else (None, None)
    heaviest = burden(stages, start, end)[:HEAVIEST]
    costs = compare_costs(answered)
    actions = _actions(sections, overlaps, calendar, answered)
    refs = _refs(
        *(o.refs for o in overlaps),
        *(b.refs for b in heaviest),
        *(c.refs for c in costs),
        *(a.refs for a in actions),
    )
    return Synergies(
        window_days=DEFAULT_WINDOW_DAYS,
        stages=len(stages),
        states=len({s.state_key for s in stages}),
        mechanisms=len({s.mechanism_key for s in stages}),
        confidential=sum(1 for s in stages if s.confidential),
        overlaps=[overlap_view(o, reveal=False) for o in overlaps],
        heaviest=[burden_view(b, reveal=False) for b in heaviest],
        costs=costs,
        actions=actions,
        refs=refs,
    )


def _actions(
    sections: Sequence[MandateSection],
    overlaps: Sequence[Any],
    calendar: ReviewCalendar,
    costs: Sequence[Any],
) -> list[SynergyAction]:
    """What each mandate did: consulted States or mechanisms with overlaps (a confidential
    review's mechanism is not one of them: it would be named), and answers that fed the calendar."""
    states = {o.a.state_key for o in overlaps}
    mechanisms = {s.mechanism_key for o in overlaps for s in (o.a, o.b) if not s.confidential}
    by_source: dict[str, tuple[int, set[int]]] = {}
    for stage in calendar.stages.values():
        n, refs = by_source.get(stage.source, (0, set()))
        by_source[stage.source] = (n + 1, refs | set(stage.refs))
    actions = []
    for m in sections:
        for line in m.consultations:
            concerned = [
                p
                for p in line.asked
                if name_key(state_name(p)) in states or name_key(mechanism_name(p)) in mechanisms
            ]
            fed = [
                (k, v) for k, v in by_source.items() if k.startswith(f"answer:{m.mandate_id}:{line.step_id}:")
            ]
            priced = [c for c in costs if c.mandate_id == m.mandate_id and c.step_id == line.step_id]
            parts, refs = [], list(line.refs)
            if concerned:
                answered = [a for a in line.answered if a.party in concerned]
                who = ", ".join(a.party for a in answered) or "none yet"
                parts.append(
                    f"consulted {len(concerned)} of the States and mechanisms with overlapping reviews "
                    f"({', '.join(concerned)}); answered: {who}"
                )
                refs += [a.ref for a in answered]
            if fed:
                rows = sum(n for _, (n, _) in fed)
                parties = sorted({k.split(":", 3)[3] for k, _ in fed})
                parts.append(
                    f"{rows} review stage{'s' if rows != 1 else ''} of the calendar from the answers of "
                    f"{', '.join(parties)}"
                )
                refs += [r for _, (_, rs) in fed for r in rs]
            if priced:
                parts.append(f"{len(priced)} review cost{'s' if len(priced) != 1 else ''} answered")
                refs += [c.ref for c in priced if c.ref is not None]
            if parts:
                actions.append(
                    SynergyAction(
                        mandate_id=m.mandate_id,
                        paragraph=m.paragraph,
                        kinds_label=m.kinds_label,
                        title=line.title,
                        text="; ".join(parts),
                        refs=_refs(refs),
                    )
                )
    return actions


def _last_recorded(streams: dict[str, list[AuditRecord]], resolution: str | None) -> datetime | None:
    latest: datetime | None = None
    for stream in streams.values():
        first = min(stream, key=lambda r: r.version)
        if resolution is not None and not _stream_matches(first, resolution):
            continue
        for record in stream:
            if latest is None or record.recorded_at > latest:
                latest = record.recorded_at
    return latest


def _stream_matches(first: AuditRecord, resolution: str) -> bool:
    if first.type == ev.FOLLOWED:
        f = _event(first)
        assert isinstance(f, ev.MandateFollowed)
        return _matches(resolution, f.resolution_slug, f.resolution_symbol)
    mandate = first.payload.get("mandate") if first.type == "MandateStarted" else None
    if not isinstance(mandate, dict):
        return False
    return _matches(
        resolution, str(mandate.get("resolution_slug", "")), str(mandate.get("resolution_symbol", ""))
    )


def _referenced(sections: Iterable[MandateSection]) -> set[int]:
    refs: set[int] = set()
    for m in sections:
        refs.update(m.status_refs)
        for step in m.steps:
            refs.update(step.refs)
        for consultation in m.consultations:
            refs.update(consultation.refs)
            refs.update(a.ref for a in consultation.answered)
        for info in m.information:
            refs.update(info.refs)
        if m.cooperation is not None:
            refs.update(m.cooperation.refs)
        for line in m.deadlines:
            refs.update(line.refs)
        refs.update(c.ref for c in m.costs)
    return refs


_STATUS_ORDER = ("active", "completed", "withdrawn", "followed")
_DEADLINE_ORDER = ("met", "extended", "missed", "overdue", "open", "cancelled")


def _totals(sections: Sequence[MandateSection]) -> Totals:
    statuses = [
        Count(
            label=status,
            count=sum(1 for m in sections if m.status == status),
            refs=_refs(*(m.status_refs[-1:] for m in sections if m.status == status)),
        )
        for status in _STATUS_ORDER
    ]
    lines = [(m.mandate_id, d) for m in sections for d in m.deadlines]
    deadlines = [
        Count(
            label=outcome,
            count=len({(mandate, d.step_id) for mandate, d in lines if d.outcome == outcome}),
            refs=_refs(*(d.refs[-1:] for _, d in lines if d.outcome == outcome)),
            deadlines=sum(1 for _, d in lines if d.outcome == outcome),
        )
        for outcome in _DEADLINE_ORDER
    ]
    costs = [c for m in sections for c in m.costs]
    return Totals(
        statuses=[c for c in statuses if c.count],
        deadlines=[c for c in deadlines if c.count],
        effort_days=sum((c.effort_days for c in costs), Decimal(0)),
        effort_refs=sorted(c.ref for c in costs),
        costs=_money(costs),
    )
