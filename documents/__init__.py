"""Reading resolution documents: PDF, Word (.docx), HTML and plain text.

A resolution reaches the Secretariat as a PDF, a Word document, a web page or
text copied from one of them. :func:`read_document` tells the format from the
bytes themselves (not from the file name), takes the text out, and refuses
what it cannot read with a one-line :class:`DocumentUnreadable`: an empty or
binary file, an image, a scanned PDF without a text layer, a
password-protected PDF, an over-large file, a Word file that would unpack to
too much (a zip bomb). The text goes on to :func:`domain.resolution.parse_resolution`,
whose layout stage removes what the page layout left in it; pages are
separated by a form feed.

The package does I/O only in :func:`read_document_file`; the rest works on bytes.
"""

from documents._errors import DocumentUnreadable
from documents._read import (
    MAX_DOCUMENT_BYTES,
    Document,
    DocumentFormat,
    detect_format,
    read_document,
    read_document_file,
    read_resolution,
)

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "Document",
    "DocumentFormat",
    "DocumentUnreadable",
    "detect_format",
    "read_document",
    "read_document_file",
    "read_resolution",
]
