"""Who may act on which cycle: roles scoped to a node of the unit tree (pure).

A role that acts for the unit (a secretary) is held for exactly one unit; a role that
acts for its superiors (an organisation board, a standing committee) is held on a
committee and reaches the units strictly below it, so no unit ever appraises or
recognises itself. Auditors read and never act; administrators manage actors and act
on nothing. Separation of duties comes from the definition (`not_by_actor_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workflow.runtime.decision import Refusal
from workflow.spec.model import DefinitionSpec

ADMINISTRATOR = "administrator"
AUDITOR = "auditor"
#: roles of the installation itself, held on top of a definition's own
SYSTEM_ROLES = (ADMINISTRATOR, AUDITOR)


@dataclass(frozen=True)
class Grant:
    """An actor's role and where it holds it: the scope node's code and path (None:
    the whole tree, for administrators and nation-wide auditors)."""

    actor: str
    role: str
    scope_code: str | None
    scope_path: str | None
    revoked: bool = False


def covers(scope_path: str | None, unit_path: str) -> bool:
    return scope_path is None or unit_path.startswith(scope_path)


def authorize(
    grant: Grant, role: str, spec: DefinitionSpec, unit_code: str, unit_path: str
) -> Refusal | None:
    """Whether `grant` lets its actor fire as `role` on the cycle of this unit."""
    if grant.revoked:
        return Refusal("not_authorized", f"actor {grant.actor!r} has been revoked")
    if grant.role in SYSTEM_ROLES:
        return Refusal(
            "not_authorized", f"actor {grant.actor!r} is an {grant.role} and fires no event"
        )
    if grant.role != role:
        return Refusal(
            "not_authorized", f"actor {grant.actor!r} holds {grant.role!r}, not {role!r}"
        )
    role_spec = spec.roles.get(role)
    acts_for = role_spec.acts_for if role_spec else "unit"
    where = grant.scope_code or "the whole tree"
    if acts_for == "system":
        return Refusal("not_authorized", f"role {role!r} is the system's, not a person's")
    if acts_for == "unit" and grant.scope_path != unit_path:
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} is {role} of {where}, not of {unit_code}",
        )
    if acts_for == "superior" and not (
        covers(grant.scope_path, unit_path) and grant.scope_path != unit_path
    ):
        reason = "its own unit" if grant.scope_path == unit_path else "a unit outside it"
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} is {role} of {where} and may not act on {reason} "
            f"({unit_code})",
        )
    return None


def separation(
    actor: str,
    event: str,
    barred: frozenset[str],
    earlier: Callable[[], Iterable[tuple[str, str]]],
) -> Refusal | None:
    """Refuse `event` to an actor who fired one of the `barred` events on this cycle
    (the definition's `not_by_actor_of`). `earlier()`: (event, actor) of the cycle's
    records, read only when there is such a rule."""
    if not barred:
        return None
    for done, by in earlier():
        if done in barred and by == actor:
            return Refusal(
                "separation_of_duties",
                f"actor {actor!r} fired {done!r} on this cycle and may not also fire {event!r}",
            )
    return None
