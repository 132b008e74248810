"""The pages people use: server-rendered (Jinja2), a little htmx, Vietnamese first.
One module per page group; each route parses, makes one service call, renders."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.pages import (
    audit,
    board,
    decisions,
    imports,
    jobs,
    login,
    reports,
    units,
    work,
)


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    for group in (login, board, units, work, decisions, audit, reports, imports, jobs):
        pages.include_router(group.router())
    return pages
