"""`bontot meetings`: the meeting register (criterion 2 evidence), imported from the
e-handbook app's attendance export and checked against the definition's thresholds."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.cli import errors
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
from adapters.cli.errors import problem
from adapters.cli.progress import shown
from adapters.tabular import read_sheet
from workflow.service.meeting_checks import MeetingCheck
from workflow.timefmt import parse_user_date

group = typer.Typer(no_args_is_help=True, help="The meeting register (criterion 2).")


@group.command("import")
def meetings_import(
    file: Path,
    actor: Annotated[str, typer.Option(help="Who imports (with a token once actors exist)")] = (
        "system"
    ),
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Import meetings from the e-handbook's export (.csv or .xlsx).

    Columns (Vietnamese headers, accents and case ignored; English aliases in brackets):
    ma_to_chuc [unit], ngay [date] dd/mm/yyyy, loai [kind] thuong_ky | chuyen_de | ket_hop
    [regular | thematic | combined], thoi_luong_phut [duration_min], co_mat [present],
    vang_co_ly_do [absent_excused], vang_khong_ly_do [absent_unexcused], so_y_kien
    [speakers], and optionally ds_vang_co_ly_do, ds_vang_khong_ly_do [absent_excused_ids,
    absent_unexcused_ids]: member ids separated by ';'.

    Every row is checked first; one bad row imports nothing. A meeting is keyed by
    (unit, date, kind): the same file again changes nothing, a corrected one overwrites."""
    if not file.is_file():
        raise problem("error.no_file", errors.NOT_FOUND, file=str(file))
    data = file.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    with session(db, now) as app, shown("import"):
        result = app.registers.import_meetings(
            str(file), file.name, sha256, partial(read_sheet, file, data, lang=lang),
            actor, token_for(actor), now,
        )  # fmt: skip
    warn_columns(result.notes, lang)
    logs.logger().info(
        "meetings.imported",
        file=str(file),
        sha256=sha256,
        rows=result.rows,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        actor=actor,
    )
    typer.echo(
        f"imported {result.rows} meetings of {result.units} units from {file}: "
        f"{result.added} new, {result.updated} updated, {result.unchanged} unchanged"
    )


@group.command("check")
def meetings_check(
    year: YearOption,
    unit: Annotated[str | None, typer.Option(help="One unit")] = None,
    under: Annotated[str | None, typer.Option(help="Every unit the rule applies to under it")] = (
        None
    ),
    through: Annotated[
        str | None,
        typer.Option(help="Judge months and quarters ending by dd/mm/yyyy (default: today)"),
    ] = None,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Every breach of the meeting thresholds in YEAR, with its meeting's date.

    The thresholds are those of the definition version the unit's cycle of YEAR opened
    with (the latest version when it has none). Breaches are a report: exit 0."""
    if (unit is None) == (under is None):
        raise fail_said(lang, "cli.unit_or_under")
    end: date | None = None
    if through is not None:
        try:
            end = parse_user_date(through)
        except ValueError:
            raise fail_said(lang, "cli.not_a_date", option="--through", given=through) from None
    with session(db, now) as app:
        found = app.evidence.check_meetings(year, unit, under, end, definition)
    logs.logger().info(
        "meetings.checked",
        year=year,
        unit=unit,
        under=under,
        units=len(found.units),
        breaches=sum(len(r.breaches) for r in found.units),
    )
    emit(_as_json(found), as_json, partial(_as_text, found, lang))


def _as_json(found: MeetingCheck) -> dict[str, Any]:
    return {
        "year": found.year,
        "through": f"{found.through:%d/%m/%Y}",
        "units": [
            {
                "unit": r.unit.code,
                "name": r.unit.name,
                "member_count": r.member_count,
                "definition": {"id": r.definition.spec.id, "version": r.definition.spec.version},
                "meetings": len(r.meetings),
                "breaches": [b.as_dict() for b in r.breaches],
            }
            for r in found.units
        ],
    }


def _as_text(found: MeetingCheck, lang: str) -> str:
    year, end, en = found.year, found.through, lang == "en"
    lines = [
        f"Meeting register {year}, months and quarters judged through {end:%d/%m/%Y}"
        if en
        else f"Sổ sinh hoạt chi bộ năm {year}, xét các tháng, quý đến ngày {end:%d/%m/%Y}"
    ]
    with_breaches = 0
    for r in found.units:
        unit, used, size, meetings, breaches = (
            r.unit,
            r.definition,
            r.member_count,
            r.meetings,
            r.breaches,
        )
        with_breaches += bool(breaches)
        summary = (
            f"{len(meetings)} meetings, {size} members, {len(breaches)} breaches"
            if en
            else f"{len(meetings)} buổi sinh hoạt, {size} đảng viên, {len(breaches)} vi phạm"
        )
        lines.append("")
        lines.append(f"{unit.code} {unit.name} — {summary} ({used.spec.id} v{used.spec.version})")
        lines += [f"  - {b.describe(lang)}" for b in breaches]
    lines.append("")
    lines.append(
        f"{len(found.units)} units, {with_breaches} with breaches"
        if en
        else f"{len(found.units)} đơn vị, {with_breaches} đơn vị có vi phạm"
    )
    return "\n".join(lines)
