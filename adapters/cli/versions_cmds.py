"""`bontot definitions migrate`: move running cycles to another version of their definition
(a version move; not the schema's revisions, which are `bontot db`)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import typer

from adapters import i18n, logs
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
from workflow.service.versions import MigrationReport
from workflow.versions import MoveVerdict

WORDS = i18n.table("migrate")  # the catalogues' `migrate.*` messages


def reason_text(verdict: MoveVerdict, report: MigrationReport, lang: str) -> str:
    assert verdict.reason is not None
    template: str = WORDS[lang][verdict.reason]
    return template.format(
        state=verdict.from_state, source=report.mapping.source, target=report.mapping.target
    )


def report_dict(report: MigrationReport, lang: str) -> dict[str, Any]:
    m = report.mapping
    return {
        "definition_id": m.definition_id,
        "from_version": m.source,
        "to_version": m.target,
        "dry_run": report.dry_run,
        "mapping": m.as_dict(),
        "explicit": sorted(m.explicit),
        "cycles": [
            {
                "cycle_id": v.cycle_id,
                "unit": v.unit_code,
                "year": v.year,
                "from_state": v.from_state,
                "to_state": v.to_state,
                "status": "moved" if v.moved else "refused",
                "reason": v.reason,
                "message": None if v.moved else reason_text(v, report, lang),
            }
            for v in report.verdicts
        ],
        "totals": report.totals(),
    }


def report_text(report: MigrationReport, lang: str) -> str:
    w, m = WORDS[lang], report.mapping
    names = {"id": m.definition_id, "source": m.source, "target": m.target}
    lines = [w["title"].format(**names) + (w["dry"] if report.dry_run else "")]
    if not report.verdicts:
        lines.append(w["none"].format(**names))
        return "\n".join(lines)
    for v in report.verdicts:
        if v.moved:
            what = f"{v.from_state} → {v.to_state}"
        else:
            what = f"{v.from_state}: {w['refused']} — {reason_text(v, report, lang)}"
        lines.append(f"  {v.unit_code:<16} {v.year}  {what}")
    totals = report.totals()
    line = w["would" if report.dry_run else "totals"].format(**totals)
    if totals["refused_by_reason"]:
        by_reason = totals["refused_by_reason"].items()
        line += " (" + ", ".join(f"{w['short.' + k]}: {n}" for k, n in by_reason) + ")"
    lines.append(line)
    return "\n".join(lines)


def definitions_migrate(
    definition_id: str,
    from_version: Annotated[int, typer.Option("--from", help="The version cycles are on")],
    to_version: Annotated[int, typer.Option("--to", help="The version to move them to")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="OLD=NEW: where cycles in state OLD go (repeatable). States with the same "
            "name in both versions map to themselves unless a pair says otherwise.",
        ),
    ] = None,
    under: Annotated[str | None, typer.Option(help="Only the cycles under this unit")] = None,
    year: Annotated[int | None, typer.Option(help="Only this year's cycles")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would happen; change nothing")
    ] = False,
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    batch_size: Annotated[int, typer.Option(help="Cycles per transaction")] = 1000,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Move running cycles of ID from version --from to --to, by a state map.

    A cycle whose state has no mapping, or which is closed, is refused and left as it
    was; the others move, each with a `migrate` record in its audit trail, its deadlines
    and reminders re-planned for the new version. Exit 1 if the map names an unknown state."""
    if batch_size < 1:
        raise fail_said(lang, "cli.batch_size")
    with session(db, now) as app:
        report = app.acts.migrate(
            definition_id, from_version, to_version, mapping or [], under, year, actor,
            dry_run, batch_size, token_for(actor), now,
        )  # fmt: skip
    logs.logger().info(
        "definition.migration_planned" if dry_run else "definition.migrated",
        definition=definition_id,
        source=from_version,
        target=to_version,
        under=under,
        year=year,
        actor=actor,
        **report.totals(),
    )
    emit(report_dict(report, lang), as_json, partial(report_text, report, lang))
