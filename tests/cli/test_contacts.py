"""`mandates contacts import` and `mandates contacts list`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from cli.app import app
from domain.contacts import ContactsInvalid
from tests.support import EXAMPLES
from tests.support.database import Database

EXAMPLE = EXAMPLES / "contacts.csv"


def test_the_import_command_stores_a_good_file_and_nothing_of_a_bad_one(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    runner = CliRunner()
    good = runner.invoke(app, ["contacts", "import", str(EXAMPLE)])
    assert good.exit_code == 0, good.output
    assert good.output.strip() == "imported 8 addresses for 8 names (0 replaced or removed)"

    bad = tmp_path / "contacts.csv"
    bad.write_text("name,role,email\nAustria,party,a@austria.example\nMexico,party,mexico@\n")
    refused = runner.invoke(app, ["contacts", "import", str(bad)])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, ContactsInvalid)
    assert str(refused.exception) == "line 3: 'mexico@' is not an e-mail address; nothing imported"

    async def names() -> list[str]:
        conn = await asyncpg.connect(database.app_dsn)
        try:
            return [r["name"] for r in await conn.fetch("SELECT DISTINCT name FROM contacts ORDER BY 1")]
        finally:
            await conn.close()

    assert "Austria" not in asyncio.run(names())
    listed = runner.invoke(app, ["contacts", "list"])
    assert listed.exit_code == 0 and "chief.of.section" in listed.output
