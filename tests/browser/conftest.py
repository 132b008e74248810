"""One real uvicorn on a free loopback port over a real SQLite file, and one headless
Chromium (Debian's, driven by Playwright from PyPI; never a downloaded browser), shared
by each test module. Screenshots go to $BONTOT_SCREENSHOTS (default: a temp dir)."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from adapters.http.app import create_app
from adapters.http.server import start
from tests.browser.scenario import install

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@dataclass(frozen=True)
class Live:
    base: str
    url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    installation = install(tmp_path_factory.mktemp("web"))
    server = start(installation.url, installation.clock, secret="browser-tests-secret")
    port = _free_port()
    config = uvicorn.Config(create_app(server), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    ready = threading.Event()
    while not uv.started and thread.is_alive():
        ready.wait(0.05)
    assert uv.started, "uvicorn did not start"
    try:
        yield Live(f"http://127.0.0.1:{port}", installation.url)
    finally:
        uv.should_exit = True
        thread.join(10)
        server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("BONTOT_REQUIRE_BROWSER"):
            pytest.fail("Debian's chromium is not installed, and CI requires the browser tests")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield found
        finally:
            found.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    folder = Path(os.environ.get("BONTOT_SCREENSHOTS") or tempfile.mkdtemp(prefix="bontot-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
