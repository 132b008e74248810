"""The HTTP API under /api/v1: the same use cases as the command line, as JSON."""

from __future__ import annotations

from fastapi import APIRouter


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return api
