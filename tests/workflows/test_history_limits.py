"""History limits: a mandate with thousands of responses and reminders keeps every run's
history far below Temporal's limits by continuing as new, and loses no update across it.

One consultation, done again and again: after each round the approver rejects the result
and the mandate goes back to consult the same parties (a rework, as a plan allows). The
parties answer through the mandate's ``respond`` update, in concurrent batches, between the
round's reminders and deadline (the time-skipping server jumps to each). The mandate
continues as new between steps once its run passes the limit of its input
(``MandateInput.history_limit``), and a consultation does so between commands; updates
that meet a closing run are sent again by their caller, as any client would.

Rounds rather than one consultation of thousands of parties, because a mandate folds its
plan into every state it keeps: a plan naming 5,000 parties made each workflow task copy
them all, and the replay after a cache eviction outlasted the task timeout (RELIABILITY.md).

``make faults`` runs 500 answers (5 rounds of 100 parties, a limit of 1,500 events so that
both workflows continue as new) and 5,000 (25 rounds of 200, the default ``HISTORY_LIMIT``,
with ``MANDATES_HISTORY_PARTIES=5000``).

Progress is read from the audit log, not with the ``state`` query: the time-skipping
server can leave the first query after a continue-as-new unanswered, and time skipping
stalls with it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import time

import pytest
from temporalio.worker import Replayer

from domain.plan import validate_plan
from domain.state import MandateStatus
from tests.support.history import (
    Calls,
    Log,
    answer_all,
    chain,
    children,
    count,
    send,
    skip_to_the_next_timer,
    start_with_limit,
)
from tests.support.mandates import make_mandate
from tests.support.temporal import DATA_CONVERTER, WORKER_KEYS, Engine
from tests.support.workflows import audit_log
from workflows import WORKFLOWS
from workflows.mandate import MandateWorkflow
from workflows.messages import HISTORY_LIMIT, ApproveRequest, RejectRequest
from workflows.sealing import Sealing
from workflows.starter import mandate_handle

# A soak: minutes of time-skipping under load, so `make faults` runs it, not `make test`.
pytestmark = pytest.mark.soak

TOTAL = int(os.environ.get("MANDATES_HISTORY_PARTIES", "500"))
ROUNDS = 25 if TOTAL >= 5000 else 5
PARTIES = [f"Party {n:04d}" for n in range(TOTAL // ROUNDS)]
LIMIT = HISTORY_LIMIT if TOTAL >= 5000 else 1500
APPROVER = "chief.of.section"
RUN_CEILING = 10_000  # every run stays below this many events (Temporal warns at 10,240)


def rework_plan():
    return validate_plan(
        {
            "steps": [
                {"type": "consultation", "id": "consult", "title": "Consult the parties",
                 "due_in_days": 30, "parties": PARTIES},
                {"type": "approval", "id": "approve", "title": "Approve the findings", "due_in_days": 45,
                 "approvers": [APPROVER], "rule": "any", "on_reject_go_to": "consult"},
            ]
        }
    )  # fmt: skip


async def test_thousands_of_answers_and_reminders_stay_far_below_the_history_limits(engine: Engine) -> None:
    began = time.monotonic()
    mandate = make_mandate("history-limits", rework_plan())
    started = await start_with_limit(engine, mandate, LIMIT)
    handle = mandate_handle(engine.client, mandate.id)
    log = Log(engine, mandate.id)
    calls = Calls()
    third = len(PARTIES) // 3
    await answer_all(engine.client, mandate.id, 1, PARTIES[:third], calls)
    for k in range(1, ROUNDS + 1):
        await log.until(lambda events, k=k: count("ConsultationOpened", "consult", events) == k)
        await skip_to_the_next_timer(engine, log)
        await answer_all(engine.client, mandate.id, k, PARTIES[third : 2 * third], calls)
        await skip_to_the_next_timer(engine, log)
        await answer_all(engine.client, mandate.id, k, PARTIES[2 * third :], calls)
        await log.until(lambda events, k=k: count("ApprovalRequested", "approve", events) == k)
        if k == ROUNDS:
            request = ApproveRequest(by=APPROVER)
            await send(engine.client, mandate.id, MandateWorkflow.approve, request, "approve", calls)
            break
        # The rejection and the next round's first answers at once: the answers come before
        # the round opens (refused, sent again), while the mandate continues as new (let go,
        # sent again) and after it, on the new run.
        reject = RejectRequest(by=APPROVER, comment=f"round {k}: ask again")
        await asyncio.gather(
            send(engine.client, mandate.id, MandateWorkflow.reject, reject, f"reject:{k}", calls),
            answer_all(engine.client, mandate.id, k + 1, PARTIES[:third], calls),
        )

    result = await handle.result()
    elapsed = time.monotonic() - began

    assert result.status is MandateStatus.COMPLETED
    events = await audit_log(engine, mandate.id)  # gapless versions, one key each
    round_, answered, timers = 0, collections.Counter(), collections.Counter()
    for e in events:
        if e.type == "StepStarted" and e.step_id == "consult":
            round_ = e.attempt
        elif e.type == "ResponseReceived":
            answered[(round_, e.party)] += 1
        elif e.type == "ReminderDue":
            timers[(e.step_id, round_, e.type, e.days_before)] += 1
        elif e.type == "StepOverdue":
            timers[(e.step_id, round_, e.type)] += 1
    assert len(answered) == TOTAL and set(answered.values()) == {1}  # every answer, once
    assert set(timers.values()) == {1}, timers  # every timer fired once
    rounds_reminded = {r for step, r, kind, *_ in timers if step == "consult" and kind == "ReminderDue"}
    assert rounds_reminded == set(range(1, ROUNDS + 1))
    assert calls.accepted + calls.already == TOTAL + ROUNDS  # no update lost (the answers, the decisions)

    mandate_runs = await chain(engine.client, mandate.id, started.result_run_id or "")
    consultation_runs = [
        await chain(engine.client, child, first_run)
        for run in mandate_runs
        for child, first_run in children(run)
    ]
    lengths = {
        "mandate": [len(h.events) for h in mandate_runs],
        "consultation rounds": [[len(h.events) for h in runs] for runs in consultation_runs],
    }
    assert len(consultation_runs) == ROUNDS
    assert len(mandate_runs) > 1, lengths  # the mandate continued as new
    assert any(len(runs) > 1 for runs in consultation_runs) or LIMIT == HISTORY_LIMIT, lengths
    longest = max([*lengths["mandate"], *(n for runs in lengths["consultation rounds"] for n in runs)])
    assert longest < RUN_CEILING, lengths
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=DATA_CONVERTER, interceptors=[Sealing(WORKER_KEYS)]
    )
    unreplayable = []
    for run in [*mandate_runs, *(h for runs in consultation_runs for h in runs)]:
        failure = (await replayer.replay_workflow(run, raise_on_replay_failure=False)).replay_failure
        if failure is not None:
            unreplayable.append(f"{run.workflow_id} ({len(run.events)} events): {failure}"[:400])
    print(
        f"\n{TOTAL} answers, {sum(timers.values())} reminders and overdue notices, in {elapsed:.1f}s;"
        f" runs (events each): {lengths}; longest run {longest} events; sent again:"
        f" {dict(calls.retried)}; already recorded {calls.already}"
    )
    assert not unreplayable, unreplayable  # (RELIABILITY.md, "History limits": a run that did not replay)
