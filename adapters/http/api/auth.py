"""Who calls the API: `Authorization: Bearer <actor>:<token>`, the actor's CLI token.

Checking a token costs one scrypt (~50 ms), too much for every request of a client that
polls. A token that matched is remembered for a short while as (actor, sha256(token)),
never the token itself; while remembered, the actor is authenticated as `SignedIn`,
which still reads the actor's row on every request, so a revocation takes effect at
the next one. The token is never logged and never read from a URL.

Failed tokens are kept in the trail but not rate-limited, unlike the log-in form's
passwords: a token is 256 random bits that no rate of guessing reaches, while a limit
per actor would let anyone who knows an actor's name lock its integration out.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from adapters.bootstrap import App
from adapters.http.api.problems import ApiProblem
from adapters.http.server import services
from workflow.access import Grant
from workflow.service.actors import Credential, SignedIn, no_token

#: how long a verified token is trusted without scrypt (a revocation is seen at once)
TRUST_SECONDS = 300.0
#: so that a stream of bad tokens cannot grow the memory without bound
MAX_REMEMBERED = 10_000


@dataclass
class VerifiedTokens:
    """(actor, sha256 of the token) -> until when (monotonic seconds) it is trusted."""

    ttl: float = TRUST_SECONDS
    now: Callable[[], float] = time.monotonic
    _until: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def key(actor: str, token: str) -> tuple[str, str]:
        return actor, hashlib.sha256(token.encode()).hexdigest()

    def trusted(self, actor: str, token: str) -> bool:
        key = self.key(actor, token)
        with self._lock:
            until = self._until.get(key)
            if until is None:
                return False
            if until < self.now():
                del self._until[key]
                return False
            return True

    def __len__(self) -> int:
        return len(self._until)

    def held(self) -> list[tuple[str, str]]:
        """What is kept: (actor, token hash) pairs."""
        with self._lock:
            return list(self._until)

    def remember(self, actor: str, token: str) -> None:
        with self._lock:
            if len(self._until) >= MAX_REMEMBERED:
                at = self.now()
                self._until = {k: u for k, u in self._until.items() if u >= at}
                if len(self._until) >= MAX_REMEMBERED:
                    self._until.clear()
            self._until[self.key(actor, token)] = self.now() + self.ttl


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: its grant (None: an installation without actors, where
    anyone may act) and the credential the services take for its acts."""

    actor: str
    grant: Grant | None
    credential: Credential


_guard = threading.Lock()


def verified_tokens(request: Request) -> VerifiedTokens:
    """The server's memory of verified tokens (made on the first request)."""
    state = request.app.state
    with _guard:
        found: VerifiedTokens | None = getattr(state, "api_verified_tokens", None)
        if found is None:
            found = state.api_verified_tokens = VerifiedTokens()
    return found


def bearer(request: Request) -> tuple[str, str] | None:
    """(actor, token) from the Authorization header; None when there is none."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    actor, colon, token = value.strip().partition(":")
    if scheme.lower() != "bearer" or not colon or not actor or not token:
        raise ApiProblem("not_authenticated", "not_authenticated")
    return actor, token


def caller(request: Request, app: Annotated[App, Depends(services)]) -> Caller:
    """Authenticate the request's actor (a FastAPI dependency). Without a header, only
    an installation that has no actors answers; the refusal is kept in the trail."""
    presented = bearer(request)
    if presented is None:
        # refused (and kept in the trail) unless the installation has no actors at all
        app.actors.authenticate("-", "api", no_token)
        return Caller("-", None, no_token)
    actor, token = presented
    memory = verified_tokens(request)
    if memory.trusted(actor, token):
        grant = app.actors.authenticate(actor, "api", SignedIn(actor))
    else:
        grant = app.actors.authenticate(actor, "api", lambda: token)
        if grant is not None:
            memory.remember(actor, token)
    return Caller(actor, grant, SignedIn(actor))


Services = Annotated[App, Depends(services)]
Authenticated = Annotated[Caller, Depends(caller)]
