"""The one Temporal client factory: the worker, the CLI and the tests all connect through it."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config.settings import Settings


async def connect_temporal(settings: Settings | None = None) -> Client:
    """Connect to the configured Temporal frontend with the pydantic data converter."""
    settings = settings or Settings.load()
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
