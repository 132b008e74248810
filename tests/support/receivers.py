"""Real receivers for notification tests: an SMTP server and a webhook endpoint, both on
127.0.0.1 at a free port, both recording what arrived and what they answered.

In the test's own process:

    with HttpReceiver(fail_first=2) as rx:
        channel = WebhookChannel(rx.settings())
        ...
        rx.wait_for(3)
        assert rx.keys == [key, key, key] and rx.requests[-1].signature_ok

    with SmtpReceiver(tls="starttls", auth=("bontot", "mật khẩu")) as rx:
        SmtpChannel(rx.settings()).send(message)
        assert rx.messages[0]["X-Bontot-Key"] == message.key

Across processes (a worker killed with SIGKILL and started again): give `keys_file=`,
and every request appends one line `<key>\\t<status>\\n` with a single O_APPEND write, so
that the test counts at the receiver with `read_keys(path)` whatever happened to the
sender; `rx.env()` gives the BONTOT_* variables that point a child process at it. To kill
or restart the receiver itself, run it as its own process: `ReceiverProcess("http", ...)`
(or `python -m tests.support.receivers http --port-file P --keys-file F`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from adapters.notifications.settings import SmtpSettings, WebhookSettings
from adapters.notifications.webhook import (
    ID_HEADER,
    KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
SMTP_USER = "bontot"
SMTP_PASSWORD = "mật-khẩu-thử"
WEBHOOK_SECRET = "bí-mật-webhook-thử"


# -- the cross-process record ------------------------------------------------------------


def _append_line(path: Path, key: str, status: int) -> None:
    # One write() on an O_APPEND descriptor: whole lines, even with several writers.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{key}\t{status}\n".encode())
    finally:
        os.close(fd)


def read_deliveries(path: str | os.PathLike[str]) -> list[tuple[str, int]]:
    """(key, status answered) for each request recorded in a keys file, in arrival order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    rows = []
    for line in text.split("\n")[:-1]:  # a last line without "\n" is still being written
        key, _, status = line.rpartition("\t")
        rows.append((key, int(status)))
    return rows


def read_keys(path: str | os.PathLike[str], *, delivered_only: bool = True) -> list[str]:
    """Keys in a keys file, in arrival order; by default only those answered 2xx/250."""
    return [
        key for key, status in read_deliveries(path) if not delivered_only or 200 <= status < 300
    ]


class _Record:
    """Thread-safe list of arrivals with a condition to wait on; cheap counts."""

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._changed = threading.Condition()

    def add(self, item: Any) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def snapshot(self) -> list[Any]:
        with self._changed:
            return list(self._items)

    def __len__(self) -> int:
        with self._changed:
            return len(self._items)

    def wait_for(self, count: int, timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._items) >= count, timeout):
                raise TimeoutError(f"{what}: {len(self._items)} of {count} after {timeout}s")


# -- TLS ---------------------------------------------------------------------------------


class _Tls:
    """A throw-away CA and a certificate for 127.0.0.1/localhost, with the CA on disk so
    that a child process can trust it (BONTOT_SMTP_CA_FILE)."""

    def __init__(self) -> None:
        import trustme  # a test dependency, imported only when TLS is asked for

        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert(HOST, "localhost")
        self._dir = tempfile.TemporaryDirectory(prefix="bontot-ca-")
        self.ca_file = str(Path(self._dir.name) / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context

    def close(self) -> None:
        self._dir.cleanup()


# -- SMTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    #: the reply code given to DATA: 250, or the scripted failure
    status: int
    #: whether the session was encrypted (STARTTLS or implicit TLS)
    tls: bool
    #: the user name the client logged in with, if it did
    login: str | None

    @property
    def key(self) -> str:
        return str(self.message.get("X-Bontot-Key", ""))

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))

    @property
    def subject(self) -> str:
        """Decoded (RFC 2047 encoded-words turned back into text)."""
        return str(self.message.get("Subject", ""))

    @property
    def body(self) -> str:
        """The decoded text of the (single, text/plain) body."""
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())


class _SmtpController(Controller):
    """Binds port 0 and learns the port the system chose, before aiosmtpd's self-check
    connects to it (aiosmtpd itself would connect to port 0)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def factory(self) -> SMTP:
        # AUTH without STARTTLS is on purpose here (plain, or implicit TLS): not a warning.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            server: SMTP = super().factory()  # type: ignore[no-untyped-call]
            return server


class SmtpReceiver:
    """An SMTP server on 127.0.0.1 that keeps every message it is given.

    tls: None (plain), "starttls" (offered and required before MAIL), "ssl" (implicit).
    auth: (user, password) to require AUTH PLAIN/LOGIN; over TLS only when tls is set.
    fail_first: answer DATA with `fail_reply` (default 451, temporary) that many times.
    rcpt_replies: address → reply for RCPT, e.g. {"x@y.vn": "550 5.1.1 No such user"}.
    keys_file: append "<X-Bontot-Key>\\t<code>" for every DATA (see read_keys).
    """

    def __init__(
        self,
        *,
        tls: Literal["starttls", "ssl"] | None = None,
        auth: tuple[str, str] | None = None,
        fail_first: int = 0,
        fail_reply: str = "451 4.3.0 Try again later",
        rcpt_replies: Mapping[str, str] | None = None,
        keys_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.host = HOST
        self.port = 0
        self.tls = tls
        self.auth = auth
        self.fail_reply = fail_reply
        self.rcpt_replies = dict(rcpt_replies or {})
        self.keys_file = Path(keys_file) if keys_file is not None else None
        self._failures_left = fail_first
        self._lock = threading.Lock()
        self._record = _Record()
        self._tls: _Tls | None = None
        self._controller: _SmtpController | None = None
        self.auth_attempts: list[tuple[str, bool]] = []

    # lifecycle

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        options: dict[str, Any] = {"server_hostname": "bontot-test-smtp"}
        if self.tls is not None:
            self._tls = _Tls()
        if self.tls == "starttls":
            assert self._tls is not None
            options.update(tls_context=self._tls.server_context(), require_starttls=True)
        elif self.tls == "ssl":
            assert self._tls is not None
            options.update(ssl_context=self._tls.server_context())
        if self.auth is not None:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                # implicit TLS is TLS from the first byte, but aiosmtpd only counts STARTTLS
                auth_require_tls=self.tls == "starttls",
            )
        self._controller = _SmtpController(_SmtpHandler(self), hostname=HOST, port=0, **options)
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tls is not None:
            self._tls.close()
            self._tls = None

    # what arrived

    @property
    def received(self) -> list[ReceivedMail]:
        """Every DATA, accepted or not, in arrival order."""
        return self._record.snapshot()

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed (policy.default: headers decoded on access)."""
        return [r.message for r in self.received if r.status == 250]

    @property
    def count(self) -> int:
        return len(self._record)

    @property
    def keys(self) -> list[str]:
        """X-Bontot-Key of every DATA, accepted or not, in arrival order."""
        return [r.key for r in self.received]

    @property
    def delivered_keys(self) -> list[str]:
        return [r.key for r in self.received if r.status == 250]

    @property
    def unique_keys(self) -> set[str]:
        return set(self.delivered_keys)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` DATA commands have arrived; TimeoutError otherwise."""
        self._record.wait_for(count, timeout, "SMTP messages")

    # pointing a sender at it

    @property
    def ca_file(self) -> str | None:
        return self._tls.ca_file if self._tls is not None else None

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this receiver's certificate."""
        assert self._tls is not None, "this receiver has no TLS"
        return self._tls.client_context()

    def settings(self, **overrides: Any) -> SmtpSettings:
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "sender": "Hệ thống Bốn tốt <bontot@test.invalid>",
            "security": self.tls or "none",
            "username": self.auth[0] if self.auth else None,
            "password": self.auth[1] if self.auth else None,
            "timeout": 5.0,
            "ca_file": self.ca_file,
        }
        values.update(overrides)
        return SmtpSettings(**values)

    def env(self) -> dict[str, str]:
        """BONTOT_SMTP_* variables for a child process (merge into os.environ)."""
        env = {
            "BONTOT_SMTP_HOST": self.host,
            "BONTOT_SMTP_PORT": str(self.port),
            "BONTOT_SMTP_SECURITY": self.tls or "none",
            "BONTOT_SMTP_FROM": "bontot@test.invalid",
            "BONTOT_SMTP_TIMEOUT": "5",
        }
        if self.auth:
            env.update(BONTOT_SMTP_USER=self.auth[0], BONTOT_SMTP_PASSWORD=self.auth[1])
        if self.ca_file:
            env["BONTOT_SMTP_CA_FILE"] = self.ca_file
        return env

    # called from the server's thread

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self.auth is not None
            and (data.login.decode(), data.password.decode()) == self.auth
        )
        login = data.login.decode() if isinstance(data, LoginPassword) else "?"
        with self._lock:
            self.auth_attempts.append((login, ok))
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _arrived(self, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self._lock:
            failing = self._failures_left > 0
            self._failures_left -= failing
        reply = self.fail_reply if failing else "250 Message accepted for delivery"
        login = session.login_data
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
            raw=raw,
            status=int(reply[:3]),
            tls=session.ssl is not None or self.tls == "ssl",
            login=login.decode() if isinstance(login, bytes) else login,
        )
        if self.keys_file is not None:
            _append_line(self.keys_file, mail.key, mail.status)
        self._record.add(mail)
        return reply


class _SmtpHandler:
    def __init__(self, owner: SmtpReceiver) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.owner.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.owner._arrived(session, envelope)


# -- HTTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    #: header names in lower case
    headers: dict[str, str]
    body: bytes
    #: the parsed JSON body, or None if it was not JSON
    json: Any
    #: None when the receiver has no secret to check with
    signature_ok: bool | None
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        return self.headers.get(KEY_HEADER.lower(), "")


class HttpReceiver:
    """A webhook endpoint on 127.0.0.1 that records each POST and answers from a script.

    The answer, first rule that applies: `reject_bad_signature` and a bad signature → 401;
    `status_for_key` (a mapping, or a function returning None for "no opinion"); `always`;
    the first `fail_first` requests → `fail_status` (503 by default, with `retry_after`
    if given); else 200. `delay_s` holds each answer back (to make a sender time out).
    keys_file: append "<Idempotency-Key>\\t<status>" for every request (see read_keys).
    """

    def __init__(
        self,
        *,
        secret: str = WEBHOOK_SECRET,
        fail_first: int = 0,
        fail_status: int = 503,
        always: int | None = None,
        status_for_key: Mapping[str, int] | Callable[[str], int | None] | None = None,
        reject_bad_signature: bool = False,
        retry_after: str | None = None,
        delay_s: float = 0.0,
        keys_file: str | os.PathLike[str] | None = None,
        path: str = "/hooks/bontot",
        now: Callable[[], float] = time.time,
    ) -> None:
        self.host = HOST
        self.port = 0
        self.secret = secret
        self.fail_status = fail_status
        self.always = always
        self.status_for_key = status_for_key
        self.reject_bad_signature = reject_bad_signature
        self.retry_after = retry_after
        self.delay_s = delay_s
        self.keys_file = Path(keys_file) if keys_file is not None else None
        self.path = path
        self._now = now
        self._failures_left = fail_first
        self._lock = threading.Lock()
        self._record = _Record()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self._record.snapshot()

    @property
    def count(self) -> int:
        return len(self._record)

    @property
    def keys(self) -> list[str]:
        """Idempotency-Key of every request, answered 2xx or not, in arrival order."""
        return [r.key for r in self.requests]

    @property
    def delivered_keys(self) -> list[str]:
        return [r.key for r in self.requests if 200 <= r.status < 300]

    @property
    def unique_keys(self) -> set[str]:
        return set(self.delivered_keys)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` requests have arrived; TimeoutError otherwise."""
        self._record.wait_for(count, timeout, "webhook requests")

    def settings(self, **overrides: Any) -> WebhookSettings:
        values: dict[str, Any] = {"url": self.url, "secret": self.secret, "timeout": 5.0}
        values.update(overrides)
        return WebhookSettings(**values)

    def env(self) -> dict[str, str]:
        """BONTOT_WEBHOOK_* variables for a child process (merge into os.environ)."""
        return {
            "BONTOT_WEBHOOK_URL": self.url,
            "BONTOT_WEBHOOK_SECRET": self.secret,
            "BONTOT_WEBHOOK_TIMEOUT": "5",
        }

    # called from the server's threads

    def _answer(self, key: str, signature_ok: bool | None) -> int:
        if self.reject_bad_signature and signature_ok is False:
            return 401
        scripted: int | None = None
        if callable(self.status_for_key):
            scripted = self.status_for_key(key)
        elif self.status_for_key is not None:
            scripted = self.status_for_key.get(key)
        if scripted is not None:
            return scripted
        if self.always is not None:
            return self.always
        with self._lock:
            failing = self._failures_left > 0
            self._failures_left -= failing
        return self.fail_status if failing else 200

    def _arrived(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        try:
            parsed: Any = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            parsed = None
        signature_ok: bool | None = None
        if self.secret:
            signature_ok = verify(
                self.secret,
                headers.get(ID_HEADER, ""),
                headers.get(TIMESTAMP_HEADER.lower(), ""),
                body,
                headers.get(SIGNATURE_HEADER.lower(), ""),
                now=self._now,
            )
        key = headers.get(KEY_HEADER.lower(), "")
        status = 404 if path != self.path else self._answer(key, signature_ok)
        if method != "POST":
            status = 405
        request = ReceivedRequest(method, path, headers, body, parsed, signature_ok, status)
        if self.keys_file is not None:
            _append_line(self.keys_file, key, status)
        self._record.add(request)
        return status


def _handler_for(owner: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so nothing lingers after stop().
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = owner._arrived(self.command, self.path, headers, body)
            if owner.delay_s:
                time.sleep(owner.delay_s)
            reply = json.dumps({"status": status}).encode()
            try:
                self.send_response(status, HTTPStatus(status).phrase if status in _KNOWN else "")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                if owner.retry_after is not None and status in (429, 503):
                    self.send_header("Retry-After", owner.retry_after)
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up (timed out) before the answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output for failures

    return Handler


_KNOWN = {s.value for s in HTTPStatus}


# -- a receiver in its own process -------------------------------------------------------


class ReceiverProcess:
    """A receiver run as a child process (`python -m tests.support.receivers`), for tests
    that kill or restart the receiver too. Count with `read_keys(rp.keys_file)`.

        with ReceiverProcess("http", tmp_path, fail_first=1) as rp:
            env = {**os.environ, **rp.env}
    """

    def __init__(
        self,
        kind: Literal["http", "smtp"],
        directory: str | os.PathLike[str],
        *,
        fail_first: int = 0,
        always: int | None = None,
        secret: str = WEBHOOK_SECRET,
    ) -> None:
        self.kind = kind
        directory = Path(directory)
        self.keys_file = directory / f"{kind}-keys.txt"
        self._port_file = directory / f"{kind}-port.txt"
        self._args = [
            sys.executable,
            "-m",
            "tests.support.receivers",
            kind,
            "--port-file",
            str(self._port_file),
            "--keys-file",
            str(self.keys_file),
            "--fail-first",
            str(fail_first),
            "--secret",
            secret,
        ]
        if always is not None:
            self._args += ["--always", str(always)]
        self.secret = secret
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self._port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(self._args, cwd=ROOT)
        deadline = time.monotonic() + 15
        while not self._port_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"receiver exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.process.kill()
                raise TimeoutError("receiver did not start within 15 s")
            time.sleep(0.02)
        self.port = int(self._port_file.read_text())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hooks/bontot"

    @property
    def env(self) -> dict[str, str]:
        if self.kind == "http":
            return {"BONTOT_WEBHOOK_URL": self.url, "BONTOT_WEBHOOK_SECRET": self.secret}
        return {
            "BONTOT_SMTP_HOST": HOST,
            "BONTOT_SMTP_PORT": str(self.port),
            "BONTOT_SMTP_SECURITY": "none",
            "BONTOT_SMTP_FROM": "bontot@test.invalid",
        }


@contextmanager
def _serving(kind: str, options: argparse.Namespace) -> Iterator[int]:
    if kind == "http":
        with HttpReceiver(
            secret=options.secret,
            fail_first=options.fail_first,
            always=options.always,
            keys_file=options.keys_file,
        ) as http_rx:
            yield http_rx.port
    else:
        with SmtpReceiver(fail_first=options.fail_first, keys_file=options.keys_file) as smtp_rx:
            yield smtp_rx.port


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a test receiver until SIGTERM")
    parser.add_argument("kind", choices=["http", "smtp"])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--keys-file", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--always", type=int, default=None)
    parser.add_argument("--secret", default=WEBHOOK_SECRET)
    options = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with _serving(options.kind, options) as port:
        port_file = Path(options.port_file)
        partial = port_file.with_suffix(".tmp")
        partial.write_text(str(port))
        partial.replace(port_file)  # appears whole: the parent never reads half a number
        while not stop.wait(0.2):
            pass


if __name__ == "__main__":
    main()
