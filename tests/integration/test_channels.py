"""The notification channels against real servers on 127.0.0.1: an aiosmtpd SMTP server
(plain, STARTTLS, implicit TLS, AUTH) and an HTTP endpoint that checks the signature.
Also the settings loader and the message templates."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from adapters.notifications import (
    DeliveryError,
    NotifySettings,
    OutgoingMessage,
    SmtpSettings,
    WebhookSettings,
    channels_from,
    render_digest,
    render_digest_html,
)
from adapters.notifications.email import SmtpChannel, message_id
from adapters.notifications.log import LogChannel
from adapters.notifications.templates import offset_text
from adapters.notifications.webhook import WebhookChannel, sign, verify
from tests.support.receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    HttpReceiver,
    ReceiverProcess,
    SmtpReceiver,
    read_deliveries,
    read_keys,
)

#: 05/01/2026 08:00 in Vietnam: the injected clock of every channel here
NOW = 1_767_574_800.0


def clock() -> float:
    return NOW


def message(
    key: str = "a1b2c3:email",
    channel: str = "email",
    address: str = "btc.x01@example.vn",
    subject: str = "[Bốn tốt] Nhắc hạn: Đề nghị công nhận 31/12/2025 — Chi bộ thôn 1",
    body: str = "Kính gửi: Ban Tổ chức cấp ủy cấp trên\n\nChi bộ thôn 1 cần đề nghị công nhận.\n",
    data: dict[str, Any] | None = None,
) -> OutgoingMessage:
    return OutgoingMessage(
        key=key,
        channel=channel,
        address=address,
        recipient_role="superior_org_board",
        lang="vi",
        subject=subject,
        body=body,
        data={"items": [{"unit_code": "CB-01", "unit_name": "Chi bộ thôn 1"}]}
        if data is None
        else data,
    )


def closed_port() -> int:
    """A port that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- e-mail ------------------------------------------------------------------------------


def test_email_plain_arrives_with_its_key_in_the_headers() -> None:
    with SmtpReceiver() as rx:
        SmtpChannel(rx.settings(), now=clock).send(message(key="a1b2c3:email"))
        [mail] = rx.received
    assert mail.status == 250
    assert mail.rcpt_tos == ("btc.x01@example.vn",)
    assert mail.mail_from == "bontot@test.invalid"
    assert mail.key == "a1b2c3:email"
    assert mail.message_id == "<a1b2c3=3Aemail@bontot>"
    assert mail.message["To"] == "btc.x01@example.vn"
    assert mail.message["Date"].datetime.timestamp() == NOW  # from the injected clock
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message["X-Bontot-Role"] == "superior_org_board"
    assert not mail.tls and mail.login is None
    assert rx.delivered_keys == ["a1b2c3:email"]


def test_message_id_is_the_key_when_it_can_be_and_never_shared() -> None:
    assert message_id("k-2025.propose_r1") == "<k-2025.propose_r1@bontot>"
    # escaped, and injective: "a:b" and "a=3Ab" must not collide
    assert message_id("a:b") == "<a=3Ab@bontot>"
    assert message_id("a=3Ab") == "<a=3D3Ab@bontot>"
    assert message_id("a b") != message_id("a_b")
    assert message_id(".x") == "<=2Ex@bontot>"


def test_email_vietnamese_subject_and_body_survive_the_round_trip() -> None:
    subject, body = render_digest("vi", context([reminder()]))
    with SmtpReceiver() as rx:
        SmtpChannel(rx.settings(), now=clock).send(message(subject=subject, body=body))
        [mail] = rx.received
    assert subject == "[Bốn tốt] Nhắc hạn: Đề nghị công nhận 31/12/2025 — Chi bộ thôn 1"
    assert mail.subject == subject
    assert mail.body == body
    assert "Kính gửi: Ban Tổ chức cấp ủy cấp trên" in mail.body
    assert mail.raw.isascii()  # 7-bit on the wire: any relay passes it unchanged
    assert mail.message.get_content_charset() == "utf-8"


def test_email_digest_carries_an_html_part_beside_the_text() -> None:
    view = {**context(digest_items()), "calendar": {"country": "VN"}}
    subject, body = render_digest("vi", view)
    data = {"recipient": view["recipient"], "items": view["items"], "sent_at": view["sent_at"],
            "calendar": view["calendar"]}
    with SmtpReceiver() as rx:
        SmtpChannel(rx.settings(), now=clock).send(message(subject=subject, body=body,
                                                           data=data))
        [mail] = rx.received
    assert mail.body == body
    assert mail.message.get_content_type() == "multipart/alternative"
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None
    content = str(html.get_content())
    assert "<h3" in content and "đã quá 2 ngày làm việc" in content
    assert "Chi bộ thôn 12" in content
    assert mail.raw.isascii()


def test_email_over_starttls_with_login() -> None:
    with SmtpReceiver(tls="starttls", auth=(SMTP_USER, SMTP_PASSWORD)) as rx:
        settings = rx.settings()
        assert settings.security == "starttls" and settings.ca_file
        SmtpChannel(settings, now=clock).send(message(key="tls-1"))
        [mail] = rx.received
        attempts = list(rx.auth_attempts)
    assert mail.tls
    assert mail.login == SMTP_USER
    assert attempts == [(SMTP_USER, True)]
    assert mail.key == "tls-1"


def test_email_over_implicit_tls_with_an_injected_context() -> None:
    with SmtpReceiver(tls="ssl", auth=(SMTP_USER, SMTP_PASSWORD)) as rx:
        channel = SmtpChannel(rx.settings(ca_file=None), ssl_context=rx.client_context())
        channel.send(message(key="ssl-1"))
        assert rx.delivered_keys == ["ssl-1"]
        assert rx.received[0].tls


def test_email_refused_login_is_permanent_and_nothing_is_sent() -> None:
    with SmtpReceiver(tls="starttls", auth=(SMTP_USER, SMTP_PASSWORD)) as rx:
        channel = SmtpChannel(rx.settings(password="sai mật khẩu"))
        with pytest.raises(DeliveryError) as caught:
            channel.send(message())
        assert rx.count == 0
        assert rx.auth_attempts == [(SMTP_USER, False)]
    assert not caught.value.temporary
    assert "535" in caught.value.detail
    assert "sai mật khẩu" not in caught.value.detail


def test_email_without_login_where_the_server_requires_it_is_permanent() -> None:
    with SmtpReceiver(auth=(SMTP_USER, SMTP_PASSWORD)) as rx:
        with pytest.raises(DeliveryError) as caught:
            SmtpChannel(rx.settings(username=None, password=None)).send(message())
        assert rx.count == 0
    assert caught.value.permanent and "530" in caught.value.detail


def test_email_server_down_is_temporary() -> None:
    with SmtpReceiver() as rx:
        settings = rx.settings()
    # the receiver has stopped: its port refuses connections now
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(settings).send(message())
    assert caught.value.temporary
    assert "Connection" in caught.value.detail or "refused" in caught.value.detail


def test_email_server_that_never_answers_is_temporary() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        settings = SmtpSettings(
            host="127.0.0.1", port=port, sender="a@b.vn", security="none", timeout=0.3
        )
        with pytest.raises(DeliveryError) as caught:
            SmtpChannel(settings).send(message())
    assert caught.value.temporary and "timed out" in caught.value.detail


def test_email_refused_recipient_is_permanent_a_busy_mailbox_temporary() -> None:
    replies = {"nobody@example.vn": "550 5.1.1 No such user", "busy@example.vn": "450 4.2.1 Busy"}
    with SmtpReceiver(rcpt_replies=replies) as rx:
        channel = SmtpChannel(rx.settings())
        with pytest.raises(DeliveryError) as gone:
            channel.send(message(address="nobody@example.vn"))
        with pytest.raises(DeliveryError) as busy:
            channel.send(message(address="busy@example.vn"))
        assert rx.count == 0
    assert gone.value.permanent and "550" in gone.value.detail
    assert busy.value.temporary and "450" in busy.value.detail


def test_email_451_at_data_is_temporary_and_the_next_attempt_delivers() -> None:
    with SmtpReceiver(fail_first=1) as rx:
        channel = SmtpChannel(rx.settings())
        with pytest.raises(DeliveryError) as caught:
            channel.send(message(key="k-451"))
        channel.send(message(key="k-451"))
        assert [r.status for r in rx.received] == [451, 250]
        assert rx.keys == ["k-451", "k-451"]
        assert rx.unique_keys == {"k-451"}
    assert caught.value.temporary


def test_email_starttls_asked_of_a_server_without_it_is_permanent() -> None:
    with SmtpReceiver() as rx:
        with pytest.raises(DeliveryError) as caught:
            SmtpChannel(rx.settings(security="starttls")).send(message())
        assert rx.count == 0  # never fell back to plain text
    assert caught.value.permanent and "STARTTLS" in caught.value.detail


def test_email_untrusted_certificate_is_refused_as_temporary() -> None:
    with SmtpReceiver(tls="starttls") as rx:
        with pytest.raises(DeliveryError) as caught:
            SmtpChannel(rx.settings(ca_file=None)).send(message())  # system CAs only
        assert rx.count == 0
    assert caught.value.temporary and "TLS" in caught.value.detail


def test_email_bad_address_is_permanent_without_connecting() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=closed_port(), sender="a@b.vn", security="none")
    with pytest.raises(DeliveryError) as caught:
        SmtpChannel(settings).send(message(address="khong-phai-dia-chi"))
    assert caught.value.permanent and "address" in caught.value.detail


def test_smtp_receiver_writes_a_keys_file(tmp_path: Path) -> None:
    keys = tmp_path / "smtp-keys.txt"
    with SmtpReceiver(fail_first=1, keys_file=keys) as rx:
        channel = SmtpChannel(rx.settings())
        with pytest.raises(DeliveryError):
            channel.send(message(key="f-1"))
        channel.send(message(key="f-1"))
        channel.send(message(key="f-2"))
    assert read_deliveries(keys) == [("f-1", 451), ("f-1", 250), ("f-2", 250)]
    assert read_keys(keys) == ["f-1", "f-2"]


# -- webhook -----------------------------------------------------------------------------


def test_webhook_delivers_signed_compact_utf8_json() -> None:
    with HttpReceiver(now=clock) as rx:
        WebhookChannel(rx.settings(), now=clock).send(message(key="w-1", channel="webhook"))
        [request] = rx.requests
    assert request.status == 200 and request.method == "POST"
    assert request.signature_ok is True
    assert request.key == "w-1"
    assert request.headers["webhook-id"] == "w-1"
    assert request.headers["webhook-timestamp"] == str(int(NOW))
    assert request.headers["webhook-signature"] == sign(rx.secret, "w-1", int(NOW), request.body)
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == {
        "key": "w-1",
        "recipient_role": "superior_org_board",
        "address": "btc.x01@example.vn",
        "lang": "vi",
        "subject": "[Bốn tốt] Nhắc hạn: Đề nghị công nhận 31/12/2025 — Chi bộ thôn 1",
        "body": message().body,
        "data": {"items": [{"unit_code": "CB-01", "unit_name": "Chi bộ thôn 1"}]},
    }
    assert "Bốn tốt".encode() in request.body  # UTF-8 as is, no \\u escapes
    assert b'","' in request.body and b'": ' not in request.body  # compact separators
    assert rx.delivered_keys == ["w-1"]


def test_signature_fails_for_a_tampered_body_a_wrong_secret_or_a_stale_timestamp() -> None:
    with HttpReceiver(now=clock) as rx:
        WebhookChannel(rx.settings(), now=clock).send(message(channel="webhook"))
        [request] = rx.requests
    ts, sig = request.headers["webhook-timestamp"], request.headers["webhook-signature"]
    key, body = request.headers["webhook-id"], request.body
    assert verify(rx.secret, key, ts, body, sig, now=clock)
    tampered = body.replace("Chi bộ thôn 1".encode(), "Chi bộ thôn 2".encode())
    assert tampered != body
    assert not verify(rx.secret, key, ts, tampered, sig, now=clock)
    assert not verify("another secret", key, ts, body, sig, now=clock)
    assert not verify(rx.secret, key, str(int(ts) + 1), body, sig, now=clock)
    assert not verify(rx.secret, key + "x", ts, body, sig, now=clock)  # the id is signed
    assert not verify(rx.secret, key, ts, body, sig, now=lambda: NOW + 301)
    assert not verify(rx.secret, key, ts, body, sig, now=lambda: NOW - 301)
    assert verify(rx.secret, key, ts, body, sig, now=lambda: NOW + 299)
    assert not verify(rx.secret, key, " " + ts, body, sig, now=clock)
    assert not verify(rx.secret, key, ts, body, sig.upper(), now=clock)
    assert verify(rx.secret, key, ts, body, f"v1,bm90IGl0 {sig}", now=clock)  # key rotation


def test_an_off_the_shelf_standard_webhooks_library_verifies_the_request() -> None:
    """The receiver an integrator would write: the `standardwebhooks` package, which
    knows nothing of bontot, checks id, timestamp and body together."""
    standardwebhooks = pytest.importorskip("standardwebhooks")
    now = time.time()
    with HttpReceiver(now=lambda: now) as rx:
        WebhookChannel(rx.settings(), now=lambda: now).send(message(key="w-9", channel="webhook"))
        [request] = rx.requests
    hook = standardwebhooks.Webhook(rx.secret.encode("utf-8"))
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    headers = {name: request.headers[name] for name in names}
    assert hook.verify(request.body, headers)["key"] == "w-9"
    forged = {**headers, "webhook-id": "w-10"}  # a replay under another idempotency key
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        hook.verify(request.body, forged)


def test_webhook_receiver_flags_a_request_signed_with_another_secret() -> None:
    with HttpReceiver(now=clock, reject_bad_signature=True) as rx:
        channel = WebhookChannel(WebhookSettings(url=rx.url, secret="not the secret"), now=clock)
        with pytest.raises(DeliveryError) as caught:
            channel.send(message(channel="webhook"))
        [request] = rx.requests
    assert request.signature_ok is False and request.status == 401
    assert caught.value.permanent and "401" in caught.value.detail


def test_webhook_fails_twice_then_succeeds_with_one_idempotency_key() -> None:
    with HttpReceiver(fail_first=2, now=clock) as rx:
        channel = WebhookChannel(rx.settings(), now=clock)
        outcomes = []
        for _ in range(3):
            try:
                channel.send(message(key="retry-1", channel="webhook"))
                outcomes.append("delivered")
            except DeliveryError as error:
                outcomes.append("temporary" if error.temporary else "permanent")
        assert outcomes == ["temporary", "temporary", "delivered"]
        assert rx.keys == ["retry-1", "retry-1", "retry-1"]
        assert [r.status for r in rx.requests] == [503, 503, 200]
        assert rx.delivered_keys == ["retry-1"]
        assert rx.unique_keys == {"retry-1"}
        assert all(r.signature_ok for r in rx.requests)


def test_webhook_404_is_permanent() -> None:
    with HttpReceiver(status_for_key={"gone": 404}) as rx:
        channel = WebhookChannel(rx.settings())
        with pytest.raises(DeliveryError) as caught:
            channel.send(message(key="gone", channel="webhook"))
        channel.send(message(key="fine", channel="webhook"))
        assert [r.status for r in rx.requests] == [404, 200]
    assert caught.value.permanent and "404" in caught.value.detail


@pytest.mark.parametrize(
    ("status", "temporary"),
    [(408, True), (429, True), (500, True), (502, True), (400, False), (302, False)],
)
def test_webhook_status_decides_whether_to_retry(status: int, temporary: bool) -> None:
    with HttpReceiver(always=status) as rx:
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(rx.settings()).send(message(channel="webhook"))
        assert rx.count == 1
    assert caught.value.temporary is temporary
    assert str(status) in caught.value.detail


def test_webhook_passes_on_retry_after() -> None:
    with HttpReceiver(fail_first=1, fail_status=429, retry_after="7") as rx:
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(rx.settings()).send(message(channel="webhook"))
        assert rx.count == 1
    assert caught.value.temporary and caught.value.retry_after == 7.0


def test_webhook_server_down_or_too_slow_is_temporary() -> None:
    down = WebhookSettings(url=f"http://127.0.0.1:{closed_port()}/hook", secret="s")
    with pytest.raises(DeliveryError) as refused:
        WebhookChannel(down).send(message(channel="webhook"))
    assert refused.value.temporary
    with HttpReceiver(delay_s=1.0) as rx:
        with pytest.raises(DeliveryError) as slow:
            WebhookChannel(rx.settings(timeout=0.2)).send(message(channel="webhook"))
        rx.wait_for(1)  # it did arrive: the sender may not know, hence idempotency keys
    assert slow.value.temporary and "timed out" in slow.value.detail


def test_webhook_data_that_is_not_json_is_permanent_and_never_sent() -> None:
    with HttpReceiver() as rx:
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(rx.settings()).send(message(channel="webhook", data={"x": {1, 2}}))
        assert rx.count == 0
    assert caught.value.permanent


def test_webhook_uses_a_given_client_and_leaves_it_open() -> None:
    with HttpReceiver() as rx, httpx.Client() as client:
        channel = WebhookChannel(rx.settings(), client)
        channel.send(message(key="c-1", channel="webhook"))
        channel.close()
        assert not client.is_closed
        assert rx.delivered_keys == ["c-1"]


def test_receiver_in_its_own_process_counts_into_a_file(tmp_path: Path) -> None:
    with ReceiverProcess("http", tmp_path, fail_first=1) as rp:
        channel = WebhookChannel(WebhookSettings(url=rp.url, secret=rp.secret))
        with pytest.raises(DeliveryError):
            channel.send(message(key="p-1", channel="webhook"))
        channel.send(message(key="p-1", channel="webhook"))
        channel.send(message(key="p-2", channel="webhook"))
        assert rp.env["BONTOT_WEBHOOK_URL"] == rp.url
    assert read_deliveries(rp.keys_file) == [("p-1", 503), ("p-1", 200), ("p-2", 200)]
    assert read_keys(rp.keys_file) == ["p-1", "p-2"]
    assert read_keys(rp.keys_file, delivered_only=False) == ["p-1", "p-1", "p-2"]
    assert rp.process is not None and rp.process.returncode is not None


def test_smtp_receiver_in_its_own_process(tmp_path: Path) -> None:
    with ReceiverProcess("smtp", tmp_path) as rp:
        settings = NotifySettings.load(rp.env).smtp
        assert settings is not None
        SmtpChannel(settings).send(message(key="m-1"))
    assert read_keys(rp.keys_file) == ["m-1"]


def test_an_idempotency_key_must_be_plain_ascii() -> None:
    for bad in ["", " k", "khóa", "a\nb"]:
        with pytest.raises(ValueError, match="idempotency key"):
            message(key=bad)


# -- the log channel and the factory -----------------------------------------------------


def test_log_channel_emits_one_structured_event() -> None:
    with structlog.testing.capture_logs() as logs:
        LogChannel().send(message(key="l-1", channel="log"))
    assert logs == [
        {
            "event": "notification.sent",
            "log_level": "info",
            "channel": "log",
            "key": "l-1",
            "role": "superior_org_board",
            "address": "btc.x01@example.vn",
            "subject": message().subject,
        }
    ]


def test_channels_from_settings() -> None:
    assert set(channels_from(NotifySettings())) == {"log"}
    smtp = SmtpSettings(host="mail.example.vn", port=587, sender="a@example.vn")
    hook = WebhookSettings(url="https://hooks.example.vn/bontot", secret="s")
    channels = channels_from(NotifySettings(smtp=smtp, webhook=hook))
    assert {name: type(c).__name__ for name, c in channels.items()} == {
        "log": "LogChannel",
        "email": "SmtpChannel",
        "webhook": "WebhookChannel",
    }
    assert all(c.name == name for name, c in channels.items())


def test_channels_from_settings_send_for_real() -> None:
    with SmtpReceiver() as smtp_rx, HttpReceiver() as http_rx:
        settings = NotifySettings.load({**smtp_rx.env(), **http_rx.env()})
        channels = channels_from(settings)
        channels["email"].send(message(key="both-1"))
        channels["webhook"].send(message(key="both-1", channel="webhook"))
        assert smtp_rx.delivered_keys == ["both-1"]
        assert http_rx.delivered_keys == ["both-1"]
        assert http_rx.requests[0].signature_ok


# -- settings ----------------------------------------------------------------------------

FULL_ENV = {
    "BONTOT_SMTP_HOST": "mail.tinhuy.vn",
    "BONTOT_SMTP_PORT": "2525",
    "BONTOT_SMTP_SECURITY": "starttls",
    "BONTOT_SMTP_USER": "bontot",
    "BONTOT_SMTP_PASSWORD": "mk-smtp-bi-mat",
    "BONTOT_SMTP_FROM": "Hệ thống Bốn tốt <bontot@tinhuy.vn>",
    "BONTOT_WEBHOOK_URL": "https://hooks.tinhuy.vn/bontot",
    "BONTOT_WEBHOOK_SECRET": "webhook-bi-mat",
    "BONTOT_WEBHOOK_TIMEOUT": "2.5",
}


def test_settings_from_the_environment() -> None:
    settings = NotifySettings.load(FULL_ENV)
    assert settings.smtp == SmtpSettings(
        host="mail.tinhuy.vn",
        port=2525,
        sender="Hệ thống Bốn tốt <bontot@tinhuy.vn>",
        security="starttls",
        username="bontot",
        password="mk-smtp-bi-mat",
    )
    assert settings.webhook == WebhookSettings(
        url="https://hooks.tinhuy.vn/bontot", secret="webhook-bi-mat", timeout=2.5
    )


def test_settings_nothing_configured() -> None:
    assert NotifySettings.load({}) == NotifySettings(smtp=None, webhook=None)
    assert NotifySettings.load({"BONTOT_SMTP_HOST": "", "PATH": "/bin"}).smtp is None


def test_settings_default_port_follows_security() -> None:
    base = {"BONTOT_SMTP_HOST": "h", "BONTOT_SMTP_FROM": "a@b.vn"}
    ports = {
        sec: NotifySettings.load({**base, "BONTOT_SMTP_SECURITY": sec}).smtp
        for sec in ("starttls", "ssl", "none")
    }
    assert {sec: s.port for sec, s in ports.items() if s} == {
        "starttls": 587,
        "ssl": 465,
        "none": 25,
    }


def test_settings_never_show_secrets() -> None:
    settings = NotifySettings.load(
        {**FULL_ENV, "BONTOT_WEBHOOK_URL": "https://u:pw-in-url@hooks.tinhuy.vn/x?token=tk-123"}
    )
    for text in (repr(settings), str(settings), repr(settings.smtp), repr(settings.webhook)):
        for secret in ("mk-smtp-bi-mat", "webhook-bi-mat", "pw-in-url", "tk-123"):
            assert secret not in text
    assert "mail.tinhuy.vn" in repr(settings) and "***" in repr(settings)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bontot.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_settings_from_a_toml_file_and_the_environment_wins(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
[database]
url = "sqlite:///x.db"  # other sections belong to others

[smtp]
host = "mail.file.vn"
port = 465
security = "ssl"
user = "tu-file"
password = "mk-file"
from = "bontot@file.vn"
timeout = 12

[webhook]
url = "https://file.vn/hook"
secret = "bi-mat-file"
""",
    )
    from_file = NotifySettings.load({"BONTOT_CONFIG": config})
    assert from_file.smtp == SmtpSettings(
        host="mail.file.vn",
        port=465,
        sender="bontot@file.vn",
        security="ssl",
        username="tu-file",
        password="mk-file",
        timeout=12.0,
    )
    assert from_file.webhook == WebhookSettings(url="https://file.vn/hook", secret="bi-mat-file")
    env = {"BONTOT_CONFIG": config, "BONTOT_SMTP_PORT": "2465", "BONTOT_WEBHOOK_SECRET": "env"}
    mixed = NotifySettings.load(env)
    assert mixed.smtp is not None and mixed.smtp.port == 2465
    assert mixed.smtp.host == "mail.file.vn"
    assert mixed.webhook is not None and mixed.webhook.secret == "env"


@pytest.mark.parametrize(
    ("env", "message_part"),
    [
        ({"BONTOT_SMTP_PORT": "hai lăm"}, "BONTOT_SMTP_PORT: expected a whole number"),
        ({"BONTOT_SMTP_PORT": "70000"}, "BONTOT_SMTP_PORT: port 70000"),
        ({"BONTOT_SMTP_SECURITY": "tls"}, "BONTOT_SMTP_SECURITY: 'tls' is not one of"),
        ({"BONTOT_SMTP_PASSWORD": "x"}, "set BONTOT_SMTP_USER"),
        ({"BONTOT_SMTP_FROM": ""}, "BONTOT_SMTP_FROM"),
        ({"BONTOT_SMTP_FROM": "Bốn tốt"}, "BONTOT_SMTP_FROM: 'Bốn tốt' is not an e-mail"),
        ({"BONTOT_SMTP_TIMEOUT": "-1"}, "BONTOT_SMTP_TIMEOUT: timeout"),
        ({"BONTOT_WEBHOOK_URL": "https://h.vn/x"}, "BONTOT_WEBHOOK_SECRET is not"),
        ({"BONTOT_WEBHOOK_URL": "ftp://h.vn/x", "BONTOT_WEBHOOK_SECRET": "s"}, "http"),
        ({"BONTOT_WEBHOOK_SECRET": "s"}, "BONTOT_WEBHOOK_URL"),
        (
            {
                "BONTOT_WEBHOOK_URL": "https://h.vn",
                "BONTOT_WEBHOOK_SECRET": "s",
                "BONTOT_WEBHOOK_TIMEOUT": "soon",
            },
            "BONTOT_WEBHOOK_TIMEOUT: expected a number",
        ),
        ({"BONTOT_CONFIG": "/nonexistent/bontot.toml"}, "BONTOT_CONFIG=/nonexistent"),
    ],
)
def test_settings_errors_name_the_variable(env: dict[str, str], message_part: str) -> None:
    base = {"BONTOT_SMTP_HOST": "h", "BONTOT_SMTP_FROM": "a@b.vn"}
    if "BONTOT_WEBHOOK_URL" in env or "BONTOT_WEBHOOK_SECRET" in env:
        base = {}
    with pytest.raises(ValueError) as caught:
        NotifySettings.load({**base, **env})
    assert message_part in str(caught.value)


@pytest.mark.parametrize(
    ("toml", "message_part"),
    [
        ('[smtp]\nhost = "h"\nfrom = "a@b.vn"\nport = "x"\n', "[smtp] port: expected a whole"),
        ('[smtp]\nhost = "h"\nfrom = "a@b.vn"\nport = 25.5\n', "[smtp] port: expected a whole"),
        ('[smtp]\nhost = "h"\nfrom = "a@b.vn"\nsecurity = "tls"\n', "[smtp] security: 'tls'"),
        ('[smtp]\nhost = "h"\nfrom = "a@b.vn"\nsender = "x"\n', "[smtp] sender: unknown key"),
        ('[smtp]\nhost = 5\nfrom = "a@b.vn"\n', "[smtp] host: expected text"),
        ('[webhook]\nurl = "https://h.vn/x"\n', "[webhook] url is set but BONTOT_WEBHOOK_SECRET"),
        ("smtp = 3\n", "[smtp] must be a table"),
        ("[smtp\n", "not valid TOML"),
    ],
)
def test_settings_file_errors_name_file_and_key(
    tmp_path: Path, toml: str, message_part: str
) -> None:
    config = write(tmp_path, toml)
    with pytest.raises(ValueError) as caught:
        NotifySettings.load({"BONTOT_CONFIG": config})
    assert config in str(caught.value)
    assert message_part in str(caught.value)


# -- templates ---------------------------------------------------------------------------


def reminder(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "reminder",
        "unit_code": "CB-01",
        "unit_name": "Chi bộ thôn 1",
        "deadline": "propose",
        "deadline_label": "Đề nghị công nhận",
        "due": "31/12/2025",
        "state_label": "Đang thực hiện",
        "step": 2,
        "offset": "-5 working_days",
        "late": False,
        "moved": "",
    }
    item.update(changes)
    return item


def escalation(**changes: Any) -> dict[str, Any]:
    return reminder(kind="escalation", step=1, offset="1 working_day", **changes)


def context(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "recipient": {
            "role": "superior_org_board",
            "role_label": "Ban Tổ chức cấp ủy cấp trên",
            "address": "btc@x.vn",
            "unit_code": "X01",
            "unit_name": "Đảng bộ xã X",
        },
        "sent_at": "05/01/2026 08:00",
        "items": items,
    }


def test_template_single_reminder_in_vietnamese() -> None:
    subject, body = render_digest("vi", context([reminder()]))
    assert subject == "[Bốn tốt] Nhắc hạn: Đề nghị công nhận 31/12/2025 — Chi bộ thôn 1"
    assert body.startswith("Kính gửi: Ban Tổ chức cấp ủy cấp trên – Đảng bộ xã X\n\n")
    assert (
        "Nhắc hạn: Chi bộ thôn 1 (CB-01) cần hoàn thành bước “Đề nghị công nhận” "
        "chậm nhất ngày 31/12/2025." in body
    )
    assert "Lần nhắc thứ 2: 5 ngày làm việc trước hạn." in body
    assert "Trạng thái hiện tại: Đang thực hiện." in body
    assert "05/01/2026 08:00" in body
    assert "nhắc muộn" not in subject + body
    assert "dời" not in body
    assert "\n\n\n" not in body and body.endswith(".\n")


def test_template_single_escalation_moved_by_a_holiday() -> None:
    subject, body = render_digest("vi", context([escalation(moved="Tết Nguyên Đán")]))
    assert subject == "[Bốn tốt] Cảnh báo quá hạn: Đề nghị công nhận 31/12/2025 — Chi bộ thôn 1"
    assert "chưa hoàn thành bước “Đề nghị công nhận”, hạn ngày 31/12/2025 đã qua." in body
    assert "Cảnh báo lần 1: 1 ngày làm việc sau hạn." in body
    assert "Hạn đã được dời vì trùng ngày nghỉ: Tết Nguyên Đán." in body


def test_template_single_reminder_in_english() -> None:
    subject, body = render_digest("en", context([reminder()]))
    assert subject == "[Bốn tốt] Reminder: Đề nghị công nhận due 31/12/2025 — Chi bộ thôn 1"
    assert body.startswith("To: Ban Tổ chức cấp ủy cấp trên – Đảng bộ xã X\n")
    assert "must complete “Đề nghị công nhận” by 31/12/2025." in body
    assert "Reminder 2: 5 working days before the due date." in body
    assert "Kính gửi" not in body
    subject, _ = render_digest("en", context([escalation()]))
    assert subject.startswith("[Bốn tốt] Overdue: ")


def test_template_language_defaults_to_vietnamese() -> None:
    vi = render_digest("vi", context([reminder()]))
    assert render_digest("", context([reminder()])) == vi
    assert render_digest("fr", context([reminder()])) == vi
    en = render_digest("en", context([reminder()]))
    assert render_digest("en-GB", context([reminder()])) == en != vi


def digest_items() -> list[dict[str, Any]]:
    reminders = [
        reminder(unit_code=f"CB-{n:02d}", unit_name=f"Chi bộ thôn {n}", late=n == 4)
        for n in range(1, 13)
    ]
    escalations = [
        escalation(unit_code=f"DB-{n}", unit_name=f"Đảng bộ trường {n}", due="15/02/2026")
        for n in range(1, 4)
    ]
    return reminders[:6] + escalations + reminders[6:]


def test_template_digest_groups_and_lists_every_item() -> None:
    subject, body = render_digest("vi", context(digest_items()))
    assert subject == "[Bốn tốt] Tổng hợp 12 nhắc hạn, 3 cảnh báo quá hạn"
    lines = body.splitlines()
    # counts first, then a group per deadline (escalations first), a stage within each
    assert lines[2] == "Tổng hợp lúc 05/01/2026 08:00: 15 đơn vị — 3 cảnh báo quá hạn, 12 nhắc hạn."
    overdue = lines.index("CẢNH BÁO QUÁ HẠN: Đề nghị công nhận — hạn 15/02/2026: 3 đơn vị")
    reminders = lines.index("NHẮC HẠN: Đề nghị công nhận — hạn 31/12/2025: 12 đơn vị")
    assert overdue < reminders
    assert lines[overdue + 1] == "  Đang thực hiện (3)"
    items = [line for line in lines if line.startswith("  - ")]
    assert len(items) == 15
    assert items[0] == "  - DB-1  Đảng bộ trường 1 (lần 1)"
    assert items[3] == "  - CB-01  Chi bộ thôn 1"
    # the given order is kept within each group
    assert [line.split()[1] for line in items[3:]] == [f"CB-{n:02d}" for n in range(1, 13)]


def test_template_digest_counts_working_days_and_links_each_unit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BONTOT_BASE_URL", "https://bontot.tinh.vn/")
    view = {**context(digest_items()), "calendar": {"country": "VN"}}
    _, body = render_digest("vi", view)
    # 05/01/2026: 31/12 was the due day, 01/01 a holiday, 02/01 a Friday, then a weekend
    assert "NHẮC HẠN: Đề nghị công nhận — hạn 31/12/2025, đã quá 2 ngày làm việc: 12 đơn vị" in body
    assert "hạn 15/02/2026, còn 29 ngày làm việc: 3 đơn vị" in body
    assert "    https://bontot.tinh.vn/units/CB-01" in body.splitlines()
    _, english = render_digest("en", {**view, "items": [reminder()]})
    assert "2 working days late." in english
    assert "See the unit: https://bontot.tinh.vn/units/CB-01" in english
    html = render_digest_html("vi", {**view, "items": [reminder(unit_name="Chi bộ <A> & B")]})
    assert '<a href="https://bontot.tinh.vn/units/CB-01">CB-01</a>' in html
    assert "Chi bộ &lt;A&gt; &amp; B" in html and "<A>" not in html


def test_template_digest_subject_with_one_kind_only() -> None:
    only_reminders = [reminder(), reminder(unit_code="CB-02")]
    assert render_digest("vi", context(only_reminders))[0] == "[Bốn tốt] Tổng hợp 2 nhắc hạn"
    assert render_digest("en", context(only_reminders))[0] == "[Bốn tốt] Digest: 2 reminders"
    only_escalations = [escalation(), escalation(unit_code="CB-02")]
    assert (
        render_digest("vi", context(only_escalations))[0] == "[Bốn tốt] Tổng hợp 2 cảnh báo quá hạn"
    )
    mixed = [reminder(), escalation()]
    assert (
        render_digest("en", context(mixed))[0] == "[Bốn tốt] Digest: 1 reminder, 1 overdue warning"
    )


def test_template_marks_late_items_only() -> None:
    for lang, marker in (("vi", "(nhắc muộn)"), ("en", "(late)")):
        _, body = render_digest(lang, context(digest_items()))
        marked = [line for line in body.splitlines() if line.startswith("  - ") and marker in line]
        assert len(marked) == 1 and marked[0].startswith("  - CB-04 ")
        subject, body = render_digest(lang, context([reminder(late=True)]))
        assert subject.endswith(" " + marker)
        subject, body = render_digest(lang, context([reminder()]))
        assert marker not in subject + body


def test_template_optional_fields_may_be_left_out() -> None:
    item = reminder()
    for optional in ("late", "moved", "state_label"):
        del item[optional]
    ctx = context([item, reminder(unit_code="CB-02")])
    del ctx["recipient"]["unit_name"]
    _, body = render_digest("vi", ctx)
    assert body.startswith("Kính gửi: Ban Tổ chức cấp ủy cấp trên\n")
    heading = "NHẮC HẠN: Đề nghị công nhận — hạn 31/12/2025: 2 đơn vị"
    assert f"{heading}\n  Giai đoạn chưa rõ (1)\n" in body
    assert "  - CB-01  Chi bộ thôn 1\n" in body


def test_template_text_is_data_not_template_and_not_html() -> None:
    tricky = reminder(unit_name="Chi bộ {{ 7*7 }} & <Cơ quan>")
    subject, body = render_digest("vi", context([tricky]))
    assert subject.endswith("— Chi bộ {{ 7*7 }} & <Cơ quan>")
    assert "49" not in body and "&amp;" not in body


def test_template_refuses_a_bad_context() -> None:
    with pytest.raises(ValueError, match="at least one item"):
        render_digest("vi", context([]))
    with pytest.raises(ValueError, match="kind 'nudge'"):
        render_digest("vi", context([reminder(kind="nudge")]))
    item = reminder()
    del item["due"]
    with pytest.raises(ValueError, match="due"):
        render_digest("vi", context([item]))
    ctx = context([reminder()])
    del ctx["sent_at"]
    with pytest.raises(ValueError, match="sent_at"):
        render_digest("en", ctx)


def test_offsets_in_words() -> None:
    assert offset_text("-5 working_days", "vi") == "5 ngày làm việc trước hạn"
    assert offset_text("1 working_day", "vi") == "1 ngày làm việc sau hạn"
    assert offset_text("+10 days", "en") == "10 days after the due date"
    assert offset_text("-1 working_day", "en") == "1 working day before the due date"
    assert offset_text("0 days", "vi") == "đúng ngày đến hạn"
    assert offset_text("2 weeks", "en") == "2 weeks"  # unknown form: shown as it is


def test_templates_ship_inside_the_package() -> None:
    import adapters.notifications as package

    folder = Path(package.__file__).parent / "templates"
    assert sorted(p.name for p in folder.glob("*.j2")) == [
        "digest.en.html.j2", "digest.en.txt.j2", "digest.vi.html.j2", "digest.vi.txt.j2"
    ]
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"adapters.notifications" = ["templates/*.j2"]' in pyproject
    payload = json.dumps(render_digest("vi", context([reminder()])), ensure_ascii=False)
    assert "Nhắc hạn" in payload


def test_a_jurisdiction_folder_overrides_the_digest_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "digest.vi.txt.j2").write_text(
        "{% block subject %}[Tỉnh ủy] {{ items | length }} việc{% endblock %}"
        "{% block body %}Kính gửi đồng chí {{ recipient.role_label }}{% endblock %}",
        encoding="utf-8",
    )
    monkeypatch.setenv("BONTOT_TEMPLATES", str(tmp_path))
    subject, body = render_digest("vi", context([reminder()]))
    assert subject == "[Tỉnh ủy] 1 việc"
    assert body == "Kính gửi đồng chí Ban Tổ chức cấp ủy cấp trên\n"
    # the folder has no English file: ours is used
    assert render_digest("en", context([reminder()]))[1].startswith("To: ")
    monkeypatch.delenv("BONTOT_TEMPLATES")
    assert render_digest("vi", context([reminder()]))[0].startswith("[Bốn tốt] Nhắc hạn")
