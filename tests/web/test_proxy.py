"""Behind a proxy: the console takes the word of the proxies it is told to trust, and of
nobody else, on the scheme and on who has signed in (``MANDATES_WEB_AUTH_HEADER``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from config.settings import Settings
from tests.support.console import PEOPLE, write_identities
from usecases.engine import Engine
from web.app import create_app
from web.security import TrustedProxies

PROXY = "10.0.0.5"


def test_trusted_proxies_are_addresses_networks_or_anyone() -> None:
    assert TrustedProxies("127.0.0.1").trusts("127.0.0.1")
    assert not TrustedProxies("127.0.0.1").trusts("10.0.0.5")
    assert TrustedProxies("10.0.0.0/24, ::1").trusts("10.0.0.77") and TrustedProxies("::1").trusts("::1")
    assert TrustedProxies("*").trusts("203.0.113.9")
    assert not TrustedProxies("10.0.0.0/24").trusts(None) and not TrustedProxies("10.0.0.0/24").trusts("x")


@pytest.fixture
async def console(pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[object]:
    settings = Settings(  # type: ignore[call-arg]
        MANDATES_DATA_DIR=str(tmp_path),
        MANDATES_IDENTITIES=str(write_identities(tmp_path / "people.json")),
        MANDATES_WEB_SECRET="a secret for this test only",
        MANDATES_WEB_AUTH_HEADER="X-Remote-User",
        MANDATES_WEB_TRUSTED_PROXIES=PROXY,
    )
    engine = Engine(settings, pool=pool)
    app = create_app(settings, engine)
    async with app.router.lifespan_context(app):
        yield app


def client(app: object, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://console")


async def test_the_signing_in_proxy_names_the_person_and_nobody_else_can(console: object) -> None:
    alice = {"X-Remote-User": PEOPLE["coordinator"].person}
    async with client(console, PROXY) as through_the_proxy:
        page = await through_the_proxy.get("/work", headers=alice)
        assert page.status_code == 200 and "What waits for alice" in page.text
        stranger = await through_the_proxy.get("/work", headers={"X-Remote-User": "eve"})
        assert stranger.status_code == 403 and "eve is not in the identities file" in stranger.text
    async with client(console, "203.0.113.9") as around_it:  # the header straight to the console
        assert (await around_it.get("/work", headers=alice)).status_code == 303  # to sign in


async def test_the_scheme_a_trusted_proxy_reports_makes_the_cookie_secure(console: object) -> None:
    https = {"X-Forwarded-Proto": "https"}
    async with client(console, PROXY) as through_the_proxy:
        cookie = (await through_the_proxy.get("/signin", headers=https)).headers["set-cookie"]
        assert "secure" in cookie.lower()
    async with client(console, "203.0.113.9") as around_it:
        cookie = (await around_it.get("/signin", headers=https)).headers["set-cookie"]
        assert "secure" not in cookie.lower()
