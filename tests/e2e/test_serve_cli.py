"""`bontot serve` as an operator starts it: a real process on a free loopback port; its
`--lang` is the language of the pages for a visitor who chose none."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.api_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(url: str, *options: str) -> Iterator[str]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli.app", "serve", "--db", url, "--port", str(port),
         *options],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "BONTOT_LOG_LEVEL": "warning"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/api/v1/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert child.poll() is None, child.stderr.read() if child.stderr else ""
                time.sleep(0.1)
        yield base
    finally:
        child.terminate()
        child.wait(timeout=30)


def test_serve_s_language_is_the_pages_language_unless_the_visitor_chose(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bontot.db'}"
    made = subprocess.run([sys.executable, "-m", "adapters.cli.app", "init", "--db", url],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    with serving(url) as base:
        assert "<title>Đăng nhập · bontot</title>" in httpx.get(base + "/login").text
    with serving(url, "--lang", "en") as base:
        assert "<title>Log in · bontot</title>" in httpx.get(base + "/login").text
        # a visitor's own choice still wins
        chosen = httpx.get(base + "/login", params={"lang": "vi"}).text
        assert "<title>Đăng nhập · bontot</title>" in chosen


def test_an_idle_connection_outlives_a_client_s_five_second_keep_alive(tmp_path: Path) -> None:
    """A client keeps an idle connection 5 s (httpx's default): the server keeps it
    longer, so that the client's next request on it is answered, not reset."""
    url = f"sqlite:///{tmp_path / 'bontot.db'}"
    made = subprocess.run([sys.executable, "-m", "adapters.cli.app", "init", "--db", url],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr
    with serving(url) as base:
        port = int(base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/api/v1/health")
            first = conn.getresponse()
            assert (first.status, first.read()) == (200, b'{"status":"ok"}')
            time.sleep(6)  # idle past uvicorn's default keep-alive (5 s)
            conn.request("GET", "/api/v1/health")  # the same connection: http.client
            assert conn.getresponse().status == 200  # reconnects only if told to
        finally:
            conn.close()
