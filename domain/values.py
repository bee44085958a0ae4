"""The values the engine takes from outside, and the rules every boundary applies to them.

Whatever a person types, sends or writes in a file reaches the audit log, the workflows'
histories, the read models, e-mail headers and terminals. Each of those refuses (or is
harmed by) something: Postgres cannot store a NUL character or a lone surrogate; a number
of 200,000 digits or a deadline in the year 9999 breaks the arithmetic that follows; a
line break in a name becomes a mail header. The types here refuse such values at the
boundary (commands, update requests, plans, contacts, the resolution importer), with one
line saying why, so that nothing downstream ever meets them:

- ``Name``: a person, party, role or title: one line, 1 to ``MAX_NAME`` characters, no
  control characters, not blank;
- ``Text``: free text (a response, an outcome, a reason): up to ``MAX_TEXT`` characters,
  line breaks allowed, not blank; ``Comment`` may be empty;
- ``Amount``: a cost or an effort: finite, 0 to ``MAX_AMOUNT``, at most ``AMOUNT_PLACES``
  decimal places;
- ``Deadline``: a moment from ``EARLIEST_DEADLINE`` to before ``LATEST_DEADLINE`` (room
  for grace days, escalations and time zones before the calendar ends);
  ``MAX_DUE_IN_DAYS`` bounds a deadline relative to a start.

Every text type refuses what cannot be stored: NUL, lone surrogates and Unicode
noncharacters (``unstorable``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, ValidationInfo

MAX_NAME = 200
"""Characters in a name (a person, a party, a role, a step's title, a display name)."""
MAX_TEXT = 100_000
"""Characters in free text (a response, an outcome, a comment, a reason)."""
MAX_AMOUNT = Decimal(10**12)
"""The largest cost or effort (a trillion: far above any mandate's, far below overflow)."""
AMOUNT_PLACES = 6
"""Decimal places a cost or an effort may have."""
EARLIEST_DEADLINE = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_DEADLINE = datetime(9000, 1, 1, tzinfo=UTC)
"""Deadlines fall before this: the arithmetic after a deadline (grace days, escalations,
reminders, time zones) stays far inside the calendar, which ends with the year 9999."""
MAX_DUE_IN_DAYS = 36_525
"""A deadline relative to a mandate's start: at most a hundred years after it."""

# NUL; lone surrogates (UTF-8 cannot encode them); the noncharacters U+FDD0..U+FDEF and the
# last two code points of every plane.
_UNSTORABLE = re.compile(
    "[\x00\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)
# C0 and C1 controls (line breaks and tabs among them), DEL, and the Unicode line and
# paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _describe(text: str, found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    where = f"at character {found.start() + 1}"
    if code == 0:
        kind = "a NUL character (U+0000)"
    elif 0xD800 <= code <= 0xDFFF:
        kind = f"a lone surrogate (U+{code:04X})"
    elif code in (0x0A, 0x0D, 0x0B, 0x0C, 0x85, 0x2028, 0x2029):
        kind = f"a line break (U+{code:04X})"
    elif _CONTROL.match(char):
        kind = f"a control character (U+{code:04X})"
    else:
        kind = f"a Unicode noncharacter (U+{code:04X})"
    return f"{kind} {where}"


def unstorable(text: str) -> str | None:
    """What in ``text`` cannot be stored (a NUL character, a lone surrogate, a Unicode
    noncharacter, and where), or None when all of it can."""
    found = _UNSTORABLE.search(text)
    return _describe(text, found) if found else None


def not_one_line(text: str) -> str | None:
    """What in ``text`` keeps it from being one line of plain characters (a line break, a
    tab or another control character, and where), or None."""
    found = _CONTROL.search(text)
    return _describe(text, found) if found else None


def name_problem(text: str) -> str | None:
    """Why ``text`` is not a usable name (without its length), or None."""
    problem = unstorable(text) or not_one_line(text)
    if problem is not None:
        return f"holds {problem}"
    if not text.strip():
        return "is blank"
    return None


RECORDED = {"recorded": True}
"""The validation context of what the audit log already holds (``events.from_payload``):
read as it was written, so that a rule made stricter later never makes a recorded event
unreadable. Everything else is validated by the rules."""


def _recorded(info: ValidationInfo) -> bool:
    return bool(info.context) and bool(info.context.get("recorded"))


def _name(value: str, info: ValidationInfo) -> str:
    problem = None if _recorded(info) else name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _storable(value: str, info: ValidationInfo) -> str:
    problem = None if _recorded(info) else unstorable(value)
    if problem is not None:
        raise ValueError(f"holds {problem}")
    return value


def _text(value: str, info: ValidationInfo) -> str:
    _storable(value, info)
    if not value.strip() and not _recorded(info):
        raise ValueError("is blank")
    return value


def _amount(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_PLACES:
        raise ValueError(f"has more than {AMOUNT_PLACES} decimal places")
    return value


def deadline_problem(moment: datetime) -> str | None:
    """Why ``moment`` cannot be a deadline, or None."""
    if moment < EARLIEST_DEADLINE:
        return f"is before {EARLIEST_DEADLINE.year}"
    if moment >= LATEST_DEADLINE:
        return f"is too far in the future (a deadline falls before the year {LATEST_DEADLINE.year})"
    return None


def _deadline(moment: datetime, info: ValidationInfo) -> datetime:
    problem = None if _recorded(info) else deadline_problem(moment)
    if problem is not None:
        raise ValueError(problem)
    return moment


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_name)]
"""A person, party, role, or title: one line of 1 to ``MAX_NAME`` characters."""
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_text)]
"""Free text of 1 to ``MAX_TEXT`` characters, line breaks allowed, not blank."""
Comment = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_storable)]
"""Free text that may be empty."""
STORABLE = AfterValidator(_storable)
"""The rule of every text type, for a text bounded otherwise (``Annotated[str, Field(...), STORABLE]``)."""
Label = Annotated[str, Field(max_length=MAX_NAME), STORABLE]
"""A short text taken from a document (a body, a title): storable, bounded."""
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False), AfterValidator(_amount)]
"""A cost or an effort: finite, 0 to ``MAX_AMOUNT``, at most ``AMOUNT_PLACES`` places."""
Deadline = Annotated[AwareDatetime, AfterValidator(_deadline)]
"""A moment with a time zone, from ``EARLIEST_DEADLINE`` to before ``LATEST_DEADLINE``."""
DueInDays = Annotated[int, Field(ge=0, le=MAX_DUE_IN_DAYS)]
"""A deadline relative to a start, in days."""


def moment(value: datetime) -> str:
    """A moment as messages print it: to the minute, in UTC (``2027-01-15 09:00 UTC``)."""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def matching_name(name: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``name`` means: itself, else the only one equal to it but for
    case and surrounding spaces (``"states parties"`` for ``"States parties"``); None when
    there is none, or more than one."""
    candidates = list(names)
    if name in candidates:
        return name
    wanted = name.strip().casefold()
    found = [c for c in candidates if c.strip().casefold() == wanted]
    return found[0] if len(found) == 1 else None


def listing(names: Sequence[str], limit: int = 12) -> str:
    """Names for a message: all of them, or the first ``limit`` and how many more."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def money(amount: Decimal, currency: str) -> str:
    """A cost as the engine writes it everywhere: ``USD 1,500.00``."""
    return f"{currency} {amount:,.2f}"


def person_days(value: Decimal) -> str:
    """An effort as the engine writes it: ``2.5 person-days`` (``1 person-day``)."""
    text = format(value.normalize(), ",f") if value else "0"
    return f"{text} person-day{'' if value == 1 else 's'}"
