"""The text layer of a PDF, page by page (pypdf)."""

from __future__ import annotations

import io
import logging
import warnings

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from documents._errors import DocumentUnreadable

MAX_PAGES = 2000
"""The most pages read: a resolution with its annexes is far shorter."""

MIN_TEXT_PER_PAGE = 20
"""Fewer characters of text than this per page, on average, means no text layer (a scan)."""

# pypdf reports what it repairs in a damaged file through logging; that is not for the user.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_DAMAGED = "the file starts like a PDF but cannot be read (damaged, or binary data that is not a PDF)"


def pdf_text(data: bytes) -> tuple[str, int]:
    """Take the text layer out of a PDF.

    Args:
        data: The PDF's bytes.

    Returns:
        ``(text, pages)``: the text of every page, pages separated by a form
        feed, and the number of pages.

    Raises:
        DocumentUnreadable: The PDF is damaged, password-protected, too long,
            or has no text layer (a scanned image).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                _unlock(reader)
            count = len(reader.pages)
            if count > MAX_PAGES:
                raise DocumentUnreadable(f"the PDF has {count} pages; the most read is {MAX_PAGES}")
            pages = [_page_text(page) for page in reader.pages]
        except DocumentUnreadable:
            raise
        except (FileNotDecryptedError, DependencyError):
            raise DocumentUnreadable(_PROTECTED) from None
        except (PdfReadError, Exception):  # pypdf raises many kinds on a damaged file
            raise DocumentUnreadable(_DAMAGED) from None
    if count == 0:
        raise DocumentUnreadable("the PDF has no pages")
    if sum(len(page.strip()) for page in pages) < MIN_TEXT_PER_PAGE * count:
        raise DocumentUnreadable(
            "the PDF has no text layer (a scanned image?); run it through OCR, or give the Word file"
        )
    return "\f".join(pages), count


_PROTECTED = "the PDF is password-protected; save an unprotected copy and import that"


def _unlock(reader: PdfReader) -> None:
    """Open a PDF encrypted with an empty user password (printing restrictions only)."""
    try:
        unlocked = reader.decrypt("")
    except Exception:
        raise DocumentUnreadable(_PROTECTED) from None
    if not unlocked:
        raise DocumentUnreadable(_PROTECTED)


def _page_text(page: object) -> str:
    """One page's text, lines in reading order."""
    text = page.extract_text()  # type: ignore[attr-defined]
    return text.replace("\r\n", "\n").replace("\r", "\n")
