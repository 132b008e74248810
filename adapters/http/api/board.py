"""A superior's views of its subtree for a year: `GET /board`, `/overdue`, `/report`
(the same figures as `bontot status --json`, `overdue --json`, `report --format json`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from adapters.cli.render import board_dict
from adapters.cli.time_render import overdue_dict
from adapters.http.api.auth import Authenticated, Services
from adapters.http.api.problems import ProblemRoute
from adapters.http.api.schemas import BoardOut, OverdueList, ReportOut
from adapters.http.years import Year, year_or_current

Under = Annotated[
    str | None, Query(max_length=64, description="A node of the tree (default: the caller's)")
]


def router() -> APIRouter:
    api = APIRouter(route_class=ProblemRoute, tags=["board"])

    @api.get("/board", response_model=BoardOut)
    def board(
        app: Services, caller: Authenticated, year: Year = None, under: Under = None
    ) -> dict[str, Any]:
        """Cycles by state under a node, overdue counts, the recognised share against the
        target with the gap in units."""
        node = app.actors.scope(caller.grant, under, "api board")
        return board_dict(app.cycles.board(year_or_current(app, year), node))

    @api.get("/overdue", response_model=OverdueList)
    def overdue(
        app: Services, caller: Authenticated, year: Year = None, under: Under = None
    ) -> dict[str, Any]:
        """Deadlines past due and not met, oldest first (and milestones not kept)."""
        node = app.actors.scope(caller.grant, under, "api overdue")
        the_year = year_or_current(app, year)
        items = app.cycles.overdue(the_year, node)
        at = app.clock.now()
        return {"year": the_year, "under": node, "items": [overdue_dict(i, at) for i in items]}

    @api.get("/report", response_model=ReportOut)
    def report(
        app: Services, caller: Authenticated, year: Year = None, under: Under = None
    ) -> dict[str, Any]:
        """One row per unit and a summary per superior, as the yearly report holds them."""
        node = app.actors.scope(caller.grant, under, "api report")
        return app.cycles.report(year_or_current(app, year), node).as_dict()

    return api
