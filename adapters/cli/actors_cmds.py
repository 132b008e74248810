"""`bontot actors`: who may act, with which role on which unit, and their tokens."""

from __future__ import annotations

import sys
from functools import partial
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    emit,
    session,
    token_for,
)
from adapters.identity import hash_password

group = typer.Typer(no_args_is_help=True, help="Actors, their roles and tokens.")


@group.command("add")
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
    lang: LangOption = "vi",
) -> None:
    """Add an actor and print its token, once. The first actor must be an administrator;
    after it, an administrator adds the others (--by, with its token)."""
    with session(db, now) as app:
        token = app.actors.add(
            actor_id, role, scope, name, by, token_for(by or actor_id), lang
        )
    logs.logger().info("actor.added", actor=actor_id, role=role, scope=scope, by=by or actor_id)
    typer.echo(f"{actor_id}: {role}" + (f" of {scope}" if scope else ""), err=True)
    # the token on stdout only, once: stderr is what log collectors keep
    typer.echo("token (shown once on stdout, keep it):", err=True)
    typer.echo(token)


@group.command("list")
def actors_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every actor, its role and scope, and whether it was revoked."""
    with session(db) as app:
        rows = [
            {"id": a, "name": n, "role": r, "scope": sc, "created_at": c, "revoked_at": rv}
            for a, n, r, sc, c, rv in app.actors.every()
        ]
    if as_json or rows:
        emit(rows, as_json, partial(_list_text, rows))


def _list_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        revoked = f"  revoked {row['revoked_at']}" if row["revoked_at"] else ""
        lines.append(f"{row['id']:<24} {row['role']:<28} {row['scope'] or '*':<14}{revoked}")
    return "\n".join(lines)


@group.command("revoke")
def actors_revoke(
    actor_id: str,
    by: Annotated[str, typer.Option(help="The administrator revoking it")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Revoke an actor: its token no longer works."""
    with session(db, now) as app:
        app.actors.revoke(actor_id, by, token_for(by))
    logs.logger().info("actor.revoked", actor=actor_id, by=by)
    typer.echo(f"{actor_id}: revoked")


@group.command("password")
def actors_password(
    actor_id: str,
    by: Annotated[str, typer.Option(help="The administrator setting it")],
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Set an actor's password for the web's log-in: typed twice at a prompt, or one line
    on stdin; never an argument (it would stay in the shell's history)."""
    password = _read_password(actor_id)
    with session(db, now) as app:
        app.inspectors.set_password(actor_id, password, hash_password, by, token_for(by))
    logs.logger().info("actor.password_set", actor=actor_id, by=by)
    typer.echo(f"{actor_id}: password set")


def _read_password(actor_id: str) -> str:
    if sys.stdin.isatty():
        return str(
            typer.prompt(f"password for {actor_id}", hide_input=True, confirmation_prompt=True)
        )
    return sys.stdin.readline().rstrip("\r\n")
