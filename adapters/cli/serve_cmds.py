"""`bontot serve`: the web board and the HTTP API on uvicorn."""

from __future__ import annotations

import os

import typer
import uvicorn

from adapters.cli.context import DbOption, LangOption, NowOption, clock_for, database_url, guarded
from adapters.http.app import create_app
from adapters.http.server import start
from adapters.i18n import text
from adapters.logs import redacted

SECRET_ENV = "BONTOT_SESSION_SECRET"
#: how long an idle keep-alive connection stays open. Longer than a client's own expiry
#: (httpx and many others: 5 s), so that the client, not the server, closes an idle
#: one: at uvicorn's 5 s both ends race, and under load a request sent on a connection
#: the server was just closing came back as a reset (bench_web: 1–2 in 2,000)
KEEP_ALIVE_S = 30


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Serve the web board and the HTTP API (/api/v1)."""
    url = database_url(db)
    server = guarded(
        lambda: start(url, clock_for(now), secret=os.environ.get(SECRET_ENV), lang=lang)
    )
    said = text(lang, "cli.serving", address=f"http://{host}:{port}/", url=redacted(url))
    typer.echo(said, err=True)
    try:
        uvicorn.run(create_app(server), host=host, port=port, log_level="warning",
                    timeout_keep_alive=KEEP_ALIVE_S)
    finally:
        server.close()


commands = {"serve": serve}
