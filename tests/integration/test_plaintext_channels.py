"""Channels in clear text (issue 16): a plain http:// webhook and SMTP credentials without
TLS are refused unless the deployment accepts them, then warned about; loopback is exempt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters import bootstrap
from adapters.notifications.settings import NotifySettings, SmtpSettings, WebhookSettings
from tests.support.cli import bontot

PLAIN_HOOK = WebhookSettings(url="http://hooks.example.vn/bontot", secret="k")
PLAIN_SMTP = SmtpSettings(
    host="mail.example.vn", port=25, sender="bontot@example.vn", security="none",
    username="bontot", password="pw",
)  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (NotifySettings(webhook=PLAIN_HOOK), "is plain http://"),
        (NotifySettings(smtp=PLAIN_SMTP), "sends its password in clear"),
    ],
)
def test_a_channel_in_clear_text_is_refused_then_accepted_with_a_warning(
    settings: NotifySettings, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BONTOT_ALLOW_INSECURE", raising=False)
    with pytest.raises(ValueError, match=f"{said}: refused"):
        bootstrap.notifier_from(settings)
    with capture_logs() as logged:
        bootstrap.notifier_from(settings, insecure=True)
    assert [e["event"] for e in logged] == ["notification.plaintext_accepted"]
    assert said in logged[0]["problem"]


@pytest.mark.parametrize(
    "settings",
    [
        NotifySettings(webhook=WebhookSettings(url="https://hooks.example.vn/b", secret="k")),
        NotifySettings(webhook=WebhookSettings(url="http://127.0.0.1:9/b", secret="k")),
        NotifySettings(smtp=SmtpSettings(host="mail.example.vn", port=25, sender="a@b.vn",
                                         security="none")),  # no credentials to leak
        NotifySettings(smtp=SmtpSettings(host="mail.example.vn", port=587, sender="a@b.vn",
                                         username="u", password="p")),  # starttls
    ],
)  # fmt: skip
def test_tls_loopback_or_no_credentials_pass_without_a_word(settings: NotifySettings) -> None:
    with capture_logs() as logged:
        bootstrap.notifier_from(settings)
    assert logged == []


def test_the_worker_commands_refuse_a_plain_webhook_unless_insecure(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert bontot("init", "--db", url, cwd=tmp_path).returncode == 0
    env = {
        **{k: v for k, v in os.environ.items() if k != "BONTOT_ALLOW_INSECURE"},
        "BONTOT_WEBHOOK_URL": "http://hooks.example.vn/bontot",
        "BONTOT_WEBHOOK_SECRET": "k",
    }
    refused = bontot("tick", "--db", url, env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "is plain http://: refused" in refused.stderr and "Traceback" not in refused.stderr
    accepted = bontot("tick", "--db", url, "--insecure", env=env, cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert "notification.plaintext_accepted" in accepted.stderr
