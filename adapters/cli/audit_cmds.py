"""Commands for auditors and administrators: audit verify/export/log/anchor, actors."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from adapters import logs
from adapters.audit_verify import verify_database
from adapters.cli import render
from adapters.cli.app import DbOption, JsonOption, NowOption, Session, app, fail, session
from adapters.identity import hash_token, issue_token, verify_token
from adapters.persistence.db import database_url
from workflow.access import ADMINISTRATOR, SYSTEM_ROLES, Grant
from workflow.errors import BontotError
from workflow.service.auditing import export_lines, verify_export
from workflow.timefmt import parse_user_instant, to_db

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: verify, export, read.")
actors_app = typer.Typer(no_args_is_help=True, help="Actors, their roles and tokens.")
app.add_typer(audit_app, name="audit")
app.add_typer(actors_app, name="actors")

TOKEN_ENV = "BONTOT_TOKEN"
UnderOption = Annotated[str | None, typer.Option("--under")]


def authenticate(
    s: Session,
    actor: str,
    purpose: str,
    backdated: str | None = None,
    administrator: bool = False,
) -> Grant | None:
    """None while the installation has no actors (open mode); else the actor's grant,
    once its token (from $BONTOT_TOKEN, or asked for) matches and it is not revoked.
    With actors, the time of an act is the clock's: `--now` is refused. A failure is
    refused, logged and kept in the audit trail."""
    if s.store.count_actors() == 0:
        return None
    found = s.store.find_actor(actor)
    token = os.environ.get(TOKEN_ENV)
    if token is None and sys.stdin.isatty():
        token = typer.prompt(f"token for {actor}", hide_input=True)
    why = None
    if found is None:
        why = "unknown actor"
    elif token is None:
        why = "no token"
    elif not verify_token(token, found[1]):
        why = "bad token"
    elif found[0].revoked:
        why = "revoked"
    elif backdated is not None:
        why = f"--now {backdated}: an act is dated by the clock once actors exist"
    elif administrator and found[0].role != ADMINISTRATOR:
        why = f"{purpose} is for administrators"
    if why is not None:
        logs.logger().warning("actor.refused", actor=actor, purpose=purpose, reason=why)
        s.store.record_event(
            "refusal", s.engine.clock.now(), actor, code="not_authenticated",
            detail={"purpose": purpose, "reason": why},
        )
        raise fail(f"{actor}: refused ({why}); act with your own token in ${TOKEN_ENV}", 2)
    assert found is not None
    return found[0]


# -- actors ----------------------------------------------------------------------------
@actors_app.command("add")
def actors_add(
    actor_id: str,
    role: Annotated[str, typer.Option(help="administrator, auditor, or a definition's role")],
    scope: Annotated[
        str | None, typer.Option(help="Unit code the role is held on (none: whole tree)")
    ] = None,
    name: Annotated[str, typer.Option()] = "",
    by: Annotated[str | None, typer.Option(help="The administrator adding it")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Add an actor and print its token, once. The first actor must be an administrator;
    after it, an administrator adds the others (--by, with its token)."""
    with session(db, now) as s:
        if s.store.count_actors() == 0:
            if role != ADMINISTRATOR:
                raise fail("the first actor must be an administrator", 2)
            by = actor_id
        else:
            if by is None:
                raise fail("--by ADMINISTRATOR is needed once actors exist", 2)
            authenticate(s, by, "actors add", administrator=True)
        if role not in SYSTEM_ROLES and scope is None:
            raise fail(f"role {role!r} is held on a unit: give --scope CODE", 2)
        token = issue_token()
        s.store.add_actors(
            [(actor_id, name, role, scope, hash_token(token))], s.engine.clock.now(), by
        )
        logs.logger().info("actor.added", actor=actor_id, role=role, scope=scope, by=by)
        typer.echo(f"{actor_id}: {role}" + (f" of {scope}" if scope else ""), err=True)
        typer.echo(f"token (shown once, keep it): {token}", err=True)
        typer.echo(token)


@actors_app.command("list")
def actors_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every actor, its role and scope, and whether it was revoked."""
    with session(db) as s:
        rows = [
            {"id": a, "name": n, "role": r, "scope": sc, "created_at": c, "revoked_at": rv}
            for a, n, r, sc, c, rv in s.store.list_actors()
        ]
    if as_json:
        typer.echo(render.dumps(rows))
        return
    for row in rows:
        revoked = f"  revoked {row['revoked_at']}" if row["revoked_at"] else ""
        typer.echo(f"{row['id']:<24} {row['role']:<28} {row['scope'] or '*':<14}{revoked}")


@actors_app.command("revoke")
def actors_revoke(
    actor_id: str,
    by: Annotated[str, typer.Option(help="The administrator revoking it")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Revoke an actor: its token no longer works."""
    with session(db, now) as s:
        authenticate(s, by, "actors revoke", administrator=True)
        if not s.store.revoke_actor(actor_id, s.engine.clock.now(), by):
            raise fail(f"no active actor {actor_id!r}", 2)
        logs.logger().info("actor.revoked", actor=actor_id, by=by)
        typer.echo(f"{actor_id}: revoked")


# -- audit -----------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(
    under: UnderOption = None,
    file: Annotated[Path | None, typer.Option("--file", help="Verify an export offline")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes reading the chains (default: the cores)")
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
        try:
            report = verify_database(source, under, workers)
        except BontotError as exc:
            raise fail(str(exc)) from None
    result = {
        "source": source,
        "ok": report.ok,
        "records": report.records,
        "chains": report.chains,
        "problems": [str(p) for p in report.problems],
    }
    logs.logger().info("audit.verified", **{k: v for k, v in result.items() if k != "problems"})
    if as_json:
        typer.echo(render.dumps(result))
    elif report.ok:
        typer.echo(f"ok: {report.records} records in {report.chains} chains")
    else:
        typer.echo(f"{len(report.problems)} broken chain(s); first bad records:", err=True)
        for problem in report.problems:
            typer.echo(f"  {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    year: Annotated[int, typer.Option()],
    output: Annotated[Path, typer.Option()],
    under: UnderOption = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Write the year's cycle chains under a node as JSONL: the auditor's own copy, which
    `bontot audit verify --file` checks offline."""
    with session(db, now) as s:
        node = s.store.find_unit(under) if under else None
        cycles = s.store.chain_heads(node, year)
        header = {
            "installation": s.store.installation_id(),
            "under": under,
            "year": year,
            "exported_at": to_db(s.engine.clock.now()),
            "cycles": len(cycles),
        }
        count = 0
        with output.open("w", encoding="utf-8") as handle:
            for line in export_lines(header, cycles, s.store.transition_rows(node, year)):
                handle.write(line + "\n")
                count += 1
        logs.logger().info("audit.exported", file=str(output), year=year, under=under,
                           lines=count)
        typer.echo(f"{output}: {len(cycles)} cycles, {count - len(cycles) - 1} records")


@audit_app.command("anchor")
def audit_anchor(
    by: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Record an anchor: one hash over every chain's head as of now."""
    with session(db, now) as s:
        authenticate(s, by, "audit anchor", now, administrator=True)
        detail = s.store.anchor(s.engine.clock.now(), by)
        logs.logger().info("audit.anchored", **detail)
        typer.echo(
            f"anchor over {detail['cycles']} cycles up to record {detail['transition_id']}: "
            f"{detail['digest']}"
        )


@audit_app.command("log")
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
    only = "late" if late else "refusals" if refusals else "overrides" if overrides else None
    try:
        start = parse_user_instant(since) if since else None
        end = parse_user_instant(until) if until else None
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}") from None
    with session(db) as s:
        node = s.store.find_unit(under) if under else None
        rows = s.store.audit_log(node, actor, event, start, end, only)
    if as_json:
        typer.echo(render.dumps(rows))
        return
    for row in rows:
        typer.echo(render.audit_line(row))
    typer.echo(f"{len(rows)} records", err=True)

