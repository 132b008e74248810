"""`bontot export board|overdue|history|verdict|audit-log|outbox`: a list the command line
shows, as xlsx or CSV (UTF-8 with a BOM, `;` between fields, as a Vietnamese Excel opens
it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters import logs
from adapters.cli.context import (
    DbOption,
    LangOption,
    NowOption,
    UnderOption,
    YearOption,
    fail_said,
    log_filter,
    session,
)
from adapters.documents.lists import (
    Table,
    audit_log_table,
    board_table,
    history_table,
    outbox_table,
    overdue_table,
    verdict_table,
    write_table,
)

group = typer.Typer(no_args_is_help=True, help="Lists as Excel or CSV files.")

FormatOption = Annotated[str, typer.Option("--format", help="xlsx or csv")]
OutputOption = Annotated[Path, typer.Option(help="The file to write")]
DelimiterOption = Annotated[str, typer.Option(help="CSV field separator")]


def _check(fmt: str, lang: str, delimiter: str) -> None:
    if fmt not in ("xlsx", "csv"):
        raise fail_said(lang, "cli.format_xlsx_csv", given=fmt)
    if len(delimiter) != 1:
        raise fail_said(lang, "cli.delimiter", given=delimiter)


def _save(
    table: Table, fmt: str, output: Path, sheet: str, delimiter: str, lang: str
) -> None:
    try:
        output.write_bytes(write_table(table, fmt, sheet, delimiter))
    except OSError as exc:
        raise fail_said(lang, "cli.cannot_write", file=output, reason=exc.strerror) from None
    logs.logger().info("export.written", list=sheet, format=fmt, output=str(output))
    typer.echo(f"{output}")


@group.command("board")
def export_board(
    year: YearOption,
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
    with session(db, now) as app:
        board = app.cycles.board(year, under)
        table = board_table(board, lang, lambda d: app.catalog.latest(d).spec.title.get(lang))
    _save(table, fmt, output, "status", delimiter, lang)


@group.command("overdue")
def export_overdue(
    year: YearOption,
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
    with session(db, now) as app:
        items = app.cycles.overdue(year, under)
        table = overdue_table(items, app.cycles.clock.now(), lang, app.cycles.spec)
    _save(table, fmt, output, "overdue", delimiter, lang)


@group.command("history")
def export_history(
    unit: str,
    year: YearOption,
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
    with session(db, now) as app:
        table = history_table(app.cycles.history(unit, year, definition), lang)
    _save(table, fmt, output, "history", delimiter, lang)


@group.command("verdict")
def export_verdict(
    unit: str,
    year: YearOption,
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
    with session(db, now) as app:
        found = app.cycles.verdict(app.cycles.cycle(unit, year, definition))
        table = verdict_table(found, lang)
    _save(table, fmt, output, "verdict", delimiter, lang)


@group.command("audit-log")
def export_audit_log(
    output: OutputOption,
    under: UnderOption = None,
    actor: Annotated[str | None, typer.Option()] = None,
    event: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option("--from", help="ISO date or date-time")] = None,
    until: Annotated[str | None, typer.Option("--to", help="ISO date or date-time")] = None,
    late: Annotated[bool, typer.Option("--late")] = False,
    refusals: Annotated[bool, typer.Option("--refusals")] = False,
    overrides: Annotated[bool, typer.Option("--overrides")] = False,
    fmt: FormatOption = "xlsx",
    delimiter: DelimiterOption = ";",
    db: DbOption = None,
    lang: LangOption = "vi",
) -> None:
    """`audit log`: who did what, when, with the same filters."""
    _check(fmt, lang, delimiter)
    start, end, only = log_filter(since, until, late, refusals, overrides)
    with session(db) as app:
        rows = app.trail.log(under, actor, event, start, end, only)
        specs = [d.spec for d in app.catalog]
    # A record does not say its definition: the first in the catalog (the base
    # programme, before its overlays and other programmes) that names a thing labels it.
    labels: dict[str, str] = {}
    states: dict[str, str] = {}
    roles: dict[str, str] = {"system": "Hệ thống" if lang != "en" else "System"}
    for spec in specs:
        for t in spec.transitions:
            if t.label is not None:
                labels.setdefault(t.trigger, t.label.get(lang))
        for key, deadline in spec.deadlines.items():
            labels.setdefault(key, deadline.label.get(lang))
        for key, milestone in spec.milestones.items():
            labels.setdefault(key, milestone.label.get(lang))
        for key, state in spec.states.items():
            states.setdefault(key, state.label.get(lang))
        for key, role in spec.roles.items():
            roles.setdefault(key, role.label.get(lang))
    table = audit_log_table(rows, lang, lambda name: labels.get(name, name),
                            lambda name: states.get(name, name),
                            lambda name: roles.get(name, name))
    _save(table, fmt, output, "audit-log", delimiter, lang)


@group.command("outbox")
def export_outbox(
    output: OutputOption,
    fmt: FormatOption = "xlsx",
    delimiter: DelimiterOption = ";",
    db: DbOption = None,
    lang: LangOption = "vi",
) -> None:
    """`outbox`: messages waiting, sent and parked, each parked one with its last error."""
    _check(fmt, lang, delimiter)
    with session(db) as app:
        table = outbox_table(app.trail.outbox(), lang, app.catalog.specs())
    _save(table, fmt, output, "outbox", delimiter, lang)
