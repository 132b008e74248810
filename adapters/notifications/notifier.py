"""The core's Notifier port over the configured channels."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.notifications.message import Channel, DeliveryError, OutgoingMessage
from workflow.digests import Message
from workflow.service.ticks import DeliveryFailed


class ChannelNotifier:
    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self.channels = dict(channels)

    @property
    def names(self) -> list[str]:
        return sorted(self.channels)

    def send(self, message: Message) -> None:
        channel = self.channels.get(message.channel)
        if channel is None:
            # configured when the message was composed, gone now: keep it for later
            raise DeliveryFailed(f"channel {message.channel!r} is not configured", True)
        try:
            channel.send(
                OutgoingMessage(
                    key=message.key,
                    channel=message.channel,
                    address=message.address,
                    recipient_role=message.recipient_role,
                    lang=message.lang,
                    subject=message.subject,
                    body=message.body,
                    data=message.data,
                )
            )
        except DeliveryError as error:
            raise DeliveryFailed(str(error), error.temporary, error.retry_after) from None
