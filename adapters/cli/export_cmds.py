"""`bontot export board|overdue|history|verdict`: a list the command line shows, as xlsx or CSV
(UTF-8 with a BOM, `;` between fields, as a Vietnamese Excel opens it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters import logs
from adapters.cli.app import DbOption, LangOption, NowOption, app, fail, session
from adapters.documents.lists import (
    Table,
    board_table,
    history_table,
    overdue_table,
    verdict_table,
    write_table,
)

export_app = typer.Typer(no_args_is_help=True, help="Lists as Excel or CSV files.")
app.add_typer(export_app, name="export")

FormatOption = Annotated[str, typer.Option("--format", help="xlsx or csv")]
OutputOption = Annotated[Path, typer.Option(help="The file to write")]
DelimiterOption = Annotated[str, typer.Option(help="CSV field separator")]


def _check(fmt: str, lang: str, delimiter: str) -> None:
    if fmt not in ("xlsx", "csv"):
        raise fail(f"--format {fmt!r}: xlsx or csv")
    if lang not in ("vi", "en"):
        raise fail(f"--lang {lang!r}: vi or en")
    if len(delimiter) != 1:
        raise fail(f"--delimiter {delimiter!r}: one character, e.g. ';' or ','")


def _save(table: Table, fmt: str, output: Path, sheet: str, delimiter: str) -> None:
    try:
        output.write_bytes(write_table(table, fmt, sheet, delimiter))
    except OSError as exc:
        raise fail(f"{output}: {exc.strerror}") from None
    logs.logger().info("export.written", list=sheet, format=fmt, output=str(output))
    typer.echo(f"{output}")


@export_app.command("board")
def export_board(
    year: Annotated[int, typer.Option()],
    output: OutputOption,
    under: Annotated[str | None, typer.Option()] = None,
    fmt: FormatOption = "xlsx",
    delimiter: DelimiterOption = ";",
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """`status`: cycles by stage under a node."""
    _check(fmt, lang, delimiter)
    with session(db, now) as s:
        board = s.engine.board(year, under)
        table = board_table(board, lang, lambda d: s.catalog.latest(d).spec.title.get(lang))
    _save(table, fmt, output, "status", delimiter)


@export_app.command("overdue")
def export_overdue(
    year: Annotated[int, typer.Option()],
    output: OutputOption,
    under: Annotated[str | None, typer.Option()] = None,
    fmt: FormatOption = "xlsx",
    delimiter: DelimiterOption = ";",
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """`overdue`: units late on a deadline, oldest first."""
    _check(fmt, lang, delimiter)
    with session(db, now) as s:
        items = s.engine.overdue(year, under)
        table = overdue_table(items, s.engine.clock.now(), lang, s.engine.spec)
    _save(table, fmt, output, "overdue", delimiter)


@export_app.command("history")
def export_history(
    unit: str,
    year: Annotated[int, typer.Option()],
    output: OutputOption,
    definition: Annotated[str | None, typer.Option()] = None,
    fmt: FormatOption = "xlsx",
    delimiter: DelimiterOption = ";",
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """`history`: every step of a unit's cycle."""
    _check(fmt, lang, delimiter)
    with session(db, now) as s:
        table = history_table(s.engine.history(unit, year, definition), lang)
    _save(table, fmt, output, "history", delimiter)


@export_app.command("verdict")
def export_verdict(
    unit: str,
    year: Annotated[int, typer.Option()],
    output: OutputOption,
    definition: Annotated[str | None, typer.Option()] = None,
    fmt: FormatOption = "xlsx",
    delimiter: DelimiterOption = ";",
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """`verdict`: each check of the recognition rule, actual against required."""
    _check(fmt, lang, delimiter)
    with session(db, now) as s:
        found = s.engine.verdict(s.engine.cycle(unit, year, definition))
        table = verdict_table(found, lang)
    _save(table, fmt, output, "verdict", delimiter)
