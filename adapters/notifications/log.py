"""The channel that always works: a structured log line per notification.

It is what a unit with no mail relay or webhook still gets, and the audit of what the
other channels were asked to send. The body is left out: it can be long and it is
rebuilt from the same data on demand.
"""

from __future__ import annotations

from typing import Any, Protocol

from adapters import logs
from adapters.notifications.message import OutgoingMessage


class EventLogger(Protocol):
    def info(self, event: str, *args: Any, **kw: Any) -> Any: ...


class LogChannel:
    name = "log"

    def __init__(self, logger: EventLogger | None = None) -> None:
        self._log: EventLogger = logger if logger is not None else logs.logger()

    def send(self, message: OutgoingMessage) -> None:
        self._log.info(
            "notification.sent",
            channel=self.name,
            key=message.key,
            role=message.recipient_role,
            address=message.address,
            subject=message.subject,
        )
