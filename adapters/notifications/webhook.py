"""Signed JSON POSTs to one configured URL, per Standard Webhooks (standardwebhooks.com).

The receiver can trust a request without trusting the network: `webhook-signature` is
`v1,<base64 HMAC-SHA256>` over `"{webhook-id}.{webhook-timestamp}." + body`, so the id
(the message's idempotency key) and the timestamp are signed with the body; the
timestamp bounds how long a captured request could be replayed, and the id lets the
receiver drop the duplicates that retries after a lost answer bring (also sent as
`Idempotency-Key`). The key is the secret's UTF-8 bytes, or for a `whsec_` secret its
base64-decoded rest, as the spec's libraries take it: `Webhook(secret.encode())` or
`Webhook("whsec_...")` verifies. The clock is injected (`now`), never read here directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.notifications.message import DeliveryError, OutgoingMessage
from adapters.notifications.settings import WebhookSettings, masked_url

ID_HEADER = "webhook-id"
SIGNATURE_HEADER = "webhook-signature"
TIMESTAMP_HEADER = "webhook-timestamp"
KEY_HEADER = "Idempotency-Key"
SECRET_PREFIX = "whsec_"
#: statuses worth another attempt: request timeout, too many requests, server errors
_TEMPORARY = frozenset({408, 429})
_DIGITS = re.compile(r"[0-9]{1,15}")


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: a `whsec_<base64>` secret decoded, any other as UTF-8."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :] + "==", validate=False)
        except ValueError:
            pass  # not base64 after all: its text is the key
    return secret.encode("utf-8")


def sign(secret: str, message_id: str, timestamp: int | str, body: bytes) -> str:
    """`v1,<base64>`: HMAC-SHA256 over `f"{message_id}.{timestamp}."` and the body."""
    mac = hmac.new(signing_key(secret), f"{message_id}.{timestamp}.".encode(), hashlib.sha256)
    mac.update(body)
    return "v1," + base64.b64encode(mac.digest()).decode("ascii")


def verify(
    secret: str,
    message_id: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    tolerance_s: float = 300,
    now: Callable[[], float] = time.time,
) -> bool:
    """Whether one of the space-separated `signature`s signs this id, timestamp and body,
    and the timestamp is fresh.

    `timestamp` is the header's text as received (or an int); only plain digits count.
    Each comparison takes the same time however many leading characters match.
    """
    text = str(timestamp)
    if not _DIGITS.fullmatch(text):
        return False
    if abs(now() - int(text)) > tolerance_s:
        return False
    expected = sign(secret, message_id, text, body).encode("ascii")
    found = False
    for candidate in signature.split(" "):
        found |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    return found


def encode_payload(message: OutgoingMessage) -> bytes:
    """The request body: compact UTF-8 JSON, Vietnamese kept as is (not \\u escapes)."""
    payload: dict[str, Any] = {
        "key": message.key,
        "recipient_role": message.recipient_role,
        "address": message.address,
        "lang": message.lang,
        "subject": message.subject,
        "body": message.body,
        "data": message.data,
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        settings: WebhookSettings,
        client: httpx.Client | None = None,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._now = now
        self._owns_client = client is None
        # A redirect is not followed: a POST must not land somewhere the settings never
        # named. Proxy variables (HTTPS_PROXY, NO_PROXY) are honoured, as site networks need.
        self._client = (
            client
            if client is not None
            else httpx.Client(timeout=settings.timeout, follow_redirects=False)
        )

    def close(self) -> None:
        """Close the HTTP client if this channel made it."""
        if self._owns_client:
            self._client.close()

    def send(self, message: OutgoingMessage) -> None:
        try:
            body = encode_payload(message)
        except (TypeError, ValueError) as error:
            raise DeliveryError(f"data is not JSON-serialisable: {error}", False) from None
        timestamp = int(self._now())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "bontot-notifier/1",
            KEY_HEADER: message.key,
            ID_HEADER: message.key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._settings.secret, message.key, timestamp, body),
        }
        target = masked_url(self._settings.url)
        try:
            response = self._client.post(
                self._settings.url, content=body, headers=headers, timeout=self._settings.timeout
            )
        except httpx.TimeoutException as error:
            detail = f"POST {target}: timed out ({type(error).__name__})"
            raise DeliveryError(detail, True) from None
        except httpx.TransportError as error:
            # connection refused or reset, DNS, TLS, a broken answer: the network's fault
            raise DeliveryError(f"POST {target}: {type(error).__name__}: {error}", True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"POST {target}: HTTP {status} {_excerpt(response)}".rstrip()
        if status in _TEMPORARY or 500 <= status < 600:
            raise DeliveryError(detail, True, retry_after=self._retry_after(response))
        if 300 <= status < 400:
            detail += f" (redirect to {response.headers.get('location', '?')}; set the final URL)"
        raise DeliveryError(detail, False)

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - self._now())
        except (TypeError, ValueError):
            return None


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    try:
        text = " ".join(response.text.split())
    except (UnicodeDecodeError, LookupError):
        return ""
    return text if len(text) <= limit else text[:limit] + "…"
