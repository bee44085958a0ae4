"""Reading resolution documents: the format told by the content, the text out, bad files refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents import (
    MAX_DOCUMENT_BYTES,
    DocumentFormat,
    DocumentUnreadable,
    detect_format,
    read_document,
    read_document_file,
    read_resolution,
)
from domain.errors import DomainError
from domain.resolution import parse_resolution
from domain.vocabulary import Actor, MandateKind
from tests.support.documents import (
    FOOTNOTES,
    SYMBOL,
    TITLE,
    image_only_pdf,
    long_resolution_pdf,
    protected_pdf,
    resolution_docx,
    resolution_html,
    resolution_pdf,
    zip_bomb_docx,
)

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "resolutions" / "cosp-7-synergies.txt"


def one_line(error: BaseException) -> str:
    text = str(error)
    assert text and "\n" not in text
    return text


# --- PDF ------------------------------------------------------------------------------


@pytest.mark.parametrize("lines_per_page", [25, 30])
def test_a_pdf_resolution_reads_whole_across_its_page_break(lines_per_page: int) -> None:
    # 25 lines a page: the break falls inside paragraph 2, with the page's footnotes (two to a
    # line) and the next page's running header between its halves. 30: the number "4." is the
    # last line of page 1 and its verb the first of page 2.
    document = read_document(resolution_pdf(lines_per_page=lines_per_page))
    assert document.format is DocumentFormat.PDF
    assert document.pages == 2
    assert "\f" in document.text
    resolution = parse_resolution(document.text)
    assert resolution.symbol == SYMBOL
    assert resolution.title == TITLE
    assert resolution.body == "General Assembly"
    assert [p.number for p in resolution.operative] == [1, 2, 3, 4]
    assert [p.verb for p in resolution.operative] == ["welcomes", "requests", "invites", "decides"]
    second = resolution.operative[1]
    assert second.text.endswith(
        "in the light of the recommendations of the regional commissions and of the experience of the"
        " basin organizations that have concluded forms of cooperation with the Secretariat;"
    )
    assert resolution.operative[3].text.startswith("Decides to include in the provisional agenda")
    assert second.actor is Actor.SECRETARIAT
    assert MandateKind.REPORTING in second.kinds and second.reports_to == "General Assembly"
    assert [(f.mark, f.text) for f in second.footnotes] == [("3", FOOTNOTES[3]), ("4", FOOTNOTES[4])]
    assert [(f.mark, f.text) for f in resolution.footnotes] == [(str(n), t) for n, t in FOOTNOTES.items()]
    for paragraph in resolution.operative:
        for noise in (SYMBOL, "99-12345", "1/2", "2/2", "____", "See A/98"):
            assert noise not in paragraph.text


def test_a_forty_page_pdf_imports_whole() -> None:
    data = long_resolution_pdf(40)
    assert read_document(data).pages >= 40
    resolution = read_resolution(data)
    assert [p.number for p in resolution.operative] == list(range(1, 301))
    assert all(
        p.actor is Actor.SECRETARIAT and p.reports_to == "General Assembly" for p in resolution.operative
    )


def test_a_scanned_pdf_without_a_text_layer_is_refused() -> None:
    with pytest.raises(DocumentUnreadable, match="no text layer"):
        read_document(image_only_pdf())


def test_a_password_protected_pdf_is_refused() -> None:
    with pytest.raises(DocumentUnreadable, match="password-protected"):
        read_document(protected_pdf())


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\x00\x01\x02\xff", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF"],
)
def test_a_damaged_pdf_is_refused_in_one_line(data: bytes) -> None:
    with pytest.raises(DocumentUnreadable) as raised:
        read_document(data)
    assert "cannot be read" in one_line(raised.value)
    assert isinstance(raised.value, DomainError) and raised.value.code == "document_unreadable"


# --- Word -----------------------------------------------------------------------------


def test_a_word_resolution_gets_its_automatic_numbers_and_italic_verbs() -> None:
    document = read_document(resolution_docx(footnote="See A/99/789."))
    assert document.format is DocumentFormat.DOCX
    assert "\n2. *Requests* the Secretary-General" in document.text
    resolution = parse_resolution(document.text)
    assert resolution.symbol == SYMBOL
    assert [p.number for p in resolution.operative] == [1, 2, 3, 4]
    assert [p.actor for p in resolution.operative][:3] == [
        Actor.OTHER,
        Actor.SECRETARIAT,
        Actor.STATES_PARTIES,
    ]
    assert [(f.mark, f.text) for f in resolution.operative[1].footnotes] == [("1", "See A/99/789.")]


def test_a_word_resolution_with_typed_numbers() -> None:
    resolution = parse_resolution(read_document(resolution_docx(numbered=False)).text)
    assert [(p.number, p.verb) for p in resolution.operative] == [
        (1, "welcomes"),
        (2, "requests"),
        (3, "invites"),
        (4, "decides"),
    ]


def test_a_zip_bomb_word_file_is_refused_before_it_is_unpacked() -> None:
    with pytest.raises(DocumentUnreadable, match="zip bomb"):
        read_document(zip_bomb_docx())


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ({"content.xml": b"<x/>", "mimetype": b"application/vnd.oasis.opendocument.text"}, "OpenDocument"),
        ({"data.csv": b"a,b"}, "not a Word"),
        ({"word/document.xml": b"<not xml"}, "not a readable Word document"),
    ],
)
def test_other_zip_archives_are_refused(tmp_path: Path, entries: dict[str, bytes], words: str) -> None:
    path = tmp_path / "file.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    with pytest.raises(DocumentUnreadable) as raised:
        read_document(path.read_bytes())
    assert words in one_line(raised.value)


# --- HTML and text --------------------------------------------------------------------


def test_an_html_resolution_reads_its_list_numbers_and_footnote_references() -> None:
    document = read_document(resolution_html().encode("utf-8"))
    assert document.format is DocumentFormat.HTML
    assert "Requests nothing" not in document.text  # the script is left out
    resolution = parse_resolution(document.text)
    assert [(p.number, p.verb) for p in resolution.operative] == [
        (1, "welcomes"),
        (2, "requests"),
        (3, "invites"),
        (4, "decides"),
    ]
    assert [f.mark for f in resolution.operative[1].footnotes] == ["3", "4"]
    assert "^" not in resolution.operative[1].text


def test_the_seed_reads_the_same_as_text_markdown_or_utf16() -> None:
    data = REFERENCE.read_bytes()
    expected = parse_resolution(data)
    assert read_resolution(data) == expected
    assert read_resolution(data.decode("utf-8").encode("utf-16")) == expected


def test_the_format_is_told_by_the_content_not_the_name(tmp_path: Path) -> None:
    disguised = tmp_path / "resolution.txt"
    disguised.write_bytes(resolution_pdf())
    assert read_document_file(disguised).format is DocumentFormat.PDF
    assert detect_format(b"<html><body><p>1. Requests</p></body></html>") is DocumentFormat.HTML
    assert detect_format(b"1. Requests the Secretariat <b>to</b> report.") is DocumentFormat.TEXT


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"\x00\x01\x02\x03binary", "binary"),
        (b"caf\xe9 au lait\n1. Requests the Secretariat;", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "old Word"),
        (b"{\\rtf1\\ansi 1. Requests}", "Rich Text"),
    ],
)
def test_unreadable_content_is_one_line(data: bytes, words: str) -> None:
    with pytest.raises(DocumentUnreadable) as raised:
        read_document(data)
    assert words in one_line(raised.value)


def test_an_over_large_file_is_refused_by_its_size_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # a sparse file: 200 MB that take no disk
    reads: list[int] = []
    real_open = Path.open

    def watched_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        handle = real_open(self, *args, **kwargs)  # type: ignore[call-overload]
        real_read = handle.read
        handle.read = lambda n=-1: reads.append(n) or real_read(n)  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(Path, "open", watched_open)
    with pytest.raises(DocumentUnreadable, match=r"200\.0 MB"):
        read_document_file(huge)
    assert reads == []
    with pytest.raises(DocumentUnreadable, match="largest"):
        read_document(b"x" * (MAX_DOCUMENT_BYTES + 1))


# --- anything at all ------------------------------------------------------------------

SIGNATURES = st.sampled_from([b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<html><body>", b"\xff\xfe", b"{\\rtf1"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=SIGNATURES, body=st.binary(max_size=400))
def test_any_bytes_are_a_resolution_or_one_line_saying_why_not(head: bytes, body: bytes) -> None:
    try:
        read_resolution(head + body)
    except DomainError as error:  # DocumentUnreadable or ResolutionUnreadable
        one_line(error)
