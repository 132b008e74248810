"""From pending notices to messages, without I/O.

Composing takes every notice pending to one address and makes one message of them: a
single item, or a digest. After downtime that is what collapses a week of reminders
into one late digest per recipient, while every escalation is still listed (and each
notice stays in the audit trail).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflow.notices import PendingNotice, SpecLookup, UnitContact, recipient_unit, role_acts_for
from workflow.timefmt import show_date, show_instant


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

#: the channel of a message nobody can receive: the outbox parks it, it is never sent
NO_RECIPIENT = "none"


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
            notice, role_acts_for(spec, notice.role, notice.kind, notice.milestone), units
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
