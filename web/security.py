"""Sessions, forms and headers: what keeps one person's console theirs.

A session is a signed cookie (HTTP-only, SameSite=Lax, Secure where the browser allows it)
naming the person and a random session id; signing in always makes a new id, so a cookie
planted before sign-in is worth nothing after it. Every form carries a token tied to the
session id (to the link, on a party's page), and a form without the right one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "mandates_session"
SESSION_SECONDS = 12 * 3600
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""On every response; a party's page also sends no referrer at all (its address is its key)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    person: str | None  # None: a visitor who has not signed in (yet)
    sid: str
    issued: int


class Signer:
    """HMAC-SHA256 under the console's secret, each use with its own purpose."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}|{text}".encode(), hashlib.sha256).digest())

    def session_cookie(self, person: str | None) -> tuple[Session, str]:
        """A new session (a new id, always) and its cookie value."""
        session = Session(person, secrets.token_urlsafe(18), int(time.time()))
        body = _b64(json.dumps({"p": person, "s": session.sid, "t": session.issued}).encode())
        return session, f"{body}.{self.mac('session', body)}"

    def session_of(self, cookie: str | None) -> Session | None:
        if not cookie or len(cookie) > 2048:
            return None
        body, _, mac = cookie.partition(".")
        if not hmac.compare_digest(self.mac("session", body), mac):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(data["p"], str(data["s"]), int(data["t"]))
        except (ValueError, KeyError, TypeError):
            return None
        if time.time() - session.issued > SESSION_SECONDS:
            return None
        return session

    def csrf(self, key: str) -> str:
        """The form token for a session id (or a party link)."""
        return self.mac("form", key)

    def csrf_holds(self, key: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(key), token or "")


class TrustedProxies:
    """The peers whose word the console takes on the scheme (``X-Forwarded-Proto``) and, with a
    signing-in proxy, on who the person is: addresses and networks, or ``*`` for any."""

    def __init__(self, spec: str) -> None:
        parts = [p.strip() for p in spec.split(",") if p.strip()]
        self._any = "*" in parts
        self._networks = [ipaddress.ip_network(p, strict=False) for p in parts if p != "*"]

    def trusts(self, peer: str | None) -> bool:
        if self._any:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self._networks)
