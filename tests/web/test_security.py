"""What keeps the console and the parties' links safe, tried over HTTP against the running
console as an attacker would: forms without their token, planted sessions, links altered or
used for another party, consultation or round, uploads too large or of the wrong kind, text
that tries to be HTML, and the headers every page sends."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import httpx
import pytest

from domain.default_plans import PARTNER_SECRETARIATS
from tests.support.console import PEOPLE, ConsoleStack, consultation, csrf_of, signed_in

pytestmark = pytest.mark.devstack

GRECO, OECD, OAS = PARTNER_SECRETARIATS
ADDRESS = {
    GRECO: "greco.secretariat@coe.example",
    OECD: "wgb.secretariat@oecd.example",
    OAS: "mesicic.secretariat@oas.example",
}


def party_link_on(page: str, party: str) -> str:
    """The answer link the coordinator's mandate page shows for ``party``."""
    found = re.search(rf'value="([^"]+)" aria-label="answer link of {re.escape(party)}"', page)
    assert found, f"no link for {party} on the page"
    return found.group(1)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def answer(stack: ConsoleStack, link: str, text: str, files: list | None = None) -> httpx.Response:
    """Open the link's page and send an answer through its form, as the party's browser does."""
    with httpx.Client(timeout=60) as browser:
        page = browser.get(link)
        assert page.status_code == 200, page.text
        return browser.post(link, data={"text": text, "csrf": csrf_of(page.text)}, files=files or [])


def answers_of(stack: ConsoleStack, mandate_id: str) -> list[dict]:
    """The answers the mandate's audit log holds."""
    log = stack.cli("audit", "log", mandate_id, "--json")
    assert log.returncode == 0, log.stderr
    return [
        {"revision": 0, "by": None, "attachments": [], **e["payload"]}
        for e in json.loads(log.stdout)
        if e["type"] == "ResponseReceived"
    ]


def test_every_page_sends_the_headers_that_keep_it_in_its_own_frame(stack: ConsoleStack) -> None:
    page = httpx.get(f"{stack.url}/signin")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    altered = httpx.get(f"{stack.url}/answer/pl1.e30.AAAA")  # not a link: still the headers
    assert altered.status_code == 404 and altered.headers["referrer-policy"] == "no-referrer"


def test_the_secretariat_pages_need_a_signed_in_person(stack: ConsoleStack) -> None:
    for path in ("/work", "/mandates", "/import", "/report", "/audit", "/mandates/any"):
        response = httpx.get(stack.url + path)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")
    forged = httpx.get(f"{stack.url}/work", cookies={"mandates_session": "eyJwIjoiYWxpY2UifQ.forged"})
    assert forged.status_code == 303


def test_a_wrong_password_or_a_missing_form_token_signs_nobody_in(stack: ConsoleStack) -> None:
    alice = PEOPLE["coordinator"]
    with httpx.Client(base_url=stack.url) as client:
        form = csrf_of(client.get("/signin").text)
        wrong = client.post("/signin", data={"person": alice.person, "password": "guess", "csrf": form})
        assert wrong.status_code == 401 and "Wrong name or password." in wrong.text
        tokenless = client.post("/signin", data={"person": alice.person, "password": alice.password})
        assert tokenless.status_code == 403
        assert client.get("/work").status_code == 303


def test_a_session_planted_before_sign_in_is_worth_nothing_after_it(stack: ConsoleStack) -> None:
    attacker = httpx.Client(base_url=stack.url)
    attacker.get("/signin")
    planted = attacker.cookies["mandates_session"]
    alice = PEOPLE["coordinator"]
    with httpx.Client(base_url=stack.url) as victim:
        victim.cookies.set("mandates_session", planted, domain="127.0.0.1")
        form = csrf_of(victim.get("/signin").text)
        signed = victim.post(
            "/signin", data={"person": alice.person, "password": alice.password, "csrf": form}
        )
        assert signed.status_code == 303
        assert victim.cookies["mandates_session"] != planted  # a new session id
        assert victim.get("/work").status_code == 200
    assert attacker.get("/work").status_code == 303  # the planted cookie is still nobody's
    attacker.close()


def test_a_form_without_its_token_or_with_another_sessions_is_refused(
    stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "tokens", [GRECO])
    alice, bruno = signed_in(stack.url, PEOPLE["coordinator"]), signed_in(stack.url, PEOPLE["approver"])
    page = alice.get(f"/mandates/{mandate}")
    assert page.status_code == 200
    bruno_token = csrf_of(bruno.get("/work").text)
    form = {"party": GRECO, "text": "forged", "step": "consult"}
    for token in (None, "", "not-a-token", bruno_token):
        data = form if token is None else {**form, "csrf": token}
        refused = alice.post(f"/mandates/{mandate}/respond", data=data)
        assert refused.status_code == 403 and "did not come from this console" in refused.text
    assert answers_of(stack, mandate) == []  # nothing recorded
    recorded = alice.post(f"/mandates/{mandate}/respond", data={**form, "csrf": csrf_of(page.text)})
    assert recorded.status_code == 303
    (answer_,) = answers_of(stack, mandate)
    assert (answer_["party"], answer_["by"]) == (GRECO, PEOPLE["coordinator"].person)  # on its behalf


def test_a_link_answers_for_its_party_only_and_an_altered_one_for_nobody(
    stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "altered", [GRECO, OECD])
    other = consultation(stack, tmp_path, "elsewhere", [GRECO])
    greco = stack.answer_link(ADDRESS[GRECO], mandate)
    greco_elsewhere = stack.answer_link(ADDRESS[GRECO], other)
    prefix, body, mac = token_of(greco).split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    as_oecd = base64.urlsafe_b64encode(json.dumps({**data, "p": OECD}).encode()).decode().rstrip("=")
    _, other_body, _ = token_of(greco_elsewhere).split(".")
    for forged in (
        f"{prefix}.{as_oecd}.{mac}",  # another party, same signature
        f"{prefix}.{other_body}.{mac}",  # another consultation's data, this one's signature
        f"{prefix}.{body}.{mac[:-2]}xx",  # a changed signature
    ):
        refused = httpx.get(f"{stack.url}/answer/{forged}")
        assert refused.status_code == 404 and "not valid" in refused.text
        posted = httpx.post(f"{stack.url}/answer/{forged}", data={"text": "forged", "csrf": "x"})
        assert posted.status_code == 404

    sent = answer(stack, greco, "GRECO's own view", files=None)
    assert sent.status_code == 200 and "recorded" in sent.text
    with httpx.Client(timeout=60) as browser:  # naming another party in the form changes nothing
        page = browser.get(greco)
        browser.post(greco, data={"text": "again", "party": OECD, "csrf": csrf_of(page.text)})
    assert [(a["party"], a["revision"]) for a in answers_of(stack, mandate)] == [(GRECO, 0), (GRECO, 1)]
    assert answers_of(stack, other) == []  # the other consultation's link was never used


def test_a_link_stops_working_when_its_consultation_closes_or_it_is_revoked(
    stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "closing", [GRECO, OECD])
    greco, oecd = stack.answer_link(ADDRESS[GRECO], mandate), stack.answer_link(ADDRESS[OECD], mandate)
    alice = signed_in(stack.url, PEOPLE["coordinator"])
    page = alice.get(f"/mandates/{mandate}")
    revoked = alice.post(
        f"/mandates/{mandate}/revoke-link",
        data={"csrf": csrf_of(page.text), "step": "consult", "party": OECD},
    )
    assert revoked.status_code == 303
    gone = httpx.get(oecd)
    assert gone.status_code == 410 and "withdrawn by the Secretariat" in gone.text
    new_oecd = party_link_on(alice.get(f"/mandates/{mandate}").text, OECD)
    assert new_oecd != oecd
    assert httpx.get(new_oecd).status_code == 200  # the coordinator's next link works

    assert answer(stack, greco, "GRECO answers").status_code == 200
    assert answer(stack, new_oecd, "OECD answers").status_code == 200  # all answered: it closes
    stack.wait_for(lambda: httpx.get(greco).status_code == 410)
    closed = httpx.get(greco)
    assert "has closed" in closed.text
    late = httpx.post(greco, data={"text": "too late", "csrf": "x"})
    assert late.status_code == 410
    assert len(answers_of(stack, mandate)) == 2


def test_uploads_too_large_or_of_another_kind_are_refused_and_nothing_is_recorded(
    stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "uploads", [GRECO])
    link = stack.answer_link(ADDRESS[GRECO], mandate)
    large = ("large.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024), "application/pdf")
    program = ("tool.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/x-msdownload")
    disguised = ("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    for name, content, kind in (large, program, disguised):
        refused = answer(stack, link, "with a file", files=[("files", (name, content, kind))])
        assert refused.status_code in (400, 409, 413), (name, refused.status_code)
        assert "Traceback" not in refused.text and name.split(".")[0] in refused.text
    assert answers_of(stack, mandate) == []
    fine = answer(
        stack, link, "with a report", files=[("files", ("view.pdf", b"%PDF-1.4 ok", "application/pdf"))]
    )
    assert fine.status_code == 200
    (recorded,) = answers_of(stack, mandate)
    (attachment,) = recorded["attachments"]
    assert attachment["name"] == "view.pdf" and len(attachment["sha256"]) == 64


def test_text_a_party_sends_is_shown_as_text_everywhere(stack: ConsoleStack, tmp_path: Path) -> None:
    mandate = consultation(stack, tmp_path, "escaping", [GRECO, OECD])  # (open after GRECO answers)
    link = stack.answer_link(ADDRESS[GRECO], mandate)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert answer(stack, link, hostile).status_code == 200
    stack.wait_for(lambda: "Your answer of" in httpx.get(link).text)
    own = httpx.get(link).text  # the party's page shows its earlier answer
    coordinator = signed_in(stack.url, PEOPLE["coordinator"]).get(f"/mandates/{mandate}").text
    for page in (own, coordinator):
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "<script>" not in page and "<img src=x" not in page


def test_a_confidential_answer_is_shown_only_to_the_roles_allowed(
    stack: ConsoleStack, tmp_path: Path
) -> None:
    mandate = consultation(stack, tmp_path, "secrets", [GRECO], confidential=True)
    assert (
        answer(stack, stack.answer_link(ADDRESS[GRECO], mandate), "the confidential figures").status_code
        == 200
    )
    coordinator = signed_in(stack.url, PEOPLE["coordinator"]).get(f"/mandates/{mandate}").text
    outsider = signed_in(stack.url, PEOPLE["outsider"]).get(f"/mandates/{mandate}").text
    assert "the confidential figures" in coordinator and "confidential" in coordinator
    assert "the confidential figures" not in outsider and "confidential" in outsider
