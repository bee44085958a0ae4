"""Resolution documents the tests write themselves: PDF (fpdf2), Word (python-docx), HTML.

The PDF is laid out like a printed resolution: a header block on the first page,
a running header (symbol, running title, page number) and a footer (job number,
bar code) on every page, paragraph numbers set apart from their text, footnote
markers as digits after the word, and the footnotes of each page at its foot
under a rule, two to a line (a two-column footnote area). A paragraph runs on
over the page break, so the footnotes land in the middle of it in the text.

The text is invented; it follows the shape of a General Assembly resolution.
:func:`long_resolution_pdf` makes a resolution of any length (a bench times the
import of a 40-page one).
"""

from __future__ import annotations

import io
import re
import textwrap
import zipfile
from dataclasses import dataclass, field

from fpdf import FPDF

SYMBOL = "A/RES/99/7"
TITLE = "Cooperation between the United Nations and regional arrangements for water security"
JOB = "99-12345 (E)"

HEADER_LINES = (
    "United Nations",
    SYMBOL,
    "General Assembly",
    "Distr.: General",
    "2 January 2099",
    JOB,
    "*9912345*",
    "Ninety-ninth session",
    "Agenda item 12",
    TITLE,
    "Resolution adopted by the General Assembly on 1 January 2099",
    "99/7. " + TITLE,
    "The General Assembly,",
)

PREAMBLE = (
    "Recalling its resolution 98/3 of 4 March 2098 on regional water security,{1}",
    "Noting the work of the regional commissions on shared basins and the data they gather on the"
    " flows of rivers that cross borders,",
)

OPERATIVE = (
    "Welcomes the report of the Secretary-General on the cooperation between the United Nations"
    " and regional arrangements;{2}",
    "Requests the Secretary-General to continue to cooperate with regional arrangements in the"
    " field of water security, to seek their views on the exchange of hydrological data, and to"
    " report to the General Assembly at its hundredth session on the cooperation undertaken, in"
    " the light of the recommendations of the regional commissions{3} and of the experience of the"
    " basin organizations{4} that have concluded forms of cooperation with the Secretariat;",
    "Invites Member States to share information on transboundary basins with the regional commissions;",
    "Decides to include in the provisional agenda of its hundredth session the item entitled"
    " Cooperation between the United Nations and regional arrangements.",
)

FOOTNOTES = {
    1: "See A/98/123.",
    2: "A/99/456.",
    3: "See E/2098/15, chap. II.",
    4: "Resolution 97/8, annex.",
}

_MARKER_RE = re.compile(r"\{(\d+)\}")


@dataclass
class _Page:
    lines: list[tuple[float, str]] = field(default_factory=list)  # (indent in mm, text)
    markers: list[int] = field(default_factory=list)


def _paragraph_lines(text: str, number: str | None, width: int) -> list[tuple[float, str, list[int]]]:
    """Wrap a paragraph; the number, if any, stands apart in the margin on the first line."""
    out: list[tuple[float, str, list[int]]] = []
    for i, line in enumerate(textwrap.wrap(text, width)):
        markers = [int(m) for m in _MARKER_RE.findall(line)]
        line = _MARKER_RE.sub(lambda m: m.group(1), line)
        out.append((10.0 if i == 0 else 0.0, line, markers))
    if number is not None:
        out.insert(0, (0.0, f"{number}.", []))  # the number alone, as a PDF's text layer gives it
    return out


def resolution_pdf(
    preamble: tuple[str, ...] = PREAMBLE,
    operative: tuple[str, ...] = OPERATIVE,
    footnotes: dict[int, str] | None = None,
    lines_per_page: int = 30,
    width: int = 80,
) -> bytes:
    """A resolution as a PDF with a text layer, laid out over as many pages as it needs."""
    footnotes = FOOTNOTES if footnotes is None else footnotes
    body: list[tuple[float, str, list[int]]] = [(0.0, line, []) for line in HEADER_LINES]
    for paragraph in preamble:
        body.extend(_paragraph_lines(paragraph, None, width))
    for number, paragraph in enumerate(operative, start=1):
        body.extend(_paragraph_lines(paragraph, str(number), width))
    body.append((0.0, "99th plenary meeting", []))
    body.append((0.0, "1 January 2099", []))

    pages: list[_Page] = [_Page()]
    for indent, line, markers in body:
        if len(pages[-1].lines) >= lines_per_page:
            pages.append(_Page())
        pages[-1].lines.append((indent, line))
        pages[-1].markers.extend(markers)

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        if n > 1:  # the running header of the following pages
            pdf.text(20, 12, SYMBOL)
            pdf.text(20, 16, TITLE)
            pdf.text(180, 12, f"{n}/{total}")
        pdf.set_font("Helvetica", size=10)
        y = 25.0
        for indent, line in page.lines:
            pdf.text(20 + indent, y, line)
            y += 6
        notes = [(m, footnotes[m]) for m in page.markers if m in footnotes]
        if notes:
            pdf.set_font("Helvetica", size=8)
            y = 250.0
            pdf.text(20, y, "_" * 20)
            y += 5
            for i in range(0, len(notes), 2):  # two footnotes to a line: a two-column area
                for column, (mark, note) in enumerate(notes[i : i + 2]):
                    pdf.text(20 + 90 * column, y, f"{mark} {note}")
                y += 4
        pdf.set_font("Helvetica", size=8)
        pdf.text(20, 285, JOB.split(" ")[0])
        pdf.text(180, 285, f"{n}/{total}")
    return bytes(pdf.output())


def long_resolution_pdf(pages: int = 40) -> bytes:
    """A resolution long enough to fill about ``pages`` pages (for timing an import)."""
    paragraph = (
        "Requests the Secretary-General to continue to cooperate with regional arrangements in the"
        " field of water security and to report to the General Assembly at its hundredth session;"
    )
    count = max(1, pages * 30 // 4)
    return resolution_pdf(operative=tuple(paragraph for _ in range(count)))


def image_only_pdf() -> bytes:
    """A PDF page holding only a picture: a scan without a text layer."""
    from PIL import Image

    picture = io.BytesIO()
    Image.new("L", (200, 280), color=200).save(picture, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(io.BytesIO(picture.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


def protected_pdf(password: str = "s3cret") -> bytes:
    """A resolution PDF that opens only with a password."""
    pdf = FPDF(format="A4")
    pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(20, 20, "1. Requests the Secretary-General to report to the General Assembly.")
    return bytes(pdf.output())


def resolution_docx(numbered: bool = True, footnote: str | None = None) -> bytes:
    """A resolution as a Word document: automatic paragraph numbers, italic verbs, a table header.

    With ``footnote``, paragraph 2 refers to a footnote of that text (Word's footnotes part).
    """
    import docx
    from docx.shared import Pt

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "United Nations"
    table.cell(0, 1).text = SYMBOL
    for line in ("General Assembly", "Ninety-ninth session", TITLE, "The General Assembly,"):
        document.add_paragraph(line)
    for text in PREAMBLE:
        words = _MARKER_RE.sub("", text).split(" ", 1)
        paragraph = document.add_paragraph()
        paragraph.add_run(words[0]).italic = True
        paragraph.add_run(" " + words[1])
    for n, text in enumerate(OPERATIVE, start=1):
        clean = _MARKER_RE.sub("", text)
        verb, rest = clean.split(" ", 1)
        if numbered:
            paragraph = document.add_paragraph(style="List Number")
        else:
            paragraph = document.add_paragraph(f"{n}.\t")
        paragraph.add_run(verb).italic = True
        paragraph.add_run(" " + rest).font.size = Pt(10)
        if n == 2 and footnote is not None:
            paragraph.add_run(_FOOTNOTE_PLACEHOLDER)
    document.add_paragraph("99th plenary meeting")
    out = io.BytesIO()
    document.save(out)
    return _add_footnote(out.getvalue(), footnote) if footnote is not None else out.getvalue()


_FOOTNOTE_PLACEHOLDER = "FOOTNOTE-REFERENCE-1"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _add_footnote(data: bytes, text: str) -> bytes:
    """Give a saved Word document a footnotes part and turn the placeholder into a reference to it."""
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{_W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
        f'</w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r>'
        "</w:p></w:footnote></w:footnotes>"
    )
    relationship = (
        '<Relationship Id="rIdFootnotes" Target="footnotes.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/footnotes"/></Relationships>'
    )
    override = (
        '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.footnotes+xml"/></Types>'
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                content = content.replace(
                    f"<w:t>{_FOOTNOTE_PLACEHOLDER}</w:t>".encode(), b'<w:footnoteReference w:id="1"/>'
                )
            elif item.filename == "word/_rels/document.xml.rels":
                content = content.replace(b"</Relationships>", relationship.encode())
            elif item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", override.encode())
            target.writestr(item, content)
        target.writestr("word/footnotes.xml", footnotes)
    return out.getvalue()


def zip_bomb_docx(unpacked: int = 8 * 1024 * 1024) -> bytes:
    """A Word document with one more part that unpacks to ``unpacked`` bytes of zeros."""
    source = zipfile.ZipFile(io.BytesIO(resolution_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("word/media/padding.bin", b"\0" * unpacked)
    return out.getvalue()


def resolution_html() -> str:
    """A resolution as a web page: an ordered list of operative paragraphs, footnote references."""
    preamble = "".join(f"<p><i>{t.split(' ', 1)[0]}</i> {_html(t.split(' ', 1)[1])}</p>" for t in PREAMBLE)
    items = "".join(f"<li><em>{t.split(' ', 1)[0]}</em> {_html(t.split(' ', 1)[1])}</li>" for t in OPERATIVE)
    notes = "".join(f"<p><sup>{n}</sup> {text}</p>" for n, text in FOOTNOTES.items())
    return (
        "<!DOCTYPE html><html><head><title>x</title><style>p {}</style>"
        "<script>var x = '1. Requests nothing';</script></head><body>"
        f"<p>United Nations</p><p>{SYMBOL}</p><h1>{TITLE}</h1><p>The General Assembly,</p>"
        f"{preamble}<ol>{items}</ol><p>99th plenary meeting</p><hr>{notes}</body></html>"
    )


def _html(text: str) -> str:
    return _MARKER_RE.sub(lambda m: f"<sup>{m.group(1)}</sup>", text)
