"""E-mail through an SMTP relay, one connection per attempt.

A fresh connection per message costs a handshake, but notifications are few (a digest
per recipient per day) and it leaves no half-dead pooled connection to detect: the
attempt either reaches "250 queued" or says why not. The reply codes decide whether the
outbox may try again: 4xx and network trouble are temporary, 5xx are for good.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import time
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from adapters.notifications.message import DeliveryError, OutgoingMessage
from adapters.notifications.settings import SmtpSettings
from adapters.notifications.templates import render_digest_html

#: characters kept as they are in a Message-ID made from a key; the rest become =XX
_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def message_id(key: str) -> str:
    """`<key@bontot>`, with characters a Message-ID may not hold written as =XX.

    Injective (the `=` itself is escaped), so two keys never share a Message-ID, and the
    same key always gives the same one: a resent message is a duplicate to mail clients.
    """
    local = "".join(c if c in _ID_SAFE else f"={ord(c):02X}" for c in key)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        local = local.replace(".", "=2E")
    return f"<{local}@bontot>"


def build_email(
    message: OutgoingMessage, sender: str, now: Callable[[], float] = time.time
) -> EmailMessage:
    """The MIME message: UTF-8 text, the key in `Message-ID` and `X-Bontot-Key`."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.address
    mail["Subject"] = " ".join(message.subject.split())  # one line, whatever the template
    mail["Date"] = formatdate(now(), localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(message.key)
    mail["X-Bontot-Key"] = message.key
    mail["X-Bontot-Role"] = message.recipient_role
    mail["Content-Language"] = message.lang
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    mail["Auto-Submitted"] = "auto-generated"
    # base64: 7-bit safe through any relay, and smaller than quoted-printable for
    # Vietnamese, where most words carry a diacritic.
    mail.set_content(message.body, charset="utf-8", cte="base64")
    html = _html(message)
    if html:
        mail.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return mail


def _html(message: OutgoingMessage) -> str:
    """The digest as HTML, from the structured content the message carries; "" for a
    message without it (one composed before digests had an HTML part)."""
    data = message.data
    if not isinstance(data.get("items"), list) or "sent_at" not in data:
        return ""
    context = {
        "recipient": data.get("recipient", {}),
        "sent_at": data["sent_at"],
        "calendar": data.get("calendar"),
        "items": [i for i in data["items"] if not i.get("collapsed")],
    }
    try:
        return render_digest_html(message.lang, context)
    except ValueError:
        return ""  # the text part still says everything


class SmtpChannel:
    name = "email"

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._now = now
        self._ssl_context = ssl_context
        if ssl_context is None and settings.security != "none":
            self._ssl_context = ssl.create_default_context(cafile=settings.ca_file)

    def send(self, message: OutgoingMessage) -> None:
        try:
            recipient = Address(addr_spec=message.address)
        except (ValueError, IndexError) as error:  # the parser raises both
            raise DeliveryError(f"bad e-mail address {message.address!r}: {error}", False) from None
        if not recipient.domain:
            raise DeliveryError(f"bad e-mail address {message.address!r}: no domain", False)
        try:
            mail = build_email(message, self._settings.sender, self._now)
        except (ValueError, TypeError) as error:
            raise DeliveryError(f"cannot build the e-mail: {error}", False) from None
        try:
            smtp = self._connect()
        except Exception as error:
            raise _classify(error, "connect") from error
        try:
            self._deliver(smtp, mail, message.address)
        except DeliveryError:
            raise
        except Exception as error:
            raise _classify(error, "send") from error
        finally:
            _close(smtp)

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._ssl_context)
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)

    def _deliver(self, smtp: smtplib.SMTP, mail: EmailMessage, address: str) -> None:
        s = self._settings
        smtp.ehlo()
        if s.security == "starttls":
            # Raises SMTPNotSupportedError when the server does not offer STARTTLS: we never
            # fall back to plain text with credentials and names in it.
            smtp.starttls(context=self._ssl_context)
            smtp.ehlo()
        if s.username is not None and s.password is not None:
            _login(smtp, s.username, s.password)
        refused = smtp.send_message(mail, to_addrs=[address])
        if refused:  # only when some of several recipients were refused; kept for safety
            code, reply = next(iter(refused.values()))
            raise DeliveryError(_reply("recipient refused", code, reply), 400 <= code < 500)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login, or for a non-ASCII user or password (which smtplib cannot encode)
    AUTH PLAIN or LOGIN with UTF-8 credentials, as RFC 4616 has it."""
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    mechanisms = smtp.esmtp_features["auth"].upper().split()
    if "PLAIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "PLAIN " + _b64(f"\0{user}\0{password}"))
    elif "LOGIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, reply = smtp.docmd(_b64(password))
    else:
        raise smtplib.SMTPNotSupportedError(
            "a non-ASCII user or password needs AUTH PLAIN or LOGIN, which the server lacks"
        )
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _close(smtp: smtplib.SMTP) -> None:
    # After "250 queued" the message is delivered whatever QUIT answers; an error here
    # must not turn a delivered message into a retried (duplicated) one.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reply(what: str, code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{what}: {code} {text}".strip()


def _classify(error: Exception, stage: str) -> DeliveryError:
    """Temporary: network trouble, TLS trouble, 4xx. Permanent: 5xx, a missing extension."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()), (550, b"refused"))
        return DeliveryError(_reply("recipient refused", code, reply), 400 <= code < 500)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            _reply("login refused", error.smtp_code, error.smtp_error),
            400 <= error.smtp_code < 500,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        # SMTPSenderRefused, SMTPDataError, SMTPConnectError, SMTPHeloError, ...
        what = type(error).__name__.removeprefix("SMTP")
        return DeliveryError(
            _reply(f"{stage}: {what}", error.smtp_code, error.smtp_error),
            not 500 <= error.smtp_code < 600,
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        # STARTTLS or AUTH not offered: the relay or our settings must change first.
        return DeliveryError(f"{stage}: server lacks a needed extension: {error}", False)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"{stage}: server disconnected: {error}", True)
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        # A certificate may be renewed or fixed on the server side: worth another try.
        return DeliveryError(f"{stage}: TLS failed: {error}", True)
    if isinstance(error, OSError):  # refused, reset, unreachable, DNS, timeouts
        return DeliveryError(f"{stage}: {type(error).__name__}: {error}", True)
    if isinstance(error, smtplib.SMTPException):
        return DeliveryError(f"{stage}: {type(error).__name__}: {error}", True)
    return DeliveryError(f"{stage}: unexpected {type(error).__name__}: {error}", False)
