"""Words the whole engine shares: what a mandate is about and who it is addressed to."""

from enum import StrEnum


class MandateKind(StrEnum):
    """What an operative paragraph asks the Secretariat to do."""

    DIALOGUE = "dialogue"
    MOU_EXPLORATION = "mou_exploration"
    INFORMATION_COLLECTION = "information_collection"
    REPORTING = "reporting"


class Actor(StrEnum):
    """Who an operative paragraph is addressed to."""

    SECRETARIAT = "secretariat"
    STATES_PARTIES = "states_parties"
    CONFERENCE = "conference"
    OTHER = "other"


class ReportingFrequency(StrEnum):
    """How often a paragraph asks for a report."""

    ONCE = "once"
    ANNUAL = "annual"
    BIENNIAL = "biennial"
    TRIENNIAL = "triennial"
    QUADRENNIAL = "quadrennial"
    EVERY_SESSION = "every_session"
    PERIODIC = "periodic"


ACTOR_LABELS: dict[str, str] = {
    "secretariat": "the Secretariat",
    "states_parties": "States parties",
    "conference": "the Conference",
    "other": "others",
}
"""How each addressee reads in a sentence ("addressed to States parties")."""
