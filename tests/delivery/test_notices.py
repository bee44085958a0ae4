"""What a message says (pure): actions per step type, confidentiality, identities, the
iCalendar text, open deadlines for `mandates calendar`, digest times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from delivery.notices import (
    CalendarEvent,
    NoticeItem,
    UndeliverableReport,
    action_for,
    calendar,
    compose_digest,
    compose_notice,
    compose_report,
    deadline_uid,
    digest_slot,
    notice_message_id,
    open_deadlines,
)
from domain import events as ev
from domain.state import fold
from tests.support.mail import DAY, OECD, T0, consultation_mandate
from tests.support.mandates import make_mandate
from tests.support.questionnaires import GRECO, questionnaire_plan


def item(**changes: object) -> NoticeItem:
    mandate = consultation_mandate(confidential=bool(changes.pop("confidential", False)))
    due = mandate.plan.step("request-information").due
    assert due is not None
    payload = {
        "resolution_symbol": "7/6",
        "paragraph": 3,
        "step_title": "Request information",
        "deadline": due.isoformat(),
        "days_before": 3,
        "event_version": 7,
    }
    fields: dict = {
        "outbox_id": 12,
        "mandate_id": mandate.id,
        "step_id": "request-information",
        "kind": "reminder",
        "recipient": OECD,
        "due_at": due - 3 * DAY,
        "created_at": due - 3 * DAY + timedelta(seconds=2),
        "idempotency_key": f"{mandate.id}:7:{OECD}",
        "payload": payload,
        "mandate": mandate,
    }
    fields.update(changes)
    return NoticeItem.build(**fields)  # type: ignore[arg-type]


LINK = "http://127.0.0.1:8080/answer/pl1.abc.def"


def test_a_party_is_sent_its_answer_page_and_never_a_command() -> None:
    consult = item(answer_link=LINK, recipient_name="OECD Secretariat", console_link="http://c/m")
    action = action_for(consult)
    assert action.link == LINK and action.command == "" and action.alternative == ""
    notice = compose_notice(consult, "<m@x>")
    assert notice.text.startswith("Dear OECD Secretariat,")  # the display name, not the key
    assert f"Answer for {consult.recipient} on your personal page" in notice.text  # the party, as consulted
    assert LINK in notice.text and f'<a href="{LINK}">' in notice.html
    assert "mandates " not in notice.text and "command" not in notice.text
    assert "http://c/m" not in notice.text  # the console is the Secretariat's
    assert LINK not in notice.ics  # calendars are shared more widely than mailboxes
    without = action_for(item())  # no console to link to: ask the coordinator, still no command
    assert without.command == "" and "coordinator" in without.summary


def test_the_secretariat_is_sent_the_console_and_the_command() -> None:
    consult = item()
    approval = item(step_id="approve-sharing", recipient="chief.of.section", console_link="http://c/m")
    assert approval.step_type == "approval" and approval.step_title == "Request information"
    assert action_for(approval).command == (
        f"mandates approve {consult.mandate_id} --step approve-sharing --as chief.of.section"
    )
    assert action_for(approval).link == "http://c/m"
    assert "mandates reject" in action_for(approval).alternative
    text = compose_notice(approval, "<m@x>").text
    assert text.index("http://c/m") < text.index("or with the command line:") < text.index("mandates approve")
    escalated = item(kind="escalation", recipient="coordinator")
    assert action_for(escalated).command.startswith(
        f"mandates extend {consult.mandate_id} --step request-information --until "
    )
    unknown = item(mandate=None)
    assert unknown.step_type is None and unknown.coordinator == "coordinator"
    assert "respond, approve or complete" in action_for(unknown).summary


def test_a_request_and_a_confirmation_say_what_they_are() -> None:
    request = compose_notice(item(kind="request", answer_link=LINK), "<m@x>")
    assert request.subject.startswith("Consultation: your answer to “Request information” is asked for by")
    assert LINK in request.text and request.ics
    approval = compose_notice(item(kind="request", step_id="approve-sharing", recipient="chief"), "<m@x>")
    assert approval.subject.startswith("Approval requested: ")
    payload = {"step_title": "Request information", "revision": 1, "attachments": ["a.pdf"]}
    confirmation = compose_notice(
        item(kind="confirmation", answer_link=LINK, payload={**payload, "deadline": T0.isoformat()}),
        "<m@x>",
    )
    assert confirmation.subject.startswith("Received: your answer to “Request information”")
    assert "(revision 1)" in confirmation.text and "a.pdf" in confirmation.text
    assert LINK in confirmation.text and confirmation.ics == ""


def test_the_commands_are_named_as_the_recipient_runs_them() -> None:
    """Where `mandates` is on no PATH (a checkout's .venv), the e-mail names the command by its
    path, not a name that does not exist there."""
    local = item(command=".venv/bin/mandates", step_id="approve-sharing", recipient="chief.of.section")

    notice = compose_notice(local, "<m@x>")

    assert action_for(local).command.startswith(".venv/bin/mandates approve ")
    assert ".venv/bin/mandates approve " in notice.text and " mandates approve" not in notice.text
    party = item(command=".venv/bin/mandates")
    report = compose_report(UndeliverableReport(about=party, reason="no_contact"), "<r@x>")
    assert ".venv/bin/mandates contacts import contacts.csv" in report.text
    assert ".venv/bin/mandates respond " in report.text  # what its coordinator may record for it


def test_a_confidential_step_says_what_is_due_only() -> None:
    notice = compose_notice(item(confidential=True, answer_link=LINK), "<m@x>")
    assert "confidential" in notice.text and "confidential" in notice.html
    assert "not by e-mail" in notice.text
    assert "event_version" not in notice.text


def test_a_notice_is_deterministic_and_escapes_its_html() -> None:
    odd = item(recipient="Côte d'Ivoire <focal>", answer_link=LINK)
    first, second = compose_notice(odd, "<a@b>"), compose_notice(odd, "<a@b>")
    assert first == second
    assert "Côte d&#x27;Ivoire &lt;focal&gt;" in first.html and "<focal>" not in first.html
    approver = item(step_id="approve-sharing", recipient="Côte d'Ivoire <focal>")
    quoted = "--as 'Côte d'\"'\"'Ivoire <focal>'"
    assert quoted in compose_notice(approver, "<a@b>").text  # quoted for a POSIX shell


def test_message_ids_are_stable_per_row_and_differ_between_rows() -> None:
    assert notice_message_id(12, "k:1:A") == notice_message_id(12, "k:1:A")
    assert notice_message_id(12, "k:1:A") != notice_message_id(13, "k:1:A")
    assert notice_message_id(12, "k:1:A") != notice_message_id(12, "k:1:B")
    assert notice_message_id(12, "k:1:A").endswith("@mandates.local>")


def test_the_calendar_text_parses_folds_long_lines_and_uses_crlf() -> None:
    long_title = "Consult the partner secretariats — Côte d'Ivoire, Türkiye; and the OECD " * 3
    text = calendar(
        [
            CalendarEvent(
                uid="m.s@mandates.local",
                stamp=T0,
                start=T0 + 30 * DAY,
                summary=long_title,
                description="line one\nline two, with; specials \\ backslash",
            )
        ]
    )
    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == long_title
    assert str(event["DESCRIPTION"]) == "line one\nline two, with; specials \\ backslash"
    assert event.decoded("DTSTART") == T0 + 30 * DAY and event.decoded("DTSTAMP") == T0


def test_a_digest_lists_every_notification_and_each_deadline_once() -> None:
    items = [item(), item(outbox_id=13, kind="overdue"), item(step_id="approve-sharing")]
    slot = datetime(2027, 1, 31, 8, tzinfo=UTC)
    digest = compose_digest(OECD, slot, items, "<d@x>")
    assert digest.subject == f"Digest for {OECD}: 3 notifications (2027-01-31)"
    assert digest.text.count("What you are asked to do:") == 3
    events = icalendar.Calendar.from_ical(digest.ics).walk("VEVENT")
    assert len(events) == 2
    with pytest.raises(ValueError, match="at least one"):
        compose_digest(OECD, slot, [], "<d@x>")


def test_a_report_names_the_unreachable_recipient_and_the_fix() -> None:
    report = compose_report(UndeliverableReport(about=item(), reason="no_contact"), "<r@x>")
    assert report.recipient == "coordinator"
    assert "no e-mail address for OECD Working Group on Bribery" in report.text
    assert "mandates contacts import" in report.text and report.ics == ""


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (datetime(2027, 1, 5, 8, 0, tzinfo=UTC), datetime(2027, 1, 5, 8, 0, tzinfo=UTC)),
        (datetime(2027, 1, 5, 7, 59, tzinfo=UTC), datetime(2027, 1, 4, 8, 0, tzinfo=UTC)),
        (datetime(2027, 1, 5, 23, 0, tzinfo=UTC), datetime(2027, 1, 5, 8, 0, tzinfo=UTC)),
    ],
)
def test_digest_slots(now: datetime, slot: datetime) -> None:
    assert digest_slot(now, 8) == slot


def test_open_deadlines_of_active_mandates_for_everyone_or_one_party() -> None:
    mandate = consultation_mandate()
    due = mandate.plan.step("request-information").due
    assert due is not None
    events = [
        ev.MandateStarted(at=T0, mandate=mandate),
        ev.StepStarted(at=T0, step_id="request-information", deadline=due),
        ev.ConsultationOpened(
            at=T0,
            step_id="request-information",
            parties=["Austria", OECD],
            deadline=due,
            closes_at=due + 10 * DAY,
            confidential=False,
        ),
        ev.ResponseReceived(
            at=T0 + DAY, step_id="request-information", party="Austria", text="x", confidential=False
        ),
    ]
    state = fold(events)
    everyone = open_deadlines([state])
    assert [(e.uid.split(".")[1].split("@")[0], e.start) for e in everyone] == [
        ("request-information", due),
        ("approve-sharing", mandate.plan.step("approve-sharing").due),
    ]
    assert (
        "(planned)" in everyone[1].summary
        and "Waiting on: OECD Working Group on Bribery" in everyone[0].description
    )
    assert [e.start for e in open_deadlines([state], OECD)] == [due]
    assert open_deadlines([state], "Austria") == []  # answered already
    assert [e.summary for e in open_deadlines([state], "chief.of.section")] == [
        "Deadline (planned): Approve what may be shared (7/6 para 3)"
    ]
    assert len(open_deadlines([state], "coordinator")) == 2
    done = fold([*events, ev.MandateWithdrawn(at=T0 + 2 * DAY, reason="moot", by="coordinator")])
    assert open_deadlines([done]) == []


def test_an_extension_restamps_the_planned_deadlines_it_moves() -> None:
    mandate = consultation_mandate()
    due = mandate.plan.step("request-information").due
    planned = mandate.plan.step("approve-sharing").due
    assert due is not None and planned is not None
    opened = [
        ev.MandateStarted(at=T0, mandate=mandate),
        ev.StepStarted(at=T0, step_id="request-information", deadline=due),
    ]
    moved = ev.DeadlineExtended(
        at=T0 + DAY, step_id="request-information", previous=due, until=due + 7 * DAY, reason="late",
        by="coordinator", later={"approve-sharing": planned + 7 * DAY},
    )  # fmt: skip
    before = {e.uid: e for e in open_deadlines([fold(opened)])}
    after = {e.uid: e for e in open_deadlines([fold([*opened, moved])])}
    uid = deadline_uid(mandate.id, "approve-sharing")
    assert (before[uid].stamp, before[uid].start) == (T0, planned)
    assert (after[uid].stamp, after[uid].start) == (T0 + DAY, planned + 7 * DAY)  # calendars take the change


def test_a_reminder_of_a_questionnaire_names_the_questions_not_answered_yet() -> None:
    mandate = make_mandate("questionnaire-mail", questionnaire_plan())
    resolved = mandate.model_copy(update={"plan": mandate.plan.resolve(T0)})
    due = resolved.plan.step("request-schedules").due
    assert due is not None
    reminder = item(
        mandate=resolved, step_id="request-schedules", recipient=GRECO, payload={"deadline": due.isoformat()},
        answer_link=LINK,
    )  # fmt: skip
    assert reminder.questions[:2] == (
        "Focal point for the schedule (contact, required)",
        "Cost of one country review (cost, required)",
    )
    assert reminder.questions[-1] == "Your review schedule for 2027-2029 (schedule, required)"
    assert action_for(reminder).link == LINK and action_for(reminder).command == ""  # its page, no command
    notice = compose_notice(reminder, "<m@x>")
    assert "Questions of the questionnaire not answered yet (7):" in notice.text
    assert "  - Working language (language)" in notice.text and "mandates " not in notice.text
    assert "<li>Next plenary (next_plenary)</li>" in notice.html
    escalation = item(
        mandate=resolved, step_id="request-schedules", kind="escalation", recipient="coordinator"
    )
    assert escalation.questions == () and "not answered yet" not in compose_notice(escalation, "<e@x>").text
    plain = compose_notice(item(), "<p@x>")
    assert "questionnaire" not in plain.text


def test_a_review_stage_is_a_whole_days_entry() -> None:
    event = CalendarEvent(
        uid="review.x@mandates.local",
        stamp=T0,
        start=datetime(2027, 1, 22, tzinfo=UTC),
        last_day=datetime(2027, 1, 26).date(),
        summary="GRECO: Austria, round 5, on-site visit",
        alarm_days_before=None,
    )
    text = calendar([event])
    assert "DTSTART;VALUE=DATE:20270122\r\nDTEND;VALUE=DATE:20270127\r\n" in text
    assert "VALARM" not in text
    (parsed,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert (parsed["DTSTART"].dt, parsed["DTEND"].dt) == (
        datetime(2027, 1, 22).date(),
        datetime(2027, 1, 27).date(),
    )
