"""`bontot units`: the unit tree, imported from CSV and listed."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from adapters import logs
from adapters.cli import render, reorganise_cmds
from adapters.cli.context import DbOption, JsonOption, emit, fail, session, token_for
from adapters.tabular import read_csv
from workflow.service.ports import UnitRef
from workflow.timefmt import parse_user_date

group = typer.Typer(no_args_is_help=True, help="The unit tree.")
reorganise_cmds.register(group)


@group.command("import")
def units_import(
    file: Path,
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
) -> None:
    """Import units from CSV (code,name,kind,type,parent_code,member_count,contact_<role>...).

    Every row is checked first; one bad row imports nothing."""
    with session(db) as app:
        added, updated = app.registers.import_units(
            str(file), partial(read_csv, file), actor, token_for(actor)
        )
        logs.logger().info("units.imported", file=str(file), added=added, updated=updated)
        typer.echo(f"imported {added} new and {updated} updated units from {file}")


@group.command("list")
def units_list(
    under: Annotated[str | None, typer.Option()] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The tree as it stood that day, dd/mm/yyyy")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List units (a subtree with --under; as the tree stood on a day with --on)."""
    try:
        day = parse_user_date(on) if on else None
    except ValueError as exc:
        raise fail(f"--on {on!r}: {exc}") from None
    with session(db) as app:
        if day is None:
            units = app.registers.units(under)
        else:
            units = app.reorganisations.tree_on(day, under)
    if as_json or units:  # an empty tree prints nothing
        emit([render.unit_dict(u) for u in units], as_json, partial(_tree_text, units))


def _tree_text(units: list[UnitRef]) -> str:
    depth0 = min((u.path.count("/") for u in units), default=0)
    return "\n".join(
        f"{'  ' * (u.path.count('/') - depth0)}{u.code:<16} {u.kind:<20} {u.member_count:>4}  "
        f"{u.name}"
        for u in units
    )
