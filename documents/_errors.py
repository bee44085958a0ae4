"""The one error the document readers raise."""

from domain.errors import DomainError


class DocumentUnreadable(DomainError):
    """The file cannot be read as a resolution document; the message is one line."""

    code = "document_unreadable"
