"""Making a database and a Temporal namespace ready for the engine: the migrations, the
namespace and the search attributes. Each step is idempotent."""

from __future__ import annotations

from store.migrate import migrate
from usecases.engine import Engine
from workflows.namespace import ensure_namespace, ensure_search_attributes


async def setup(engine: Engine) -> list[str]:
    """Apply the migrations (as ``DATABASE_ADMIN_URL``), register the namespace and the
    search attributes; one line on each."""
    settings = engine.settings
    lines = [f"migrations: {await migrate(settings.database_admin_url)} applied"]
    client = await engine.temporal()
    if await ensure_namespace(client, settings.temporal_namespace):
        lines.append(f"namespace {settings.temporal_namespace!r} registered")
    added = await ensure_search_attributes(client, settings.temporal_namespace)
    lines.append(f"search attributes: {', '.join(added) if added else 'all present'}")
    return lines
