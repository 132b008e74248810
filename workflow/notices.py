"""From due timers to messages, without I/O.

Two steps, each a transaction in the store. Firing turns due timers into notices, each
addressed to a contact found up the unit tree. Composing takes every pending notice of
one address and makes one message of them: a single item, or a digest. After downtime
that is what collapses a week of reminders into one late digest per recipient, while
every escalation is still listed (and each notice stays in the audit trail).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflow.deadlines import PlannedTimer, next_on_ladder
from workflow.spec.model import DefinitionSpec
from workflow.timefmt import show_date, show_instant


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


@dataclass(frozen=True)
class Message:
    key: str
    channel: str
    address: str
    recipient_role: str
    lang: str
    subject: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    #: the notices it carries (not sent; the store links them to the message)
    notice_ids: tuple[int, ...] = ()


Renderer = Callable[[str, dict[str, Any]], tuple[str, str]]
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
        acts_for = _acts_for(spec, timer.role, timer.kind, timer.milestone_id is not None)
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


def _acts_for(spec: DefinitionSpec, role_key: str, kind: str, milestone: bool) -> str:
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


#: the channel of a message nobody can receive: the outbox parks it, it is never sent
NO_RECIPIENT = "none"


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
        acts_for = _acts_for(spec, n.role, n.kind, n.milestone)
        address = address_for(n.role, acts_for, n.unit_path, units)
        if address:
            found.setdefault(n.message_key, []).append((n.notice_id, address))
        else:
            missing.add(n.message_key)
    return {key: queued for key, queued in found.items() if key not in missing}


def no_recipient_detail(role: str, data: Mapping[str, Any]) -> str:
    """Why a message is parked with no recipient: the role and the units it was for."""
    units = sorted({str(item.get("unit_code")) for item in data.get("items", [])})
    return f"no recipient: no contact for role {role} on {', '.join(units)} or above it"


def route(address: str, channels: Sequence[str]) -> list[str]:
    """Which channels carry a message to `address`: e-mail for a mailbox, the webhook for
    everything when one is set; the log when nothing else would."""
    chosen = []
    if "@" in address and "email" in channels:
        chosen.append("email")
    if "webhook" in channels:
        chosen.append("webhook")
    return chosen or ["log"]


def compose(
    pending: Sequence[PendingNotice],
    now: datetime,
    lang: str,
    channels: Sequence[str],
    specs: SpecLookup,
    render: Renderer,
    installation: str = "",
    units: Mapping[int, UnitContact] | None = None,
) -> list[Message]:
    """One message per address (per channel) for every notice pending to it. Its key
    comes from the timers it carries and the installation: the same notices make the
    same key, however often composing is retried. `units` (the notices' units and their
    ancestors, with contacts) lets the salutation name the recipient's own unit: the
    commune committee a superior's digest goes to, not only its role."""
    by_address: dict[tuple[str, str, str], list[PendingNotice]] = {}
    for notice in pending:
        # nobody holds the role up the tree: one message per role and unit, to be parked
        # naming them (never "sent" to an empty address)
        group = (notice.address, "", "") if notice.address else ("", notice.role, notice.unit.code)
        by_address.setdefault(group, []).append(notice)
    messages = []
    for (address, _role, _unit), notices in sorted(by_address.items()):
        notices.sort(key=lambda n: (n.due_at, n.unit.path, n.deadline, n.kind, n.step))
        latest = _latest_reminders(notices)
        items = [_item(n, specs, lang, now, n.notice_id not in latest) for n in notices]
        first = notices[0]
        spec = specs(first.definition_id, first.definition_version)
        role = spec.roles.get(first.role)
        recipient = {
            "role": first.role,
            "role_label": role.label.get(lang) if role else first.role,
            "address": address,
        }
        addressee = _addressee(notices, specs, units)
        if addressee is not None:
            recipient.update(unit_code=addressee.code, unit_name=addressee.name)
        context = {
            "recipient": recipient,
            "sent_at": show_instant(now),
            "items": [item for item in items if not item["collapsed"]],
            # the working calendar the deadlines are counted in (days left, days late)
            "calendar": spec.calendar.model_dump(mode="json"),
        }
        subject, body = render(lang, context)
        digest = hashlib.sha256(
            "|".join([installation, *(n.timer_key for n in notices)]).encode()
        ).hexdigest()[:20]
        data = {"recipient": context["recipient"], "items": items,
                "sent_at": context["sent_at"], "calendar": context["calendar"]}
        for channel in route(address, channels) if address else [NO_RECIPIENT]:
            messages.append(
                Message(
                    f"{installation}-{digest}:{channel}" if installation else f"{digest}:{channel}",
                    channel, address, first.role, lang, subject, body, data,
                    tuple(n.notice_id for n in notices),
                )
            )
    return messages


def _addressee(
    notices: Sequence[PendingNotice], specs: SpecLookup,
    units: Mapping[int, UnitContact] | None,
) -> UnitContact | None:
    """The one unit every notice of a message went to, to name in the salutation; None
    when they went to several (one mailbox for two committees) or it cannot be told."""
    if units is None:
        # no tree at hand: only a unit's own role, all about that one unit, is certain
        first = notices[0]
        role = specs(first.definition_id, first.definition_version).roles.get(first.role)
        same = len({n.unit.id for n in notices}) == 1
        acts_for_unit = role is not None and role.acts_for == "unit" and not first.milestone
        return first.unit if same and acts_for_unit else None
    found: dict[int, UnitContact] = {}
    for notice in notices:
        spec = specs(notice.definition_id, notice.definition_version)
        unit = recipient_unit(
            notice, _acts_for(spec, notice.role, notice.kind, notice.milestone), units
        )
        if unit is None:
            return None
        found[unit.id] = unit
    return next(iter(found.values())) if len(found) == 1 else None


def _latest_reminders(notices: Sequence[PendingNotice]) -> set[int]:
    """The notice ids that are not superseded: escalations all, and for reminders only the
    latest of each deadline among those pending (the earlier ones say less, later)."""
    last: dict[tuple[bool, str, int, str], PendingNotice] = {}
    keep = set()
    for notice in notices:
        if notice.kind != "reminder":
            keep.add(notice.notice_id)
            continue
        key = (notice.milestone, notice.definition_id, notice.unit.id, notice.deadline)
        if key not in last or notice.due_at > last[key].due_at:
            last[key] = notice
    keep.update(n.notice_id for n in last.values())
    return keep


def _item(
    notice: PendingNotice, specs: SpecLookup, lang: str, now: datetime, collapsed: bool
) -> dict[str, Any]:
    spec = specs(notice.definition_id, notice.definition_version)
    zone = ZoneInfo(spec.timezone)
    container = spec.milestones if notice.milestone else spec.deadlines
    deadline = container.get(notice.deadline)
    return {
        "key": notice.timer_key,
        "kind": notice.kind,
        "unit_code": notice.unit.code,
        "unit_name": notice.unit.name,
        "deadline": notice.deadline,
        "deadline_label": deadline.label.get(lang) if deadline else notice.deadline,
        "due": show_date(notice.deadline_at),
        "due_at": notice.due_at.isoformat(),
        "state": notice.state,
        "state_label": spec.state_label(notice.state, lang) if notice.state else "",
        "role": notice.role,
        "step": notice.step,
        "offset": notice.offset,
        # late: it should have gone out on an earlier day (a worker that was down)
        "late": notice.due_at.astimezone(zone).date() < now.astimezone(zone).date(),
        "moved": notice.moved_by,
        "collapsed": collapsed,
        "milestone": notice.milestone,
    }
