"""Notification channels: one delivery attempt per call, never a retry loop.

The durable outbox (elsewhere) owns retries and back-off; a channel only says whether an
attempt failed for now (`DeliveryError.temporary`) or for good. Every message carries an
idempotency key so that a receiver can drop the duplicates that at-least-once delivery
brings after a crash between "sent" and "recorded as sent".
"""

from __future__ import annotations

from adapters.notifications.factory import channels_from
from adapters.notifications.message import Channel, DeliveryError, OutgoingMessage
from adapters.notifications.settings import NotifySettings, SmtpSettings, WebhookSettings
from adapters.notifications.templates import render_digest, render_digest_html

__all__ = [
    "Channel",
    "DeliveryError",
    "NotifySettings",
    "OutgoingMessage",
    "SmtpSettings",
    "WebhookSettings",
    "channels_from",
    "render_digest",
    "render_digest_html",
]
