"""A real Postgres for the tests: the database one test gets, and URLs to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_user(url: str, user: str) -> str:
    """``url`` as ``user`` (with the URL's password: the embedded server gives the
    application role the superuser's)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    credentials = f"{user}:{parts.password}" if parts.password else user
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))


@dataclass(frozen=True)
class Database:
    """One migrated database for one test."""

    name: str
    admin_dsn: str
    app_dsn: str
