"""The contact directory: who reminders, overdue notices and escalations go to."""

from __future__ import annotations

from collections.abc import Sequence

from domain.contacts import Contact, parse_contacts
from store.contacts import ContactStore, ImportSummary
from usecases.engine import Engine


def read_contacts(text: str, source: str) -> list[Contact]:
    """The contacts a CSV or YAML file lists (``ContactsInvalid`` naming the first bad line)."""
    return parse_contacts(text, source)


async def import_contacts(engine: Engine, contacts: Sequence[Contact], *, replace: bool) -> ImportSummary:
    """Store the contacts: the names they list, or (``replace``) the whole directory."""
    return await ContactStore(await engine.pool()).import_contacts(contacts, replace=replace)


async def list_contacts(engine: Engine) -> list[Contact]:
    return await ContactStore(await engine.pool()).all()
