"""The console in a real Chromium (Playwright driving the system's ``chromium``), as its people
use it: a coordinator imports the seed and reads the answers, a consulted party answers from
the link its e-mail carries, an approver approves from My work; the wrong person, a stale form
and a dead link are each refused with one clear line.

Each page is photographed on the way (``SCREENSHOTS_DIR``, ``make screenshots``: the README's
pictures)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from domain.default_plans import PARTNER_SECRETARIATS
from tests.support.console import MANDATE, PEOPLE, SEED, ConsoleStack, Person, consultation
from tests.support.questionnaires import FORM

pytestmark = pytest.mark.devstack

GRECO, OECD, OAS = PARTNER_SECRETARIATS
GRECO_MAIL, OECD_MAIL = "greco.secretariat@coe.example", "wgb.secretariat@oecd.example"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("no chromium: `make test` installs it (apt-get install chromium), or set CHROMIUM")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def reloaded(page: Page) -> str:
    page.wait_for_load_state()
    page.reload()
    return page.content()


def sign_in(page: Page, stack: ConsoleStack, who: Person, then: str = "/work") -> None:
    page.goto(stack.url + then)
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    page.get_by_label("Name").fill(who.person)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_have_text(who.person)


def test_a_coordinator_signs_in_imports_the_seed_and_sees_its_mandates(
    page: Page, stack: ConsoleStack
) -> None:
    page.goto(stack.url)
    shot(page, "sign-in")
    page.get_by_label("Name").fill(PEOPLE["coordinator"].person)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
    sign_in(page, stack, PEOPLE["coordinator"])
    expect(page.get_by_role("heading", name="My work")).to_be_visible()

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("The resolution").set_input_files(SEED)
    page.get_by_role("button", name="Read it").click()
    table = page.get_by_role("table", name="What each operative paragraph asks")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table).to_contain_text("calls upon")
    expect(table).to_contain_text("Implementation Review Group")
    shot(page, "import")
    page.get_by_role("button", name="Start the Secretariat's mandates").click()
    expect(page.get_by_role("heading", name=re.compile("imported"))).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(5)  # four mandates and the paragraph followed
    expect(page.locator("main")).to_contain_text(MANDATE.format(3))
    shot(page, "imported")

    page.get_by_role("link", name="Mandates", exact=True).click()
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=active"))  # (a reload during the navigation loses the page)
    stack.wait_for(lambda: "cosp-7-enhancing-synergies para 5" in reloaded(page))  # (the read models)
    for paragraph in (1, 2, 3, 5):
        expect(page.get_by_role("link", name=f"cosp-7-enhancing-synergies para {paragraph}")).to_be_visible()
    expect(page.get_by_role("link", name="cosp-7-enhancing-synergies para 4")).to_have_count(0)  # followed
    shot(page, "mandates")


def test_a_party_answers_from_its_mail_and_the_coordinator_reads_it_in_full(
    browser: Browser, page: Page, stack: ConsoleStack
) -> None:
    stack.import_seed()
    mandate = MANDATE.format(3)  # confidential information, asked of the partner secretariats
    link = stack.answer_link(GRECO_MAIL, mandate)

    party = browser.new_context().new_page()  # no account, no cookie: only the link
    party.goto(link)
    expect(party.get_by_role("heading", level=1)).to_have_text(
        "Request information from the partner secretariats"
    )
    expect(party.get_by_role("note")).to_contain_text("confidential")
    expect(party.locator("blockquote")).to_contain_text("Calls upon the Secretariat")
    shot(party, "answer")
    party.get_by_label("Your answer").fill("GRECO's fifth evaluation round covers the same articles.")
    party.get_by_label("Files").set_input_files(
        files=[{"name": "overlap.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 overlap"}]
    )
    party.get_by_role("button", name="Send the answer").click()
    expect(party.get_by_role("status")).to_contain_text("is recorded")
    shot(party, "answered")
    confirmation = stack.mail(
        lambda m: GRECO_MAIL in str(m["To"]) and str(m["Subject"]).startswith("Received: your answer")
    )
    assert confirmation, "no confirmation e-mail"

    party.goto(link)  # a revision, while the consultation is open
    expect(party.get_by_role("heading", name=re.compile("Your answer of"))).to_be_visible(timeout=30_000)
    party.get_by_label("Your new answer").fill("Revised: also GRECO's fourth round.")
    party.get_by_role("button", name="Send the answer").click()
    expect(party.get_by_role("status")).to_contain_text("replaces the earlier one")

    sign_in(page, stack, PEOPLE["coordinator"], then=f"/mandates/{mandate}")
    answers = page.locator("ul.answers")
    stack.wait_for(lambda: "Revised: also" in reloaded(page))
    expect(answers).to_contain_text("GRECO's fifth evaluation round covers the same articles.")
    expect(answers).to_contain_text("Revised: also GRECO's fourth round.")
    expect(answers).to_contain_text("(replaced)")
    expect(page.get_by_role("link", name="overlap.pdf")).to_be_visible()
    shot(page, "mandate")
    with page.expect_download() as download:
        page.get_by_role("link", name="overlap.pdf").click()
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 overlap"


def test_an_approver_approves_from_my_work(
    browser: Browser, page: Page, stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "approvals", [GRECO])
    party = browser.new_context().new_page()
    party.goto(stack.answer_link(GRECO_MAIL, mandate))
    party.get_by_label("Your answer").fill("No objection.")
    party.get_by_role("button", name="Send the answer").click()  # the consultation closes

    sign_in(page, stack, PEOPLE["approver"])
    stack.wait_for(lambda: "Approve the approvals summary" in reloaded(page))
    expect(page.locator("nav .count")).not_to_have_text("0")
    shot(page, "my-work")
    page.locator("tr", has_text="Approve the approvals summary").get_by_role("link").first.click()
    page.get_by_label("Comment (optional)").fill("Agreed.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text("Recorded: approve.")
    expect(page.locator("p.lead")).to_contain_text("completed")


def test_a_wrong_person_is_refused(browser: Browser, page: Page, stack: ConsoleStack, tmp_path: Path) -> None:
    mandate = consultation(stack, tmp_path, "intruders", [GRECO])
    party = browser.new_context().new_page()
    party.goto(stack.answer_link(GRECO_MAIL, mandate))
    party.get_by_label("Your answer").fill("Fine.")
    party.get_by_role("button", name="Send the answer").click()

    sign_in(page, stack, PEOPLE["outsider"], then=f"/mandates/{mandate}")
    stack.wait_for(lambda: "Now: Approve" in reloaded(page))
    expect(page.get_by_text("You are not an approver of this step")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    token = page.locator("form.signout input[name=csrf]").get_attribute("value")
    forged = page.request.post(
        f"{stack.url}/mandates/{mandate}/approve",
        form={"csrf": token or "", "step": "approve", "as": "chief.of.section"},
        max_redirects=0,
    )
    assert forged.status == 403 and "may not act as &#39;chief.of.section&#39;" in forged.text()
    as_herself = page.request.post(
        f"{stack.url}/mandates/{mandate}/approve",
        form={"csrf": token or "", "step": "approve"},
        max_redirects=0,
    )  # the console signs for her, and the engine's rules refuse her
    assert as_herself.status == 409 and "not an approver" in as_herself.text(), as_herself.text()
    page.goto(f"{stack.url}/mandates/{mandate}")
    expect(page.locator("p.lead")).to_contain_text("active")  # nothing was approved


def test_a_stale_form_is_refused_cleanly(
    browser: Browser, page: Page, stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "stale", [GRECO, OECD])
    sign_in(page, stack, PEOPLE["coordinator"], then=f"/mandates/{mandate}")
    expect(page.get_by_role("button", name="Record the answer")).to_be_visible()  # the form, as it was

    for address in (GRECO_MAIL, OECD_MAIL):  # meanwhile, both parties answer: the step moves on
        party = browser.new_context().new_page()
        party.goto(stack.answer_link(address, mandate))
        party.get_by_label("Your answer").fill("Our answer.")
        party.get_by_role("button", name="Send the answer").click()
        expect(party.get_by_role("status")).to_contain_text("is recorded")

    page.get_by_label("Record an answer to “Consult on stale” on behalf of").select_option(GRECO)
    page.get_by_label("Answer", exact=True).fill("A late answer typed on an old page.")
    page.get_by_role("button", name="Record the answer").click()
    expect(page.get_by_role("heading", name="Not done")).to_be_visible()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("consult")
    assert "\n" not in alert.inner_text().strip() and "Traceback" not in page.content()
    shot(page, "refused")


def test_an_altered_or_closed_link_is_refused(page: Page, stack: ConsoleStack, tmp_path: Path) -> None:
    mandate = consultation(stack, tmp_path, "deadlinks", [GRECO])
    link = stack.answer_link(GRECO_MAIL, mandate)
    page.goto(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.goto(link)
    page.get_by_label("Your answer").fill("Our only answer.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("status")).to_contain_text("is recorded")
    page.goto(link)
    stack.wait_for(lambda: "has closed" in reloaded(page))
    expect(page.get_by_role("alert")).to_contain_text("this consultation has closed")
    expect(page.get_by_role("button", name="Send the answer")).to_have_count(0)


def test_the_report_and_the_audit_read_well(page: Page, stack: ConsoleStack) -> None:
    stack.import_seed()
    sign_in(page, stack, PEOPLE["coordinator"], then="/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress report")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("Implementation Review Group")
    shot(page, "report")
    signed = stack.cli("audit", "checkpoint")
    assert signed.returncode == 0, signed.stderr
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("verified")
    checkpoints = page.get_by_role("table", name="The latest signed checkpoints, newest first")
    expect(checkpoints.locator("tbody tr").first).to_be_visible()
    shot(page, "audit")


CALENDAR = """mechanism,state,cycle,stage,start,end
UNCAC,Austria,cycle 2,country visit,2027-01-21,2027-01-23
UNCAC,Chile,cycle 2,country visit,2027-03-01,2027-03-03
"""
SCHEDULE = "state,round,stage,start,end\nAustria,round 5,on-site visit,{start},{end}\n"


def test_a_party_answers_a_questionnaire_on_its_page_and_the_calendar_shows_the_overlap(
    browser: Browser, page: Page, stack: ConsoleStack, tmp_path: Path
) -> None:
    calendar = tmp_path / "calendar.csv"
    calendar.write_text(CALENDAR)
    imported = stack.cli("reviews", "import", str(calendar))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    mandate = consultation(stack, tmp_path, "schedules", [GRECO, OECD], form=FORM)
    party = browser.new_context().new_page()
    party.goto(stack.answer_link(GRECO_MAIL, mandate))
    expect(party.get_by_role("group", name=re.compile("The questionnaire"))).to_be_visible()

    party.get_by_label("Cost of one country review: amount").fill("52000")
    party.get_by_label("Cost of one country review: currency (three letters)").fill("EUR")
    party.get_by_label("Working language").select_option("English")
    reversed_dates = SCHEDULE.format(start="2027-01-26", end="2027-01-22").encode()
    party.get_by_label(re.compile("Your review schedule")).set_input_files(
        files=[{"name": "schedule.csv", "mimeType": "text/csv", "buffer": reversed_dates}]
    )
    party.get_by_role("button", name="Send the answer").click()
    problems = party.get_by_role("alert")
    expect(problems).to_contain_text("Some answers need correcting")
    expect(problems).to_contain_text("Focal point for the schedule: required")  # each bad field, named
    expect(problems).to_contain_text("Your review schedule for 2027-2029 row 1: end (2027-01-22) is before")
    expect(party.get_by_label("Cost of one country review: amount")).to_have_value("52000")  # kept
    shot(party, "questionnaire")

    party.get_by_label(re.compile("Focal point for the schedule")).fill("Jane Roe, GRECO secretariat")
    good = SCHEDULE.format(start="2027-01-22", end="2027-01-26").encode()
    party.get_by_label(re.compile("Your review schedule")).set_input_files(
        files=[{"name": "schedule.csv", "mimeType": "text/csv", "buffer": good}]
    )
    party.get_by_role("button", name="Send the answer").click()
    expect(party.get_by_role("status")).to_contain_text("is recorded")

    sign_in(page, stack, PEOPLE["coordinator"], then=f"/mandates/{mandate}")
    answers = page.locator("ul.answers")
    expect(answers).to_contain_text("Jane Roe, GRECO secretariat")
    expect(answers).to_contain_text("on-site visit")
    page.get_by_role("link", name="Reviews", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reviews"))
    stack.wait_for(lambda: "Council of Europe (GRECO)" in reloaded(page))  # (the calendar's projection)
    austria = page.locator("tr", has_text="Austria").filter(has_text="Council of Europe (GRECO)")
    expect(austria.first).to_contain_text("UNCAC")
    expect(austria.first).to_contain_text("overlap")
    shot(page, "reviews")
    page.get_by_role("link", name="Austria").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Austria: its reviews")
    expect(page.locator("svg.timeline rect.overlapping")).to_have_count(2)
    expect(page.get_by_role("heading", level=2, name=re.compile("GRECO"))).to_be_visible()
    shot(page, "timeline")
