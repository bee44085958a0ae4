"""A questionnaire plan for the tests: the information collection of paragraph 3 asking the
partner secretariats for their review schedule (which feeds the calendar) and the cost of one
country review (which feeds the comparison of costs)."""

from __future__ import annotations

from typing import Any

from domain.plan import Plan, validate_plan

GRECO, OECD, OAS = "Council of Europe (GRECO)", "OECD Working Group on Bribery", "OAS (MESICIC)"
PARTIES = [GRECO, OECD, OAS]

FORM: dict[str, Any] = {
    "questions": [
        {"id": "contact", "label": "Focal point for the schedule", "type": "text", "required": True},
        {"id": "cost", "label": "Cost of one country review", "type": "money", "required": True,
         "review_cost": "@party"},
        {"id": "reviews_per_year", "label": "Country reviews a year", "type": "number"},
        {"id": "joint_visits", "label": "Open to joint on-site visits?", "type": "yes_no"},
        {"id": "language", "label": "Working language", "type": "choice",
         "choices": ["English", "French", "Spanish"]},
        {"id": "next_plenary", "label": "Next plenary", "type": "date"},
    ],
    "tables": [
        {"id": "schedule", "label": "Your review schedule for 2027-2029", "required": True,
         "columns": [
             {"id": "state", "label": "State", "required": True},
             {"id": "round", "label": "Cycle or round", "required": True},
             {"id": "stage", "label": "Stage", "required": True},
             {"id": "start", "label": "Start", "type": "date", "required": True},
             {"id": "end", "label": "End", "type": "date", "required": True, "not_before": "start"},
             {"id": "visit_start", "label": "On-site visit from", "type": "date"},
             {"id": "visit_end", "label": "On-site visit to", "type": "date", "not_before": "visit_start"},
         ],
         "calendar": {"mechanism": "@party", "state": "state", "cycle": "round", "stage": "stage",
                      "start": "start", "end": "end"}},
    ],
}  # fmt: skip


def questionnaire_plan(confidential: bool = False, due_in_days: int = 30) -> Plan:
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "request-schedules", "title": "Ask for the review schedules",
                 "due_in_days": due_in_days, "parties": PARTIES, "confidential": confidential, "form": FORM},
                {"type": "task", "id": "compile", "title": "Compile the schedules",
                 "due_in_days": due_in_days + 20},
            ]
        }
    )  # fmt: skip


def good_answers(**changes: Any) -> dict[str, Any]:
    """GRECO's answers: Austria's on-site visit overlapping UNCAC's (in tests/support/reviews.py)."""
    answers: dict[str, Any] = {
        "contact": "Jane Roe, GRECO secretariat",
        "cost": "52000 EUR",
        "reviews_per_year": "12",
        "joint_visits": "yes",
        "language": "english",
        "schedule": [
            {"state": "Austria", "round": "round 5", "stage": "on-site visit", "start": "2027-01-22",
             "end": "2027-01-26"},
            {"state": "FRANCE", "round": "round 5", "stage": "evaluation report", "start": "2027-09-01",
             "end": "2027-09-30", "visit_start": "2027-09-02", "visit_end": "2027-09-04"},
        ],
    }  # fmt: skip
    return answers | changes
