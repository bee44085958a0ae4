"""What a notification e-mail says: subject, plain text, HTML, what the recipient is asked to do
(a consulted party: its personal answer page; the Secretariat: the mandate's page in the
console, and the exact command), and the deadline as an iCalendar (.ics) entry.

Everything here is a pure function of its inputs: no clock (an entry's DTSTAMP is the outbox
row's ``created_at``), no I/O. A message names the mandate, the step and the deadline and
never carries anything a party sent (the outbox payload holds public facts only).
"""

from __future__ import annotations

import hashlib
import html
import re
import shlex
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.forms import Form, unanswered
from domain.mandate import Mandate
from domain.state import MandateState, StepStatus

MAIL_DOMAIN = "mandates.local"
PRODID = "-//Mandate Engine//Deadlines//EN"
NoticeKind = Literal["reminder", "overdue", "escalation", "request", "confirmation"]
StepType = Literal["consultation", "approval", "task", "report"]

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATES = re.compile("[\ud800-\udfff]")


def header_text(value: str, limit: int | None = None) -> str:
    """``value`` as one line for a mail header: every run of control characters (line breaks
    among them) becomes a space, and a text over ``limit`` characters is cut (with "…").

    The names and titles a notice holds were refused at the boundary when they held a line
    break or a lone surrogate (which no encoding holds); this holds for what was recorded
    before those rules too: a lone surrogate becomes U+FFFD."""
    text = _CONTROLS.sub(" ", _SURROGATES.sub("\ufffd", value)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


# --- identities -----------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def notice_message_id(outbox_id: int, idempotency_key: str) -> str:
    """The Message-ID of the e-mail for one outbox row, the same for every re-send:
    ``<outbox-7.<16 hex digits of sha256(idempotency key)>@mandates.local>``."""
    return f"<outbox-{outbox_id}.{_digest(idempotency_key)}@{MAIL_DOMAIN}>"


def digest_key(recipient: str, slot: datetime) -> str:
    """The key of one recipient's digest for the digest time ``slot``."""
    return f"digest-{slot.astimezone(UTC):%Y%m%d%H}-{_digest(f'{recipient}|{slot.isoformat()}')}"


def report_key(mandate_id: str, recipient: str) -> str:
    """The key of the one report to a mandate's coordinator that ``recipient`` is unreachable."""
    return f"report-{_digest(f'{mandate_id}|{recipient}')}"


def keyed_message_id(key: str) -> str:
    """The Message-ID of a digest or report, from its key."""
    return f"<{key}@{MAIL_DOMAIN}>"


def deadline_uid(mandate_id: str, step_id: str) -> str:
    """The iCalendar UID of a step's deadline: stable, so a changed deadline updates the entry."""
    return f"{mandate_id}.{step_id}@{MAIL_DOMAIN}"


# --- what one notification is about -----------------------------------------------------------


class NoticeItem(_Frozen):
    """One outbox row with what the mandate's plan says of its step (when it is known)."""

    outbox_id: int
    mandate_id: str
    step_id: str
    kind: NoticeKind
    recipient: str
    due_at: AwareDatetime
    created_at: AwareDatetime
    idempotency_key: str
    step_title: str
    deadline: AwareDatetime
    resolution_symbol: str = ""
    paragraph: int | None = None
    days_before: int | None = None
    escalation: int | None = None
    step_type: StepType | None = None
    confidential: bool = False
    mandate_title: str = ""
    coordinator: str = "coordinator"
    recipient_name: str = ""  # the contact's display name ("Dear ...")
    answer_link: str = ""  # a consulted party's personal answer page
    console_link: str = ""  # the mandate's page in the console
    closes_at: AwareDatetime | None = None  # a consultation request: when answers stop
    revision: int | None = None  # a confirmation: which answer of the party it was
    attachments: list[str] = []  # a confirmation: the files sent with it
    questions: tuple[str, ...] = ()  # the questionnaire's questions and tables left unanswered
    tables: tuple[str, ...] = ()  # ids of its tables (a table may be sent as CSV)
    command: str = "mandates"  # how the recipient runs the `mandates` command (config.commands)

    @classmethod
    def build(
        cls,
        *,
        outbox_id: int,
        mandate_id: str,
        step_id: str,
        kind: str,
        recipient: str,
        due_at: datetime,
        created_at: datetime,
        idempotency_key: str,
        payload: dict[str, Any],
        mandate: Mandate | None = None,
        recipient_name: str = "",
        answer_link: str = "",
        console_link: str = "",
        command: str = "mandates",
    ) -> NoticeItem:
        """From an outbox row (its columns and public payload) and the mandate, if known."""
        step_type: StepType | None = None
        confidential = False
        questions: tuple[str, ...] = ()
        tables: tuple[str, ...] = ()
        title = str(payload.get("step_title") or "")
        if mandate is not None:
            try:
                step = mandate.plan.step(step_id)
            except KeyError:
                step = None
            if step is not None:
                step_type = step.type
                title = title or step.title
                confidential = mandate.confidential or bool(getattr(step, "confidential", False))
                form = getattr(step, "form", None)
                if isinstance(form, Form) and kind != "escalation":
                    # a reminder goes to the parties that have not answered: every field is open
                    questions = tuple(question_line(*field) for field in unanswered(form, None))
                    tables = tuple(t.id for t in form.tables)
        title = title or step_id
        deadline = payload.get("deadline")
        closes_at = payload.get("closes_at")
        return cls(
            outbox_id=outbox_id,
            mandate_id=mandate_id,
            step_id=step_id,
            kind=kind,  # type: ignore[arg-type]
            recipient=recipient,
            due_at=due_at,
            created_at=created_at,
            idempotency_key=idempotency_key,
            step_title=title,
            deadline=datetime.fromisoformat(deadline) if isinstance(deadline, str) else due_at,
            resolution_symbol=str(payload.get("resolution_symbol") or ""),
            paragraph=payload.get("paragraph"),
            days_before=payload.get("days_before"),
            escalation=payload.get("escalation"),
            step_type=step_type,
            confidential=confidential,
            mandate_title=mandate.title if mandate is not None else "",
            coordinator=mandate.coordinator if mandate is not None else "coordinator",
            recipient_name=recipient_name,
            answer_link=answer_link,
            console_link=console_link,
            closes_at=datetime.fromisoformat(closes_at) if isinstance(closes_at, str) else None,
            revision=payload.get("revision"),
            attachments=[str(a) for a in payload.get("attachments") or []],
            questions=questions,
            tables=tables,
            command=command,
        )

    @property
    def addressee(self) -> str:
        """Whom the e-mail greets: the contact's display name, else the recipient."""
        return self.recipient_name or self.recipient

    @property
    def to_party(self) -> bool:
        """Whether it goes to a consulted party (outside the organisation: never a command)."""
        return self.step_type == "consultation" and self.kind != "escalation"

    def where(self) -> str:
        """``7/6 para 3`` (or the mandate id when the resolution is not known)."""
        if self.resolution_symbol and self.paragraph is not None:
            return f"{self.resolution_symbol} para {self.paragraph}"
        return self.mandate_id


def question_line(field_id: str, label: str, required: bool) -> str:
    """A question (or table) of a questionnaire as a reminder names it."""
    return f"{label} ({field_id}{', required' if required else ''})"


class Action(_Frozen):
    """What the recipient is asked to do: the page to open (``link``), and for the Secretariat
    the exact command that does it too."""

    summary: str
    command: str = ""
    alternative: str = ""
    link: str = ""
    link_label: str = ""


def _party_action(item: NoticeItem) -> Action:
    """A consulted party answers from its personal page, never with a command."""
    if item.kind == "confirmation":
        return Action(
            summary="You can read your answer, or send a revised one, until the consultation closes:",
            link=item.answer_link,
            link_label="Your answer page",
        )
    if not item.answer_link:
        return Action(
            summary=(
                f"Answer through the Secretariat's coordinator of this mandate ({item.coordinator}), "
                "who will send you your personal answer page."
            )
        )
    note = " The information is confidential: send it only through this page, not by e-mail." * (
        item.confidential
    )
    return Action(
        summary=(
            f"Answer for {item.recipient} on your personal page (no account is needed; keep the link "
            f"to yourself: it answers in your name).{note}"
        ),
        link=item.answer_link,
        link_label="Open your answer page",
    )


def action_for(item: NoticeItem) -> Action:
    """The action a notification asks of its recipient (commands act on the current step)."""
    if item.to_party:
        return _party_action(item)
    return _secretariat_action(item).model_copy(
        update={"link": item.console_link, "link_label": "Open the mandate in the console"}
    )


def _secretariat_action(item: NoticeItem) -> Action:
    """The Secretariat's action: a command on the notice's step (refused, naming the current
    step, once the mandate has moved on). A consultation's parties answer from their page."""
    mid = shlex.quote(item.mandate_id)
    who = shlex.quote(item.recipient)
    step = shlex.quote(item.step_id)
    mandates = shlex.quote(item.command)
    if item.kind == "escalation":
        return Action(
            summary=(
                f"The step “{item.step_title}” is overdue. Chase whoever has not acted yet, "
                "or extend the deadline:"
            ),
            command=f'{mandates} extend {mid} --step {step} --until YYYY-MM-DD --reason "..."',
        )
    match item.step_type:
        case "approval":
            return Action(
                summary="Approve the step, or reject it with the reason:",
                command=f"{mandates} approve {mid} --step {step} --as {who}",
                alternative=f'{mandates} reject {mid} --step {step} --as {who} --comment "..."',
            )
        case "task" | "report":
            return Action(
                summary="Complete the step with its outcome (and the effort and cost it took):",
                command=(
                    f'{mandates} complete {mid} --step {step} --outcome "..." --effort-days N --cost "N USD"'
                ),
            )
        case _:
            return Action(
                summary="Act on the step with the `mandates` command (respond, approve or complete):",
                command=f"{mandates} --help  # mandate {item.mandate_id}, step {item.step_id}",
            )


# --- rendering --------------------------------------------------------------------------------


def format_moment(moment: datetime) -> str:
    """``Friday 31 March 2027, 00:00 UTC`` (English names whatever the locale)."""
    m = moment.astimezone(UTC)
    return f"{_DAYS[m.weekday()]} {m.day} {_MONTHS[m.month - 1]} {m.year}, {m:%H:%M} UTC"


def subject_for(item: NoticeItem) -> str:
    due = format_moment(item.deadline)
    match item.kind:
        case "reminder":
            days = item.days_before
            when = f"in {days} day{'s' if days != 1 else ''}" if days is not None else "soon"
            head = f"Reminder: “{item.step_title}” is due {when} ({due})"
        case "overdue":
            head = f"Overdue: “{item.step_title}” was due {due}"
        case "escalation":
            n = f" {item.escalation}" if item.escalation else ""
            head = f"Escalation{n}: “{item.step_title}” overdue since {due}"
        case "request" if item.step_type == "consultation":
            head = f"Consultation: your answer to “{item.step_title}” is asked for by {due}"
        case "request":
            head = f"Approval requested: “{item.step_title}” by {due}"
        case "confirmation":
            head = f"Received: your answer to “{item.step_title}”"
    return f"{head} · {item.where()}"


def _lead(item: NoticeItem) -> str:
    due = format_moment(item.deadline)
    match item.kind:
        case "reminder":
            days = item.days_before
            when = f"in {days} day{'s' if days != 1 else ''}, on {due}" if days is not None else f"on {due}"
            return f"This is a reminder: the step “{item.step_title}” is due {when}."
        case "overdue":
            return f"The step “{item.step_title}” was due on {due} and is now overdue."
        case "escalation":
            return (
                f"Escalation: the step “{item.step_title}” has been overdue since {due}, "
                f"and {item.coordinator} is the mandate's coordinator."
            )
        case "request" if item.step_type == "consultation":
            return (
                f"The Secretariat consults {item.recipient} in the step “{item.step_title}” and asks "
                f"for your answer by {due}."
            )
        case "request":
            return f"Your approval is asked for in the step “{item.step_title}”, by {due}."
        case "confirmation":
            revised = f" (revision {item.revision})" if item.revision else ""
            count = f"{len(item.attachments)} file" + "s" * (len(item.attachments) > 1)
            files = f", with {count}: {', '.join(item.attachments)}" * bool(item.attachments)
            return (
                f"Your answer{revised} to the consultation “{item.step_title}” was recorded{files}. "
                "Thank you."
            )
    return ""


def _facts(item: NoticeItem) -> list[tuple[str, str]]:
    facts = [("Mandate", item.mandate_id)]
    if item.resolution_symbol:
        para = f", operative paragraph {item.paragraph}" if item.paragraph is not None else ""
        facts.append(("Resolution", f"{item.resolution_symbol}{para}"))
    if item.mandate_title:
        facts.append(("About", item.mandate_title))
    facts.append(("Step", f"{item.step_title} ({item.step_id})"))
    facts.append(("Deadline", format_moment(item.deadline)))
    if item.closes_at is not None and item.closes_at != item.deadline:
        facts.append(("Answers taken until", format_moment(item.closes_at)))
    return facts


def _confidential_note(item: NoticeItem) -> str:
    if not item.confidential or item.to_party:  # (a party's action says it already)
        return ""
    return (
        "This step collects confidential information: this e-mail says only what is due and when. "
        "Do not send the information by e-mail."
    )


class Notice(_Frozen):
    """One e-mail, ready to be put in MIME: who, subject, both bodies and the calendar entry."""

    message_id: str
    recipient: str
    subject: str
    text: str
    html: str
    ics: str = ""
    ics_filename: str = "deadline.ics"


def _questions_lead(item: NoticeItem) -> str:
    return f"Questions of the questionnaire not answered yet ({len(item.questions)}):"


def _text_section(item: NoticeItem) -> list[str]:
    action = action_for(item)
    asked = "What you can do:" if item.kind == "confirmation" else "What you are asked to do:"
    lines = [_lead(item), "", asked, f"  {action.summary}", ""]
    if action.link:
        lines += [f"    {action.link}", ""]
    if action.command:
        intro = ["  or with the command line:", ""] if action.link else []
        lines += [*intro, f"    {action.command}", ""]
    if action.alternative:
        lines += ["  or:", "", f"    {action.alternative}", ""]
    if item.questions:
        lines += [_questions_lead(item), *[f"  - {q}" for q in item.questions], ""]
    width = max(len(k) for k, _ in _facts(item))
    lines += [f"  {k + ':':<{width + 1}} {v}" for k, v in _facts(item)]
    note = _confidential_note(item)
    if note:
        lines += ["", note]
    return lines


def _html_section(item: NoticeItem, heading: str = "") -> list[str]:
    e = html.escape
    action = action_for(item)
    out = [f"<h3>{e(heading)}</h3>"] if heading else []
    out += [
        f"<p>{e(_lead(item))}</p>",
        f"<p><strong>What you are asked to do:</strong> {e(action.summary)}</p>",
    ]
    if action.link:
        out.append(f'<p><a href="{e(action.link)}">{e(action.link_label or action.link)}</a></p>')
    if action.command:
        if action.link:
            out.append("<p>or with the command line:</p>")
        out.append(f"<pre><code>{e(action.command)}</code></pre>")
    if action.alternative:
        out.append(f"<p>or:</p><pre><code>{e(action.alternative)}</code></pre>")
    if item.questions:
        items = "".join(f"<li>{e(q)}</li>" for q in item.questions)
        out.append(f"<p>{e(_questions_lead(item))}</p><ul>{items}</ul>")
    out.append("<table>")
    out += [f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(item)]
    out.append("</table>")
    note = _confidential_note(item)
    if note:
        out.append(f"<p><em>{e(note)}</em></p>")
    return out


def _html_page(title: str, body: Sequence[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title></head><body>",
            *body,
            "</body></html>",
            "",
        ]
    )


_FOOTER = "Mandate Engine: the deadline is attached as a calendar entry (deadline.ics)."
_CONFIRMATION_FOOTER = "Mandate Engine, for the Secretariat."


def compose_notice(item: NoticeItem, message_id: str) -> Notice:
    """The e-mail for one notification (a confirmation carries no calendar entry)."""
    subject = subject_for(item)
    footer = _CONFIRMATION_FOOTER if item.kind == "confirmation" else _FOOTER
    text = [f"Dear {item.addressee},", "", *_text_section(item), "", "-- ", footer, ""]
    body = [f"<p>Dear {html.escape(item.addressee)},</p>", *_html_section(item)]
    body.append(f"<hr><p><small>{html.escape(footer)}</small></p>")
    return Notice(
        message_id=message_id,
        recipient=item.recipient,
        subject=subject,
        text="\n".join(text),
        html=_html_page(subject, body),
        ics="" if item.kind == "confirmation" else calendar([deadline_event(item)]),
    )


def compose_digest(recipient: str, slot: datetime, items: Sequence[NoticeItem], message_id: str) -> Notice:
    """One e-mail with every notification of ``items`` (one recipient's, due by ``slot``)."""
    if not items:
        raise ValueError("a digest needs at least one notification")
    ordered = sorted(items, key=lambda i: (i.deadline, i.mandate_id, i.step_id, i.outbox_id))
    n = len(ordered)
    day = f"{slot.astimezone(UTC):%Y-%m-%d}"
    name = ordered[0].addressee if ordered[0].recipient == recipient else recipient
    subject = f"Digest for {name}: {n} notification{'s' if n != 1 else ''} ({day})"
    text = [f"Dear {name},", "", f"{n} notification{'s' if n != 1 else ''} for you today:", ""]
    body = [f"<p>Dear {html.escape(name)},</p>", f"<p>{n} notification{'s' if n != 1 else ''}:</p>"]
    for number, item in enumerate(ordered, start=1):
        heading = f"{number}. {subject_for(item)}"
        text += [heading, "", *[f"  {line}" if line else "" for line in _text_section(item)], ""]
        body += _html_section(item, heading)
    footer = "Mandate Engine: the deadlines are attached as calendar entries (deadlines.ics)."
    text += ["-- ", footer, ""]
    body.append(f"<hr><p><small>{html.escape(footer)}</small></p>")
    events: dict[str, CalendarEvent] = {}
    for item in ordered:
        if item.kind == "confirmation":
            continue
        event = deadline_event(item)
        events[event.uid] = event  # the latest notice of a step wins
    return Notice(
        message_id=message_id,
        recipient=recipient,
        subject=subject,
        text="\n".join(text),
        html=_html_page(subject, body),
        ics=calendar(list(events.values())),
        ics_filename="deadlines.ics",
    )


UndeliverableReason = Literal["no_contact", "refused", "attempts_exhausted"]


class UndeliverableReport(_Frozen):
    """What a coordinator is told once when a recipient of a mandate cannot be reached."""

    about: NoticeItem
    reason: UndeliverableReason
    detail: str = ""


def compose_report(report: UndeliverableReport, message_id: str) -> Notice:
    """The e-mail to the mandate's coordinator that a recipient cannot be reached."""
    item = report.about
    match report.reason:
        case "no_contact":
            why = f"the contact directory has no e-mail address for {item.recipient}"
            fix = "Add the address to the directory file and import it:"
            command = f"{shlex.quote(item.command)} contacts import contacts.csv"
        case "refused":
            why = f"the mail server refused the address of {item.recipient}"
            fix = "Correct the address in the directory file and import it again:"
            command = f"{shlex.quote(item.command)} contacts import contacts.csv"
        case "attempts_exhausted":
            why = f"delivery to {item.recipient} kept failing and was given up"
            fix = "Check the mail settings (MANDATES_SMTP_*) and the address, then re-import it:"
            command = f"{shlex.quote(item.command)} contacts import contacts.csv"
    detail = f" ({report.detail})" if report.detail else ""
    subject = f"Undeliverable: {item.kind} to {item.recipient} about “{item.step_title}” · {item.where()}"
    lines = [
        f"Dear {item.coordinator},",
        "",
        f"A {item.kind} could not be delivered: {why}{detail}.",
        f"Further notifications to {item.recipient} about this mandate are recorded, not reported again.",
        "",
        f"  {fix}",
        "",
        f"    {command}",
        "",
        *[f"  {k}: {v}" for k, v in _facts(item)],
        f"  Recipient: {item.recipient}",
        "",
        f"Until then, reach {item.recipient} another way: what they were asked to do is",
        f"  {_asked(item)}",
        "",
        "-- ",
        "Mandate Engine",
        "",
    ]
    e = html.escape
    body = [
        f"<p>Dear {e(item.coordinator)},</p>",
        f"<p>A {e(item.kind)} could not be delivered: {e(why)}{e(detail)}.</p>",
        f"<p>{e(fix)}</p><pre><code>{e(command)}</code></pre>",
        "<table>",
        *[f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(item)],
        f"<tr><th align='left'>Recipient</th><td>{e(item.recipient)}</td></tr>",
        "</table>",
        f"<p>What {e(item.recipient)} was asked to do:</p>",
        f"<pre><code>{e(_asked(item))}</code></pre>",
    ]
    return Notice(
        message_id=message_id,
        recipient=item.coordinator,
        subject=subject,
        text="\n".join(lines),
        html=_html_page(subject, body),
    )


def _asked(item: NoticeItem) -> str:
    """What the recipient of an undelivered notice was asked to do, for its coordinator (a
    party's answer is recorded on its behalf: ``mandates respond ... --party``)."""
    if item.to_party:
        mid, who, step = (shlex.quote(v) for v in (item.mandate_id, item.recipient, item.step_id))
        return f'{shlex.quote(item.command)} respond {mid} --step {step} --party {who} --text "..."'
    return _secretariat_action(item).command


# --- iCalendar --------------------------------------------------------------------------------


class CalendarEvent(_Frozen):
    """One deadline as a calendar entry (a moment; a display alarm a day before), or, with
    ``last_day``, a span of whole days from ``start``'s day to ``last_day`` (a review stage)."""

    uid: str
    stamp: AwareDatetime  # DTSTAMP: when the information was made, never the clock
    start: AwareDatetime
    summary: str
    description: str = ""
    alarm_days_before: int | None = 1
    last_day: date | None = None


def deadline_event(item: NoticeItem) -> CalendarEvent:
    """The calendar entry for a notification's deadline."""
    action = action_for(item)
    # (never a party's link: calendars are shared more widely than mailboxes)
    how = [action.summary, *([action.command] if action.command else [])]
    description = "\n".join([*[f"{k}: {v}" for k, v in _facts(item)], "", *how])
    return CalendarEvent(
        uid=deadline_uid(item.mandate_id, item.step_id),
        stamp=item.created_at,
        start=item.deadline,
        summary=f"Deadline: {item.step_title} ({item.where()})",
        description=description,
    )


def _ics_time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


_ICS_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _ics_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): escaped, line breaks as ``\\n``, no other control
    character (a bare CR would end the content line for some readers)."""
    value = _ICS_CONTROLS.sub(" ", re.sub("\r\n?|[\u2028\u2029\x85]", "\n", value))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Split a content line into lines of at most 75 octets (RFC 5545 §3.1), never inside a
    UTF-8 character; continuation lines start with a space."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return out


def _ics_span(event: CalendarEvent) -> list[str]:
    if event.last_day is None:
        return [f"DTSTART:{_ics_time(event.start)}"]
    after = event.last_day + timedelta(days=1)  # DTEND of whole days is the day after the last
    return [f"DTSTART;VALUE=DATE:{event.start.date():%Y%m%d}", f"DTEND;VALUE=DATE:{after:%Y%m%d}"]


def calendar(events: Iterable[CalendarEvent]) -> str:
    """A VCALENDAR (RFC 5545) holding ``events``, CRLF line endings."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{_ics_time(event.stamp)}",
            *_ics_span(event),
            f"SUMMARY:{_ics_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{_ics_text(event.description)}")
        lines += ["TRANSP:TRANSPARENT", "STATUS:CONFIRMED"]
        if event.alarm_days_before:
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"TRIGGER:-P{event.alarm_days_before}D",
                f"DESCRIPTION:{_ics_text(event.summary)}",
                "END:VALARM",
            ]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(f"{folded}\r\n" for line in lines for folded in _fold(line))


def open_deadlines(states: Iterable[MandateState], party: str | None = None) -> list[CalendarEvent]:
    """The deadlines still open in active mandates: the current step's, and the planned ones
    of the steps after it. With ``party``, only the steps that wait on (or plan to ask)
    that party, approver or assignee; a mandate's coordinator gets all of its deadlines."""
    events: list[CalendarEvent] = []
    for state in states:
        mandate = state.mandate
        if mandate is None or not state.is_active or state.started_at is None:
            continue
        symbol = f"{mandate.resolution_symbol} para {mandate.paragraph}"
        for planned in mandate.plan.steps:
            step = state.steps.get(planned.id)
            if step is None or step.status is StepStatus.COMPLETED:
                continue
            if step.status is StepStatus.ACTIVE and step.deadline is not None:
                start, stamp, planned_note = step.deadline, step.deadline_set_at or state.started_at, ""
                involved = state.awaiting()
            else:
                start, planned_note = step.planned_due, " (planned)"
                stamp = step.planned_moved_at or state.started_at  # (a moved entry is news to calendars)
                involved = _planned_people(planned)
            if party is not None and party != mandate.coordinator and party not in involved:
                continue
            assert start is not None
            who = ", ".join(involved)
            description = "\n".join(
                [
                    f"Mandate: {mandate.id}",
                    f"Resolution: {mandate.resolution_symbol}, operative paragraph {mandate.paragraph}",
                    f"Step: {planned.title} ({planned.id}, {planned.type}){planned_note}",
                    *([f"Waiting on: {who}"] if who else []),
                ]
            )
            events.append(
                CalendarEvent(
                    uid=deadline_uid(mandate.id, planned.id),
                    stamp=stamp,
                    start=start,
                    summary=f"Deadline{planned_note}: {planned.title} ({symbol})",
                    description=description,
                )
            )
    return sorted(events, key=lambda e: (e.start, e.uid))


def _planned_people(step: Any) -> list[str]:
    for attribute in ("parties", "approvers"):
        names = getattr(step, attribute, None)
        if names:
            return list(names)
    assignee = getattr(step, "assignee", None)
    return [assignee] if assignee else []


def digest_slot(now: datetime, hour: int) -> datetime:
    """The latest daily digest time (``hour``:00 UTC) at or before ``now``."""
    today = now.astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today <= now else today - timedelta(days=1)
