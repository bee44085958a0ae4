"""The contact directory in Postgres: an import replaces the names it lists, all or nothing."""

from __future__ import annotations

import asyncpg

from domain.contacts import parse_contacts
from store.contacts import ContactStore


async def test_an_import_replaces_the_names_it_lists_and_keeps_the_others(pool: asyncpg.Pool) -> None:
    store = ContactStore(pool)
    first = parse_contacts(
        "name,role,email\nAustria,party,old@austria.example\nMexico,party,m@mexico.example\n", "a.csv"
    )
    await store.import_contacts(first)
    summary = await store.import_contacts(
        parse_contacts("name,role,email\nAustria,party,new@austria.example\n", "b.csv")
    )
    assert (summary.names, summary.addresses, summary.removed) == (1, 1, 1)
    assert [c.email for c in await store.of("Austria")] == ["new@austria.example"]
    assert [c.email for c in await store.of("Mexico")] == ["m@mexico.example"]
    assert await store.of("Peru") == []
    again = await store.import_contacts(  # (the same file again changes nothing, and says so)
        parse_contacts("name,role,email\nAustria,party,new@austria.example\n", "b.csv")
    )
    assert (again.names, again.addresses, again.removed) == (1, 1, 0)
    await store.import_contacts(
        parse_contacts("name,role,email\nPeru,party,p@peru.example\n", "c.csv"), replace=True
    )
    assert [c.name for c in await store.all()] == ["Peru"]
