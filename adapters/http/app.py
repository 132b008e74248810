"""The ASGI application: the pages, the API under /api/v1, the vendored static files,
and the headers every answer carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from adapters.http import api, pages
from adapters.http.server import Server

#: no inline script, nothing from another origin (installations sit on closed networks)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(server: Server) -> FastAPI:
    app = FastAPI(
        title="bontot",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; the spec itself is served
        redoc_url=None,
    )
    app.state.server = server

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.include_router(api.router(), prefix="/api/v1")
    app.include_router(pages.router())
    app.mount("/static", StaticFiles(packages=[("adapters.http", "static")]), name="static")
    return app
