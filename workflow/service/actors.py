"""Who is acting: authentication, the actors themselves, and the anchor of the trail.

Every entry point (the command line today, a web board tomorrow) asks here whether an
actor may act at all; the policy is `workflow.access`, this module loads what it reads
and writes each refusal to the audit trail before raising it. Reading the token (an
environment variable, a prompt, a header) stays with the entry point: it hands in a
function, called only when the installation has actors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workflow.access import (
    ADMINISTRATOR,
    SYSTEM_ROLES,
    Grant,
    authentication_refusal,
    first_actor_refusal,
    name_refusal,
    scope_refusal,
    sight_refusal,
)
from workflow.clock import Clock
from workflow.errors import BontotError, Reason
from workflow.service.ports import UnitOfWork
from workflow.service.records import UnitRef
from workflow.spec.registry import Definition

#: a row of the actor list: (id, name, role, scope code, created at, revoked at)
ActorRow = tuple[str, str, str, str | None, str, str | None]
#: (id, name, role, scope code, token hash) of an actor to add
NewActor = tuple[str, str, str, str | None, str]


class Refused(BontotError):
    """An act refused to its actor, with the reason it is told (the command line exits 3).
    `log` names the warning an entry point logs, with `fields`; None: nothing to log."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        log: str | None = None,
        *,
        msgid: str | None = None,
        params: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, msgid=msgid, params=params)
        self.log = log
        self.fields = fields


class NotAuthenticated(Refused):
    """The actor could not be trusted at all: the entry point says how to present a token."""

    def __init__(self, actor: str, purpose: str, reason: str) -> None:
        super().__init__(
            f"{actor}: refused ({reason})",
            "actor.refused",
            msgid="refusal.not_authenticated",
            params={"actor": actor, "reason": reason},
            actor=actor,
            purpose=purpose,
            reason=reason,
        )
        self.actor = actor
        self.reason = reason


#: (token presented, stored hash) -> whether they match
TokenCheck = Callable[[str, str], bool]
#: a new token and its hash, to store
TokenIssue = Callable[[], tuple[str, str]]
#: the token the actor presents, asked for only when it is needed (None: none given)
TokenSource = Callable[[], str | None]


def no_token() -> str | None:
    return None


@dataclass(frozen=True)
class SignedIn:
    """An actor the entry point authenticated earlier, by its token, and holds a session
    for (the web board's signed cookie): trusted while it exists and is not revoked."""

    actor: str


@dataclass(frozen=True)
class Secret:
    """What a person typed at a log-in: their token, or the password an administrator
    set for them (either is accepted)."""

    text: str


#: how an actor proves who it is: a token, a typed secret, or a session an entry point
#: signed
Credential = TokenSource | SignedIn | Secret


#: the actor a refusal to an unauthenticated claim is recorded under: the claim is not
#: trusted, so the id claimed is kept in the detail, never as the one who acted
UNAUTHENTICATED = "unauthenticated"


class Actors:
    """`roles`: the roles an actor may be given (the system's and every definition's);
    None: any. `wall`: the machine's clock, which dates a refusal to an unauthenticated
    claim (the claimant's `--now` is not believed); the service's clock by default."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        check: TokenCheck,
        issue: TokenIssue,
        roles: frozenset[str] | None = None,
        wall: Clock | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.check = check
        self.issue = issue
        self.roles = roles
        self.wall = wall or clock
        self._decoy: str | None = None

    def _decoy_hash(self) -> str:
        """A stored hash no token matches, checked against for an unknown actor, so that
        an unknown id costs the same work as a known one (ids are not told by timing)."""
        if self._decoy is None:
            self._decoy = self.issue()[1]
        return self._decoy

    def authenticate(
        self,
        actor: str,
        purpose: str,
        token: Credential = no_token,
        backdated: str | None = None,
        administrator: bool = False,
    ) -> Grant | None:
        """None while the installation has no actors (open mode); else the actor's
        grant, once its token matches and it is not revoked. With actors, the time of an
        act is the clock's: a back-dated act (`backdated`, the `--now` given) is refused.
        A refusal is kept in the audit trail, then raised as NotAuthenticated."""
        found = self.uow.actors.find(actor)
        # an actor found means the installation has actors: one query, not two, on the
        # API's every request
        if found is None and self.uow.actors.count() == 0:
            return None
        matches: bool | None
        if isinstance(token, SignedIn):
            matches = token.actor == actor
        elif isinstance(token, Secret):
            matches = (
                None
                if not token.text or found is None
                else self._secret_matches(actor, token.text, found[1])
            )
        else:
            presented = token()
            matches = None
            if presented is not None:
                stored = found[1] if found is not None else self._decoy_hash()
                matches = self.check(presented, stored) and found is not None
        grant = found[0] if found is not None else None
        why = authentication_refusal(grant, matches, purpose, backdated, administrator)
        if why is not None:
            # who claimed it and when they said it was are the claimant's word: the fact
            # is the machine's, at the machine's time
            with self.uow:
                self.uow.audit.append(
                    "refusal", self.wall.now(), UNAUTHENTICATED, code="not_authenticated",
                    detail={"purpose": purpose, "reason": why, "claimed": actor},
                )  # fmt: skip
                self.uow.commit()
            raise NotAuthenticated(actor, purpose, why)
        assert grant is not None
        return grant

    def _secret_matches(self, actor: str, text: str, token_hash: str) -> bool:
        if self.check(text, token_hash):
            return True
        password = self.uow.actors.password_hash(actor)
        return password is not None and self.check(text, password)

    def refuse(
        self,
        grant: Grant,
        purpose: str,
        why: str,
        message: str,
        log: str | None = "actor.refused",
        said: tuple[str, dict[str, Any]] | None = None,
        **where: Any,
    ) -> Refused:
        """Keep an authorisation refusal in the trail; the error to raise. `where`: the
        record's unit_code, unit_path, year, event, detail."""
        detail = where.pop("detail", {"purpose": purpose, "reason": why})
        self.record(
            "refusal", grant.actor, role=grant.role, code="not_authorized", detail=detail,
            **where,
        )  # fmt: skip
        return Refused(
            message, log, actor=grant.actor, purpose=purpose, reason=why,
            msgid=said[0] if said else "refusal.actor_reason",
            params=said[1] if said else {"actor": grant.actor, "reason": why},
        )  # fmt: skip

    def sight(self, grant: Grant | None, unit_code: str, purpose: str) -> UnitRef:
        """The unit, if the actor may see it (NotFound if there is none); a unit outside
        the actor's subtree is refused, and the refusal kept in the trail."""
        unit = self.uow.units.find(unit_code)
        why = sight_refusal(grant, unit.path)
        if why is not None:
            assert grant is not None
            said = {"actor": grant.actor, "unit": unit_code, "scope": grant.scope_code}
            raise self.refuse(
                grant, purpose, why, f"{grant.actor}: {unit_code} is {why}",
                said=("refusal.outside_subtree", said), unit_code=unit_code, unit_path=unit.path,
            )  # fmt: skip
        return unit

    def scope(self, grant: Grant | None, under: str | None, purpose: str) -> str | None:
        """The node an actor's read covers: `under` if given and in sight, else the
        actor's own scope (None: the whole tree)."""
        if under is not None:
            return self.sight(grant, under, purpose).code
        return None if grant is None else grant.scope_code

    def add(
        self,
        actor_id: str,
        role: str,
        scope: str | None,
        name: str = "",
        by: str | None = None,
        token: TokenSource = no_token,
        lang: str = "vi",
    ) -> str:
        """Add an actor; its token, to be shown once. The first actor must be an
        administrator; after it, an administrator adds the others. Its id and role must
        keep to a safe character set (`name_refusal`), checked before anything else."""
        unsafe = name_refusal(actor_id, role, lang)
        if unsafe is not None:
            raise Refused(unsafe)
        if self.roles is not None and role not in self.roles:
            known = ", ".join(sorted(self.roles))
            raise Refused(Reason(f"unknown role {role!r}: no definition has it (known: {known})",
                                 "reason.unknown_role", given=role, known=known))  # fmt: skip
        first = self.uow.actors.count() == 0
        if first:
            why = first_actor_refusal(role)
            if why is not None:
                raise Refused(why)
            by = actor_id
        else:
            if by is None:
                raise Refused(Reason("--by ADMINISTRATOR is needed once actors exist",
                                     "reason.by_needed"))  # fmt: skip
            self.authenticate(by, "actors add", token, administrator=True)
        why = scope_refusal(role, scope)
        if why is not None:
            raise Refused(why)
        secret, hashed = self.issue()
        with self.uow:
            if first:  # two first administrators at once: the second sees the first's row
                self.uow.actors.lock_administration()
                if self.uow.actors.count() != 0:
                    raise Refused(Reason(
                        "an administrator was added meanwhile: ask it to add you (--by)",
                        "reason.first_taken",
                    ))  # fmt: skip
            self.uow.actors.add([(actor_id, name, role, scope, hashed)], self.clock.now(), by)
            self.uow.commit()
        return secret

    def revoke(self, actor_id: str, by: str, token: TokenSource = no_token) -> None:
        """Revoke an actor: its token no longer works."""
        self.authenticate(by, "actors revoke", token, administrator=True)
        with self.uow:
            # two administrators revoking each other at once: the second counts again
            # after the first's revocation, and keeps the installation administered
            self.uow.actors.lock_administration()
            administrators = [
                row[0]
                for row in self.uow.actors.all()
                if row[2] == ADMINISTRATOR and row[5] is None
            ]
            if administrators == [actor_id]:
                raise Refused(
                    f"{actor_id} is the last administrator: add another before revoking it",
                    "actor.refused", actor=by, purpose="actors revoke",
                    reason="last administrator",
                    msgid="reason.last_administrator", params={"actor": actor_id},
                )  # fmt: skip
            revoked = self.uow.actors.revoke(actor_id, self.clock.now(), by)
            self.uow.commit()
        if not revoked:
            raise Refused(Reason(f"no active actor {actor_id!r}", "reason.no_active_actor",
                                 actor=actor_id))  # fmt: skip

    def open_mode(self) -> bool:
        """Whether the installation has no actors yet (everyone may do everything)."""
        return self.uow.actors.count() == 0

    def every(self) -> list[ActorRow]:
        return self.uow.actors.all()

    def anchor(
        self, by: str, token: TokenSource = no_token, backdated: str | None = None
    ) -> dict[str, Any]:
        """One hash over every chain's head as of now, recorded by an administrator."""
        self.authenticate(by, "audit anchor", token, backdated, administrator=True)
        with self.uow:
            detail = self.uow.audit.anchor(self.clock.now(), by)
            self.uow.commit()
        return detail

    def record(self, kind: str, actor: str, **fields: Any) -> None:
        """Append a fact (a refusal, a decision) to the audit-event chain, at the clock's
        time, in a unit of work of its own."""
        with self.uow:
            self.uow.audit.append(kind, self.clock.now(), actor, **fields)
            self.uow.commit()


def known_roles(definitions: Iterable[Definition]) -> frozenset[str]:
    """The roles an actor may hold: the installation's own and any definition's."""
    return frozenset(SYSTEM_ROLES).union(*(d.spec.roles for d in definitions))
