"""`bontot serve`: the web board and the HTTP API on uvicorn."""

from __future__ import annotations

import os

import typer
import uvicorn

from adapters.cli.context import DbOption, NowOption, clock_for, database_url, guarded
from adapters.http.app import create_app
from adapters.http.server import start
from adapters.logs import redacted

SECRET_ENV = "BONTOT_SESSION_SECRET"


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Serve the web board and the HTTP API (/api/v1)."""
    url = database_url(db)
    server = guarded(lambda: start(url, clock_for(now), secret=os.environ.get(SECRET_ENV)))
    typer.echo(f"bontot: http://{host}:{port}/  ({redacted(url)})", err=True)
    try:
        uvicorn.run(create_app(server), host=host, port=port, log_level="warning")
    finally:
        server.close()


commands = {"serve": serve}
