"""Connections to Postgres that fail with one clear line instead of a driver traceback."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from domain.errors import DomainError


class DatabaseUnreachable(DomainError):
    """Postgres cannot be reached or refuses the connection."""

    code = "database_unreachable"


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _unreachable(url: str, exc: BaseException) -> DatabaseUnreachable:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    hint = " (is the dev stack up? `mandates dev up`)" if "127.0.0.1" in url or "localhost" in url else ""
    return DatabaseUnreachable(f"cannot reach Postgres at {redact(url)}: {reason}{hint}")


async def connect(url: str, timeout: float = 10) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise _unreachable(url, exc) from None


async def create_pool(url: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    try:
        return await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise _unreachable(url, exc) from None
