"""The one Temporal client factory: the worker, the CLI and the tests all connect through it."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config.settings import Settings
from domain.errors import DomainError


class TemporalUnreachable(DomainError):
    """The Temporal frontend cannot be reached."""

    code = "temporal_unreachable"


async def connect_temporal(settings: Settings | None = None) -> Client:
    """Connect to the configured Temporal frontend with the pydantic data converter.

    Raises:
        TemporalUnreachable: nothing answers at the configured address.
    """
    settings = settings or Settings.load()
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
        )
    except RuntimeError as exc:  # the SDK reports a failed connection as RuntimeError
        hint = " (is the dev stack up? `mandates dev up`)" if settings.uses_embedded_temporal else ""
        text = str(exc)
        first = (
            "connection refused" if "Connection refused" in text else (text.splitlines() or ["no answer"])[0]
        )
        raise TemporalUnreachable(
            f"cannot reach Temporal at {settings.temporal_address}: {first}{hint}"
        ) from None
