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
from adapters.i18n import text
from adapters.i18n.said import role_word
from adapters.identity import hash_password
from workflow.timefmt import from_db, show_instant

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
        role_said = role_word(app.catalog.specs(), role, lang)
    logs.logger().info("actor.added", actor=actor_id, role=role, scope=scope, by=by or actor_id)
    key = "cli.actor_added_on" if scope else "cli.actor_added"
    typer.echo(text(lang, key, actor=actor_id, role=role_said, scope=scope), err=True)
    # the token on stdout only, once: stderr is what log collectors keep
    typer.echo(text(lang, "cli.actor_token"), err=True)
    typer.echo(token)


@group.command("list")
def actors_list(
    db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "vi"
) -> None:
    """Every actor, its role and scope, and whether it was revoked."""
    with session(db) as app:
        rows = [
            {"id": a, "name": n, "role": r, "scope": sc, "created_at": c, "revoked_at": rv}
            for a, n, r, sc, c, rv in app.actors.every()
        ]
        specs = app.catalog.specs()
        labels = {str(r["role"]): role_word(specs, str(r["role"]), lang) for r in rows}
    if as_json or rows:
        emit(rows, as_json, partial(_list_text, rows, labels, lang))


def _list_text(rows: list[dict[str, Any]], labels: dict[str, str], lang: str) -> str:
    lines = []
    for row in rows:
        revoked = ""
        if row["revoked_at"]:
            at = show_instant(from_db(row["revoked_at"]))
            revoked = "  " + text(lang, "cli.actor_revoked_at", at=at)
        role = labels[row["role"]]
        lines.append(f"{row['id']:<24} {role:<34} {row['scope'] or '*':<14}{revoked}")
    return "\n".join(lines)


@group.command("revoke")
def actors_revoke(
    actor_id: str,
    by: Annotated[str, typer.Option(help="The administrator revoking it")],
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Revoke an actor: its token no longer works."""
    with session(db, now) as app:
        app.actors.revoke(actor_id, by, token_for(by))
    logs.logger().info("actor.revoked", actor=actor_id, by=by)
    typer.echo(text(lang, "cli.actor_revoked", actor=actor_id))


@group.command("password")
def actors_password(
    actor_id: str,
    by: Annotated[str, typer.Option(help="The administrator setting it")],
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Set an actor's password for the web's log-in: typed twice at a prompt, or one line
    on stdin; never an argument (it would stay in the shell's history)."""
    password = _read_password(actor_id, lang)
    with session(db, now) as app:
        app.inspectors.set_password(actor_id, password, hash_password, by, token_for(by))
    logs.logger().info("actor.password_set", actor=actor_id, by=by)
    typer.echo(text(lang, "cli.actor_password_set", actor=actor_id))


def _read_password(actor_id: str, lang: str) -> str:
    if sys.stdin.isatty():
        prompt = text(lang, "cli.actor_password_prompt", actor=actor_id)
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")
