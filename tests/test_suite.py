"""The suite's own setup (tests/conftest.py, tests/support): what it prints while it runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest


async def test_the_sdk_cores_warnings_are_captured_with_the_test_not_printed_amid_the_progress(
    engine_factory: Callable[..., Any], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A worker on the time-skipping server makes the SDK core warn (the server does not keep
    heartbeat details). That line came from the core's own threads straight to the terminal,
    coloured, amid pytest's progress; it goes through Python logging now."""
    caplog.set_level(logging.WARNING, logger="temporalio.core")

    async with engine_factory():
        for _ in range(400):  # (the core hands its lines over in batches, a few ms apart)
            if any(r.name.startswith("temporalio.core") for r in caplog.records):
                break
            await asyncio.sleep(0.025)

    core = [r for r in caplog.records if r.name.startswith("temporalio.core")]
    assert core and any("heartbeat" in r.getMessage() for r in core), [r.getMessage() for r in core]
    assert "temporalio_sdk_core" not in capfd.readouterr().err
