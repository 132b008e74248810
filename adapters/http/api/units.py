"""`GET /units` (the subtree under a node) and `GET /units/{code}`, in the caller's sight."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from adapters.cli.render import unit_dict
from adapters.http.api.auth import Authenticated, Services
from adapters.http.api.problems import ProblemRoute
from adapters.http.api.schemas import UnitList, UnitOut


def router() -> APIRouter:
    api = APIRouter(route_class=ProblemRoute, tags=["units"])

    @api.get("/units", response_model=UnitList)
    def units(
        app: Services,
        caller: Authenticated,
        under: Annotated[str | None, Query(max_length=64)] = None,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> dict[str, Any]:
        """The units under a node (default: the caller's own), in tree order."""
        node = app.actors.scope(caller.grant, under, "api units")
        found = app.registers.units(node)
        return {
            "under": node,
            "total": len(found),
            "offset": offset,
            "units": [unit_dict(u) for u in found[offset : offset + limit]],
        }

    @api.get("/units/{code}", response_model=UnitOut)
    def unit(app: Services, caller: Authenticated, code: str) -> dict[str, Any]:
        return unit_dict(app.actors.sight(caller.grant, code, "api unit"))

    return api
