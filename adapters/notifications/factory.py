"""The channels a deployment has: the log always, e-mail and webhook when configured."""

from __future__ import annotations

import time
from collections.abc import Callable

from adapters.notifications.email import SmtpChannel
from adapters.notifications.log import EventLogger, LogChannel
from adapters.notifications.message import Channel
from adapters.notifications.settings import NotifySettings
from adapters.notifications.webhook import WebhookChannel


def channels_from(
    settings: NotifySettings,
    logger: EventLogger | None = None,
    *,
    now: Callable[[], float] = time.time,
) -> dict[str, Channel]:
    """Channels by name ("log", "email", "webhook"), the name an OutgoingMessage gives."""
    channels: dict[str, Channel] = {"log": LogChannel(logger)}
    if settings.smtp is not None:
        channels["email"] = SmtpChannel(settings.smtp, now=now)
    if settings.webhook is not None:
        channels["webhook"] = WebhookChannel(settings.webhook, now=now)
    return channels
