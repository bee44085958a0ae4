"""Mail delivery of the notifications outbox: the dispatcher (``python -m delivery``) and the
dev stack's local SMTP sink (``python -m devstack.mail_sink``)."""

from delivery.dispatcher import (
    DeliveryPolicy,
    Dispatcher,
    DispatchSummary,
    SendFailure,
    SmtpServer,
)

__all__ = ["DeliveryPolicy", "DispatchSummary", "Dispatcher", "SendFailure", "SmtpServer"]
