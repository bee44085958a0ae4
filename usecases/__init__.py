"""The application layer: every use case a person triggers, one function each.

The command line (``cli``) and the web console call these and nothing below them: they
parse what a person typed or sent, call a use case with an ``Engine`` (the settings, and
the Postgres pool and Temporal client made from them when first needed), and show what
comes back. A refusal is a ``DomainError`` with one line to show.

- ``importing``: read a resolution, plan its mandates, start them, record the rest as followed
- ``steering``: respond, approve, reject, complete, extend, withdraw
- ``reading``: list, show (with the timeline), a mandate's answers (``mandate_answers``: a
  confidential one only for its coordinator and approvers), the read models' status and rebuild
- ``reporting``: the progress report; the report a compile step records
- ``auditing``: verify the audit log, sign its head, one mandate's events
- ``directory``: the contact directory
- ``calendar``: every open deadline as iCalendar
- ``reviews``: the review calendar: import, overlaps, burden, costs, a State's timeline, iCalendar
- ``questionnaires``: a consultation's form, a party's answers checked and recorded
- ``setup``: migrations, namespace, search attributes
"""

from usecases.engine import Engine, failure_message, open_engine
from usecases.errors import BadInput, NotFound, Refused

__all__ = ["BadInput", "Engine", "NotFound", "Refused", "failure_message", "open_engine"]
