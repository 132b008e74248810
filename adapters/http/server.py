"""What every page and endpoint shares: the server's settings, and the services for one
request, built by the composition root on the connection pool the server holds.

A request gets its own services over its own connection (the unit of work is one
connection; FastAPI runs plain functions in a thread pool), on the definitions read
once at start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from adapters import bootstrap
from adapters.bootstrap import App, Database
from adapters.catalog import load_catalog
from workflow.clock import Clock
from workflow.spec.registry import DefinitionSet


@dataclass
class Server:
    url: str
    clock: Clock
    catalog: DefinitionSet
    db: Database
    #: signs the session cookie and the CSRF tokens; a new one at each start unless set
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    #: the language of pages when the visitor chose none
    lang: str = "vi"
    #: where the result lists of work run from the pages are kept (see pages/jobs.py)
    results: Path = field(default_factory=lambda: Path("bontot-results"))

    @contextmanager
    def services(self) -> Iterator[App]:
        with bootstrap.opened(self.url, self.clock, catalog=self.catalog, db=self.db) as app:
            yield app

    def close(self) -> None:
        self.db.dispose()


def start(url: str, clock: Clock, secret: str | None = None, lang: str = "vi") -> Server:
    """The server's shared state: a pool on `url` (whose schema must be there) and the
    definitions. BontotError when the database has no bontot schema."""
    pool = bootstrap.connect(url)
    try:
        bootstrap.build(url, clock, schema="require", db=pool).close()
    except BaseException:
        pool.dispose()
        raise
    server = Server(url=url, clock=clock, catalog=load_catalog(), db=pool, lang=lang,
                    results=results_folder(url))  # fmt: skip
    if secret:
        server.secret = secret
    return server


RESULTS_ENV = "BONTOT_RESULTS_DIR"


def results_folder(url: str) -> Path:
    """$BONTOT_RESULTS_DIR; else `bontot-results` beside a SQLite file, or in the working
    folder for a server database."""
    chosen = os.environ.get(RESULTS_ENV)
    if chosen:
        return Path(chosen)
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url.removeprefix("sqlite:///")).parent / "bontot-results"
    return Path("bontot-results")


def server_of(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def services(request: Request) -> Iterator[App]:
    """A FastAPI dependency: this request's services, closed when it is answered."""
    with server_of(request).services() as app:
        yield app
