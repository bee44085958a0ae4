"""Tell a document's format from its bytes and take its text out."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from documents._errors import DocumentUnreadable
from domain.resolution import Resolution, parse_resolution

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""The largest file read (50 MiB): a resolution's PDF is well under 5 MiB."""


class DocumentFormat(StrEnum):
    """The formats a resolution is read from."""

    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Document:
    """A document's text.

    Attributes:
        format: The format it was read as.
        text: Its text; pages (of a PDF) are separated by a form feed.
        pages: How many pages it has, when the format has pages.
    """

    format: DocumentFormat
    text: str
    pages: int | None = None


_REFUSED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word (.doc) or Office file; save it as .docx or PDF"),
    (b"{\\rtf", "a Rich Text (.rtf) file; save it as .docx, PDF or plain text"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image, not a text document; a scanned resolution needs OCR first"),
    (b"\xff\xd8\xff", "a JPEG image, not a text document; a scanned resolution needs OCR first"),
    (b"GIF87a", "a GIF image, not a text document"),
    (b"GIF89a", "a GIF image, not a text document"),
    (b"II*\x00", "a TIFF image, not a text document; a scanned resolution needs OCR first"),
    (b"MM\x00*", "a TIFF image, not a text document; a scanned resolution needs OCR first"),
    (b"\x1f\x8b", "a gzip archive, not a resolution document"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive, not a resolution document"),
    (b"Rar!", "a RAR archive, not a resolution document"),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_HTML_RE = re.compile(
    r"<(?:!doctype\s+html|html|head|body|p|div|article|section|h[1-6]|table|span)[\s>/]", re.I
)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large(size: int, limit: int) -> DocumentUnreadable:
    return DocumentUnreadable(f"the file is {_mb(size)}; the largest resolution file read is {_mb(limit)}")


def _decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (a BOM allowed) or UTF-16 with its BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentUnreadable("the file starts like UTF-16 text but is not valid UTF-16") from None
    if b"\x00" in data:
        raise DocumentUnreadable(
            "the file looks binary (it contains NUL bytes), not a resolution as PDF, Word, HTML or text"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(
            f"the file is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
            " and not a PDF or Word document"
        ) from None


def detect_format(data: bytes) -> DocumentFormat:
    """Tell a document's format from its first bytes.

    Args:
        data: The file's content.

    Returns:
        The format to read it as.

    Raises:
        DocumentUnreadable: The bytes are a format the engine does not read
            (an image, an archive, an old Word file), or empty.
    """
    if not data.strip():
        raise DocumentUnreadable("the file is empty")
    if b"%PDF-" in data[:1024]:
        return DocumentFormat.PDF
    if data.startswith(_ZIP_SIGNATURES):
        return DocumentFormat.DOCX  # the Word reader tells other archives apart
    for signature, what in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            raise DocumentUnreadable(f"the file is {what}")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and _HTML_RE.search(head.decode("utf-8", "replace")):
        return DocumentFormat.HTML
    return DocumentFormat.TEXT


def read_document(data: bytes, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """Take the text out of a document, whatever its format.

    Args:
        data: The file's content.
        max_bytes: The largest content read.

    Returns:
        The document's text.

    Raises:
        DocumentUnreadable: The content cannot be read as a resolution
            document; the message is one line saying why.
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    found = detect_format(data)
    if found is DocumentFormat.PDF:
        from documents._pdf import pdf_text

        text, pages = pdf_text(data)
        return Document(found, text, pages)
    if found is DocumentFormat.DOCX:
        from documents._docx import docx_text

        return Document(found, docx_text(data))
    text = _decode_text(data)
    if found is DocumentFormat.HTML:
        from documents._html import html_text

        return Document(found, html_text(text))
    return Document(found, text)


def read_document_file(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """Read a document from a file, refusing an over-large one before reading it.

    Args:
        path: The file.
        max_bytes: The largest file read.

    Returns:
        The document's text.

    Raises:
        OSError: The file cannot be opened or read.
        DocumentUnreadable: Its content cannot be read as a resolution document.
    """
    with path.open("rb") as handle:
        size = path.stat().st_size
        data = handle.read(max_bytes + 1) if size <= max_bytes else b""
    if size > max_bytes or len(data) > max_bytes:
        known = f" ({_mb(size)})" if size > max_bytes else ""
        raise DocumentUnreadable(
            f"{path} is larger than {_mb(max_bytes)}{known}, too large for a resolution file"
        )
    return read_document(data, max_bytes)


def read_resolution(data: bytes, max_bytes: int = MAX_DOCUMENT_BYTES) -> Resolution:
    """Read a resolution from a document's bytes: its text, then its parts and mandates.

    This is what an import does with an uploaded file, and what a benchmark
    times on a 40-page PDF.

    Raises:
        DocumentUnreadable: The document cannot be read.
        domain.resolution.ResolutionUnreadable: Its text holds no resolution.
    """
    return parse_resolution(read_document(data, max_bytes).text)
