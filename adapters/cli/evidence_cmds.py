"""Evidence commands: the ratings register, a unit's verdict, superiors' targets."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from adapters import logs
from adapters.cli import evidence_render, render
from adapters.cli.app import (
    DEFAULT_DEFINITION,
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    Session,
    app,
    fail,
    session,
)
from adapters.cli.meeting_cmds import meeting_params
from adapters.persistence.meetings import MeetingRepository
from adapters.tabular import file_digest, read_table
from workflow.access import covers
from workflow.errors import BontotError
from workflow.evidence.ratings import check_rating_rows
from workflow.rules.meetings import Breach, check_meetings
from workflow.service.ports import Cycle
from workflow.timefmt import LOCAL_TZ, parse_user_date

ratings_app = typer.Typer(no_args_is_help=True, help="The annual ratings register.")
targets_app = typer.Typer(no_args_is_help=True, help="Superiors' yearly targets.")
app.add_typer(ratings_app, name="ratings")
app.add_typer(targets_app, name="targets")


@ratings_app.command("import")
def ratings_import(
    file: Path,
    year: Annotated[int, typer.Option(help="The rating season's year (ratings of 2025)")],
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
) -> None:
    """Import members' and units' ratings from the member registry's export (.csv/.xlsx).

    Columns: ma_to_chuc, ma_dang_vien (blank: the unit's own rating), ho_ten, tinh_trang,
    ngay_vao_dang, xep_loai, giai_doan (tam_thoi/chinh_thuc), ngay_xep_loai. Every row is
    checked first; one bad row imports nothing."""
    with session(db) as s:
        from adapters.cli.audit_cmds import authenticate

        authenticate(s, actor, "ratings import", administrator=True)
        header, rows = read_table(file)
        units = {code: kind for code, (kind, _) in s.store.unit_parents().items()}
        records = check_rating_rows(str(file), header, rows, units, year)
        digest = file_digest(file)
        added, updated = s.store.import_ratings(
            year, records, s.engine.clock.now(), actor, {"file": file.name, "sha256": digest}
        )
        logs.logger().info(
            "ratings.imported", file=str(file), year=year, added=added, updated=updated
        )
        typer.echo(f"imported {added} new and {updated} corrected ratings from {file}")


@app.command()
def verdict(
    unit: str,
    year: Annotated[int, typer.Option()],
    definition: Annotated[str | None, typer.Option(help="Definition id, if several cycles")] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """The recognition rule's verdict on UNIT's evidence: every check, actual vs required."""
    with session(db, now) as s:
        cycle = s.engine.cycle(unit, year, definition)
        found = s.engine.verdict(cycle)
        breaches = _meeting_breaches(s, cycle, year)
        if as_json:
            d = evidence_render.verdict_dict(found)
            if breaches is not None:
                held, found_breaches = breaches
                d["meetings"] = {
                    "held": held,
                    "breaches": [b.as_dict() for b in found_breaches],
                }
            typer.echo(render.dumps(d))
            return
        spec = s.engine.definition(cycle.definition_id, cycle.definition_version).spec
        label = spec.state_label(cycle.state, lang)
        typer.echo(evidence_render.verdict_text(found, lang, breaches, label))


def _meeting_breaches(s: Session, cycle: Cycle, year: int) -> tuple[int, list[Breach]] | None:
    """Criterion 2's evidence beside the verdict: the meeting register against the
    definition's thresholds, through the end of the year (or today, if earlier)."""
    definition = s.engine.definition(cycle.definition_id, cycle.definition_version)
    try:
        _, params = meeting_params(definition)
    except BontotError:
        return None
    if cycle.unit_kind not in params.applies_to:
        return None
    meetings = MeetingRepository(s.store.engine).meetings(cycle.unit_code, year)
    size = s.store.find_unit(cycle.unit_code).member_count or max(
        (m.roll for m in meetings), default=0
    )
    through = min(s.engine.clock.now().astimezone(LOCAL_TZ).date(), date(year, 12, 31))
    return len(meetings), check_meetings(params, meetings, size, year, through=through)


@targets_app.command("set")
def targets_set(
    unit: str,
    year: Annotated[int, typer.Option()],
    share: Annotated[float, typer.Option(help="Percent of grassroots organisations recognised")],
    assigned_on: Annotated[str | None, typer.Option(help="Decision date dd/mm/yyyy")] = None,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    actor: Annotated[str, typer.Option()] = "system",
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Assign UNIT (a superior) its target for YEAR: the share of its grassroots
    organisations to be recognised."""
    if not 0 <= share <= 100:
        raise fail(f"--share {share}: a percentage from 0 to 100")
    with session(db, now) as s:
        from adapters.cli.audit_cmds import authenticate

        grant = authenticate(s, actor, "targets set", now)
        if grant is not None and grant.role not in ("administrator", "superior_standing_committee"):
            raise fail(f"{actor}: targets are set by a standing committee or an administrator", 2)
        node = s.store.find_unit(unit)
        if grant is not None and not covers(grant.scope_path, node.path):
            raise fail(f"{actor}: {unit} is outside your scope ({grant.scope_code})", 2)
        if node.code not in {code for code, _, _ in s.store.committees(node)}:
            raise fail(f"{unit} has no units under it: a target is a superior's")
        try:
            today = s.engine.clock.now().astimezone(LOCAL_TZ).date()
            on = parse_user_date(assigned_on) if assigned_on else today
        except ValueError:
            raise fail(f"--assigned-on {assigned_on!r}: not a date (dd/mm/yyyy)") from None
        s.store.set_target(year, unit, definition, share, on, s.engine.clock.now(), actor)
        logs.logger().info("target.set", unit=unit, year=year, share=share, actor=actor)
        typer.echo(f"{unit} {year}: target {share:g} % ({definition}), assigned {on:%d/%m/%Y}")


@targets_app.command("show")
def targets_show(
    year: Annotated[int, typer.Option()],
    under: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Progress against each superior's target: counted, recognised, share, gap in units."""
    with session(db, now) as s:
        rows = s.engine.target_progress(year, under)
        if as_json:
            typer.echo(render.dumps([r.as_dict() for r in rows]))
            return
        typer.echo(evidence_render.targets_text(rows, year, lang))
