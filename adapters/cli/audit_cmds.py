"""`bontot audit`: verify the hash chains (in the database or an export), export, anchor,
and read the log of who did what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs, signing_keys
from adapters.audit_trust import anchor_file, verify_against, verify_trust
from adapters.audit_verify import verify_database
from adapters.cli import render
from adapters.cli.audit_keys_cmds import keys_group
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    UnderOption,
    YearOption,
    database_url,
    fail_said,
    guarded,
    log_filter,
    session,
    token_for,
)
from adapters.cli.errors import labeller
from adapters.cli.progress import shown
from adapters.i18n import number, text
from adapters.i18n.said import chain_problem_text
from workflow.service.auditing import Verification, verify_export

group = typer.Typer(no_args_is_help=True, help="The audit trail: verify, export, read.")
group.add_typer(keys_group, name="keys")


@group.command("verify")
def audit_verify(
    under: UnderOption = None,
    file: Annotated[Path | None, typer.Option("--file", help="Verify an export offline")] = None,
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            help="Inspectors' public keys (a file or folder): hold the "
            "trail to the last anchor they signed",
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="An earlier export or anchor file to compare with"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes reading the chains (default: the cores)", min=1, max=64),
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Recompute every hash chain; name the first bad record of each broken chain."""
    if file is not None:
        try:
            with file.open(encoding="utf-8") as handle:
                report = verify_export(handle)
        except (OSError, UnicodeDecodeError) as exc:
            raise fail_said(lang, "cli.unreadable_file", file=file, reason=exc) from None
        source = str(file)
    else:
        trusted = guarded(lambda: signing_keys.trusted(trust)) if trust is not None else None
        with session(db, now) as app:
            moment = app.clock.now()  # the schema is there
        source = database_url(db)
        with shown("verify") as bar:
            report = guarded(lambda: verify_database(source, under, workers, bar))
        if trusted is not None:
            guarded(lambda: verify_trust(source, trusted, moment, report))
        if against is not None:
            report.problems += guarded(lambda: verify_against(source, against))
    _say_verified(source, report, as_json, lang)
    if not report.ok:
        raise typer.Exit(1)


def _say_verified(source: str, report: Verification, as_json: bool, lang: str) -> None:
    result: dict[str, Any] = {
        "source": logs.redacted(source),
        "ok": report.ok,
        "records": report.records,
        "chains": report.chains,
        "registers": report.registers,
        "problems": [str(p) for p in report.problems],
        "notes": report.notes,
    }
    logs.logger().info(
        "audit.verified", **{k: v for k, v in result.items() if k not in ("problems", "notes")}
    )
    if as_json:
        typer.echo(render.dumps(result))
    elif report.ok:
        key = "cli.verified_with_registers" if report.registers else "cli.verified"
        said = text(
            lang, key,
            records=number(report.records, lang, 0), chains=number(report.chains, lang, 0),
            registers=number(report.registers, lang, 0),
        )  # fmt: skip
        typer.echo(said)
    else:
        broken = number(len(report.problems), lang, 0)
        typer.echo(text(lang, "cli.verify_broken", count=broken), err=True)
        labels = labeller()  # the states, outcomes and deadlines by the definitions' labels
        for problem in report.problems:
            typer.echo(f"  {chain_problem_text(problem, lang, labels)}", err=True)
    if not as_json:
        for note in report.notes:
            typer.echo(f"  {note}", err=not report.ok)


@group.command("export")
def audit_export(
    year: YearOption,
    output: Annotated[Path, typer.Option()],
    under: UnderOption = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
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
    records = count - export.cycles - 2
    said = text(
        lang, "cli.exported", file=output,
        cycles=number(export.cycles, lang, 0), records=number(records, lang, 0),
    )  # fmt: skip
    typer.echo(said)


@group.command("anchor")
def audit_anchor(
    by: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    sign: Annotated[
        Path | None,
        typer.Option(
            "--sign",
            help="An inspector's Ed25519 private key file: sign the "
            "anchor (the key is never stored)",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Also write the anchor and every head it saw to this "
            "file, the inspector's copy (for verify --against)",
        ),
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Record an anchor: one hash over every chain's head as of now; signed with
    --sign."""
    signer = guarded(lambda: signing_keys.signer(sign)) if sign is not None else None
    with session(db, now) as app:
        if signer is None:
            detail = app.trail.anchor(by, token_for(by), now)
        else:
            detail = app.inspectors.sign_anchor(by, signer, token_for(by), now)
        url = app.url
    logs.logger().info("audit.anchored", **{k: v for k, v in detail.items() if k != "signature"})
    if output is not None:
        kept = guarded(lambda: anchor_file(url, detail))
        output.write_text(render.dumps(kept) + "\n", encoding="utf-8")
    said = text(
        lang, "cli.anchored",
        cycles=number(detail["cycles"], lang, 0), record=detail["transition_id"],
        digest=detail["digest"],
    )  # fmt: skip
    if signer is not None:
        said += text(lang, "cli.anchor_signed", key=detail["key"], number=detail["number"])
    typer.echo(said)


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
    lang: LangOption = "vi",
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
    typer.echo(text(lang, "cli.log_count", count=number(len(rows), lang, 0)), err=True)
