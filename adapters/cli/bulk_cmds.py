"""`bontot bulk EVENT`: decide many cycles at once, with a dry run first."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import typer

from adapters import i18n, logs
from adapters.cli import render
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    YearOption,
    parse_payload,
    session,
    token_for,
)
from adapters.cli.errors import problem
from adapters.cli.progress import shown
from adapters.i18n.said import refusal_text
from workflow.progress import Progress
from workflow.service.bulk import BulkItem, BulkRequest, Select, outcome_counts
from workflow.spec.model import DefinitionSpec

WORDS = i18n.table("bulk")  # the catalogues' `bulk.*` messages


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
        raise problem("usage.only_both")
    select: Select = "passing" if only_passing else "failing" if only_failing else "all"
    payload = parse_payload(data)
    if "override" in payload:
        # an override is one appraiser's reasoned judgement of one unit: `fire --override`
        raise problem("usage.bulk_override")
    for key, value in (("decision", decision), ("reason", reason)):
        if value is not None:
            payload[key] = value
    log = logs.logger().bind(under=under, year=year, actor=actor)

    def progress(bar: Progress, decided: BulkRequest, done: list[BulkItem]) -> None:
        bar.advance(len(done))
        log.bind(event=decided.event, role=decided.role).info(
            "bulk.batch_decided", dry_run=dry_run, **outcome_counts(done)
        )

    request = BulkRequest(
        event, year, under, actor, role or "", payload, None, select,
        frozenset(state) if state else None, dry_run, batch_size,
    )  # fmt: skip
    with session(db, now) as app, shown("bulk", lang) as bar:
        request, items = app.acts.bulk(request, token_for(actor), now, partial(progress, bar))
        spec = app.catalog.latest().spec  # the labels of the default programme
    counts, trigger = outcome_counts(items), request.event
    log.bind(event=trigger, role=request.role).info("bulk.decided", dry_run=dry_run, **counts)
    if as_json:
        typer.echo(render.dumps(render.bulk_dict(trigger, under, year, dry_run, items)))
        return
    typer.echo(_text(items, trigger, under, year, dry_run, counts, lang, spec))


def _text(
    items: list[BulkItem],
    event: str,
    under: str,
    year: int,
    dry_run: bool,
    counts: dict[str, int],
    lang: str,
    spec: DefinitionSpec | None = None,
) -> str:
    w = WORDS[lang]
    lines = []

    def state(code: str) -> str:
        return spec.state_label(code, lang) if spec is not None else code

    for item in items:
        line = f"{item.unit_code:<16} {state(item.from_state):<24} {w[item.outcome]}"
        if item.to_state:
            line += f" → {state(item.to_state)}"
        if item.overruled:
            line += f" ({w['overruled']})"
        if item.refusal is not None:
            line += f": {refusal_text(item.refusal, spec, lang)}"
        elif item.code is not None and item.code in ("verdict_failed", "verdict_passed"):
            line += f": {w['skip.' + item.code]}"
        elif item.reason:
            line += f": {item.reason}"
        lines.append(line)
        lines.extend(f"    - {c.describe(lang)}" for c in item.failing)
    shown = ", ".join(f"{w[k]} {n}" for k, n in sorted(counts.items())) or "0"
    lines.append(
        w["totals"].format(
            event=spec.event_label(event, lang) if spec is not None else event,
            under=under,
            year=year,
            dry=w["dry"] if dry_run else "",
            counts=shown,
        )
    )
    return "\n".join(lines)


commands: dict[str, Callable[..., Any]] = {"bulk": bulk}
