"""``mandates import FILE --dry-run`` on documents of every format, and on bad files (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.app import run_cli
from tests.support.documents import (
    image_only_pdf,
    protected_pdf,
    resolution_docx,
    resolution_html,
    resolution_pdf,
    zip_bomb_docx,
)

SCORER_KEYS = {"paragraph", "verb", "actor", "kinds", "confidential", "reports_to"}


def import_dry_run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = run_cli(["import", str(path), "--dry-run", *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("resolution.pdf", resolution_pdf),
        ("resolution.docx", resolution_docx),
        ("resolution.html", lambda: resolution_html().encode("utf-8")),
        ("resolution.bin", resolution_pdf),  # told by its content, not its name
    ],
)
def test_a_document_imports_as_json_with_its_clauses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content
) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    code, out, err = import_dry_run(path, capsys, "--json")
    assert code == 0, err
    items = json.loads(out)
    assert [i["paragraph"] for i in items] == [1, 2, 3, 4]
    assert all(SCORER_KEYS <= set(i) for i in items)
    second = items[1]
    assert second["actor"] == "secretariat" and second["reports_to"] == "General Assembly"
    assert second["clauses"][0]["addressee"] == "the Secretary-General"
    assert second["report_due_session"] == "hundredth session"
    assert second["text"].endswith("with the Secretariat;")  # the full text, no cut
    assert second["unsure"] == ["kind: dialogue (weak wording)"]


def test_the_dry_run_table_marks_what_is_unsure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "resolution.pdf"
    path.write_bytes(resolution_pdf())
    code, out, _ = import_dry_run(path, capsys)
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("PARA"))
    assert header.split()[-1] == "UNSURE"
    row = next(line for line in out.splitlines() if line.startswith("2 "))
    assert row.rstrip().endswith("?")
    assert "para 2: kind: dialogue (weak wording)" in out


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp_path = tmp_path_factory.mktemp("bad-files")
    files = {
        "empty": (b"", "empty.txt"),
        "binary": (b"\x00\x01\x02\xfe\xff" * 50, "data.txt"),
        "no text layer": (image_only_pdf(), "scan.pdf"),
        "password-protected": (protected_pdf(), "locked.pdf"),
        "zip bomb": (zip_bomb_docx(), "bomb.docx"),
    }
    paths = {}
    for words, (content, name) in files.items():
        paths[words] = tmp_path / name
        paths[words].write_bytes(content)
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: refused by its size, never read
    paths["200.0 MB"] = huge
    return paths


@pytest.mark.parametrize(
    "words", ["empty", "binary", "no text layer", "password-protected", "zip bomb", "200.0 MB"]
)
def test_a_bad_file_is_one_line_and_exit_1(
    bad_files: dict[str, Path], capsys: pytest.CaptureFixture[str], words: str
) -> None:
    code, out, err = import_dry_run(bad_files[words], capsys)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], err
    assert "Traceback" not in err
