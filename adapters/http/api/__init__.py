"""The HTTP API under /api/v1: the same use cases as the command line, as JSON.

Each resource group has its module (units, cycles, acts, board); `auth` says who calls,
`problems` how an error is said, `schemas` the shapes the OpenAPI document shows. A
route parses, makes one service call after authenticating, and renders with the
command line's own JSON helpers, so both say the same figures.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from adapters.http.api import acts, board, cycles, units
from adapters.http.api.problems import ProblemRoute, no_route
from adapters.http.api.schemas import Health

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def router() -> APIRouter:
    api = APIRouter(route_class=ProblemRoute)

    @api.get("/health", response_model=Health, tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    known = list(api.routes)
    for group in (units, cycles, acts, board):
        routes = group.router()
        api.include_router(routes)
        known.extend(routes.routes)

    # last: an address under /api/v1 that no route above has is a problem too
    @api.api_route("/{rest:path}", methods=ANY_METHOD, include_in_schema=False)
    def unknown(request: Request, rest: str) -> JSONResponse:
        return no_route(request, rest, known)

    return api
