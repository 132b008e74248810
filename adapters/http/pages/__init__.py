"""The pages people use: server-rendered (Jinja2), a little htmx, Vietnamese first."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse)
    def home() -> str:
        return "<!doctype html><title>bontot</title><h1>bontot</h1>"

    return pages
