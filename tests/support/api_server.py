"""A real uvicorn serving `bontot serve`'s application on a free loopback port, in a
thread of the test process, over a database the test prepared: the commune of
tests/conftest.py with its 2025 cycles open, its ratings register, and one actor per
role of the definition (their real scrypt tokens), so that the API is called as a
program calls it, with httpx."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn

from adapters import bootstrap
from adapters.catalog import load_catalog
from adapters.http.app import create_app
from adapters.http.server import start
from tests.conftest import COMMUNE, local
from tests.support.register import COMMUNE_RATINGS
from workflow.clock import VirtualClock
from workflow.spec.registry import Definition

#: actor -> (role, scope): one per role of bon-tot and of the installation; the auditor
#: is the commune's inspection committee, so that it too has an outside
ACTORS = {
    "quantri": ("administrator", None),
    "kiemtra.x01": ("auditor", "X01"),
    "bithu.thon1": ("unit_secretary", "CB-THON1"),
    "btc.x01": ("superior_org_board", "X01"),
    "btv.x01": ("superior_standing_committee", "X01"),
}
#: when the tests act: the 2025 cycles are open, nothing is due yet
NOW = local(2025, 3, 3, 9)


@dataclass
class Served:
    base: str
    url: str
    clock: VirtualClock
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, actor: str, lang: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {actor}:{self.tokens[actor]}"}
        if lang is not None:
            headers["Accept-Language"] = lang
        return headers

    def client(self, actor: str | None = None, lang: str | None = None) -> httpx.Client:
        headers = self.headers(actor, lang) if actor else {}
        return httpx.Client(base_url=self.base + "/api/v1", headers=headers, timeout=60)

    def services(self) -> bootstrap.App:
        """The same database through the composition root, for what a test arranges."""
        return bootstrap.build(self.url, self.clock, schema="require")


def prepare(
    url: str, clock: VirtualClock, definition: Definition | None = None
) -> dict[str, str]:
    """The commune, its 2025 cycles (of `definition`, bon-tot by default) and ratings,
    and the actors; their tokens."""
    app = bootstrap.build(url, clock, schema="upgrade")
    try:
        app.store.import_units(COMMUNE)
        opened = definition or load_catalog().latest("bon-tot")
        app.cycles.open_cycles(opened, 2025, actor="system")
        app.store.import_ratings(2025, COMMUNE_RATINGS, clock.now(), "btc.x01", {"file": "t"})
        tokens = {"quantri": app.actors.add("quantri", "administrator", None)}
        for actor, (role, scope) in ACTORS.items():
            if actor != "quantri":
                tokens[actor] = app.actors.add(
                    actor, role, scope, by="quantri", token=lambda: tokens["quantri"]
                )
        return tokens
    finally:
        app.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(
    url: str,
    clock: VirtualClock | None = None,
    prepared: bool = False,
    definition: Definition | None = None,
) -> Iterator[Served]:
    """uvicorn on 127.0.0.1:<free port> over `url` (prepared here, its cycles of
    `definition`, unless `prepared`: the caller's own database, in open mode when it has
    no actors), until the block ends."""
    clock = clock or VirtualClock(NOW)
    tokens = {} if prepared else prepare(url, clock, definition)
    server = start(url, clock)
    port = free_port()
    config = uvicorn.Config(
        create_app(server), host="127.0.0.1", port=port, log_level="warning",
        access_log=False, lifespan="off",
    )  # fmt: skip
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(500):  # until it listens (uvicorn sets `started`)
            if uv.started:
                break
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it listened")
            threading.Event().wait(0.01)
        yield Served(base, url, clock, tokens)
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        server.close()
