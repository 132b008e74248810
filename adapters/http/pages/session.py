"""Who is looking at a page: the signed session cookie, the CSRF token every form
carries, the language, and the log-in attempts' rate limit.

The cookie holds the actor's id only, signed with the server's secret (itsdangerous);
each request authenticates it again through `Actors.authenticate(SignedIn)`, so a
revoked actor's session ends at its next request."""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from adapters.bootstrap import App
from adapters.http.pages import nav
from adapters.http.server import Server, server_of
from workflow.access import Grant
from workflow.service.actors import NotAuthenticated, SignedIn

SESSION_COOKIE = "bontot_session"
CSRF_COOKIE = "bontot_csrf"
LANG_COOKIE = "bontot_lang"
#: a working day's session; a log-in is asked for again after it
SESSION_SECONDS = 10 * 3600
LANGS = ("vi", "en")


class LoginRequired(Exception):
    """No valid session while the installation has actors: the page sends to log-in."""


@dataclass(frozen=True)
class Visitor:
    #: None in open mode (no actors): every page, every event
    actor: str | None
    grant: Grant | None
    lang: str
    csrf: str
    #: the installation has no actors yet (said on every page)
    open_mode: bool = False
    #: the actor's role as the definitions name it, in the visitor's language
    role_label: str = ""
    #: the pages the top of the page links to (pages/nav.py): only what the role opens
    links: tuple[str, ...] = ()


def _serializer(server: Server, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(server.secret, salt=salt)


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGS else server_of(request).lang


def csrf_token(request: Request) -> str:
    """The form token: the CSRF cookie's value, signed (the cookie is set if missing)."""
    raw = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_raw", None)
    if not raw:
        raw = secrets.token_urlsafe(16)
        request.state.csrf_raw = raw
    return str(_serializer(server_of(request), "csrf").dumps(raw))


def csrf_ok(request: Request, presented: str | None) -> bool:
    raw = request.cookies.get(CSRF_COOKIE)
    if not raw or not presented:
        return False
    try:
        return bool(_serializer(server_of(request), "csrf").loads(presented) == raw)
    except BadSignature:
        return False


def signed_actor(request: Request) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        actor = _serializer(server_of(request), "session").loads(cookie, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    return actor if isinstance(actor, str) else None


def visitor(request: Request, app: App, purpose: str) -> Visitor:
    """The actor behind the request, authenticated by its session; LoginRequired when
    there is none (or it was revoked) and the installation has actors."""
    lang, csrf = language(request), csrf_token(request)
    actor = signed_actor(request)
    if actor is None:
        if app.actors.open_mode():
            links = nav.links(app.catalog, None, open_mode=True)
            return Visitor(None, None, lang, csrf, open_mode=True, links=links)
        raise LoginRequired
    try:
        grant = app.actors.authenticate(actor, purpose, SignedIn(actor))
    except NotAuthenticated:
        raise LoginRequired from None
    return Visitor(actor, grant, lang, csrf, role_label=_role_label(app, grant, lang),
                   links=nav.links(app.catalog, grant, open_mode=False))  # fmt: skip


def _role_label(app: App, grant: Grant | None, lang: str) -> str:
    if grant is None:
        return ""
    for definition in app.catalog:
        role = definition.spec.roles.get(grant.role)
        if role is not None:
            return str(role.label.get(lang))
    return grant.role


def finish(request: Request, response: Response) -> Response:
    """The cookies a page sets: the CSRF cookie when new, the language when chosen."""
    raw = getattr(request.state, "csrf_raw", None)
    if raw and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, raw, httponly=True, samesite="lax")
    asked = request.query_params.get("lang")
    if asked in LANGS:
        response.set_cookie(LANG_COOKIE, asked, samesite="lax", max_age=365 * 86400)
    return response


def open_session(request: Request, response: Response, actor: str) -> None:
    value = _serializer(server_of(request), "session").dumps(actor)
    response.set_cookie(
        SESSION_COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="lax"
    )


def close_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)


@dataclass
class Attempts:
    """Failed log-ins per actor and per client address in a sliding window: past the
    limit, log-in is refused without looking at the token."""

    per_actor: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        found = self.failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def blocked(self, actor: str, address: str, now: datetime) -> bool:
        return (
            len(self._recent("actor:" + actor, now)) >= self.per_actor
            or len(self._recent("address:" + address, now)) >= self.per_address
        )

    def failed(self, actor: str, address: str, now: datetime) -> None:
        self._recent("actor:" + actor, now).append(now)
        self._recent("address:" + address, now).append(now)

    def succeeded(self, actor: str) -> None:
        self.failures.pop("actor:" + actor, None)


def attempts_of(request: Request) -> Attempts:
    state = request.app.state
    if not hasattr(state, "login_attempts"):
        state.login_attempts = Attempts()
    found: Attempts = state.login_attempts
    return found
