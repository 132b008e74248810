"""Log-in and log-out: actor id and token, or the password an administrator set, checked
by `Actors.authenticate` (a failure is kept in the trail there, a success here), attempts
limited per actor and per client address."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from adapters.bootstrap import App
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import (
    Visitor,
    attempts_of,
    close_session,
    csrf_ok,
    csrf_token,
    language,
    open_session,
)
from adapters.http.server import services
from workflow.service.actors import NotAuthenticated, Secret


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/login")
    def login_form(request: Request) -> Response:
        who = Visitor(None, None, language(request), csrf_token(request))
        return page(request, "login.html", who, error=None, actor="")

    @pages.post("/login")
    def log_in(
        request: Request,
        actor: str = Form(""),
        token: str = Form(""),
        csrf: str = Form(""),
        app: App = Depends(services),
    ) -> Response:
        who = Visitor(None, None, language(request), csrf_token(request))
        if not csrf_ok(request, csrf):
            return page(request, "login.html", who, 400, error="csrf", actor=actor)
        address = request.client.host if request.client else "-"
        attempts, now = attempts_of(request), app.clock.now()
        actor = actor.strip()
        if attempts.blocked(actor, address, now):
            app.actors.record(
                "refusal", actor or "-", code="rate_limited",
                detail={"purpose": "web log-in", "reason": "too many failed log-ins"},
            )  # fmt: skip
            return page(request, "login.html", who, 429, error="login_limited", actor=actor)
        try:
            app.actors.authenticate(actor, "web log-in", Secret(token))
        except NotAuthenticated:
            attempts.failed(actor, address, now)
            return page(request, "login.html", who, 401, error="login_failed", actor=actor)
        attempts.succeeded(actor)
        app.actors.record("log_in", actor, detail={"purpose": "web log-in", "address": address})
        response = RedirectResponse("/", status_code=303)
        open_session(request, response, actor)
        return response

    @pages.post("/logout")
    def log_out(request: Request, csrf: str = Form("")) -> Response:
        response = RedirectResponse("/login", status_code=303)
        if csrf_ok(request, csrf):
            close_session(response)
        return response

    return pages
