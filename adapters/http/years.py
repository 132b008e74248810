"""The year a page or an endpoint reads: the one asked for (`?year=`), else the year the
service calls current (`Desk.year`: the newest year with cycles, since a year's cycle is
still decided the next spring; the clock's year before any cycle exists)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from adapters.bootstrap import App

#: years a request may ask for
FIRST_YEAR, LAST_YEAR = 2000, 2100

#: the API's `year` parameter (out of range: a 422 problem)
Year = Annotated[
    int | None,
    Query(ge=FIRST_YEAR, le=LAST_YEAR, description="Default: the newest year with cycles"),
]

#: a cycle's year in a path (`/cycles/{unit}/{year}`)
PathYear = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]


def year_or_current(app: App, year: int | None) -> int:
    return app.desk.year(year)


def asked_year(request: Request) -> int | None:
    """A page's `?year=`; anything out of range or not a number is ignored, not an error."""
    text = request.query_params.get("year") or ""
    return int(text) if text.isdigit() and FIRST_YEAR <= int(text) <= LAST_YEAR else None


def page_year(request: Request, app: App) -> int:
    return year_or_current(app, asked_year(request))
