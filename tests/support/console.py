"""The console in the tests: its people, the dev stack it runs in, signing in over HTTP, and
the mail the stack's sink received (where a party's answer link comes from)."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import httpx

from config.identity import CONSOLE, hash_password
from devstack.mailbox import list_mail
from domain.default_plans import PARTNER_SECRETARIATS, STATES_PARTIES
from tests.support import ROOT
from tests.support.cli import MANDATES
from tests.support.mail import answer_links
from usecases import importing

SEED = ROOT / "examples" / "resolutions" / "cosp-7-synergies.txt"
MANDATE = "mandate-cosp-7-enhancing-synergies-para-{}"
"""The seed's mandates: paragraph 1 (a dialogue), 2 (a memorandum), 3 (confidential
information, opening with a consultation of the partner secretariats), 5 (the report)."""


@dataclass(frozen=True)
class Person:
    person: str
    password: str
    roles: tuple[str, ...]


PEOPLE = {
    "coordinator": Person("alice", "alice's long password", ("coordinator", "secretariat")),
    "approver": Person("bruno", "bruno's long password", ("chief.of.section",)),
    "outsider": Person("mallory", "mallory's long password", ()),
}


def write_identities(path: Path) -> Path:
    """The stack's identities: the people above (each with a console password), each
    consulted party of the default plans, and the console (a delegate)."""
    entries: list[dict[str, object]] = [
        {
            "person": p.person,
            "roles": list(p.roles),
            "token": secrets.token_urlsafe(32),
            "password_hash": hash_password(p.password),
        }
        for p in PEOPLE.values()
    ]
    entries += [
        {"person": party, "roles": [party], "token": secrets.token_urlsafe(32)}
        for party in [*STATES_PARTIES, *PARTNER_SECRETARIATS]
    ]
    entries.append({"person": CONSOLE, "roles": [], "delegate": True, "token": secrets.token_urlsafe(32)})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"identities": entries}))
    path.chmod(0o600)
    return path


@dataclass
class ConsoleStack:
    """The running dev stack: its environment, data folder and console address."""

    env: dict[str, str]
    data: Path
    url: str

    def cli(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``mandates ...`` (as the coordinator, unless ``MANDATES_USER`` says otherwise)."""
        return subprocess.run(
            [MANDATES, *args], env={**self.env, **env}, capture_output=True, text=True, timeout=timeout
        )

    def wait_for(self, condition: Callable[[], bool], wait: float = 60) -> None:
        """Until ``condition`` holds (the worker and the projections catch up)."""
        deadline = time.monotonic() + wait
        while not condition():
            assert time.monotonic() < deadline, "the stack never got there"
            time.sleep(0.25)

    def import_seed(self) -> None:
        """The seed resolution's mandates, started (again: a no-op)."""
        done = self.cli("import", str(SEED), "--start")
        assert done.returncode == 0, done.stdout + done.stderr

    def mail(self, matching: Callable[[EmailMessage], bool], *, wait: float = 60) -> list[EmailMessage]:
        """The messages the sink received that ``matching`` accepts (waiting for one)."""
        deadline = time.monotonic() + wait
        while True:
            found = [m for m in (_parse(r.path) for r in list_mail(self.data / "mail")) if matching(m)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.25)

    def answer_link(self, address: str, mandate_id: str, subject_starts: str = "Consultation:") -> str:
        """The answer link of the request mailed to ``address`` about ``mandate_id``."""
        found = self.mail(
            lambda m: (
                address in str(m["To"])
                and str(m["Subject"]).startswith(subject_starts)
                and m["X-Mandates-Mandate"] == mandate_id
            )
        )
        assert found, f"no {subject_starts!r} mail to {address} about {mandate_id}"
        part = found[-1].get_body(preferencelist=("plain",))
        assert part is not None
        (link,) = answer_links(str(part.get_content()))
        return link


def _parse(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The first form token of a page."""
    found = CSRF.search(html)
    assert found, "no form token on the page"
    return found.group(1)


def signed_in(url: str, who: Person) -> httpx.Client:
    """An HTTP client holding ``who``'s session."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    form = client.get("/signin")
    response = client.post(
        "/signin",
        data={"person": who.person, "password": who.password, "csrf": csrf_of(form.text), "next": "/work"},
    )
    assert response.status_code == 303, response.text
    return client


RESOLUTION = """Conference of the States Parties to the United Nations Convention against Corruption

{title}

The Conference of the States Parties to the United Nations Convention against Corruption,

Recalling its earlier resolutions,

1. Requests the Secretariat to consult the partner secretariats on {topic} and to collect their views;

2. Decides to remain seized of the matter.
"""


def consultation(
    stack: ConsoleStack,
    folder: Path,
    name: str,
    parties: list[str],
    *,
    confidential: bool = False,
    form: dict[str, object] | None = None,
) -> str:
    """Start a mandate of a resolution of its own (``name``: one word, unique in the run) whose
    plan consults ``parties`` (with the questionnaire ``form``) and then asks the approver; its
    id."""
    resolution = folder / f"{name}.txt"
    resolution.write_text(RESOLUTION.format(title=f"{name.capitalize()} questions for partners", topic=name))
    plan = folder / f"{name}-plan.json"
    steps = [
        {"type": "consultation", "id": "consult", "title": f"Consult on {name}", "due_in_days": 30,
         "parties": parties, "confidential": confidential, **({"form": form} if form else {})},
        {"type": "approval", "id": "approve", "title": f"Approve the {name} summary", "due_in_days": 40,
         "approvers": ["chief.of.section"], "rule": "any"},
    ]  # fmt: skip
    plan.write_text(json.dumps({"paragraphs": {"1": {"steps": steps}}}))
    started = stack.cli("import", str(resolution), "--start", "--plan", str(plan))
    assert started.returncode == 0, started.stdout + started.stderr
    planned = importing.plan(importing.read_resolution(resolution.read_bytes()), datetime.now(UTC))
    (mandate,) = planned.mandates
    stack.wait_for(lambda: stack.cli("show", mandate.id).returncode == 0)  # (the read models caught up)
    return mandate.id
