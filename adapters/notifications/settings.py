"""Where notifications go: SMTP and webhook settings from the environment and a TOML file.

Environment variables win over the file (`BONTOT_CONFIG`), so that a deployment can keep
the file in version control and pass only the secrets as variables. Every bad value is
refused at start-up with the variable, or the file and key, that holds it: a typo found
then costs less than a notification silently lost in January.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

Security = Literal["starttls", "ssl", "none"]
SECURITIES: tuple[Security, ...] = ("starttls", "ssl", "none")
#: the usual port for each kind of connection (submission, SMTPS, plain relay)
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "ssl": 465, "none": 25}

ENV_CONFIG = "BONTOT_CONFIG"
_MASK = "***"

#: (section, key in the file) -> environment variable
_SMTP_KEYS = {
    "host": "BONTOT_SMTP_HOST",
    "port": "BONTOT_SMTP_PORT",
    "security": "BONTOT_SMTP_SECURITY",
    "user": "BONTOT_SMTP_USER",
    "password": "BONTOT_SMTP_PASSWORD",
    "from": "BONTOT_SMTP_FROM",
    "timeout": "BONTOT_SMTP_TIMEOUT",
    "ca_file": "BONTOT_SMTP_CA_FILE",
}
_WEBHOOK_KEYS = {
    "url": "BONTOT_WEBHOOK_URL",
    "secret": "BONTOT_WEBHOOK_SECRET",
    "timeout": "BONTOT_WEBHOOK_TIMEOUT",
}


@dataclass(frozen=True, repr=False)
class SmtpSettings:
    host: str
    port: int
    #: the From address, e.g. "Hệ thống Bốn tốt <bontot@tinhuy.vn>"
    sender: str
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    #: seconds, per socket operation
    timeout: float = 30.0
    #: a PEM file of CA certificates to trust instead of the system's (a private relay)
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("SMTP host is empty")
        _check_port(self.port)
        if self.security not in SECURITIES:
            raise ValueError(f"SMTP security {self.security!r} is not one of {SECURITIES}")
        if not self.sender:
            raise ValueError("SMTP sender (From) is empty")
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP user and password go together: set both or neither")
        _check_timeout(self.timeout)

    def __repr__(self) -> str:
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"security={self.security!r}, username={self.username!r}, "
            f"password={None if self.password is None else _MASK!r}, "
            f"timeout={self.timeout}, ca_file={self.ca_file!r})"
        )


@dataclass(frozen=True, repr=False)
class WebhookSettings:
    url: str
    #: the HMAC-SHA256 key that signs every request
    secret: str
    #: seconds, for connecting and for each read or write
    timeout: float = 10.0

    def __post_init__(self) -> None:
        problem = _url_problem(self.url)
        if problem:
            raise ValueError(f"webhook URL {masked_url(self.url)!r}: {problem}")
        if not self.secret:
            raise ValueError("webhook secret is empty: every request must be signed")
        _check_timeout(self.timeout)

    def __repr__(self) -> str:
        return (
            f"WebhookSettings(url={masked_url(self.url)!r}, secret={_MASK!r}, "
            f"timeout={self.timeout})"
        )


@dataclass(frozen=True)
class NotifySettings:
    """Both parts are optional: without them notifications only go to the log."""

    smtp: SmtpSettings | None = None
    webhook: WebhookSettings | None = None

    @classmethod
    def load(cls, environ: Mapping[str, str]) -> NotifySettings:
        """Read `BONTOT_SMTP_*`, `BONTOT_WEBHOOK_*` and the file named by `BONTOT_CONFIG`.

        Raises ValueError naming the variable, or the file and key, of a bad value.
        """
        file_sections: dict[str, Mapping[str, Any]] = {}
        file_path = environ.get(ENV_CONFIG, "")
        if file_path:
            file_sections = _read_file(file_path)
        smtp = _Section("smtp", _SMTP_KEYS, environ, file_path, file_sections.get("smtp", {}))
        hook = _Section(
            "webhook", _WEBHOOK_KEYS, environ, file_path, file_sections.get("webhook", {})
        )
        return cls(smtp=_load_smtp(smtp), webhook=_load_webhook(hook))


def masked_url(url: str) -> str:
    """The URL without the password of its user part or the values of its query."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user = parts.username or ""
            netloc = f"{user}:{_MASK}@{netloc.rpartition('@')[2]}"
        query = "&".join(
            f"{pair.partition('=')[0]}={_MASK}" for pair in parts.query.split("&") if pair
        )
        return parts._replace(netloc=netloc, query=query, fragment="").geturl()
    except ValueError:
        return _MASK


class _Section:
    """One section's values, each with where it came from, for error messages."""

    def __init__(
        self,
        name: str,
        keys: Mapping[str, str],
        environ: Mapping[str, str],
        file_path: str,
        from_file: Mapping[str, Any],
    ) -> None:
        self.name = name
        self.keys = keys
        self.values: dict[str, tuple[Any, str]] = {}
        if not isinstance(from_file, Mapping):
            raise ValueError(f"{file_path}: [{name}] must be a table")
        for key, value in from_file.items():
            if key not in keys:
                raise ValueError(
                    f"{file_path}: [{name}] {key}: unknown key; known: {', '.join(keys)}"
                )
            self.values[key] = (value, f"{file_path}: [{name}] {key}")
        for key, variable in keys.items():
            # An empty variable counts as unset: compose files often write `FOO=`.
            if environ.get(variable, ""):
                self.values[key] = (environ[variable], variable)

    def __bool__(self) -> bool:
        return bool(self.values)

    def where(self, key: str) -> str:
        return self.values[key][1] if key in self.values else self.keys[key]

    def text(self, key: str) -> str | None:
        if key not in self.values:
            return None
        value, where = self.values[key]
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected text, got {value!r}")
        if not value.strip():
            raise ValueError(f"{where}: is empty")
        return value

    def number(self, key: str, *, whole: bool) -> tuple[float | None, str]:
        if key not in self.values:
            return None, self.where(key)
        value, where = self.values[key]
        kind = "a whole number" if whole else "a number of seconds"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{where}: expected {kind}, got {value!r}")
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            raise ValueError(f"{where}: expected {kind}, got {value!r}") from None
        if whole and isinstance(value, float):
            raise ValueError(f"{where}: expected {kind}, got {value!r}")
        return number, where


def _load_smtp(section: _Section) -> SmtpSettings | None:
    if not section:
        return None
    host = section.text("host")
    if host is None:
        given = ", ".join(section.where(k) for k in section.values)
        raise ValueError(f"SMTP settings given ({given}) but no host: set {_SMTP_KEYS['host']}")
    security_text = (section.text("security") or "starttls").lower()
    if security_text not in SECURITIES:
        raise ValueError(
            f"{section.where('security')}: {security_text!r} is not one of {', '.join(SECURITIES)}"
        )
    security: Security = security_text
    port, port_where = section.number("port", whole=True)
    if port is None:
        port = DEFAULT_PORTS[security]
    _with_where(port_where, _check_port, int(port))
    sender = section.text("from")
    if sender is None:
        raise ValueError(f"SMTP host set but no sender: set {_SMTP_KEYS['from']}")
    if "@" not in parseaddr(sender)[1]:
        raise ValueError(f"{section.where('from')}: {sender!r} is not an e-mail address")
    username = section.text("user")
    password = section.text("password")
    if (username is None) != (password is None):
        missing = "password" if password is None else "user"
        raise ValueError(f"SMTP user and password go together: set {section.where(missing)}")
    timeout, timeout_where = section.number("timeout", whole=False)
    if timeout is not None:
        _with_where(timeout_where, _check_timeout, timeout)
    ca_file = section.text("ca_file")
    if ca_file is not None and not Path(ca_file).is_file():
        raise ValueError(f"{section.where('ca_file')}: no such file: {ca_file}")
    return SmtpSettings(
        host=host,
        port=int(port),
        sender=sender,
        security=security,
        username=username,
        password=password,
        timeout=30.0 if timeout is None else timeout,
        ca_file=ca_file,
    )


def _load_webhook(section: _Section) -> WebhookSettings | None:
    if not section:
        return None
    url = section.text("url")
    secret = section.text("secret")
    if url is None:
        raise ValueError(f"webhook settings given but no URL: set {_WEBHOOK_KEYS['url']}")
    problem = _url_problem(url)
    if problem:
        raise ValueError(f"{section.where('url')}: {masked_url(url)!r}: {problem}")
    if secret is None:
        raise ValueError(
            f"{section.where('url')} is set but {_WEBHOOK_KEYS['secret']} is not: "
            "every webhook request must be signed"
        )
    timeout, timeout_where = section.number("timeout", whole=False)
    if timeout is not None:
        _with_where(timeout_where, _check_timeout, timeout)
    return WebhookSettings(url=url, secret=secret, timeout=10.0 if timeout is None else timeout)


def _read_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ValueError(f"{ENV_CONFIG}={path}: no such file") from None
    except OSError as error:
        raise ValueError(f"{ENV_CONFIG}={path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML: {error}") from None


def _with_where(where: str, check: Callable[[Any], None], value: Any) -> None:
    try:
        check(value)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is not between 1 and 65535")


def _check_timeout(timeout: float) -> None:
    if not 0 < timeout <= 3600:
        raise ValueError(f"timeout {timeout} is not between 0 and 3600 seconds")


def _url_problem(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    return ""
