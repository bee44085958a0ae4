"""The text of a Word (.docx) document (python-docx), with its list numbers and footnotes.

Word keeps automatic paragraph numbers ("1.", "(a)") out of the text, in the
numbering definitions: they are put back in front of their paragraphs. An
italic opening ("*Requests*") is kept as Markdown emphasis, which the parser
reads as the verb. Footnotes are written after the text as "^1 ..." lines,
and their references in the text as "^1", so the layout stage can attach each
footnote to its paragraph.

Before python-docx opens the package, the archive is checked: a Word file that
would unpack to more than :data:`MAX_UNPACKED_BYTES`, or one of its parts to
more than :data:`MAX_RATIO` times its packed size, is refused (a zip bomb).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from documents._errors import DocumentUnreadable

MAX_UNPACKED_BYTES = 100 * 1024 * 1024
"""The most a Word file may unpack to (100 MiB; a long resolution is under 5 MiB)."""

MAX_RATIO = 200
"""The most a part of the archive may grow when unpacked (text compresses about 10 times)."""

MAX_ENTRIES = 5000
"""The most parts an archive may hold."""

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DAMAGED = "the file is a ZIP archive but not a readable Word document (damaged?)"


def _check_archive(data: bytes) -> None:
    """Refuse an archive that is not a Word document or would unpack to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DocumentUnreadable(_DAMAGED) from None
    names = {entry.filename for entry in entries}
    if "word/document.xml" not in names:
        if "content.xml" in names:
            raise DocumentUnreadable("the file is an OpenDocument (.odt) file; save it as .docx or PDF")
        raise DocumentUnreadable("the file is a ZIP archive, not a Word (.docx) document")
    if len(entries) > MAX_ENTRIES:
        raise DocumentUnreadable(f"the Word file holds {len(entries)} parts; the most read is {MAX_ENTRIES}")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNPACKED_BYTES:
        raise DocumentUnreadable(
            f"the Word file would unpack to {total / (1024 * 1024):.0f} MB (a zip bomb?);"
            f" the most read is {MAX_UNPACKED_BYTES // (1024 * 1024)} MB"
        )
    for entry in entries:
        ratio = entry.file_size // max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > MAX_RATIO:
            raise DocumentUnreadable(
                f"the Word file's part {entry.filename} would unpack to {ratio} times its size (a zip bomb?)"
            )


def docx_text(data: bytes) -> str:
    """Take the text out of a Word document.

    Args:
        data: The .docx file's bytes.

    Returns:
        The text, one line per paragraph, paragraphs separated by blank lines.

    Raises:
        DocumentUnreadable: The archive is not a Word document, is damaged, or
            would unpack to too much.
    """
    _check_archive(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        reader = _Reader(document)
        return reader.text()
    except DocumentUnreadable:
        raise
    except Exception:  # python-docx and lxml raise many kinds on a damaged file
        raise DocumentUnreadable(_DAMAGED) from None


_FORMATS = {
    "decimal": lambda n: str(n),
    "lowerLetter": lambda n: _letters(n),
    "upperLetter": lambda n: _letters(n).upper(),
    "lowerRoman": lambda n: _roman(n),
    "upperRoman": lambda n: _roman(n).upper(),
}


def _letters(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa (Word's letter numbering)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        while n >= value:
            out, n = out + numeral, n - value
    return out


class _Reader:
    """Walks a document's body in order and renders each paragraph as a line."""

    def __init__(self, document: Any) -> None:
        self.body = document.element.body
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (fmt, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        self.footnote_numbers: dict[str, int] = {}
        self.footnotes: dict[str, str] = {}
        self.styles = document.styles.element
        self._read_numbering(document)
        self._read_footnotes(document)

    def _read_numbering(self, document: Any) -> None:
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for definition in numbering.iter(f"{_W}abstractNum"):
            levels = {}
            for level in definition.iter(f"{_W}lvl"):
                fmt = level.find(f"{_W}numFmt")
                text = level.find(f"{_W}lvlText")
                start = level.find(f"{_W}start")
                levels[int(level.get(f"{_W}ilvl", "0"))] = (
                    fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{_W}val", "") if text is not None else "",
                    int(start.get(f"{_W}val", "1")) if start is not None else 1,
                )
            abstract[definition.get(f"{_W}abstractNumId", "")] = levels
        for num in numbering.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is not None:
                self.levels[num.get(f"{_W}numId", "")] = abstract.get(ref.get(f"{_W}val", ""), {})

    def _read_footnotes(self, document: Any) -> None:
        for rel in document.part.rels.values():
            if rel.reltype.endswith("/footnotes") and not rel.is_external:
                from lxml import etree

                root = etree.fromstring(
                    rel.target_part.blob, etree.XMLParser(resolve_entities=False, no_network=True)
                )
                for note in root.iter(f"{_W}footnote"):
                    identifier = note.get(f"{_W}id", "")
                    if note.get(f"{_W}type") in ("separator", "continuationSeparator"):
                        continue
                    text = " ".join(
                        "".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p")
                    )
                    self.footnotes[identifier] = " ".join(text.split())

    def _label(self, paragraph: Any) -> str:
        """The automatic number of a list paragraph ("1.", "(a)"), or ""."""
        props = paragraph.find(f"{_W}pPr")
        numbering = props.find(f"{_W}numPr") if props is not None else None
        if numbering is None and props is not None:
            numbering = self._style_numbering(props)
        if numbering is None:
            return ""
        ident = numbering.find(f"{_W}numId")
        level_el = numbering.find(f"{_W}ilvl")
        num_id = ident.get(f"{_W}val", "") if ident is not None else ""
        level = int(level_el.get(f"{_W}val", "0")) if level_el is not None else 0
        levels = self.levels.get(num_id)
        if not levels or level not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[level] = counters.get(level, levels[level][2] - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        fmt, text, _ = levels[level]
        if fmt not in _FORMATS:
            return ""
        label = text
        for n in range(level + 1):
            if n in levels and f"%{n + 1}" in label:
                value = counters.get(n, levels[n][2])
                label = label.replace(f"%{n + 1}", _FORMATS.get(levels[n][0], str)(value))
        return label.strip()

    def _style_numbering(self, props: Any) -> Any:
        style = props.find(f"{_W}pStyle")
        if style is None:
            return None
        name = style.get(f"{_W}val")
        for definition in self.styles.iter(f"{_W}style"):
            if definition.get(f"{_W}styleId") == name:
                style_props = definition.find(f"{_W}pPr")
                return style_props.find(f"{_W}numPr") if style_props is not None else None
        return None

    def _runs(self, paragraph: Any) -> Iterator[tuple[str, bool]]:
        """The paragraph's text pieces, each with whether it is italic."""
        for run in paragraph.iter(f"{_W}r"):
            props = run.find(f"{_W}rPr")
            italic = props is not None and props.find(f"{_W}i") is not None
            if italic:
                value = props.find(f"{_W}i").get(f"{_W}val", "true")
                italic = value not in ("0", "false")
            for child in run:
                tag = child.tag
                if tag == f"{_W}t":
                    yield child.text or "", italic
                elif tag == f"{_W}tab":
                    yield " ", False
                elif tag in (f"{_W}br", f"{_W}cr"):
                    yield "\n", False
                elif tag == f"{_W}footnoteReference":
                    identifier = child.get(f"{_W}id", "")
                    if identifier in self.footnotes:
                        number = self.footnote_numbers.setdefault(identifier, len(self.footnote_numbers) + 1)
                        yield f"^{number}", False

    def _paragraph(self, paragraph: Any) -> str:
        pieces = list(self._runs(paragraph))
        text = "".join(p for p, _ in pieces)
        lead = ""
        for piece, italic in pieces:
            if not lead and re.fullmatch(r"[\s\d.()]*", piece):
                continue  # white space, or a number typed before the verb
            if not italic:
                break
            lead += piece
        lead = lead.strip()
        if lead and len(lead) <= 80 and len(lead) < len(text.strip()):
            body = text.lstrip()
            if body.startswith(lead):
                text = f"*{lead}*{body[len(lead) :]}"
        label = self._label(paragraph)
        return f"{label} {text}".strip() if label else text.strip()

    def _blocks(self, element: Any) -> Iterator[str]:
        for child in element:
            if child.tag == f"{_W}p":
                yield self._paragraph(child)
            elif child.tag == f"{_W}tbl":
                for row in child.iter(f"{_W}tr"):
                    for cell in row.iter(f"{_W}tc"):
                        yield from self._blocks(cell)
            elif child.tag == f"{_W}sdt":
                content = child.find(f"{_W}sdtContent")
                if content is not None:
                    yield from self._blocks(content)

    def text(self) -> str:
        lines = [line for line in self._blocks(self.body) if line.strip()]
        if self.footnote_numbers:
            lines.append("_____")
            by_number = {n: ident for ident, n in self.footnote_numbers.items()}
            lines.extend(f"^{n} {self.footnotes[by_number[n]]}" for n in sorted(by_number))
        return "\n\n".join(lines) + "\n"
