"""`bontot units`: the unit tree, imported from CSV and listed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from adapters import i18n, logs
from adapters.cli import render
from adapters.cli.context import DbOption, JsonOption, LangOption, emit, session, token_for
from adapters.tabular import read_csv
from workflow.service.ports import UnitRef

group = typer.Typer(no_args_is_help=True, help="The unit tree.")


@group.command("import")
def units_import(
    file: Path,
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
    lang: LangOption = "vi",
) -> None:
    """Import units from CSV (code,name,kind,type,parent_code,member_count,contact_<role>...).

    Every row is checked first; one bad row imports nothing."""
    with session(db) as app:
        added, updated = app.registers.import_units(
            str(file), partial(read_csv, file), actor, token_for(actor)
        )
        logs.logger().info("units.imported", file=str(file), added=added, updated=updated)
        typer.echo(i18n.text(lang, "cli.units_imported", added=added, updated=updated, file=file))


@group.command("list")
def units_list(
    under: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """List units (a subtree with --under)."""
    with session(db) as app:
        units = app.registers.units(under)
        documents = app.catalog.latest().spec.documents  # the kinds' labels
    if as_json or units:  # an empty tree prints nothing

        def kind(code: str) -> str:
            return documents.unit_kind(code, lang)

        emit([render.unit_dict(u) for u in units], as_json, partial(_tree_text, units, kind))


def _tree_text(units: list[UnitRef], kind: Callable[[str], str]) -> str:
    depth0 = min((u.path.count("/") for u in units), default=0)
    return "\n".join(
        f"{'  ' * (u.path.count('/') - depth0)}{u.code:<16} {kind(u.kind):<28} "
        f"{u.member_count:>4}  "
        f"{u.name}"
        for u in units
    )
