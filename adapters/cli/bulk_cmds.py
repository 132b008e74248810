"""`bontot bulk EVENT`: decide many cycles at once, with a dry run first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.cli import render
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    YearOption,
    fail,
    parse_payload,
    session,
    token_for,
)
from workflow.service.acts import outcome_counts
from workflow.service.bulk import BulkItem, BulkRequest, Select

WORDS = {
    "vi": {
        "would_apply": "sẽ chuyển",
        "applied": "đã chuyển",
        "refused": "bị từ chối",
        "skipped": "bỏ qua",
        "totals": "{event} — {under} năm {year}{dry}: {counts}",
        "dry": " (chạy thử, không thay đổi gì)",
        "overruled": "vượt tiêu chuẩn theo lý do đã ghi",
    },
    "en": {
        "would_apply": "would apply",
        "applied": "applied",
        "refused": "refused",
        "skipped": "skipped",
        "totals": "{event} — {under} for {year}{dry}: {counts}",
        "dry": " (dry run, nothing changed)",
        "overruled": "verdict overruled with the written reason",
    },
}


def bulk(
    event: str,
    year: YearOption,
    under: Annotated[str, typer.Option(help="The subtree to decide")],
    actor: Annotated[str, typer.Option()],
    role: Annotated[str | None, typer.Option(help="Default: the actor's role")] = None,
    only_passing: Annotated[bool, typer.Option("--only-passing")] = False,
    only_failing: Annotated[bool, typer.Option("--only-failing")] = False,
    state: Annotated[list[str] | None, typer.Option(help="Only cycles in this state")] = None,
    data: Annotated[str | None, typer.Option("--data", help="JSON payload for every cycle")] = None,
    decision: Annotated[str | None, typer.Option(help="The decision's number")] = None,
    reason: Annotated[str | None, typer.Option(help="The reason (reject, refuse)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Fire EVENT (appraise, recognise, report...) on every cycle under a node that can
    take it. --dry-run shows per cycle what would happen and why, and changes nothing."""
    if only_passing and only_failing:
        raise fail("--only-passing and --only-failing exclude each other")
    select: Select = "passing" if only_passing else "failing" if only_failing else "all"
    payload = parse_payload(data)
    if "override" in payload:
        # an override is one appraiser's reasoned judgement of one unit: `fire --override`
        raise fail("an override is decided unit by unit (bontot fire ... --override), not in bulk")
    for key, value in (("decision", decision), ("reason", reason)):
        if value is not None:
            payload[key] = value
    log = logs.logger().bind(under=under, year=year, actor=actor)

    def progress(decided: BulkRequest, done: list[BulkItem]) -> None:
        log.bind(event=decided.event, role=decided.role).info(
            "bulk.batch_decided", dry_run=dry_run, **outcome_counts(done)
        )

    request = BulkRequest(
        event, year, under, actor, role or "", payload, None, select,
        frozenset(state) if state else None, dry_run, batch_size,
    )  # fmt: skip
    with session(db, now) as app:
        request, items = app.acts.bulk(request, token_for(actor), now, progress)
    counts, trigger = outcome_counts(items), request.event
    log.bind(event=trigger, role=request.role).info("bulk.decided", dry_run=dry_run, **counts)
    if as_json:
        typer.echo(render.dumps(render.bulk_dict(trigger, under, year, dry_run, items)))
        return
    typer.echo(_text(items, trigger, under, year, dry_run, counts, lang))


def _text(
    items: list[BulkItem],
    event: str,
    under: str,
    year: int,
    dry_run: bool,
    counts: dict[str, int],
    lang: str,
) -> str:
    w = WORDS[lang]
    lines = []
    for item in items:
        line = f"{item.unit_code:<16} {item.from_state:<16} {w[item.outcome]}"
        if item.to_state:
            line += f" → {item.to_state}"
        if item.overruled:
            line += f" ({w['overruled']}: {', '.join(item.overruled)})"
        if item.reason:
            line += f": {item.reason}"
        lines.append(line)
        lines.extend(f"    - {c.describe(lang)}" for c in item.failing)
    shown = ", ".join(f"{w[k]} {n}" for k, n in sorted(counts.items())) or "0"
    lines.append(
        w["totals"].format(
            event=event, under=under, year=year, dry=w["dry"] if dry_run else "", counts=shown
        )
    )
    return "\n".join(lines)


commands: dict[str, Callable[..., Any]] = {"bulk": bulk}
