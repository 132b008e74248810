"""`bontot audit keys`: the inspectors' Ed25519 public keys that sign anchors: made
(`generate`, on the inspector's own machine), registered, listed, revoked."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs, signing_keys
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    emit,
    guarded,
    session,
    token_for,
)
from adapters.i18n import text
from workflow.timefmt import from_db, show_instant

keys_group = typer.Typer(no_args_is_help=True, help="Inspectors' keys that sign anchors.")


@keys_group.command("generate")
def keys_generate(
    private_file: Annotated[Path, typer.Argument(help="Where the private key goes (0600)")],
    lang: LangOption = "vi",
) -> None:
    """Make a key pair: the private key (keep it off the server) and FILE.pub."""
    public, printed = guarded(lambda: signing_keys.generate(private_file))
    typer.echo(text(lang, "cli.key_private", file=private_file), err=True)
    typer.echo(text(lang, "cli.key_public", file=public, fingerprint=printed))


@keys_group.command("add")
def keys_add(
    name: str,
    public_file: Annotated[
        Path, typer.Argument(help="The inspector's public key (PEM or OpenSSH)")
    ],
    by: Annotated[str | None, typer.Option(help="The administrator registering it")] = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Register an inspector's public key: anchors it signs can then be made."""
    keys = guarded(lambda: signing_keys.public_keys(public_file))
    if len(keys) != 1:
        typer.echo(text(lang, "cli.key_not_one", file=public_file, count=len(keys)), err=True)
        raise typer.Exit(1)
    actor = by or "system"
    with session(db, now) as app:
        printed = app.inspectors.add_key(name, keys[0], actor, token_for(actor))
    logs.logger().info("inspector_key.added", key=name, fingerprint=printed, by=actor)
    typer.echo(text(lang, "cli.key_registered", name=name, fingerprint=printed))


@keys_group.command("list")
def keys_list(db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "vi") -> None:
    """Every registered key, its fingerprint, who added it, and whether it was revoked."""
    with session(db) as app:
        rows = [
            {"name": n, "fingerprint": f, "public_key": k, "added_at": a, "added_by": b,
             "revoked_at": r}
            for n, k, f, a, b, r in app.inspectors.registered()
        ]  # fmt: skip
    emit(rows, as_json, partial(_list_text, rows, lang))


def _list_text(rows: list[dict[str, Any]], lang: str) -> str:
    if not rows:
        return text(lang, "cli.key_none")
    lines = []
    for r in rows:
        added = text(lang, "cli.key_added", at=_shown(r["added_at"]), by=r["added_by"])
        line = f"{r['name']:<20} {r['fingerprint']}  {added}"
        if r["revoked_at"]:
            line += "  " + text(lang, "cli.key_revoked_at", at=_shown(r["revoked_at"]))
        lines.append(line)
    return "\n".join(lines)


def _shown(stamp: str) -> str:
    return show_instant(from_db(stamp))


@keys_group.command("revoke")
def keys_revoke(
    name: str,
    by: Annotated[str | None, typer.Option(help="The administrator revoking it")] = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Revoke a key: anchors it signs after now no longer count."""
    actor = by or "system"
    with session(db, now) as app:
        app.inspectors.revoke_key(name, actor, token_for(actor))
    logs.logger().info("inspector_key.revoked", key=name, by=actor)
    typer.echo(text(lang, "cli.key_revoked", name=name))
