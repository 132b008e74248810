"""From due timers to addressed notices, without I/O.

Firing turns due timers into notices, each addressed to a contact found up the unit
tree, and names each fired timer's successor on its ladder. Composing them into
messages is `workflow.digests`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from workflow.deadlines import PlannedTimer, next_on_ladder
from workflow.spec.model import DefinitionSpec


@dataclass(frozen=True)
class UnitContact:
    id: int
    code: str
    name: str
    path: str
    contacts: Mapping[str, str]


@dataclass(frozen=True)
class DueTimer:
    id: int
    key: str
    cycle_id: int | None
    milestone_id: int | None
    unit_id: int
    unit_path: str
    #: its cycle's or milestone's year: the plan its ladder comes from
    year: int
    definition_id: str
    definition_version: int
    deadline: str
    kind: str
    step: int
    role: str
    offset: str
    deadline_at: datetime
    due_at: datetime
    moved_by: str
    state: str | None
    #: when its deadline was met (None: not met)
    met_at: datetime | None = None
    #: when the cycle last moved: for a final state, when it closed
    state_since: datetime | None = None


@dataclass(frozen=True)
class Notice:
    """A fired timer, addressed: what the audit trail keeps of each notification."""

    timer_id: int
    cycle_id: int | None
    milestone_id: int | None
    unit_id: int
    kind: str
    deadline: str
    step: int
    role: str
    address: str
    due_at: datetime
    at: datetime


@dataclass(frozen=True)
class PendingNotice:
    """A notice waiting to be composed, with what a message about it needs to say."""

    notice_id: int
    timer_key: str
    kind: str
    deadline: str
    step: int
    offset: str
    role: str
    address: str
    due_at: datetime
    deadline_at: datetime
    moved_by: str
    fired_at: datetime
    unit: UnitContact
    definition_id: str
    definition_version: int
    state: str | None
    milestone: bool


@dataclass(frozen=True)
class UnaddressedNotice:
    """A notice of a message parked with nobody to receive it, as retrying it needs."""

    message_key: str
    notice_id: int
    role: str
    kind: str
    milestone: bool
    unit_code: str
    unit_path: str
    definition_id: str
    definition_version: int


SpecLookup = Callable[[str, int], DefinitionSpec]


def ancestors_first(path: str) -> list[int]:
    """Unit ids on a materialised path, the unit itself first, then up to the root."""
    return [int(part) for part in path.strip("/").split("/")][::-1]


def address_for(
    role: str, acts_for: str, path: str, units: Mapping[int, UnitContact]
) -> str:
    """The contact for `role`: on the unit itself for its own roles, else on the nearest
    superior that has one. "" when nobody up the tree has it."""
    chain = ancestors_first(path)
    if acts_for == "superior":
        chain = chain[1:]
    for unit_id in chain:
        unit = units.get(unit_id)
        if unit is not None and unit.contacts.get(role):
            return unit.contacts[role]
    return ""


def address_notices(
    due: Sequence[DueTimer], units: Mapping[int, UnitContact], specs: SpecLookup, at: datetime
) -> list[Notice]:
    """Notices for the due timers still worth sending. A reminder is dropped once its
    deadline is met or its cycle closed; an escalation only if that happened before it
    fell due: one that fell due while the worker was down still goes out."""
    notices = []
    for timer in due:
        spec = specs(timer.definition_id, timer.definition_version)
        if _dropped(timer, spec):
            continue
        acts_for = role_acts_for(spec, timer.role, timer.kind, timer.milestone_id is not None)
        notices.append(
            Notice(
                timer.id,
                timer.cycle_id,
                timer.milestone_id,
                timer.unit_id,
                timer.kind,
                timer.deadline,
                timer.step,
                timer.role,
                address_for(timer.role, acts_for, timer.unit_path, units),
                timer.due_at,
                at,
            )
        )
    return notices


def role_acts_for(spec: DefinitionSpec, role_key: str, kind: str, milestone: bool) -> str:
    """Where up the tree a notice's role is looked for: "unit" starts at the unit itself,
    "superior" above it. A milestone's owner is the committee itself; its escalations go
    above it."""
    if milestone:
        return "superior" if kind == "escalation" else "unit"
    role = spec.roles.get(role_key)
    return role.acts_for if role is not None else "unit"


def recipient_unit(
    notice: PendingNotice, acts_for: str, units: Mapping[int, UnitContact]
) -> UnitContact | None:
    """The unit whose contact the notice went to: the nearest one up the tree holding the
    notice's role (as `address_for` chose it) with that very address; None when none
    does any more (its contacts changed since)."""
    chain = ancestors_first(notice.unit.path)
    if acts_for == "superior":
        chain = chain[1:]
    for unit_id in chain:
        unit = units.get(unit_id)
        if unit is not None and unit.contacts.get(notice.role):
            return unit if unit.contacts[notice.role] == notice.address else None
    return None


def _dropped(timer: DueTimer, spec: DefinitionSpec) -> bool:
    return _moot(timer, spec, timer.kind, timer.due_at)


def _moot(facts: DueTimer, spec: DefinitionSpec, kind: str, due_at: datetime) -> bool:
    """Whether a timer of `kind` due at `due_at`, on the deadline and cycle `facts` were
    read with, is no longer worth sending: a reminder once the deadline is met or the
    cycle closed, an escalation only if that happened before it fell due."""
    closed = facts.state is not None and spec.states[facts.state].final
    if kind == "reminder":
        return facts.met_at is not None or closed
    met_before = facts.met_at is not None and facts.met_at <= due_at
    closed_before = closed and facts.state_since is not None and facts.state_since <= due_at
    return met_before or closed_before


#: a claimed timer's ladder (deadlines.next_on_ladder): its deadline's or milestone's
#: reminders and escalations as its definition version plans them for its year
LadderOf = Callable[[DueTimer], Sequence[PlannedTimer]]


def following(
    due: Sequence[DueTimer], specs: SpecLookup, ladder_of: LadderOf
) -> list[tuple[DueTimer, PlannedTimer]]:
    """The successor to write of each claimed timer, fired or dropped: the next on its
    ladder that is not moot already (its deadline met, its cycle closed before it falls
    due). A met deadline's reminders are passed over: an escalation after them that fell
    due before the deadline was met is still owed (a worker that was down)."""
    written = []
    for timer in due:
        ladder = ladder_of(timer)
        spec = specs(timer.definition_id, timer.definition_version)
        successor = next_on_ladder(ladder, timer.kind, timer.step)
        while successor is not None and _moot(timer, spec, successor.kind, successor.due_at):
            successor = next_on_ladder(ladder, successor.kind, successor.step)
        if successor is not None:
            written.append((timer, successor))
    return written


def readdress(
    notices: Sequence[UnaddressedNotice], units: Mapping[int, UnitContact], specs: SpecLookup
) -> dict[str, list[tuple[int, str]]]:
    """For each message parked with no recipient (`notices`, in the message's order),
    its notices with the address the tree gives their role now, as `address_for` would
    have at firing; a message whose role still has no contact up the tree is left out."""
    found: dict[str, list[tuple[int, str]]] = {}
    missing: set[str] = set()
    for n in notices:
        spec = specs(n.definition_id, n.definition_version)
        acts_for = role_acts_for(spec, n.role, n.kind, n.milestone)
        address = address_for(n.role, acts_for, n.unit_path, units)
        if address:
            found.setdefault(n.message_key, []).append((n.notice_id, address))
        else:
            missing.add(n.message_key)
    return {key: queued for key, queued in found.items() if key not in missing}
