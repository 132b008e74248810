"""`audit verify --trust KEYS` and `--against FILE`: the trail held to what the inspector
holds outside the database (their public keys, their earlier export or anchor file).
Kept apart from the chains' reading loop (adapters/audit_verify.py), which is tuned for
speed: these read the audit-event chain once more and a few aggregate queries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters import bootstrap
from workflow.audit import ChainProblem
from workflow.audit_against import Kept, Unreadable, compare_anchor, compare_export, read_kept
from workflow.audit_signing import check_signed_anchors
from workflow.errors import BontotError
from workflow.service.auditing import Verification, verify_export
from workflow.timefmt import from_db, show_instant


def verify_trust(url: str, trusted: dict[str, bytes], now: datetime, report: Verification) -> None:
    """Add to `report` what holding the trail to its signed anchors finds, and the
    unanchored tail after the last one (its length and age) as a note."""
    with bootstrap.reading(url) as store:
        facts = list(store.fact_rows("audit_event"))
        notices = {f.hash for f in store.fact_rows("notice")}
        found = check_signed_anchors(facts, trusted, store.audit.heads_at, notices)
        report.problems += found.problems
        last = found.last
        if last is None:
            return
        count, first = store.audit.tail_after(last.transition_id)
    events = sum(1 for f in facts if f.id > last.id)
    said = (
        f"last signed anchor: id {last.id}, number {last.number}, key {last.key!r}, "
        f"{show_instant(from_db(last.at))} ({_age(now, last.at)}); it proves every record "
        f"up to transition {last.transition_id} and audit event {last.id}"
    )
    report.notes.append(said)
    if count or events:
        oldest = min([t for t in (first, *(f.fields[0] for f in facts if f.id > last.id)) if t])
        report.notes.append(
            f"unanchored tail: {count} transition record(s) and {events} audit event(s) after "
            f"it, the oldest from {show_instant(from_db(oldest))} ({_age(now, oldest)}): not "
            "proven until the next signed anchor"
        )


def _age(now: datetime, at: str) -> str:
    seconds = max(0, int((now - from_db(at)).total_seconds()))
    days, rest = divmod(seconds, 86400)
    return (
        f"{days} day(s) {rest // 3600} h ago"
        if days
        else f"{rest // 3600} h {rest % 3600 // 60} min ago"
    )


def verify_against(url: str, path: Path) -> list[ChainProblem]:
    """Every record that differs from the inspector's file, is missing, or was inserted
    before its end."""
    try:
        with path.open(encoding="utf-8") as handle:
            lines = handle.readlines()
        kept = read_kept(lines)
    except (OSError, UnicodeDecodeError, Unreadable) as exc:
        raise BontotError(f"--against {path}: cannot be read ({exc})") from None
    with bootstrap.reading(url) as store:
        if kept.kind == "anchor":
            return _against_anchor(store, kept)
        # the export's own soundness first: one cut short, or with cycles removed, would
        # otherwise hide what it no longer holds
        problems = verify_export(lines).problems
        node = store.find_unit(kept.under) if kept.under else None
        return problems + compare_export(kept, store.transition_rows(node, kept.year))


def _against_anchor(store: Any, kept: Kept) -> list[ChainProblem]:
    detail = kept.anchor
    present = any(
        f.fields[1] == "anchor" and json.loads(f.fields[10] or "{}") == detail
        for f in store.fact_rows("audit_event")
    )
    return compare_anchor(kept, store.audit.heads_at(int(detail.get("transition_id", 0))), present)


def anchor_file(url: str, detail: dict[str, Any]) -> dict[str, Any]:
    """What `audit anchor --output` writes: the anchor and each cycle's head it saw."""
    with bootstrap.reading(url) as store:
        heads = store.audit.heads_at(int(detail["transition_id"]))
    return {"kind": "anchor", "anchor": detail, "heads": {str(k): v for k, v in heads.items()}}
