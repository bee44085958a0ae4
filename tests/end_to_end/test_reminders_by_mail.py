"""A party that never answers, in skipped time, with the real workflows and activities: the
plan's reminders, overdue notice and escalation arrive by e-mail, once each, and say nothing
of what the other party sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import asyncpg

from delivery import Dispatcher
from delivery.notices import notice_message_id
from domain.contacts import parse_contacts_csv
from domain.plan import validate_plan
from store.contacts import ContactStore
from store.notifications import NotificationKind
from tests.support.mail import Smtp, answer_links, ics_of, text_of
from tests.support.mandates import COORDINATOR, make_mandate
from tests.support.temporal import Engine
from tests.support.workflows import start, state_of, until
from workflows.mandate import MandateWorkflow
from workflows.messages import RespondRequest

DAY = timedelta(days=1)
SILENT = "OECD Working Group on Bribery"
SECRET = "our costs: 12 million"


async def test_a_silent_party_gets_the_plans_reminders_and_the_coordinator_its_escalation(
    engine: Engine, pool: asyncpg.Pool, smtp: Smtp, dispatcher: Callable[..., Dispatcher]
) -> None:
    await ContactStore(pool).import_contacts(
        parse_contacts_csv(
            "name,role,email\n"
            f"Austria,party,focal.point@austria.example\n"
            f"{SILENT},party,wgb@oecd.example\n"
            f"{COORDINATOR},coordinator,coordinator@unodc.example\n"
            "chief.of.section,approver,chief@unodc.example\n"
        )
    )
    plan = validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "request-information", "title": "Request information",
                 "due_in_days": 30, "grace_days": 10, "parties": ["Austria", SILENT], "confidential": True},
                {"type": "approval", "id": "approve-sharing", "title": "Approve what may be shared",
                 "due_in_days": 60, "approvers": ["chief.of.section"], "rule": "any"},
            ]
        }
    )  # fmt: skip
    handle = await start(engine, make_mandate("delivery-silent-party", plan, confidential=True))
    deadline = (await state_of(handle)).step("request-information").deadline
    assert deadline is not None
    await handle.execute_update(MandateWorkflow.respond, RespondRequest(party="Austria", text=SECRET))
    await engine.env.sleep(41 * DAY)
    await until(handle, lambda s: s.current_step == "approve-sharing")
    for _ in range(500):  # (the approver's request is put in the outbox just after the step starts)
        if any(r.recipient == "chief.of.section" for r in await engine.outbox.for_mandate(handle.id)):
            break
        await asyncio.sleep(0.01)

    summary = await dispatcher().dispatch_once(await engine.env.get_current_time())
    again = await dispatcher().dispatch_once(await engine.env.get_current_time() + DAY)

    every = await engine.outbox.for_mandate(handle.id)
    requests = [r for r in every if r.kind is NotificationKind.REQUEST]
    assert [r.recipient for r in requests] == [
        "Austria",
        SILENT,
        "chief.of.section",
    ]  # asked, then the approver
    rows = [r for r in every if r.kind is not NotificationKind.REQUEST]
    assert [(r.kind, r.recipient, r.due_at) for r in rows] == [
        (NotificationKind.REMINDER, SILENT, deadline - 14 * DAY),
        (NotificationKind.REMINDER, SILENT, deadline - 3 * DAY),
        (NotificationKind.REMINDER, SILENT, deadline - 1 * DAY),
        (NotificationKind.OVERDUE, SILENT, deadline),
        (NotificationKind.ESCALATION, COORDINATOR, deadline + 7 * DAY),
    ]
    assert (summary.planned, summary.sent, again.sent) == (8, 8, 0)
    assert all(r.sent_at is not None for r in every)
    request_ids = {notice_message_id(r.id, r.idempotency_key) for r in requests}
    messages = sorted(
        (m for m in smtp.sink.accepted if str(m["Message-ID"]) not in request_ids),
        key=lambda m: str(m["Message-ID"]),
    )
    expected_ids = sorted(notice_message_id(r.id, r.idempotency_key) for r in rows)
    assert [str(m["Message-ID"]) for m in messages] == expected_ids  # one each, no more
    by_id = {str(m["Message-ID"]): m for m in messages}
    subjects, recipients = [], []
    for row in rows:
        message = by_id[notice_message_id(row.id, row.idempotency_key)]
        subjects.append(str(message["Subject"]).split(" · ")[0].split(" (")[0])
        recipients.append([a.addr_spec for a in message["To"].addresses])
        text = text_of(message)
        assert SECRET not in text and "costs" not in text
        assert handle.id in text and "Request information" in text
        (event,) = ics_of(message).walk("VEVENT")
        assert event.decoded("DTSTART") == deadline.replace(microsecond=0)  # iCalendar has whole seconds
    assert subjects[:3] == [
        "Reminder: “Request information” is due in 14 days",
        "Reminder: “Request information” is due in 3 days",
        "Reminder: “Request information” is due in 1 day",
    ]
    assert subjects[3].startswith("Overdue: “Request information” was due ")
    assert subjects[4].startswith("Escalation 1: “Request information” overdue since ")
    assert recipients == [["wgb@oecd.example"]] * 4 + [["coordinator@unodc.example"]]
    reminder_text = text_of(by_id[notice_message_id(rows[0].id, rows[0].idempotency_key)])
    (link,) = answer_links(reminder_text.split("<")[0])  # (the text part: the HTML holds it again)
    assert "/answer/" in link and "mandates respond" not in reminder_text
    escalation_text = text_of(by_id[notice_message_id(rows[4].id, rows[4].idempotency_key)])
    assert f"mandates extend {handle.id} --step request-information --until YYYY-MM-DD" in escalation_text
