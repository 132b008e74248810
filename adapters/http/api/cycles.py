"""Cycles: `GET /cycles` (by node, year, state), `GET /cycles/{unit}/{year}` (one cycle
with its history; its row version as the ETag) and its verdict."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from adapters.cli.evidence_render import unit_verdict_dict
from adapters.cli.render import history_dict
from adapters.http.api.auth import Authenticated, Services
from adapters.http.api.etags import etag
from adapters.http.api.problems import ProblemRoute
from adapters.http.api.schemas import CycleList, CycleOut, VerdictOut
from adapters.http.years import PathYear, Year, year_or_current
from workflow.service.listing import cycles_under
from workflow.service.records import Cycle

Definition = Annotated[
    str | None, Query(max_length=64, description="The definition, if the unit has several")
]


def cycle_row(cycle: Cycle) -> dict[str, Any]:
    return {
        "unit": cycle.unit_code,
        "unit_kind": cycle.unit_kind,
        "year": cycle.year,
        "definition": {"id": cycle.definition_id, "version": cycle.definition_version},
        "state": cycle.state,
        "outcome": cycle.outcome,
        "version": cycle.version,
    }


def router() -> APIRouter:
    api = APIRouter(route_class=ProblemRoute, tags=["cycles"])

    @api.get("/cycles", response_model=CycleList)
    def cycles(
        app: Services,
        caller: Authenticated,
        year: Year = None,
        under: Annotated[str | None, Query(max_length=64)] = None,
        state: Annotated[list[str] | None, Query(max_length=20)] = None,
        after: Annotated[int, Query(ge=0, le=2**62, description="`next_after` of a page")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """A page of the year's cycles under a node (default: the caller's), optionally
        in the states named; `next_after` pages on."""
        node = app.actors.scope(caller.grant, under, "api cycles")
        the_year = year_or_current(app, year)
        found, next_after = cycles_under(app.cycles, the_year, node, state, after, limit)
        return {
            "year": the_year,
            "under": node,
            "states": state or [],
            "next_after": next_after,
            "cycles": [cycle_row(c) for c in found],
        }

    @api.get("/cycles/{unit}/{year}", response_model=CycleOut)
    def cycle(
        app: Services,
        caller: Authenticated,
        response: Response,
        unit: str,
        year: PathYear,
        definition: Definition = None,
    ) -> dict[str, Any]:
        """The cycle's steps (actor, role, time, payload), deadlines and notices sent."""
        app.actors.sight(caller.grant, unit, "api cycle")
        found = history_dict(app.cycles.history(unit, year, definition))
        response.headers["ETag"] = etag(found["version"])
        return found

    @api.get("/cycles/{unit}/{year}/verdict", response_model=VerdictOut)
    def verdict(
        app: Services,
        caller: Authenticated,
        unit: str,
        year: PathYear,
        definition: Definition = None,
    ) -> dict[str, Any]:
        """The recognition rule on the unit's evidence as it stands: every check, actual
        against required, with the ratings and meeting registers it read."""
        app.actors.sight(caller.grant, unit, "api verdict")
        return unit_verdict_dict(app.evidence.verdict(unit, year, definition))

    return api
