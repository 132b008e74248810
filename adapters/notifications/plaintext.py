"""Channels that would carry a secret in clear text over the network: a webhook on plain
`http://` (its body and signature readable and replayable on the way), SMTP with
`security = none` and a user (its password sent in clear). Refused unless the deployment
says it accepts them (`--insecure`, BONTOT_ALLOW_INSECURE=1), and then warned about.
A loopback host is exempt: the traffic never leaves the machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from adapters.notifications.settings import NotifySettings, masked_url

ALLOW_ENV = "BONTOT_ALLOW_INSECURE"


def allowed_by(environ: Mapping[str, str]) -> bool:
    return environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plaintext_problems(settings: NotifySettings) -> list[str]:
    """What in the settings would go over the network in clear text."""
    problems = []
    hook = settings.webhook
    if hook is not None:
        parts = urlsplit(hook.url)
        if parts.scheme == "http" and not _loopback(parts.hostname):
            problems.append(f"webhook URL {masked_url(hook.url)!r} is plain http://")
    smtp = settings.smtp
    if (
        smtp is not None
        and smtp.security == "none"
        and smtp.username is not None
        and not _loopback(smtp.host)
    ):
        problems.append(f"SMTP to {smtp.host} with security=none sends its password in clear")
    return problems
