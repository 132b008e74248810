"""Evidence commands: the ratings register, a unit's verdict, superiors' targets."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import i18n, logs
from adapters.cli import evidence_render
from adapters.cli.context import (
    DEFAULT_DEFINITION,
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    YearOption,
    emit,
    fail_said,
    session,
    token_for,
    warn_columns,
)
from adapters.cli.progress import shown
from adapters.tabular import file_digest, read_sheet
from workflow.bounds import FIRST_YEAR, LAST_YEAR
from workflow.service.meeting_checks import UnitVerdict
from workflow.timefmt import parse_user_date

ratings = typer.Typer(no_args_is_help=True, help="The annual ratings register.")
targets = typer.Typer(no_args_is_help=True, help="Superiors' yearly targets.")


@ratings.command("import")
def ratings_import(
    file: Path,
    year: Annotated[
        int,
        typer.Option(
            help="The rating season's year (ratings of 2025)", min=FIRST_YEAR, max=LAST_YEAR
        ),
    ],
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
    lang: LangOption = "vi",
) -> None:
    """Import members' and units' ratings from the member registry's export (.csv/.xlsx).

    Columns: ma_to_chuc, ma_dang_vien (blank: the unit's own rating), ho_ten, tinh_trang,
    ngay_vao_dang, xep_loai, diem, giai_doan (tam_thoi/chinh_thuc), ngay_xep_loai (English:
    unit, member, name, status, admitted_on, rating, score, stage, rated_on). Every row is
    checked first; one bad row imports nothing. A column nobody reads is warned about."""
    detail: dict[str, Any] = {"file": file.name}  # and its digest, once read
    with session(db) as app, shown("import"):
        done = app.registers.import_ratings(
            str(file), partial(_read_with_digest, file, detail, lang), year, detail, actor,
            token_for(actor),
        )  # fmt: skip
    warn_columns(done.notes, lang)
    logs.logger().info(
        "ratings.imported", file=str(file), year=year, added=done.added, updated=done.updated
    )
    typer.echo(
        i18n.text(lang, "cli.ratings_imported", added=done.added, updated=done.updated, file=file)
    )


def _read_with_digest(
    file: Path, detail: dict[str, Any], lang: str
) -> tuple[list[str], list[dict[str, str]]]:
    table = read_sheet(file, lang=lang)
    detail["sha256"] = file_digest(file)
    return table


def verdict(
    unit: str,
    year: YearOption,
    definition: Annotated[str | None, typer.Option(help="Definition id, if several cycles")] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """The recognition rule's verdict on UNIT's evidence: every check, actual vs required."""
    with session(db, now) as app:
        found = app.evidence.verdict(unit, year, definition)
    emit(evidence_render.unit_verdict_dict(found), as_json, partial(_verdict_text, found, lang))


def _verdict_text(found: UnitVerdict, lang: str) -> str:
    label = found.definition.spec.state_label(found.cycle.state, lang)
    return evidence_render.verdict_text(found.verdict, lang, found.meetings, label)


@targets.command("set")
def targets_set(
    unit: str,
    year: YearOption,
    share: Annotated[float, typer.Option(help="Percent of grassroots organisations recognised")],
    assigned_on: Annotated[str | None, typer.Option(help="Decision date dd/mm/yyyy")] = None,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    actor: Annotated[str, typer.Option()] = "system",
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Assign UNIT (a superior) its target for YEAR: the share of its grassroots
    organisations to be recognised."""
    if not 0 <= share <= 100:
        raise fail_said(lang, "cli.share_range", share=i18n.decimal(share, lang))
    try:
        decided = parse_user_date(assigned_on) if assigned_on else None
    except ValueError:
        option = "--assigned-on"
        raise fail_said(lang, "cli.not_a_date", option=option, given=assigned_on) from None
    with session(db, now) as app:
        on = app.registers.set_target(
            unit, year, share, decided, definition, actor, token_for(actor), now
        )
        title = app.catalog.latest(definition).spec.title.get(lang)
    logs.logger().info("target.set", unit=unit, year=year, share=share, actor=actor)
    said = i18n.text(
        lang, "cli.target_set", unit=unit, year=year, share=i18n.decimal(share, lang),
        definition=title, on=f"{on:%d/%m/%Y}",
    )  # fmt: skip
    typer.echo(said)


@targets.command("show")
def targets_show(
    year: YearOption,
    under: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Progress against each superior's target: counted, recognised, share, gap in units."""
    with session(db, now) as app:
        rows = app.cycles.target_progress(year, under)
    text = partial(evidence_render.targets_text, rows, year, lang)
    emit([r.as_dict() for r in rows], as_json, text)


commands: dict[str, Callable[..., Any]] = {"verdict": verdict}
groups = {"ratings": ratings, "targets": targets}
