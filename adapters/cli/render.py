"""Text for people: Vietnamese by default, dates dd/mm/yyyy in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from adapters import i18n
from adapters.cli.evidence_render import goal_lines
from adapters.i18n.said import field_label, refusal_text, role_word
from workflow.service.bulk import outcome_counts
from workflow.targets import target_figures
from workflow.timefmt import from_db, show_date, show_instant, to_db

if TYPE_CHECKING:
    from workflow.service.bulk import BulkItem
    from workflow.service.records import UnitRef
    from workflow.service.results import Board, FireResult, History
    from workflow.spec.model import DefinitionSpec

HEADINGS = i18n.table("cli")  # the catalogues' `cli.*` messages


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
            d: target_figures(total, rec, target)
            for d, (total, rec, target) in board.targets.items()
        },
        "overdue": board.overdue,
        "goals": {d: [g.as_dict() for g in gs] for d, gs in board.goals.items()},
        "pilot": {
            d: [{"committee": r.committee, "org_type": r.org_type, "cells": r.cells,
                 "joined": r.joined, "minimum": r.minimum, "maximum": r.maximum, "ok": r.ok}
                for r in check.rows]
            for d, check in board.pilot.items()
        },
    }  # fmt: skip


def deadline_label(key: str, specs: Iterable[DefinitionSpec], lang: str) -> str:
    """A deadline's or milestone's label from the first definition that has it."""
    for spec in specs:
        own = spec.deadlines.get(key) or spec.milestones.get(key)
        if own is not None:
            return own.label.get(lang)
    return key


def board_text(board: Board, lang: str, specs: Iterable[DefinitionSpec] = ()) -> str:
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
    return "\n".join([*lines, *board_summary_lines(board, lang, specs)])


def board_summary_lines(
    board: Board, lang: str, specs: Iterable[DefinitionSpec] = ()
) -> list[str]:
    """The board's lines after its counts: shares against targets, goals, the late."""
    h = HEADINGS[lang]
    lines = []
    for definition_id, (total, rec, target) in board.targets.items():
        goals = board.goals.get(definition_id, [])
        # a definition whose targets are its goals says so, not "target —"
        target_text = (
            f"{i18n.decimal(target, lang)} %"
            if target is not None
            else h["by_goal"] if goals else h["no_target"]
        )
        lines.append(
            f"  [{definition_id}] "
            + h["target"].format(
                rec=rec, total=total, share=i18n.percent(rec, total, lang), target=target_text
            )
        )
        lines.extend(goal_lines(goals, lang))
        lines.extend(_pilot_lines(board, definition_id, lang))
    if board.overdue:
        lines.append(
            f"  {h['overdue']}: "
            + ", ".join(
                f"{deadline_label(k, specs, lang)} {v}" for k, v in sorted(board.overdue.items())
            )
        )
    return lines


def _pilot_lines(board: Board, definition_id: str, lang: str) -> list[str]:
    """A pilot's check (seed 004): how many committee × type groups are within bounds,
    then each group that is not."""
    check = board.pilot.get(definition_id)
    if check is None or not check.rows:
        return []
    h, spec, rows = HEADINGS[lang], check.spec, check.rows
    label = spec.label.get(lang)
    lines = [h["pilot"].format(label=label, ok=sum(r.ok for r in rows), groups=len(rows))]
    for r in rows:
        if not r.ok:
            named = spec.types.get(r.org_type)
            lines.append(h["pilot_row"].format(
                code=r.committee, name=r.committee_name, type=named.get(lang) if named else
                r.org_type, joined=r.joined, cells=r.cells, minimum=r.minimum,
                maximum=r.maximum))  # fmt: skip
    return lines


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


def criterion_labels(spec: DefinitionSpec, lang: str) -> dict[str, str]:
    """Labels of the rules' criteria and sub-criteria (checklist items), by key."""
    labels: dict[str, str] = {}
    for rule in spec.rules.values():
        criteria = rule.get("criteria") if isinstance(rule, dict) else None
        if not isinstance(criteria, dict):
            continue
        for key, label in (criteria.get("keys") or {}).items():
            if isinstance(label, dict) and lang in label:
                labels[key] = str(label[lang])
        checklist = criteria.get("checklist") or {}
        for items in (checklist.get("by_type") or {}).values():
            for key, label in (items or {}).items():
                if isinstance(label, dict) and lang in label:
                    labels[key] = str(label[lang])
    return labels


def payload_value(spec: DefinitionSpec, value: Any, lang: str) -> str:
    """A payload field's value; criteria and checklist items by their labels."""
    if isinstance(value, dict) and value:
        labels = criterion_labels(spec, lang)
        if any(k in labels for k in value):
            return "; ".join(
                f"{labels.get(k, k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()
            )
    return json.dumps(value, ensure_ascii=False)


def event_name(spec: DefinitionSpec, event: str, lang: str) -> str:
    """An event's label: the definition's, else the engine's own (opening, migrating)."""
    label = spec.event_label(event, lang)
    if label != event:
        return label
    own = i18n.text(lang, f"event.{event}")
    return event if own == f"event.{event}" else own


def role_name(spec: DefinitionSpec, role: str | None, lang: str) -> str:
    return "—" if role is None else role_word([spec], role, lang)


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
            f"  {e.seq:>2}. {show_instant(e.at)}  {event_name(spec, e.event, lang):<28} "
            f"{source} → {spec.state_label(e.to_state, lang)}  "
            f"[{e.actor} / {role_name(spec, e.role, lang)}]"
        )
        for key, value in e.payload.items():
            lines.append(f"        {field_label(key, lang)}: {payload_value(spec, value, lang)}")
    lines.append(f"  {h['deadlines']}:")
    for d in history.deadlines:
        label = spec.deadlines[d.key].label.get(lang) if d.key in spec.deadlines else d.key
        if d.met_at is not None:
            state = h["met"].format(at=show_instant(d.met_at))
            if d.met_at > d.due_at:
                state += f" ({h['late']})"
        else:
            state = h["late"] if now > d.due_at else h["open"]
        # a deadline is a day (met up to its end), not a time of day
        lines.append(f"    {label:<35} {show_date(d.due_at):<17} {state}")
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


def bulk_dict(
    event: str, under: str, year: int, dry_run: bool, items: list[BulkItem]
) -> dict[str, Any]:
    """A bulk decision: the event as decided, the counts by outcome, each cycle's outcome."""
    return {
        "event": event, "under": under, "year": year, "dry_run": dry_run,
        "counts": outcome_counts(items), "items": [i.as_dict() for i in items],
    }  # fmt: skip


def fire_text(result: FireResult, lang: str, spec: DefinitionSpec | None = None) -> str:
    d = result.decision
    if d.applied:
        assert d.to_state is not None
        source, dest = d.from_state, d.to_state
        if spec is not None:
            source, dest = spec.state_label(source, lang), spec.state_label(dest, lang)
        event = spec.event_label(result.event, lang) if spec is not None else result.event
        return i18n.text(
            lang, "cli.fired", unit=result.unit_code, event=event, source=source, dest=dest,
            version=result.version,
        )  # fmt: skip
    assert d.refusal is not None
    event = spec.event_label(result.event, lang) if spec is not None else result.event
    reason = refusal_text(d.refusal, spec, lang)
    lines = [i18n.text(lang, "refusal.line", unit=result.unit_code, event=event, reason=reason)]
    for check in d.refusal.checks:
        lines.append(f"  - {check.describe(lang)}")
    return "\n".join(lines)


# -- time: calendar, overdue, simulate ---------------------------------------------------
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
