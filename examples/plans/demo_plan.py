"""Write the demo's plan for paragraph 3: its consultation falls due 14 days and two
minutes from now, so the first reminder (14 days before) reaches the partner
secretariats' inboxes about two minutes after `make demo` starts the mandates.

    python examples/plans/demo_plan.py > .data/demo-plan.json
"""

import json
from datetime import UTC, datetime, timedelta

now = datetime.now(UTC).replace(microsecond=0)
consultation_due = now + timedelta(days=14, minutes=2)
steps = [
    {"type": "consultation", "id": "request-information", "due": consultation_due.isoformat(),
     "title": "Request information from the partner secretariats", "confidential": True,
     "parties": ["Council of Europe (GRECO)", "OECD Working Group on Bribery", "OAS (MESICIC)"]},
    {"type": "task", "id": "compile-information", "due": (consultation_due + timedelta(days=20)).isoformat(),
     "title": "Compile the information received"},
    {"type": "approval", "id": "approve-information-sharing",
     "due": (consultation_due + timedelta(days=35)).isoformat(), "title": "Approve what may be shared",
     "approvers": ["chief.of.section"], "rule": "any", "on_reject_go_to": "compile-information"},
]  # fmt: skip
print(json.dumps({"paragraphs": {"3": {"steps": steps}}}, indent=2))
