"""`bontot audit`: verify the hash chains (in the database or an export), export, anchor,
and read the log of who did what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.audit_verify import verify_database
from adapters.cli import render
from adapters.cli.context import (
    DbOption,
    JsonOption,
    NowOption,
    UnderOption,
    YearOption,
    database_url,
    guarded,
    log_filter,
    session,
    token_for,
)
from workflow.service.auditing import Verification, verify_export

group = typer.Typer(no_args_is_help=True, help="The audit trail: verify, export, read.")


@group.command("verify")
def audit_verify(
    under: UnderOption = None,
    file: Annotated[Path | None, typer.Option("--file", help="Verify an export offline")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes reading the chains (default: the cores)", min=1, max=64),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute every hash chain; name the first bad record of each broken chain."""
    if file is not None:
        with file.open(encoding="utf-8") as handle:
            report = verify_export(handle)
        source = str(file)
    else:
        with session(db):
            pass  # the schema is there
        source = database_url(db)
        report = guarded(lambda: verify_database(source, under, workers))
    _say_verified(source, report, as_json)
    if not report.ok:
        raise typer.Exit(1)


def _say_verified(source: str, report: Verification, as_json: bool) -> None:
    result: dict[str, Any] = {
        "source": logs.redacted(source),
        "ok": report.ok,
        "records": report.records,
        "chains": report.chains,
        "registers": report.registers,
        "problems": [str(p) for p in report.problems],
    }
    logs.logger().info("audit.verified", **{k: v for k, v in result.items() if k != "problems"})
    if as_json:
        typer.echo(render.dumps(result))
    elif report.ok:
        typer.echo(
            f"ok: {report.records} records in {report.chains} chains"
            + (f"; {report.registers} register rows follow from them" if report.registers else "")
        )
    else:
        typer.echo(f"{len(report.problems)} broken chain(s); first bad records:", err=True)
        for problem in report.problems:
            typer.echo(f"  {problem}", err=True)


@group.command("export")
def audit_export(
    year: YearOption,
    output: Annotated[Path, typer.Option()],
    under: UnderOption = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Write the year's cycle chains under a node as JSONL: the auditor's own copy, which
    `bontot audit verify --file` checks offline."""
    with session(db, now) as app:
        export = app.trail.export(year, under)
        count = 0
        with output.open("w", encoding="utf-8") as handle:
            for line in export.lines:
                handle.write(line + "\n")
                count += 1
    logs.logger().info("audit.exported", file=str(output), year=year, under=under, lines=count)
    # the header, a line per cycle, a line per record, the end line
    typer.echo(f"{output}: {export.cycles} cycles, {count - export.cycles - 2} records")


@group.command("anchor")
def audit_anchor(
    by: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Record an anchor: one hash over every chain's head as of now."""
    with session(db, now) as app:
        detail = app.trail.anchor(by, token_for(by), now)
    logs.logger().info("audit.anchored", **detail)
    typer.echo(
        f"anchor over {detail['cycles']} cycles up to record {detail['transition_id']}: "
        f"{detail['digest']}"
    )


@group.command("log")
def audit_log(
    under: UnderOption = None,
    actor: Annotated[str | None, typer.Option()] = None,
    event: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option("--from", help="ISO date or date-time")] = None,
    until: Annotated[str | None, typer.Option("--to", help="ISO date or date-time")] = None,
    late: Annotated[bool, typer.Option("--late", help="Events fired after their deadline")] = False,
    refusals: Annotated[bool, typer.Option("--refusals")] = False,
    overrides: Annotated[bool, typer.Option("--overrides")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who did what, when: applied events and recorded facts, filtered."""
    start, end, only = log_filter(since, until, late, refusals, overrides)
    with session(db) as app:
        rows = app.trail.log(under, actor, event, start, end, only)
    if as_json:
        typer.echo(render.dumps(rows))
        return
    for row in rows:
        typer.echo(render.audit_line(row))
    typer.echo(f"{len(rows)} records", err=True)
