"""Text for people about time: the year's calendar, overdue units, a simulated year.
Vietnamese by default, dates dd/mm/yyyy in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters import i18n
from workflow.deadlines import WEEKEND
from workflow.spec.model import DefinitionSpec, Offset
from workflow.timefmt import show_date, show_instant, to_db

TIME_WORDS = i18n.table("time")  # the catalogues' `time.*` messages


def _timer_dict(t: Any) -> dict[str, Any]:
    return {
        "deadline": t.deadline,
        "kind": t.kind,
        "step": t.step,
        "role": t.role,
        "offset": t.offset,
        "date": show_date(t.day),
        "at": to_db(t.due_at),
        "moved_by_holidays": list(t.moved_by),
    }


def _due_dict(d: Any) -> dict[str, Any]:
    return {
        "key": d.key,
        "date": show_date(d.due_date),
        "due_at": to_db(d.due_at),
        "natural_date": show_date(d.natural_date) if d.natural_date else None,
        "moved_by": d.moved_by,
    }


def calendar_dict(spec: DefinitionSpec, deadlines: Any, timers: Any, milestones: Any) -> Any:
    return {
        "definition": {"id": spec.id, "version": spec.version},
        "policy": spec.calendar.non_working_deadline,
        "deadlines": [
            {**_due_dict(d), "timers": [_timer_dict(t) for t in timers if t.deadline == d.key]}
            for d in deadlines
        ],
        "milestones": [
            {**_due_dict(m), "timers": [_timer_dict(t) for t in planned]}
            for m, planned in milestones
        ],
    }


def _due_line(label: str, d: Any, w: Mapping[str, str]) -> str:
    line = f"  {label:<38} {show_date(d.due_date)}"
    if d.natural_date:
        why = w["weekend"] if d.moved_by == WEEKEND else d.moved_by
        line += "  " + w["moved"].format(natural=show_date(d.natural_date), why=why)
    return line


def offset_text(offset: str, lang: str) -> str:
    """`-10 working_days` as people say it: 10 ngày làm việc trước hạn."""
    try:
        parsed = Offset.parse(offset)
    except ValueError:
        return offset
    unit = "working" if parsed.working else "calendar"
    side = "before" if parsed.amount < 0 else "after"
    return i18n.text(lang, f"time.offset_{unit}_{side}", n=abs(parsed.amount))


def _timer_line(t: Any, w: Mapping[str, str], spec: DefinitionSpec, lang: str) -> str:
    offset, role = offset_text(t.offset, lang), spec.role_label(t.role, lang)
    line = f"      {show_date(t.day)}  {w[t.kind]:<10} {offset:<28} → {role}"
    if t.moved_by:
        line += "  " + w["holidays"].format(names=", ".join(t.moved_by))
    return line


def calendar_text(
    spec: DefinitionSpec, year: int, deadlines: Any, timers: Any, milestones: Any, lang: str
) -> str:
    w = TIME_WORDS[lang]
    lines = [w["calendar"].format(year=year, title=spec.title.get(lang))]
    for d in deadlines:
        lines.append(_due_line(spec.deadlines[d.key].label.get(lang), d, w))
        lines += [_timer_line(t, w, spec, lang) for t in timers if t.deadline == d.key]
    if milestones:
        lines.append(w["milestones"] + ":")
        for m, planned in milestones:
            lines.append(_due_line(spec.milestones[m.key].label.get(lang), m, w))
            lines += [_timer_line(t, w, spec, lang) for t in planned]
    return "\n".join(lines)


def overdue_dict(item: Any, at: Any) -> dict[str, Any]:
    return {
        "unit": {"code": item.unit_code, "parent_code": item.parent_code, "name": item.unit_name},
        "definition": {"id": item.definition_id, "version": item.definition_version},
        "state": item.state,
        "deadline": item.deadline,
        "milestone": item.milestone,
        "due_at": to_db(item.due_at),
        "days_late": (at - item.due_at).days,
    }


def overdue_text(items: Any, at: Any, lang: str, specs: Any) -> str:
    w = TIME_WORDS[lang]
    if not items:
        return w["overdue_none"]
    lines = [w["overdue"].format(n=len(items), at=show_instant(at))]
    for item in items:
        spec = specs(item.definition_id, item.definition_version)
        container = spec.milestones if item.milestone else spec.deadlines
        own = container.get(item.deadline)
        label = own.label.get(lang) if own else item.deadline
        state = spec.state_label(item.state, lang) if item.state else ""
        lines.append(
            f"  {item.unit_code:<16} {label:<30} {show_date(item.due_at)}  "
            f"{w['days_late'].format(n=(at - item.due_at).days):>9}  {state}  {item.unit_name}"
        )
    return "\n".join(lines)


def simulate_text(items: Any, lang: str) -> str:
    w = TIME_WORDS[lang]
    if not items:
        return w["simulate_none"]
    lines: list[str] = []
    day = None
    for item in items:
        shown = show_date(item.at)
        if shown != day:
            day = shown
            moved = sorted({i.moved for i in items if show_date(i.at) == shown and i.moved})
            note = ("  (" + w["holidays"].format(names="; ".join(moved)) + ")") if moved else ""
            lines.append(f"{shown}{note}")
        to = item.recipient or w["nobody"]
        if item.kind == "digest":
            lines.append(f"  {w['digest']:<10} {w['to']} {item.recipient_role} {to}: "
                         + w["items"].format(n=item.items))
            continue
        late = f" ({w['late']})" if item.late else ""
        lines.append(
            f"  {w[item.kind]:<10} {item.deadline_label:<28} {item.unit:<14} "
            f"{w['to']} {item.recipient_role} {to}{late}"
        )
    return "\n".join(lines)
