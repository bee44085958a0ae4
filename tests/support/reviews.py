"""A review calendar written by hand, and the figures worked out by hand from it.

Thirty States, four mechanisms (under several of their names), one stage of the UNCAC
Implementation Review Mechanism per State ten days apart from 1 January 2027 (three days
each), and planted on top of it:

- Austria: GRECO's on-site visit starts the day after UNCAC's country visit (overlap of 2 days);
- Brazil: the OECD's on-site visit overlaps UNCAC's, and is confidential;
- Canada: UNCAC's visit lies inside a three-month OECD follow-up (overlap of 3 days);
- France: the OECD's visit 18 days after UNCAC's; GRECO's report 69 days after the OECD's;
- Germany: two UNCAC stages of two cycles overlap (one mechanism: no pair);
- Italy: two GRECO stages under two of its names, and "ITALY " for Italy (one State, one mechanism);
- Mexico: UNCAC, MESICIC and the OECD back to back (three pairs: -1, 1 and -2 days);
- Spain: GRECO's visit exactly 30 days after UNCAC's (in the default window);
- Sweden: GRECO's visit 31 days after UNCAC's (outside it).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

STATES = (
    "Albania", "Argentina", "Austria", "Belgium", "Brazil", "Bulgaria", "Canada", "Chile", "Colombia",
    "Croatia", "Czechia", "Denmark", "Ecuador", "Estonia", "Finland", "France", "Germany", "Greece",
    "Hungary", "Italy", "Latvia", "Mexico", "Netherlands", "Norway", "Peru", "Portugal", "Spain", "Sweden",
    "United Kingdom", "Uruguay",
)  # fmt: skip
UNCAC = "UNCAC Implementation Review Mechanism"
OECD = "OECD Working Group on Bribery"
GRECO = "Council of Europe (GRECO)"
MESICIC = "OAS (MESICIC)"
HEADER = ("mechanism", "state", "cycle", "stage", "start", "end", "confidential", "notes")
FORMULA = '=HYPERLINK("http://evil.example/x","click")'


def base_day(index: int) -> date:
    return date(2027, 1, 1) + timedelta(days=10 * index)


def _uncac_name(index: int) -> str:
    return ("UNCAC IRM", "Implementation Review Mechanism", UNCAC)[index % 3]


PLANTED = f"""
GRECO|  AUSTRIA|round 5|on-site visit|2027-01-22|2027-01-26||{FORMULA}
OECD WGB|Brazil|phase 4|on-site visit|2027-02-11|2027-02-15|yes|secret: visit
WGB|Canada|phase 4|follow-up|2027-02-01|2027-04-30|no|
OECD WGB|France|phase 4|on-site visit|2027-06-20|2027-06-24||
GRECO|France|round 5|evaluation report|2027-09-01|2027-09-30||
UNCAC IRM|Germany|cycle 3|self-assessment|2027-06-11|2027-06-20||
Council of Europe (GRECO)|Italy|round 5|questionnaire|2027-03-01|2027-03-31||
greco|ITALY |round 5|on-site visit|2027-11-02|2027-11-05||
MESICIC|mexico|round 6|on-site visit|2027-07-31|2027-08-04||
OECD Working Group on Bribery|Mexico|phase 4|on-site visit|2027-08-02|2027-08-06||
Council of Europe   (GRECO)|Spain|round 5|on-site visit|2027-10-20|2027-10-21||
GRECO|Sweden|round 5|on-site visit|2027-10-31|2027-11-01||
"""
CHANGED = f"""
Council of Europe (GRECO)|austria|round 5|on-site visit|2027-01-22|2027-01-25||{FORMULA}|
GRECO|Sweden|round 5|on-site visit|2027-10-31|2027-11-01|||withdrawn
MESICIC|Uruguay|round 6|on-site visit|2027-10-19|2027-10-22|||scheduled
Council of Europe   (GRECO)|Spain|round 5|on-site visit|2027-10-20|2027-10-21|||
"""


def rows_of(text: str) -> list[tuple[str, ...]]:
    return [tuple(line.split("|")) for line in text.strip("\n").splitlines()]


def calendar_rows() -> list[tuple[str, ...]]:
    rows = [
        (
            _uncac_name(i),
            state,
            "cycle 2",
            "country visit",
            str(base_day(i)),
            str(base_day(i) + timedelta(2)),
            "no",
            "",
        )
        for i, state in enumerate(STATES)
    ]
    return rows + rows_of(PLANTED)


def to_csv(rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def calendar_csv() -> bytes:
    return to_csv(calendar_rows())


def changed_csv() -> bytes:
    """Austria's GRECO visit a day shorter (under other spellings), Sweden's withdrawn,
    Uruguay's MESICIC visit new, Spain's as it was."""
    return to_csv(rows_of(CHANGED), (*HEADER, "status"))


# --- the figures, by hand -------------------------------------------------------------------------


def side(
    mechanism: str | None, cycle: str | None, stage: str | None, start: str | None, end: str | None
) -> dict:
    return {"mechanism": mechanism, "cycle": cycle, "stage": stage, "start": start, "end": end}


HIDDEN = side("a confidential review", None, None, None, None)
UNCAC_VISIT = {
    "Austria": side(UNCAC, "cycle 2", "country visit", "2027-01-21", "2027-01-23"),
    "Brazil": side(UNCAC, "cycle 2", "country visit", "2027-02-10", "2027-02-12"),
    "Canada": side(UNCAC, "cycle 2", "country visit", "2027-03-02", "2027-03-04"),
    "France": side(UNCAC, "cycle 2", "country visit", "2027-05-31", "2027-06-02"),
    "Mexico": side(UNCAC, "cycle 2", "country visit", "2027-07-30", "2027-08-01"),
    "Spain": side(UNCAC, "cycle 2", "country visit", "2027-09-18", "2027-09-20"),
    "Uruguay": side(UNCAC, "cycle 2", "country visit", "2027-10-18", "2027-10-20"),
}
MEXICO_MESICIC = side(MESICIC, "round 6", "on-site visit", "2027-07-31", "2027-08-04")
MEXICO_OECD = side(OECD, "phase 4", "on-site visit", "2027-08-02", "2027-08-06")
BRAZIL_OECD = side(OECD, "phase 4", "on-site visit", "2027-02-11", "2027-02-15")


def overlaps_by_hand(*, reveal: bool = False) -> list[dict]:
    """Every overlap of the calendar within 30 days, by State then date."""
    return [
        {"state": "Austria", "a": UNCAC_VISIT["Austria"],
         "b": side(GRECO, "round 5", "on-site visit", "2027-01-22", "2027-01-26"), "gap_days": -1},
        {"state": "Brazil", "a": UNCAC_VISIT["Brazil"], "b": BRAZIL_OECD if reveal else HIDDEN,
         "gap_days": -1 if reveal else None},
        {"state": "Canada", "a": side(OECD, "phase 4", "follow-up", "2027-02-01", "2027-04-30"),
         "b": UNCAC_VISIT["Canada"], "gap_days": -2},
        {"state": "France", "a": UNCAC_VISIT["France"],
         "b": side(OECD, "phase 4", "on-site visit", "2027-06-20", "2027-06-24"), "gap_days": 18},
        {"state": "Mexico", "a": UNCAC_VISIT["Mexico"], "b": MEXICO_MESICIC, "gap_days": -1},
        {"state": "Mexico", "a": UNCAC_VISIT["Mexico"], "b": MEXICO_OECD, "gap_days": 1},
        {"state": "Mexico", "a": MEXICO_MESICIC, "b": MEXICO_OECD, "gap_days": -2},
        {"state": "Spain", "a": UNCAC_VISIT["Spain"],
         "b": side(GRECO, "round 5", "on-site visit", "2027-10-20", "2027-10-21"), "gap_days": 30},
    ]  # fmt: skip


def burden_by_hand(*, reveal: bool = False) -> list[dict]:
    """Per State over all time: mechanisms, stages, days under review; heaviest first."""

    def row(state: str, mechanisms: list[str], stages: int, days: int) -> dict:
        return {"state": state, "mechanisms": mechanisms, "stages": stages, "days_under_review": days}

    planted = [
        row("Canada", [OECD, UNCAC], 2, 89),  # 1 February to 30 April
        row("France", [GRECO, OECD, UNCAC], 3, 38),  # 3 + 5 + 30
        row("Italy", [GRECO, UNCAC], 3, 38),  # 3 + 31 + 4
        row("Germany", [UNCAC], 2, 11),  # 10 to 20 June
        row("Mexico", [MESICIC, OECD, UNCAC], 3, 8),  # 30 July to 6 August
        row("Austria", [GRECO, UNCAC], 2, 6),  # 21 to 26 January
        row(
            "Brazil", [OECD, UNCAC] if reveal else [UNCAC, "a confidential review"], 2, 6
        ),  # 10 to 15 February
        row("Spain", [GRECO, UNCAC], 2, 5),
        row("Sweden", [GRECO, UNCAC], 2, 5),
    ]
    named = {r["state"] for r in planted}
    display = {"Netherlands": "Netherlands (Kingdom of the)",
               "United Kingdom": "United Kingdom of Great Britain and Northern Ireland"}  # fmt: skip
    rest = sorted(display.get(s, s) for s in STATES if s not in named)
    return planted + [row(s, [UNCAC], 1, 3) for s in rest]


def summer_burden_by_hand() -> list[dict]:
    """Per State from 1 June to 31 August 2027."""

    def row(state: str, mechanisms: list[str], stages: int, days: int) -> dict:
        return {"state": state, "mechanisms": mechanisms, "stages": stages, "days_under_review": days}

    return [
        row("Germany", [UNCAC], 2, 11),
        row("Mexico", [MESICIC, OECD, UNCAC], 3, 8),
        row("France", [OECD, UNCAC], 2, 7),  # 1 and 2 June of UNCAC's visit, and the OECD's 5 days
        *[
            row(s, [UNCAC], 1, 3)
            for s in (
                "Greece",
                "Hungary",
                "Italy",
                "Latvia",
                "Netherlands (Kingdom of the)",
                "Norway",
                "Peru",
            )
        ],
    ]
