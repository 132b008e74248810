"""`bontot units`: the unit tree, imported from CSV and listed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from adapters import i18n, logs
from adapters.cli import render, reorganise_cmds
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    emit,
    fail_said,
    session,
    token_for,
    warn_columns,
)
from adapters.cli.progress import shown
from adapters.tabular import read_sheet
from workflow.service.records import UnitRef
from workflow.timefmt import parse_user_date

group = typer.Typer(no_args_is_help=True, help="The unit tree.")
reorganise_cmds.register(group)


@group.command("import")
def units_import(
    file: Path,
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
    lang: LangOption = "vi",
) -> None:
    """Import units from .csv (`,` `;` or tab; UTF-8 or UTF-16) or .xlsx.

    Columns (Vietnamese headers, accents and case ignored; English aliases in brackets):
    ma_to_chuc [code], ten [name], loai [kind], loai_hinh [type], ma_cap_tren
    [parent_code], so_dang_vien [member_count], lien_he_<role> [contact_<role>]. Every row
    is checked first; one bad row imports nothing. A column nobody reads is warned about."""
    with session(db) as app, shown("import"):
        done = app.registers.import_units(
            str(file), partial(read_sheet, file, lang=lang), actor, token_for(actor)
        )
    warn_columns(done.notes, lang)
    logs.logger().info(
        "units.imported", file=str(file), added=done.added, updated=done.updated,
        unread=[n.column for n in done.notes],
    )  # fmt: skip
    typer.echo(
        i18n.text(lang, "cli.units_imported", added=done.added, updated=done.updated, file=file)
    )


@group.command("list")
def units_list(
    under: Annotated[str | None, typer.Option()] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The tree as it stood that day, dd/mm/yyyy")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """List units (a subtree with --under; as the tree stood on a day with --on)."""
    try:
        day = parse_user_date(on) if on else None
    except ValueError:
        raise fail_said(lang, "cli.not_a_date", option="--on", given=on) from None
    with session(db) as app:
        if day is None:
            units = app.registers.units(under)
        else:
            units = app.reorganisations.tree_on(day, under)
        documents = app.catalog.latest().spec.documents  # the kinds' and types' labels
    if as_json or units:  # an empty tree prints nothing

        def kind(code: str) -> str:
            return documents.unit_kind(code, lang)

        def org_type(unit: UnitRef) -> str:
            """The organisation type after the name; none for a committee of no type."""
            if unit.kind == "committee" and unit.org_type == "other":
                return ""
            return f" ({documents.org_type(unit.org_type, lang)})"

        emit([render.unit_dict(u) for u in units], as_json,
             partial(_tree_text, units, kind, org_type))  # fmt: skip


def _tree_text(
    units: list[UnitRef], kind: Callable[[str], str], org_type: Callable[[UnitRef], str]
) -> str:
    depth0 = min((u.path.count("/") for u in units), default=0)
    return "\n".join(
        f"{'  ' * (u.path.count('/') - depth0)}{u.code:<16} {kind(u.kind):<28} "
        f"{u.member_count:>4}  "
        f"{u.name}{org_type(u)}"
        for u in units
    )
