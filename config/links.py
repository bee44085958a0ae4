"""Party links: the personal address a consulted party answers from, with no account.

A link names one party of one round (attempt) of one consultation step of one mandate. It is
that data, in URL-safe base64, and an HMAC-SHA256 over it under the console's secret
(``MANDATES_WEB_SECRET``): whoever holds the link may answer for that party in that round, and
nobody can make one for another party, step, mandate or round. It works while that round of
the consultation is open (the console holds it against the mandate as it stands), so it
expires when the consultation closes, however often its deadline moved; a coordinator can
revoke one (the console keeps revoked links' ids), and the party's next link is of the next
generation, so it differs from the revoked one; a new round needs new links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from domain.errors import DomainError
from store.console import ConsoleStore

PREFIX = "pl1"


class LinkInvalid(DomainError):
    """A party link that was altered, made with another secret, or is not a link at all."""

    code = "link_invalid"


class LinkExpired(DomainError):
    """A party link whose consultation has closed (or moved on to another round)."""

    code = "link_expired"


@dataclass(frozen=True)
class PartyLink:
    mandate_id: str
    step_id: str
    party: str
    attempt: int
    generation: int = 0  # how many of the party's links to this step were revoked before it

    @property
    def link_id(self) -> str:
        """A public name for the link (what a revocation records)."""
        text = f"{self.mandate_id}\x1f{self.step_id}\x1f{self.party}\x1f{self.attempt}\x1f{self.generation}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, f"{PREFIX}.{body}".encode(), hashlib.sha256).digest())


def mint(secret: bytes, link: PartyLink) -> str:
    """The token of a link (the last part of its address)."""
    data = {
        "m": link.mandate_id,
        "s": link.step_id,
        "p": link.party,
        "a": link.attempt,
        "g": link.generation,
    }
    body = _b64(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{PREFIX}.{body}.{_mac(secret, body)}"


def read(secret: bytes, token: str) -> PartyLink:
    """The link a token stands for (whether its round is still open is the mandate's to say).

    Raises:
        LinkInvalid: altered, made with another secret, or no link at all.
    """
    prefix, _, rest = token.partition(".")
    body, _, mac = rest.partition(".")
    if prefix != PREFIX or not body or not mac or len(token) > 4096:
        raise LinkInvalid("this address is not a valid answer link")
    if not hmac.compare_digest(_mac(secret, body), mac):
        raise LinkInvalid("this answer link is not valid (it was changed, or comes from elsewhere)")
    try:
        data = json.loads(_unb64(body))
        link = PartyLink(
            mandate_id=str(data["m"]),
            step_id=str(data["s"]),
            party=str(data["p"]),
            attempt=int(data["a"]),
            generation=int(data.get("g", 0)),
        )
    except (ValueError, KeyError, TypeError):
        raise LinkInvalid("this answer link is not valid") from None
    return link


def address(base_url: str, token: str) -> str:
    """The answer page of a link: ``<console>/answer/<token>``."""
    return f"{base_url.rstrip('/')}/answer/{token}"


class AnswerLinks:
    """The addresses people are sent: a party's current answer link (of the generation after
    the revoked ones), and a mandate's page in the console."""

    def __init__(self, secret: bytes, base_url: str, store: ConsoleStore) -> None:
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self._store = store

    async def current(self, mandate_id: str, step_id: str, party: str, attempt: int) -> PartyLink:
        revoked = await self._store.revoked_of(mandate_id, step_id, party)
        return PartyLink(mandate_id, step_id, party, attempt, generation=len(revoked))

    async def answer_page(self, mandate_id: str, step_id: str, party: str, attempt: int) -> str:
        link = await self.current(mandate_id, step_id, party, attempt)
        return address(self.base_url, mint(self._secret, link))

    def mandate_page(self, mandate_id: str) -> str:
        return f"{self.base_url}/mandates/{mandate_id}"
