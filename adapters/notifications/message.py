"""What a channel is given, what it may raise, and the one method it must have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    #: idempotency key, unique per message; sent as a header so that receivers dedup on it
    key: str
    #: "log" | "email" | "webhook"
    channel: str
    #: the e-mail address for "email"; "" for "webhook" (the URL comes from settings)
    address: str
    #: e.g. "superior_org_board"
    recipient_role: str
    #: "vi" | "en"
    lang: str
    subject: str
    #: plain text, already rendered
    body: str
    #: the structured content (JSON-serialisable), the webhook's JSON body under "data"
    data: dict[str, Any]

    def __post_init__(self) -> None:
        # The key travels in an HTTP header and an e-mail header: printable ASCII keeps it
        # byte-for-byte the same at every receiver (no encoded-words, no header injection).
        key = self.key
        if not key or key != key.strip() or not all(" " <= c <= "~" for c in key):
            raise ValueError(
                f"idempotency key {key!r} must be non-empty printable ASCII "
                "without leading or trailing spaces"
            )


class DeliveryError(Exception):
    """One attempt failed. `temporary`: try again later; otherwise never retry this message.

    `retry_after` (seconds) is the receiver's own hint (HTTP Retry-After), if it gave one.
    """

    def __init__(self, detail: str, temporary: bool, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.temporary = temporary
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return not self.temporary

    def __repr__(self) -> str:
        return f"DeliveryError({self.detail!r}, temporary={self.temporary})"


class Channel(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> None:
        """One attempt; raises DeliveryError on failure. No sleeping or retrying inside."""
        ...
