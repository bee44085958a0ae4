"""The progress report as Markdown and as one self-contained HTML file.

Pure: a ``ProgressReport`` in, text out; the same report gives the same bytes.
``layout`` lays the report out once as neutral blocks (headings, paragraphs,
lists, tables) whose inline text carries audit references; ``to_markdown`` and
``to_html`` only serialise those blocks, so the two formats say the same thing.
In HTML each reference links to its row in the trace table at the end.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from domain.reviews import OverlapView, StageView
from domain.values import money as format_money
from domain.vocabulary import ACTOR_LABELS
from reports.progress import (
    ConsultationLine,
    CostLine,
    Count,
    DeadlineLine,
    MandateSection,
    Money,
    ProgressReport,
    ResolutionSection,
    StepLine,
    Synergies,
)

# --- blocks -------------------------------------------------------------------


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Em:
    text: str


@dataclass(frozen=True)
class Refs:
    positions: tuple[int, ...]


Inline = str | Strong | Em | Refs
Line = tuple[Inline, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Para:
    parts: Line
    css: str | None = None


@dataclass(frozen=True)
class Quote:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[Line, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Line, ...], ...]
    row_ids: tuple[str, ...] = ()
    css: str | None = None
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned columns


Block = Heading | Para | Quote | Bullets | Table


# --- formatting values --------------------------------------------------------


def day(value: datetime | None) -> str:
    return value.astimezone(UTC).date().isoformat() if value is not None else ""


def moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def number(value: Decimal) -> str:
    return format(value.normalize(), ",f") if value else "0"


def money(totals: Sequence[Money]) -> str:
    return "; ".join(format_money(m.amount, m.currency) for m in totals) or "none"


def as_of_label(report: ProgressReport) -> str:
    """When the report stands: ``the end of 2027-06-30`` (a period that is over), else the
    moment (``2027-03-01 09:00 UTC``)."""
    if report.as_of is None:
        return ""
    if report.as_of_is_period_end and report.period is not None and report.period.end is not None:
        return f"the end of {report.period.end.isoformat()}"
    return moment(report.as_of)


def refs(*groups: Iterable[int]) -> Refs:
    return Refs(tuple(sorted({p for g in groups for p in g})))


def _actor(actor: str) -> str:
    return ACTOR_LABELS.get(actor, actor)


# --- layout -------------------------------------------------------------------


def layout(report: ProgressReport) -> list[Block]:
    """The report as blocks, in reading order."""
    blocks: list[Block] = [Heading(1, f"Progress report to the {report.body}")]
    meta: list[str] = []
    if report.as_of is not None:
        meta.append(f"As of {as_of_label(report)}")
    if report.period is not None:
        over = " (not over yet: the figures stand as of now)" if report.period_not_over else ""
        meta.append(f"period {report.period.label()}{over}")
    if report.resolution_filter:
        meta.append(
            f"resolution {', '.join(r.symbol for r in report.resolutions) or report.resolution_filter}"
        )
    if report.first_position is not None:
        meta.append(f"audit log positions #{report.first_position} to #{report.last_position}")
    if meta:
        blocks.append(Para((" · ".join(meta) + ".",), css="meta"))
    blocks.append(
        Para(
            (
                "Built from the audit log alone. Bracketed numbers such as [#12] are positions in the "
                "audit log; the trace at the end says what each one records. Confidential information "
                "is counted and its sources named, never reproduced.",
            )
        )
    )
    if not report.resolutions:
        blocks.append(Para(("No mandates are recorded in the audit log for this report.",)))
        if report.synergies is None:
            return blocks
        return [*blocks, *_synergies(report.synergies, report), *_trace(report)]
    blocks.extend(_summary(report))
    for resolution in report.resolutions:
        blocks.extend(_resolution(resolution))
    if report.synergies is not None:
        blocks.extend(_synergies(report.synergies, report))
    blocks.extend(_costs_by_mandate(report))
    blocks.extend(_trace(report))
    return blocks


def _side(stage: StageView) -> str:
    if stage.hidden:
        return stage.mechanism
    return f"{stage.mechanism}: {stage.cycle}, {stage.stage} ({stage.start} to {stage.end})"


def _gap(overlap: OverlapView) -> str:
    if overlap.gap_days is None:
        return "not shown (confidential)"
    if overlap.gap_days <= 0:
        days = 1 - overlap.gap_days
        return f"overlap of {days} day{'s' if days != 1 else ''}"
    return f"{overlap.gap_days} day{'s' if overlap.gap_days != 1 else ''} apart"


def _synergies(s: Synergies, report: ProgressReport) -> list[Block]:
    in_period = " in the period" if report.period is not None else ""
    confidential = (
        f", {s.confidential} of them confidential (counted, not described)" if s.confidential else ""
    )
    blocks: list[Block] = [
        Heading(2, "Synergies between review mechanisms", anchor="synergies"),
        Para(
            (
                f"The review calendar holds {s.stages} review stage{'s' if s.stages != 1 else ''}{in_period} "
                f"of {s.states} State{'s' if s.states != 1 else ''} by {s.mechanisms} "
                f"mechanism{'s' if s.mechanisms != 1 else ''}{confidential}.",
            )
        ),
        Heading(3, "Overlapping reviews"),
        Para(
            (
                f"Stages of two different mechanisms for the same State that overlap or lie within "
                f"{s.window_days} days of each other{in_period}.",
            )
        ),
    ]
    if s.overlaps:
        rows = tuple(
            ((o.state,), (_side(o.a),), (_side(o.b),), (_gap(o),), (refs(o.refs),)) for o in s.overlaps
        )
        blocks.append(Table(("State", "First", "Second", "Gap", "Sources"), rows))
    else:
        blocks.append(Para(("No overlaps found.",)))
    blocks += [
        Heading(3, "The heaviest burden"),
        Para(
            (f"The States under review the most days{in_period} (a day under several stages counted once).",)
        ),
        Table(
            ("State", "Mechanisms", "Stages", "Days under review", "Sources"),
            tuple(
                (
                    (b.state,),
                    ("; ".join(b.mechanisms),),
                    (str(b.stages),),
                    (str(b.days_under_review),),
                    (refs(b.refs),),
                )
                for b in s.heaviest
            ),
            numeric=frozenset({2, 3}),
        ),
        Heading(3, "Costs of the mechanisms' reviews compared"),
    ]
    if s.costs:
        blocks.append(
            Para(
                (
                    "The cost of one country review as the parties answered it "
                    "(amounts are not converted between currencies).",
                )
            )
        )
        rows = tuple(
            (
                (c.mechanism,),
                (c.currency,),
                (str(c.answers),),
                (f"{c.average:,.2f}",),
                (f"{c.lowest:,.2f} to {c.highest:,.2f}",),
                (", ".join(c.sources) + (f" and {c.confidential} confidential" if c.confidential else ""),),
                (refs(c.refs),),
            )
            for c in s.costs
        )
        blocks.append(
            Table(
                ("Mechanism", "Currency", "Answers", "Average", "Range", "From", "Sources"),
                rows,
                numeric=frozenset({2, 3}),
            )
        )
    else:
        blocks.append(Para(("No costs of reviews answered yet.",)))
    blocks.append(Heading(3, "The mandates' actions on them"))
    if s.actions:
        blocks.append(
            Bullets(
                tuple(
                    (
                        Strong(f"Paragraph {a.paragraph} ({a.kinds_label}),"),
                        " ",
                        Em(a.title),
                        f": {a.text}. ",
                        refs(a.refs),
                    )
                    for a in s.actions
                )
            )
        )
    else:
        blocks.append(Para(("No mandate has consulted the States or mechanisms concerned yet.",)))
    return blocks


def _summary(report: ProgressReport) -> list[Block]:
    totals = report.totals
    rows: list[tuple[Line, ...]] = []
    for count in totals.statuses:
        label = (
            "Paragraphs followed (addressed to others)"
            if count.label == "followed"
            else f"Mandates {count.label}"
        )
        rows.append(((label,), (str(count.count),), (refs(count.refs),)))
    for count in totals.deadlines:
        rows.append(((f"Deadlines {count.label}",), (_steps_count(count),), (refs(count.refs),)))
    rows.append((("Effort (person-days)",), (number(totals.effort_days),), (refs(totals.effort_refs),)))
    for total in totals.costs:
        rows.append((("Costs",), (format_money(total.amount, total.currency),), (refs(total.refs),)))
    if not totals.costs:
        rows.append((("Costs",), ("none recorded",), ()))
    return [Heading(2, "Summary"), Table(("Figure", "Value", "Sources"), tuple(rows), numeric=frozenset({1}))]


def _steps_count(count: Count) -> str:
    """``3 steps``, or ``3 steps (5 deadlines)`` when steps were reworked or extended again."""
    text = f"{count.count} step{'s' if count.count != 1 else ''}"
    if count.deadlines is not None and count.deadlines != count.count:
        what = "extensions" if count.label == "extended" else "attempts"
        text += f" ({count.deadlines} {what})"
    return text


def resolution_heading(resolution: ResolutionSection) -> str:
    """``Resolution 7/6: Enhancing synergies ...``: its symbol and title (the slug stands in
    for a symbol only when there is no title either)."""
    symbol = resolution.symbol if resolution.symbol != resolution.slug else None
    if resolution.title:
        return f"Resolution {symbol}: {resolution.title}" if symbol else f"Resolution: {resolution.title}"
    return f"Resolution {resolution.symbol}"


def _resolution(resolution: ResolutionSection) -> list[Block]:
    blocks: list[Block] = [Heading(2, resolution_heading(resolution), anchor=f"resolution-{resolution.slug}")]
    if resolution.slug != resolution.symbol or resolution.title:
        blocks.append(Para((f"Reference: {resolution.slug}.",), css="meta"))
    for mandate in resolution.mandates:
        blocks.extend(_mandate(mandate))
    return blocks


def _status(m: MandateSection) -> Line:
    parts: list[Inline] = [Strong("Status:"), " "]
    if m.status == "followed":
        parts.append(f"followed: addressed to {_actor(m.actor)}; no work of the Secretariat is tracked. ")
    elif m.status == "active":
        if m.current_step_title:
            due = f", due {day(m.next_deadline)}" if m.next_deadline else ""
            parts.append(f"active; current step: {m.current_step_title}{due}. ")
        else:
            parts.append("active. ")
    elif m.status == "withdrawn":
        parts.append(f"withdrawn: {m.withdrawal_reason or 'no reason recorded'}. ")
    else:
        parts.append(f"{m.status}. ")
    parts.append(refs(m.status_refs))
    return tuple(parts)


def _mandate(m: MandateSection) -> list[Block]:
    heading = f"Operative paragraph {m.paragraph}: {m.verb} {_actor(m.actor)}".rstrip()
    blocks: list[Block] = [Heading(3, heading, anchor=m.mandate_id)]
    facts: list[Inline] = [Strong("Kinds:"), f" {m.kinds_label or 'none'}"]
    if m.reports_to:
        facts += [" · ", Strong("Reports to:"), f" {m.reports_to}"]
    if m.title:
        facts += [" · ", Em(m.title)]
    facts += [" · ", Strong("Mandate:"), f" {m.mandate_id}"]
    if m.confidential:
        facts += [" · information collected is confidential"]
    blocks.append(Para(tuple(facts)))
    blocks.append(Para(_status(m)))
    if m.paragraph_text:
        blocks.append(Quote(m.paragraph_text))
    if m.status == "followed":
        return blocks
    blocks.extend(_steps(m.steps))
    if m.consultations:
        blocks.append(Heading(4, "Consultations"))
        blocks.append(Bullets(tuple(_consultation(c) for c in m.consultations)))
    if m.cooperation is not None:
        c = m.cooperation
        parts: list[Inline] = [f"Stage: {c.stage}."]
        if c.reached:
            parts.append(f" Steps reached: {'; '.join(c.reached)}.")
        if c.next_step:
            parts.append(f" Next: {c.next_step}.")
        if c.partners:
            parts.append(f" Consulted: {', '.join(c.partners)}.")
        parts += [" ", refs(c.refs)]
        blocks += [Heading(4, "Cooperation arrangements (memorandums of understanding)"), Para(tuple(parts))]
    if m.information:
        items = []
        for info in m.information:
            sources = f" ({', '.join(info.sources)})" if info.sources else ""
            content = "; content confidential, not reproduced" if info.confidential else ""
            items.append(
                (
                    Em(info.title),
                    f": {info.responses} of {info.requested_from} sources responded{sources}{content}. ",
                    refs(info.refs),
                )
            )
        blocks += [Heading(4, "Information collected"), Bullets(tuple(items))]
    blocks.extend(_deadlines(m.deadlines))
    blocks.extend(_costs(m))
    return blocks


def _steps(steps: Sequence[StepLine]) -> list[Block]:
    rows = []
    for n, s in enumerate(steps, start=1):
        status = s.status + (f" (returned for rework {len(s.returned)}×)" if s.returned else "")
        when = {"done": day(s.date), "under way": f"due {day(s.date)}", "stopped": f"was due {day(s.date)}"}
        rows.append(
            (
                (str(n),),
                (s.title,),
                (s.type,),
                (status,),
                (when.get(s.status, ""),),
                (_step_outcome(s),),
                (refs(s.refs),),
            )
        )
    headers = ("#", "Step", "Type", "Status", "Date", "Outcome", "Sources")
    return [Heading(4, "Steps"), Table(headers, tuple(rows))]


def _step_outcome(s: StepLine) -> str:
    parts = []
    if s.outcome:
        approvers = ", ".join(s.approved_by)
        parts.append(f"{s.outcome} by {approvers}" if s.outcome == "approved" and approvers else s.outcome)
    parts += [f"returned: “{comment}”" for comment in s.returned]
    return "; ".join(parts)


def _consultation(c: ConsultationLine) -> Line:
    if c.state == "open":
        state = f"open until {day(c.closes_at)}" if c.closes_at else "open"
    elif c.closed_reason == "all_answered":
        state = "closed: all answered"
    elif c.closed_reason == "deadline":
        state = "closed at its deadline"
    else:
        state = "stopped"
    if c.confidential:
        state += "; confidential"
    parts: list[Inline] = [Em(c.title), f" ({state}): asked {len(c.asked)}"]
    if c.answered:
        parts.append(f"; answered {len(c.answered)}: ")
        for i, a in enumerate(c.answered):
            parts += [("" if i == 0 else ", ") + f"{a.party} ({day(a.answered_at)}) ", refs([a.ref])]
    else:
        parts.append("; no answer yet" if c.state == "open" else "; nobody answered")
    if c.not_answered and c.answered:
        parts.append(
            f"; {'not answered yet' if c.state == 'open' else 'did not answer'}: {', '.join(c.not_answered)}"
        )
    elif c.not_answered:
        parts.append(f" ({', '.join(c.not_answered)})")
    parts += [". ", refs(c.refs)]
    return tuple(parts)


def _deadline_outcome(d: DeadlineLine) -> str:
    returned = "returned for rework" if d.closed_by == "returned" else "done"
    match d.outcome:
        case "met":
            return (
                f"met ({returned} {day(d.closed_at)})"
                if d.closed_by == "returned"
                else f"met ({day(d.closed_at)})"
            )
        case "missed":
            return f"missed ({returned} {day(d.closed_at)})"
        case "extended":
            reason = f": {d.reason}" if d.reason else ""
            return f"extended to {day(d.extended_to)} on {day(d.closed_at)}{reason}"
        case "cancelled":
            return f"cancelled ({day(d.closed_at)})"
    return d.outcome


def _deadlines(lines: Sequence[DeadlineLine]) -> list[Block]:
    if not lines:
        return []
    rows = tuple(
        (
            (d.title + (f" (attempt {d.attempt})" if d.attempt > 1 else ""),),
            (day(d.deadline),),
            (_deadline_outcome(d),),
            (refs(d.refs),),
        )
        for d in lines
    )
    return [Heading(4, "Deadlines"), Table(("Step", "Deadline", "Outcome", "Sources"), rows)]


def _cost_row(c: CostLine) -> tuple[Line, ...]:
    return (
        (c.title,),
        (day(c.at),),
        (c.by,),
        (number(c.effort_days),),
        (format_money(c.cost, c.currency) if c.cost else "",),
        (refs([c.ref]),),
    )


def _costs(m: MandateSection) -> list[Block]:
    blocks: list[Block] = [Heading(4, "Effort and costs")]
    if not m.costs:
        blocks.append(Para(("No effort or cost recorded.",)))
        return blocks
    rows = [_cost_row(c) for c in m.costs]
    rows.append(
        (
            (Strong("Total"),),
            ("",),
            ("",),
            (Strong(number(m.effort_days)),),
            (Strong(money(m.cost_totals)),),
            (refs(m.effort_refs),),
        )
    )
    headers = ("Step", "Date", "By", "Effort (days)", "Cost", "Sources")
    blocks.append(Table(headers, tuple(rows), numeric=frozenset({3, 4})))
    return blocks


def _costs_by_mandate(report: ProgressReport) -> list[Block]:
    rows: list[tuple[Line, ...]] = []
    for resolution in report.resolutions:
        for m in resolution.mandates:
            if m.status == "followed":
                continue
            rows.append(
                (
                    (resolution.symbol,),
                    (str(m.paragraph),),
                    (m.kinds_label,),
                    (number(m.effort_days),),
                    (money(m.cost_totals),),
                    (refs(m.effort_refs),),
                )
            )
    totals = report.totals
    rows.append(
        (
            (Strong("Total"),),
            ("",),
            ("",),
            (Strong(number(totals.effort_days)),),
            (Strong(money(totals.costs)),),
            (refs(totals.effort_refs),),
        )
    )
    headers = ("Resolution", "Paragraph", "Kinds", "Effort (days)", "Costs", "Sources")
    return [
        Heading(2, "Effort and costs by mandate"),
        Table(headers, tuple(rows), numeric=frozenset({3, 4})),
    ]


def _trace(report: ProgressReport) -> list[Block]:
    rows = tuple(
        (
            (f"#{t.position}",),
            (t.mandate_id,),
            (str(t.version),),
            (t.type,),
            (moment(t.occurred_at),),
            (t.actor,),
            (t.summary,),
        )
        for t in report.trace
    )
    headers = ("Position", "Mandate", "Version", "Event", "Occurred", "Actor", "What it records")
    return [
        Heading(2, "Trace", anchor="trace"),
        Para(("Every audit log position the figures above cite, and what it records.",)),
        Table(headers, rows, row_ids=tuple(f"e{t.position}" for t in report.trace), css="trace"),
    ]


# --- Markdown -----------------------------------------------------------------


def _md_text(text: str) -> str:
    """Text on one line: runs of white space (line breaks included) become one space."""
    return re.sub(r"\s+", " ", text)


def _md_inline(parts: Line, cell: bool = False) -> str:
    out = []
    for part in parts:
        match part:
            case Strong():
                out.append(f"**{_md_text(part.text)}**" if part.text else "")
            case Em():
                out.append(f"*{_md_text(part.text)}*" if part.text else "")
            case Refs():
                out.append(f"[{', '.join(f'#{p}' for p in part.positions)}]" if part.positions else "")
            case str():
                out.append(_md_text(part))
    text = "".join(out).strip()
    return text.replace("|", "\\|") if cell else text


def to_markdown(report: ProgressReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines: list[str] = []
    for block in layout(report):
        match block:
            case Heading():
                lines += [f"{'#' * block.level} {_md_text(block.text).strip()}", ""]
            case Para():
                lines += [_md_inline(block.parts), ""]
            case Quote():
                lines += [f"> {_md_text(block.text).strip()}", ""]
            case Bullets():
                lines += [f"- {_md_inline(item)}" for item in block.items] + [""]
            case Table():
                lines.append("| " + " | ".join(block.headers) + " |")
                aligns = ["---:" if i in block.numeric else "---" for i in range(len(block.headers))]
                lines.append("| " + " | ".join(aligns) + " |")
                for row in block.rows:
                    lines.append("| " + " | ".join(_md_inline(cell, cell=True) for cell in row) + " |")
                lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML ---------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: Georgia, "Times New Roman", serif; color: #111; line-height: 1.45;
       max-width: 62rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.7rem; margin-bottom: .25rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid #888; padding-bottom: .15rem; margin-top: 2.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; }
h4 { font-size: 1rem; margin: 1.1rem 0 .3rem; }
p.meta { color: #444; }
blockquote { margin: .5rem 0 .5rem 1rem; padding-left: .75rem; border-left: 3px solid #bbb; color: #333; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.date { white-space: nowrap; }
table.trace { font-size: .8rem; }
.refs { font-size: .8em; color: #555; white-space: nowrap; }
.refs a { color: inherit; text-decoration: none; }
.refs a:hover { text-decoration: underline; }
tr:target { background: #fff6cc; }
@media print {
  @page { size: A4; margin: 16mm 14mm 18mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h1 { font-size: 16pt; }
  h2 { font-size: 13pt; break-before: auto; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  p, li, blockquote { orphans: 3; widows: 3; }
  table { font-size: 8.5pt; break-inside: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  table.trace { font-size: 7.5pt; }
  a { color: inherit; text-decoration: none; }
  tr:target { background: none; }
}
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2} UTC)?")


def _h_dates(text: str) -> str:
    """``text`` escaped, each date (``2027-01-15``, ``2027-01-15 09:00 UTC``) kept on one line."""
    return _DATE.sub(lambda m: f'<span class="date">{m.group()}</span>', _h(text))


def _html_inline(parts: Line) -> str:
    out = []
    for part in parts:
        match part:
            case Strong():
                out.append(f"<strong>{_h(part.text)}</strong>" if part.text else "")
            case Em():
                out.append(f"<em>{_h(part.text)}</em>" if part.text else "")
            case Refs():
                if part.positions:
                    links = ", ".join(f'<a href="#e{p}">#{p}</a>' for p in part.positions)
                    out.append(f'<span class="refs">[{links}]</span>')
            case str():
                out.append(_h_dates(part))
    return "".join(out).strip()


def to_html(report: ProgressReport) -> str:
    """The report as one self-contained HTML file (inline CSS with a print stylesheet)."""
    title = f"Progress report to the {report.body}"
    if report.as_of is not None:
        title += f", as of {as_of_label(report)}"
    body: list[str] = []
    for block in layout(report):
        match block:
            case Heading():
                anchor = f' id="{_h(block.anchor)}"' if block.anchor else ""
                body.append(f"<h{block.level}{anchor}>{_h(block.text)}</h{block.level}>")
            case Para():
                css = f' class="{block.css}"' if block.css else ""
                body.append(f"<p{css}>{_html_inline(block.parts)}</p>")
            case Quote():
                body.append(f"<blockquote>{_h(block.text)}</blockquote>")
            case Bullets():
                items = "\n".join(f"  <li>{_html_inline(item)}</li>" for item in block.items)
                body.append(f"<ul>\n{items}\n</ul>")
            case Table():
                body.append(_html_table(block))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


_NUM = ' class="num"'


def _html_table(table: Table) -> str:
    css = f' class="{table.css}"' if table.css else ""
    head = "".join(f"<th>{_h(h)}</th>" for h in table.headers)
    rows = []
    for i, row in enumerate(table.rows):
        row_id = f' id="{_h(table.row_ids[i])}"' if i < len(table.row_ids) else ""
        cells = "".join(
            f"<td{_NUM if n in table.numeric else ''}>{_html_inline(cell)}</td>" for n, cell in enumerate(row)
        )
        rows.append(f"<tr{row_id}>{cells}</tr>")
    body = "\n".join(rows)
    return f"<table{css}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
