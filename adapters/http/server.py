"""What every page and endpoint shares: the server's settings, and the services for one
request, built by the composition root on the connection pool the server holds.

A request gets its own services over its own connection (the unit of work is one
connection; FastAPI runs plain functions in a thread pool), on the definitions read
once at start.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import Engine as SqlEngine

from adapters import bootstrap
from adapters.bootstrap import App
from adapters.catalog import load_catalog
from workflow.clock import Clock
from workflow.spec.registry import DefinitionSet


@dataclass
class Server:
    url: str
    clock: Clock
    catalog: DefinitionSet
    db: SqlEngine
    #: signs the session cookie and the CSRF tokens; a new one at each start unless set
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    #: the language of pages when the visitor chose none
    lang: str = "vi"

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
    server = Server(url=url, clock=clock, catalog=load_catalog(), db=pool, lang=lang)
    if secret:
        server.secret = secret
    return server


def server_of(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def services(request: Request) -> Iterator[App]:
    """A FastAPI dependency: this request's services, closed when it is answered."""
    with server_of(request).services() as app:
        yield app
