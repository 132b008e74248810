"""`bontot units move | merge | split | rename | dissolve | reorganise`: the tree changes
by a decision (its number, the day it takes effect); each with --dry-run."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    emit,
    fail_said,
    session,
    token_for,
)
from adapters.tabular import read_sheet
from workflow.reorganise import Decision, Step
from workflow.service.reorganisations import Reorganised
from workflow.timefmt import LOCAL_TZ, parse_user_date, show_date

DecisionOption = Annotated[
    str, typer.Option("--decision", help="The decision's number, e.g. 125-QĐ/TU")
]
EffectiveOption = Annotated[
    str | None,
    typer.Option("--effective", help="The day it takes effect, dd/mm/yyyy (default: today)"),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Say what it would do; change nothing")
]
ActorOption = Annotated[str, typer.Option(help="An administrator, once actors exist")]


def _decision(number: str, effective: str | None, today: date, lang: str) -> Decision:
    try:
        day = parse_user_date(effective) if effective else today
    except ValueError:
        raise fail_said(lang, "cli.not_a_date", option="--effective", given=effective) from None
    return Decision(number.strip(), day)


def _run(
    steps: list[Step] | None,
    number: str,
    effective: str | None,
    dry_run: bool,
    actor: str,
    db: str | None,
    now: str | None,
    as_json: bool,
    lang: str,
    annex: Path | None = None,
) -> None:
    with session(db, now) as app:
        decision = _decision(number, effective, app.clock.now().astimezone(LOCAL_TZ).date(), lang)
        if annex is not None:
            done = app.reorganisations.reorganise_annex(
                str(annex),
                partial(read_sheet, annex, lang=lang),
                decision,
                actor,
                token_for(actor),
                dry_run=dry_run,
            )
        else:
            assert steps is not None
            done = app.reorganisations.reorganise(
                decision, steps, actor, token_for(actor), dry_run=dry_run
            )
    logs.logger().info(
        "units.reorganisation_planned" if dry_run else "units.reorganised",
        decision=decision.number,
        effective=decision.effective.isoformat(),
        cycles=done.cycles,
        **done.plan.totals(),
    )
    emit(_as_dict(done), as_json, partial(_text, done, lang))


def _as_dict(done: Reorganised) -> dict[str, Any]:
    plan = done.plan
    return {
        "dry_run": done.dry_run,
        "decision": plan.decision.number,
        "effective": plan.decision.effective.isoformat(),
        "steps": [[s.action, s.code, s.target] for s in plan.steps],
        **plan.totals(),
        "cycles": done.cycles,
        "changes": [
            {"code": c.code, "old_code": c.old_code, "parent": c.parent,
             "old_parent": c.old_parent, "path": c.path, "old_path": c.old_path,
             "ended": c.ended, "absorbed_by": c.absorbed_by}
            for c in plan.changes
        ],
        "carried": [[k.cycle_id, k.from_unit, k.to_unit] for k in plan.carries],
    }  # fmt: skip


def _text(done: Reorganised, lang: str) -> str:
    plan, t = done.plan, done.plan.totals()
    day = show_date(plan.decision.effective)
    if lang == "en":
        head = (
            f"decision {plan.decision.number}, in effect from {day}: {t['moved']} units moved "
            f"({t['paths_changed']} paths), {t['renamed']} renamed, {t['ended']} ended; "
            f"{done.cycles} cycles follow their unit, {t['cycles_carried']} carried over"
        )
        tail = "dry run: nothing was changed" if done.dry_run else "done"
    else:
        head = (
            f"quyết định {plan.decision.number}, hiệu lực từ {day}: chuyển {t['moved']} đơn vị "
            f"({t['paths_changed']} đường dẫn), đổi mã {t['renamed']}, chấm dứt {t['ended']}; "
            f"{done.cycles} chu kỳ theo đơn vị, {t['cycles_carried']} chu kỳ chuyển tiếp"
        )
        tail = "chạy thử: chưa thay đổi gì" if done.dry_run else "đã thực hiện"
    lines = [head]
    for c in plan.changes:
        if c.ended:
            lines.append(f"  {c.code}: ✕ {c.absorbed_by or ''}".rstrip())
        elif c.reparented or c.old_code != c.code:
            name = c.code if c.old_code == c.code else f"{c.old_code} → {c.code}"
            lines.append(f"  {name}: {c.old_parent or '—'} → {c.parent or '—'}")
    return "\n".join([*lines, tail])


def register(group: typer.Typer) -> None:
    @group.command("move")
    def units_move(
        code: str,
        to: Annotated[str, typer.Option("--to", help="The new parent's code")],
        decision: DecisionOption,
        effective: EffectiveOption = None,
        dry_run: DryRunOption = False,
        actor: ActorOption = "system",
        db: DbOption = None,
        now: NowOption = None,
        as_json: JsonOption = False,
        lang: LangOption = "vi",
    ) -> None:
        """Move a unit (and everything under it) to another parent."""
        _run([Step("move", code, to)], decision, effective, dry_run, actor, db, now, as_json, lang)

    @group.command("merge")
    def units_merge(
        codes: list[str],
        into: Annotated[str, typer.Option("--into", help="The unit that absorbs them")],
        decision: DecisionOption,
        effective: EffectiveOption = None,
        dry_run: DryRunOption = False,
        actor: ActorOption = "system",
        db: DbOption = None,
        now: NowOption = None,
        as_json: JsonOption = False,
        lang: LangOption = "vi",
    ) -> None:
        """Merge units into one: their units move under it, their running cycles carry
        over to it, and they end."""
        steps = [Step("merge", code, into) for code in codes if code != into]
        _run(steps, decision, effective, dry_run, actor, db, now, as_json, lang)

    @group.command("split")
    def units_split(
        code: str,
        into: Annotated[
            list[str],
            typer.Option(
                "--into", help="A unit it splits into (the first keeps its running cycle)"
            ),
        ],
        decision: DecisionOption,
        child: Annotated[
            list[str],
            typer.Option(
                "--child", help="CHILD=NEW: where a unit under it goes (default: the first)"
            ),
        ] = [],  # noqa: B006
        effective: EffectiveOption = None,
        dry_run: DryRunOption = False,
        actor: ActorOption = "system",
        db: DbOption = None,
        now: NowOption = None,
        as_json: JsonOption = False,
        lang: LangOption = "vi",
    ) -> None:
        """Split a unit between units that exist (import new ones first): its units go
        where --child says, the rest and its running cycle to the first --into; it ends."""
        steps = []
        for pair in child:
            name, _, target = pair.partition("=")
            if not name or not target:
                raise fail_said(lang, "cli.child_pair", given=pair)
            steps.append(Step("move", name.strip(), target.strip()))
        steps.append(Step("merge", code, into[0]))
        _run(steps, decision, effective, dry_run, actor, db, now, as_json, lang)

    @group.command("rename")
    def units_rename(
        old: str,
        new: str,
        decision: DecisionOption,
        effective: EffectiveOption = None,
        dry_run: DryRunOption = False,
        actor: ActorOption = "system",
        db: DbOption = None,
        now: NowOption = None,
        as_json: JsonOption = False,
        lang: LangOption = "vi",
    ) -> None:
        """Give a unit a new code (its cycles, ratings and actors follow)."""
        _run([Step("rename", old, new)], decision, effective, dry_run, actor, db, now, as_json,
             lang)  # fmt: skip

    @group.command("dissolve")
    def units_dissolve(
        code: str,
        decision: DecisionOption,
        effective: EffectiveOption = None,
        dry_run: DryRunOption = False,
        actor: ActorOption = "system",
        db: DbOption = None,
        now: NowOption = None,
        as_json: JsonOption = False,
        lang: LangOption = "vi",
    ) -> None:
        """End a unit with nothing left under it and no running cycle."""
        _run([Step("dissolve", code)], decision, effective, dry_run, actor, db, now, as_json,
             lang)  # fmt: skip

    @group.command("reorganise")
    def units_reorganise(
        mapping: Path,
        decision: DecisionOption,
        effective: EffectiveOption = None,
        dry_run: DryRunOption = False,
        actor: ActorOption = "system",
        db: DbOption = None,
        now: NowOption = None,
        as_json: JsonOption = False,
        lang: LangOption = "vi",
    ) -> None:
        """A decision's annex (.xlsx or .csv: code, new_code, new_parent, action), done as
        one: moves first, then merges, dissolutions and new codes. One bad row (or step)
        changes nothing."""
        _run(None, decision, effective, dry_run, actor, db, now, as_json, lang, annex=mapping)
