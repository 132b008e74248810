"""The year a page shows: the one in its URL (`?year=`), else the year the service
calls current (the newest year with cycles: a year's cycle runs into the next spring)."""

from __future__ import annotations

from fastapi import Request

from adapters.bootstrap import App

#: years a URL may ask for; anything else is ignored, not an error page
ASKABLE = range(2000, 2101)


def asked_year(request: Request) -> int | None:
    text = request.query_params.get("year") or ""
    return int(text) if text.isdigit() and int(text) in ASKABLE else None


def page_year(request: Request, app: App) -> int:
    return app.desk.year(asked_year(request))
