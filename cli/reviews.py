"""``mandates reviews``: the review calendar of the mechanisms, and the burden it makes on States.

``import`` records a calendar file (checked line by line: every problem on a line of its own,
nothing recorded); ``overlaps``, ``burden`` and ``costs`` show what the calendar says;
``rebuild`` folds the audit log into it again. A confidential review is "a confidential
review" unless ``--confidential`` is given by someone allowed to see its details; the exports
(``--csv``, ``mandates calendar --reviews``) always say "a confidential review".
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import typer

from cli.output import commands, echo, fail, print_json, run, table
from cli.steering import caller
from domain.reviews import DEFAULT_WINDOW_DAYS, BurdenView, OverlapView, StageView, spreadsheet_safe
from usecases import reviews

app = commands(help="The review calendar: the mechanisms' schedules, overlaps and the burden on States.")

CONFIDENTIAL = typer.Option(
    False,
    "--confidential",
    help="Show confidential reviews' details on screen (coordinators only; not with --csv).",
)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2027-01-31, not {value!r}", code=2)


@app.command("import")
def import_command(
    file: Path = typer.Argument(
        ..., help="A CSV file: mechanism,state,cycle,stage,start,end[,confidential,...]."
    ),
    person: str | None = typer.Option(None, "--as", help="Who imports it (default: $MANDATES_USER)."),
    timeout: float = typer.Option(
        120.0, "--timeout", min=1, max=3600, help="Seconds to wait for the worker."
    ),
) -> None:
    """Record the review stages of a calendar file (the same rows again record nothing)."""
    who = person or caller()
    imported = run(lambda engine: reviews.import_reviews_file(engine, file, who, timeout=timeout))
    echo(imported.line())


def _stage(view: StageView) -> str:
    if view.hidden:
        return view.mechanism
    return f"{view.mechanism}: {view.cycle}, {view.stage} ({view.start} to {view.end})"


def _gap(overlap: OverlapView) -> str:
    if overlap.gap_days is None:
        return "-"
    if overlap.gap_days <= 0:
        return f"overlap {1 - overlap.gap_days} d"
    return f"{overlap.gap_days} d apart"


def _csv(rows: list[list[str]]) -> str:
    """Rows as CSV, every cell ``spreadsheet_safe`` (no cell runs as a formula)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[spreadsheet_safe(c) for c in row] for row in rows])
    return out.getvalue().rstrip("\n")


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _no_confidential_export(as_csv: bool, confidential: bool) -> None:
    if as_csv and confidential:
        fail(
            "--csv is an export: confidential reviews stay 'a confidential review' (drop --confidential)",
            code=2,
        )


@app.command()
def overlaps(
    window_days: int = typer.Option(
        DEFAULT_WINDOW_DAYS, "--window-days", help="Days apart that still count."
    ),
    state: str | None = typer.Option(None, "--state", help="Only this State."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (for a spreadsheet)."),
    confidential: bool = CONFIDENTIAL,
) -> None:
    """Stages of two different mechanisms for one State that overlap or lie within N days."""
    _no_confidential_export(as_csv, confidential)
    found = run(
        lambda engine: reviews.overlaps(
            engine,
            window_days=window_days,
            state=state,
            viewer=reviews.viewer_of(engine),
            reveal=confidential,
        )
    )
    if as_json:
        print_json([o.as_json() for o in found])
        return
    if as_csv:
        sides = ("mechanism", "cycle", "stage", "start", "end")
        header = ["state", *[f"a_{f}" for f in sides], *[f"b_{f}" for f in sides], "gap_days"]
        lines = [
            [o.state, *[_cell(o.a.as_json()[f]) for f in sides], *[_cell(o.b.as_json()[f]) for f in sides],
             _cell(o.gap_days)]
            for o in found
        ]  # fmt: skip
        echo(_csv([header, *lines]))
        return
    rows = [[o.state, _stage(o.a), _stage(o.b), _gap(o)] for o in found]
    if not found:
        echo(f"no overlaps within {window_days} days" + (f" for {state}" if state else ""))
        return
    echo(table(["state", "a", "b", "gap"], rows))


@app.command()
def burden(
    start: str | None = typer.Option(None, "--from", help="First day of the window (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--to", help="Last day of the window (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (for a spreadsheet)."),
    confidential: bool = CONFIDENTIAL,
) -> None:
    """Per State: the mechanisms reviewing it, the stages and the days under review, heaviest first."""
    _no_confidential_export(as_csv, confidential)
    first, last = _day(start, "--from"), _day(end, "--to")
    rows: list[BurdenView] = run(
        lambda engine: reviews.burden(
            engine, start=first, end=last, viewer=reviews.viewer_of(engine), reveal=confidential
        )
    )
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    lines = [[r.state, "; ".join(r.mechanisms), str(r.stages), str(r.days_under_review)] for r in rows]
    if as_csv:
        echo(_csv([["state", "mechanisms", "stages", "days_under_review"], *lines]))
        return
    if not rows:
        echo("the review calendar holds no review in this window")
        return
    echo(table(["state", "mechanisms", "stages", "days under review"], lines))


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


@app.command()
def costs(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The cost of one country review of each mechanism, as the parties answered it."""
    rows = run(reviews.costs)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        echo("no review costs answered yet")
        return
    echo(
        table(
            ["mechanism", "currency", "answers", "average", "lowest", "highest", "from"],
            [
                [
                    r.mechanism, r.currency, str(r.answers), _money(r.average), _money(r.lowest),
                    _money(r.highest), ", ".join(r.sources) + (" + confidential" if r.confidential else ""),
                ]
                for r in rows
            ],
        )
    )  # fmt: skip


@app.command()
def rebuild() -> None:
    """Empty the review calendar's tables and fold the whole audit log into them again."""
    folded = run(reviews.rebuild_calendar)
    echo(f"rebuilt the review calendar: {folded} records folded")
