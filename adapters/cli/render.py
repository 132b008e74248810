"""Text for people: Vietnamese by default, dates dd/mm/yyyy in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import json
import math
from typing import Any

from workflow.deadlines import WEEKEND
from workflow.service.ports import UnitRef
from workflow.service.results import Board, FireResult, History
from workflow.spec.model import DefinitionSpec
from workflow.timefmt import from_db, show_date, show_instant, to_db

HEADINGS = {
    "vi": {
        "board": "Tình hình năm {year}{under}",
        "state": "Trạng thái",
        "count": "Số lượng",
        "total": "Tổng",
        "target": "Tỷ lệ được công nhận: {rec}/{total} = {share} (chỉ tiêu {target})",
        "overdue": "Quá hạn chưa hoàn thành",
        "history": "Lịch sử {unit} năm {year} ({definition} v{version}) — trạng thái: {state}",
        "deadlines": "Thời hạn",
        "met": "hoàn thành {at}",
        "late": "QUÁ HẠN",
        "open": "chưa đến hạn",
        "notices": "Nhắc hạn và cảnh báo",
        "delivery_sent": "đã gửi",
        "delivery_pending": "chờ gửi",
        "delivery_queued": "chờ soạn",
        "delivery_parked": "gửi không được",
        "reminder": "nhắc hạn",
        "escalation": "cảnh báo",
        "nobody": "(không có địa chỉ liên hệ)",
    },
    "en": {
        "board": "Status for {year}{under}",
        "state": "State",
        "count": "Count",
        "total": "Total",
        "target": "Recognised: {rec}/{total} = {share} (target {target})",
        "overdue": "Overdue and not met",
        "history": "History of {unit} for {year} ({definition} v{version}) — state: {state}",
        "deadlines": "Deadlines",
        "met": "met {at}",
        "late": "OVERDUE",
        "open": "not yet due",
        "notices": "Reminders and escalations",
        "delivery_sent": "sent",
        "delivery_pending": "waiting to be sent",
        "delivery_queued": "waiting to be composed",
        "delivery_parked": "could not be sent",
        "reminder": "reminder",
        "escalation": "escalation",
        "nobody": "(no contact address)",
    },
}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def unit_dict(unit: UnitRef) -> dict[str, Any]:
    return {
        "code": unit.code,
        "parent_code": unit.parent_code,
        "name": unit.name,
        "kind": unit.kind,
        "type": unit.org_type,
        "member_count": unit.member_count,
        "contacts": unit.contacts,
    }


def _percent(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f} %" if whole else "—"


def board_dict(board: Board) -> dict[str, Any]:
    return {
        "year": board.year,
        "under": board.under,
        "states": [
            {
                "definition": r.definition_id,
                "state": r.state,
                "outcome": r.outcome,
                "label": {"vi": r.label_vi, "en": r.label_en},
                "count": r.count,
            }
            for r in board.rows
        ],
        "total": board.total(),
        "targets": {
            d: {
                "counted": total,
                "recognized": rec,
                "share": round(rec * 100 / total, 2) if total else None,
                "target": target,
                "gap_units": max(0, math.ceil((target or 0) * total / 100) - rec),
            }
            for d, (total, rec, target) in board.targets.items()
        },
        "overdue": board.overdue,
    }


def board_text(board: Board, lang: str) -> str:
    h = HEADINGS[lang]
    under = f" — {board.under}" if board.under else ""
    lines = [h["board"].format(year=board.year, under=under)]
    current = None
    for row in board.rows:
        if row.definition_id != current:
            current = row.definition_id
            lines.append(f"  [{current}]")
        label = row.label_en if lang == "en" else row.label_vi
        lines.append(f"    {label:<60} {row.count:>7}")
    lines.append(f"    {h['total']:<60} {board.total():>7}")
    for definition_id, (total, rec, target) in board.targets.items():
        target_text = f"{target:g} %" if target is not None else "—"
        lines.append(
            f"  [{definition_id}] "
            + h["target"].format(
                rec=rec, total=total, share=_percent(rec, total), target=target_text
            )
        )
    if board.overdue:
        lines.append(
            f"  {h['overdue']}: " + ", ".join(f"{k} {v}" for k, v in sorted(board.overdue.items()))
        )
    return "\n".join(lines)


def history_dict(history: History) -> dict[str, Any]:
    cycle = history.cycle
    return {
        "unit": cycle.unit_code,
        "year": cycle.year,
        "definition": {"id": cycle.definition_id, "version": cycle.definition_version},
        "state": cycle.state,
        "version": cycle.version,
        "entries": [
            {
                "seq": e.seq,
                "event": e.event,
                "from": e.from_state,
                "to": e.to_state,
                "actor": e.actor,
                "role": e.role,
                "at": to_db(e.at),
                "payload": e.payload,
                "checks": e.checks,
            }
            for e in history.entries
        ],
        "deadlines": [
            {
                "key": d.key,
                "due_at": to_db(d.due_at),
                "met_at": to_db(d.met_at) if d.met_at else None,
            }
            for d in history.deadlines
        ],
        "notices": [
            {
                "kind": n.kind,
                "deadline": n.deadline,
                "step": n.step,
                "role": n.role,
                "address": n.address,
                "due_at": to_db(n.due_at),
                "at": to_db(n.at),
                "delivery": n.delivery,
            }
            for n in history.notices
        ],
    }


def history_text(history: History, lang: str, now: Any) -> str:
    h = HEADINGS[lang]
    spec = history.definition.spec
    cycle = history.cycle
    lines = [
        h["history"].format(
            unit=cycle.unit_code,
            year=cycle.year,
            definition=spec.id,
            version=spec.version,
            state=spec.state_label(cycle.state, lang),
        )
    ]
    for e in history.entries:
        source = spec.state_label(e.from_state, lang) if e.from_state else "—"
        lines.append(
            f"  {e.seq:>2}. {show_instant(e.at)}  {e.event:<20} {source} → "
            f"{spec.state_label(e.to_state, lang)}  [{e.actor} / {e.role}]"
        )
        for key, value in e.payload.items():
            lines.append(f"        {key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append(f"  {h['deadlines']}:")
    for d in history.deadlines:
        label = spec.deadlines[d.key].label.get(lang) if d.key in spec.deadlines else d.key
        if d.met_at is not None:
            state = h["met"].format(at=show_instant(d.met_at))
            if d.met_at > d.due_at:
                state += f" ({h['late']})"
        else:
            state = h["late"] if now > d.due_at else h["open"]
        lines.append(f"    {label:<35} {show_instant(d.due_at):<17} {state}")
    if history.notices:
        lines.append(f"  {h['notices']}:")
        for n in history.notices:
            own = spec.deadlines.get(n.deadline)
            label = own.label.get(lang) if own else n.deadline
            kind = h[n.kind]
            to = n.address or h["nobody"]
            lines.append(
                f"    {show_instant(n.at)}  {kind:<10} {label:<30} → {n.role} {to}  "
                f"[{h['delivery_' + n.delivery]}]"
            )
    return "\n".join(lines)


def fire_text(result: FireResult, lang: str, spec: DefinitionSpec | None = None) -> str:
    d = result.decision
    if d.applied:
        assert d.to_state is not None
        source, dest = d.from_state, d.to_state
        if spec is not None:
            source, dest = spec.state_label(source, lang), spec.state_label(dest, lang)
        return f"{result.unit_code}: {result.event} — {source} → {dest} (version {result.version})"
    assert d.refusal is not None
    lines = [f"refused: {result.unit_code} {result.event}: {d.refusal.message}"]
    for check in d.refusal.checks:
        lines.append(f"  - {check.describe(lang)}")
    return "\n".join(lines)


# -- time: calendar, overdue, simulate ---------------------------------------------------
TIME_WORDS = {
    "vi": {
        "calendar": "Lịch năm {year} — {title}",
        "deadline": "Hạn",
        "moved": "dời từ {natural} ({why})",
        "reminder": "nhắc hạn",
        "escalation": "cảnh báo",
        "digest": "tổng hợp",
        "holidays": "lùi vì nghỉ lễ: {names}",
        "milestones": "Mốc chương trình",
        "overdue_none": "Không có đơn vị quá hạn.",
        "overdue": "{n} hạn quá hạn (tính đến {at})",
        "days_late": "{n} ngày",
        "simulate_none": "Không có nhắc hạn hay cảnh báo nào.",
        "to": "gửi",
        "late": "muộn",
        "items": "{n} mục",
        "nobody": "(không có địa chỉ)",
        "weekend": "cuối tuần",
    },
    "en": {
        "calendar": "Calendar for {year} — {title}",
        "deadline": "Due",
        "moved": "moved from {natural} ({why})",
        "reminder": "reminder",
        "escalation": "escalation",
        "digest": "digest",
        "holidays": "moved by holidays: {names}",
        "milestones": "Programme milestones",
        "overdue_none": "No unit is overdue.",
        "overdue": "{n} overdue deadlines (as of {at})",
        "days_late": "{n} days",
        "simulate_none": "No reminder or escalation.",
        "to": "to",
        "late": "late",
        "items": "{n} items",
        "nobody": "(no address)",
        "weekend": "weekend",
    },
}


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


def _due_line(label: str, d: Any, w: dict[str, str]) -> str:
    line = f"  {label:<38} {show_date(d.due_date)}"
    if d.natural_date:
        why = w["weekend"] if d.moved_by == WEEKEND else d.moved_by
        line += "  " + w["moved"].format(natural=show_date(d.natural_date), why=why)
    return line


def _timer_line(t: Any, w: dict[str, str]) -> str:
    line = f"      {show_date(t.day)}  {w[t.kind]:<10} {t.offset:<18} → {t.role}"
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
        lines += [_timer_line(t, w) for t in timers if t.deadline == d.key]
    if milestones:
        lines.append(w["milestones"] + ":")
        for m, planned in milestones:
            lines.append(_due_line(spec.milestones[m.key].label.get(lang), m, w))
            lines += [_timer_line(t, w) for t in planned]
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


def audit_line(row: dict[str, Any]) -> str:
    when = show_instant(from_db(row["at"]))
    what = row["event"] or ""
    who = f"{row['actor']} / {row['role']}" if row["role"] else row["actor"]
    head = f"{when}  {row['unit'] or '':<14}"
    if row["kind"] == "transition":
        move = f"{row['from'] or '—'} → {row['to']}"
        late = f"  LATE for {row['late_for']}" if row["late_for"] else ""
        return f"{head} {what:<20} {move:<32} {who}{late}"
    code = f" [{row['code']}]" if row["code"] else ""
    return f"{head} {row['kind']}{code} {what}  {who}  {row['detail']}"
