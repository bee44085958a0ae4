"""The reference resolution's history, appended to the test database's audit log."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import pytest

from store.audit import StoredEvent
from tests.reports import cosp7


@dataclass(frozen=True)
class Logged:
    scenario: cosp7.Cosp7
    records: list[StoredEvent]


@pytest.fixture
def cosp7_scenario() -> cosp7.Cosp7:
    return cosp7.build()


@pytest.fixture
async def cosp7_log(pool: asyncpg.Pool, cosp7_scenario: cosp7.Cosp7) -> Logged:
    return Logged(cosp7_scenario, await cosp7.append(pool, cosp7_scenario))
