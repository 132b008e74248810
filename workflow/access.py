"""Who may act on which cycle: roles scoped to a node of the unit tree (pure).

A role that acts for the unit (a secretary) is held for exactly one unit; a role that
acts for its superiors (an organisation board, a standing committee) is held on a
committee and reaches the units strictly below it, so no unit ever appraises or
recognises itself. Auditors read and never act; administrators manage actors and act
on nothing. Separation of duties comes from the definition (`not_by_actor_of`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workflow.errors import Reason
from workflow.runtime.decision import Refusal
from workflow.spec.model import DefinitionSpec
from workflow.tree import covers

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


def authorize(
    grant: Grant, role: str, spec: DefinitionSpec, unit_code: str, unit_path: str
) -> Refusal | None:
    """Whether `grant` lets its actor fire as `role` on the cycle of this unit."""
    if grant.revoked:
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} has been revoked",
            msgid="refusal.revoked",
            params={"actor": grant.actor},
        )
    if grant.role in SYSTEM_ROLES:
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} is an {grant.role} and fires no event",
            msgid="refusal.system_role",
            params={"actor": grant.actor, "role": grant.role},
        )
    if grant.role != role:
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} holds {grant.role!r}, not {role!r}",
            msgid="refusal.other_role",
            params={"actor": grant.actor, "held": grant.role, "role": role},
        )
    role_spec = spec.roles.get(role)
    acts_for = role_spec.acts_for if role_spec else "unit"
    where = grant.scope_code or "the whole tree"
    if acts_for == "system":
        return Refusal(
            "not_authorized",
            f"role {role!r} is the system's, not a person's",
            msgid="refusal.system_only",
            params={"role": role},
        )
    if acts_for == "unit" and grant.scope_path != unit_path:
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} is {role} of {where}, not of {unit_code}",
            msgid="refusal.other_unit",
            params={"actor": grant.actor, "role": role, "where": where, "unit": unit_code},
        )
    if acts_for == "superior" and not (
        covers(grant.scope_path, unit_path) and grant.scope_path != unit_path
    ):
        reason = "its own unit" if grant.scope_path == unit_path else "a unit outside it"
        return Refusal(
            "not_authorized",
            f"actor {grant.actor!r} is {role} of {where} and may not act on {reason} "
            f"({unit_code})",
            msgid="refusal.own_unit" if grant.scope_path == unit_path else "refusal.outside",
            params={"actor": grant.actor, "role": role, "where": where, "unit": unit_code},
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
                params={"actor": actor, "done": done, "event": event},
            )
    return None


# -- the policies of the entry points: each returns why an act is refused, or None -----
def authentication_refusal(
    grant: Grant | None,
    token_matches: bool | None,
    purpose: str,
    backdated: str | None = None,
    administrator: bool = False,
) -> str | None:
    """Why an actor may not act at all, once the installation has actors: unknown, no
    token (`token_matches` None), a bad one, revoked, an act dated by `--now` (the time
    of an act is the clock's), or an administrator's act by someone else. The order is
    the order a person fixes them in."""
    if grant is None:
        return "unknown actor"
    if token_matches is None:
        return "no token"
    if not token_matches:
        return "bad token"
    if grant.revoked:
        return "revoked"
    if backdated is not None:
        return Reason(
            f"--now {backdated}: an act is dated by the clock once actors exist",
            "reason.backdated", given=backdated,
        )  # fmt: skip
    if administrator and grant.role != ADMINISTRATOR:
        return Reason(f"{purpose} is for administrators", "reason.administrators_only",
                      purpose=purpose)  # fmt: skip
    return None


def sight_refusal(grant: Grant | None, unit_path: str) -> str | None:
    """Whether an actor may see a unit: every unit while the installation has no actors
    (`grant` None), a whole-tree grant everywhere, any other only its own subtree."""
    if grant is None or covers(grant.scope_path, unit_path):
        return None
    return Reason(f"outside {grant.scope_code}'s subtree", "reason.outside_subtree",
                  scope=grant.scope_code)  # fmt: skip


def acting_refusal(grant: Grant | None) -> str | None:
    """Whether an actor may decide anything at all (a bulk decision is refused up front
    rather than cycle by cycle): the installation's own roles fire no event."""
    if grant is not None and grant.role in SYSTEM_ROLES:
        return Reason(f"an {grant.role} fires no event", "reason.fires_no_event",
                      role=grant.role)  # fmt: skip
    return None


#: what an actor id may hold: letters, digits and . _ @ - (never a control character,
#: a space or a quote, so that no id can be read as two fields or two ids)
_ACTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
#: a role is a code of the definition or the installation: lower-case letters, digits, _
_ROLE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def name_refusal(actor_id: str, role: str, lang: str = "vi") -> str | None:
    """An actor id or role outside the safe character set, refused before anything is
    written, in the user's language."""
    if not _ACTOR_ID.fullmatch(actor_id):
        return (
            f"actor id {actor_id!r}: only letters, digits and . _ @ - (up to 64, starting "
            "with a letter or digit)"
            if lang == "en"
            else f"mã người dùng {actor_id!r}: chỉ được dùng chữ cái không dấu, chữ số và "
            ". _ @ - (tối đa 64 ký tự, bắt đầu bằng chữ hoặc số)"
        )
    if not _ROLE.fullmatch(role):
        return (
            f"role {role!r}: only lower-case letters, digits and _ (up to 64)"
            if lang == "en"
            else f"vai trò {role!r}: chỉ được dùng chữ thường không dấu, chữ số và _ "
            "(tối đa 64 ký tự)"
        )
    return None


def first_actor_refusal(role: str) -> str | None:
    """The installation's first actor founds it: only an administrator may."""
    if role == ADMINISTRATOR:
        return None
    return Reason("the first actor must be an administrator", "reason.first_actor")


def scope_refusal(role: str, scope: str | None) -> str | None:
    """A definition's role is held on a unit; the installation's own roles need none."""
    if role not in SYSTEM_ROLES and scope is None:
        return Reason(f"role {role!r} is held on a unit: give --scope CODE",
                      "reason.needs_scope", role=role)  # fmt: skip
    return None


def meeting_import_refusal(
    grant: Grant,
    spec: DefinitionSpec,
    unit_codes: Iterable[tuple[str, int]],
) -> str | None:
    """An administrator imports any unit's meetings; a role that acts for its own unit
    (a secretary) only that unit's. Auditors and superiors' boards import nothing.
    `unit_codes`: (unit code, file row) of each meeting."""
    if grant.role == ADMINISTRATOR:
        return None
    role = spec.roles.get(grant.role)
    if role is None or role.acts_for != "unit":
        return Reason(f"a {grant.role} does not keep a unit's meeting register",
                      "reason.keeps_no_meetings", role=grant.role)  # fmt: skip
    for unit_code, line in unit_codes:
        if unit_code != grant.scope_code:
            return Reason(
                f"row {line}: {unit_code} is not {grant.scope_code}, "
                f"the unit {grant.actor} is {grant.role} of",
                "reason.meeting_row_foreign", row=line, unit=unit_code,
                scope=grant.scope_code, actor=grant.actor, role=grant.role,
            )  # fmt: skip
    return None


def target_setters(spec: DefinitionSpec) -> frozenset[str]:
    """Who assigns a superior its target: whoever the definition lets decide that a unit
    is recognised (the roles of the transitions into a `recognized` outcome), and the
    administrator."""
    recognising = {
        role
        for transition in spec.transitions
        if (state := spec.states.get(transition.dest)) is not None
        and state.outcome == "recognized"
        for role in transition.roles
    }
    return frozenset({ADMINISTRATOR, *recognising})


def target_refusal(grant: Grant, spec: DefinitionSpec) -> str | None:
    """A target is set by a role that recognises units (or an administrator)."""
    if grant.role not in target_setters(spec):
        return Reason(
            f"{grant.actor}: targets are set by a standing committee or an administrator",
            "reason.target_setters", actor=grant.actor,
        )  # fmt: skip
    return None


def outside_scope(grant: Grant, unit: str, unit_path: str) -> str | None:
    """A node outside the grant's scope, said to its actor."""
    if not covers(grant.scope_path, unit_path):
        return Reason(f"{grant.actor}: {unit} is outside your scope ({grant.scope_code})",
                      "reason.outside_scope", actor=grant.actor, unit=unit,
                      scope=grant.scope_code)  # fmt: skip
    return None


def milestone_refusal(
    grant: Grant, unit: str, unit_path: str, owner: str | None = None
) -> str | None:
    """A milestone is kept by a person's role holding the committee in its scope, and
    that role is the milestone's `owner` (a board does not keep the standing
    committee's review) when the definition names one."""
    if grant.revoked or grant.role in SYSTEM_ROLES or not covers(grant.scope_path, unit_path):
        return Reason(
            f"{grant.actor} ({grant.role} of {grant.scope_code}) may not act for {unit}",
            "reason.milestone_not_yours", actor=grant.actor, role=grant.role,
            scope=grant.scope_code or "*", unit=unit,
        )  # fmt: skip
    if owner is not None and grant.role != owner:
        return Reason(
            f"{grant.actor} ({grant.role}) may not keep it: it is kept by {owner}",
            "reason.milestone_owner", actor=grant.actor, role=grant.role, owner=owner,
        )  # fmt: skip
    return None
