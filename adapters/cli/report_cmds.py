"""`bontot report`: the year's report of a subtree, as Excel, CSV or JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import i18n, logs
from adapters.cli.context import (
    DbOption,
    LangOption,
    NowOption,
    YearOption,
    fail_said,
    session,
)
from adapters.cli.progress import shown
from adapters.report_files import write_report
from workflow.timefmt import LOCAL_TZ


def report(
    year: YearOption,
    under: Annotated[str | None, typer.Option(help="The subtree (default: everything)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="xlsx, csv or json")] = "xlsx",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout)")] = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
    delimiter: Annotated[str, typer.Option(help="CSV field separator")] = ";",
) -> None:
    """One row per unit (stage, dates, rating, verdict with failing checks, overdue) and
    a summary per superior (counts by stage, recognised share against target, late units).
    CSV holds the unit rows; Excel and JSON hold both."""
    if fmt not in ("xlsx", "csv", "json"):
        raise fail_said(lang, "cli.format_report", given=fmt)
    if len(delimiter) != 1:
        raise fail_said(lang, "cli.delimiter", given=delimiter)
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise fail_said(lang, "cli.excel_needs_output")
    with session(db, now) as app, shown("report", lang):
        built = app.cycles.report(year, under)
        today = app.clock.now().astimezone(LOCAL_TZ).date()
        data = write_report(built, fmt, lang, output, today, delimiter)
        logs.logger().info(
            "report.written", year=year, under=under, format=fmt, units=len(built.units),
            output=str(output) if output else "stdout",
        )
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            units, superiors = (
                i18n.number(len(found), lang, 0) for found in (built.units, built.superiors)
            )
            said = i18n.text(lang, "cli.report_written", file=output, units=units,
                             superiors=superiors)  # fmt: skip
            typer.echo(said)


commands: dict[str, Callable[..., Any]] = {"report": report}
