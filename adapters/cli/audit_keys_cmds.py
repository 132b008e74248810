"""`bontot audit keys`: the inspectors' Ed25519 public keys that sign anchors: made
(`generate`, on the inspector's own machine), registered, listed, revoked."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs, signing_keys
from adapters.cli.context import DbOption, JsonOption, NowOption, emit, guarded, session, token_for

keys_group = typer.Typer(no_args_is_help=True, help="Inspectors' keys that sign anchors.")


@keys_group.command("generate")
def keys_generate(
    private_file: Annotated[Path, typer.Argument(help="Where the private key goes (0600)")],
) -> None:
    """Make a key pair: the private key (keep it off the server) and FILE.pub."""
    public, printed = guarded(lambda: signing_keys.generate(private_file))
    typer.echo(f"{private_file}: private key (keep it; it is never stored by bontot)", err=True)
    typer.echo(f"{public}: public key, fingerprint {printed}")


@keys_group.command("add")
def keys_add(
    name: str,
    public_file: Annotated[
        Path, typer.Argument(help="The inspector's public key (PEM or OpenSSH)")
    ],
    by: Annotated[str | None, typer.Option(help="The administrator registering it")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Register an inspector's public key: anchors it signs can then be made."""
    keys = guarded(lambda: signing_keys.public_keys(public_file))
    if len(keys) != 1:
        typer.echo(f"{public_file}: holds {len(keys)} keys; give one", err=True)
        raise typer.Exit(1)
    actor = by or "system"
    with session(db, now) as app:
        printed = app.inspectors.add_key(name, keys[0], actor, token_for(actor))
    logs.logger().info("inspector_key.added", key=name, fingerprint=printed, by=actor)
    typer.echo(f"{name}: key {printed} registered")


@keys_group.command("list")
def keys_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every registered key, its fingerprint, who added it, and whether it was revoked."""
    with session(db) as app:
        rows = [
            {"name": n, "fingerprint": f, "public_key": k, "added_at": a, "added_by": b,
             "revoked_at": r}
            for n, k, f, a, b, r in app.inspectors.registered()
        ]  # fmt: skip
    emit(rows, as_json, partial(_list_text, rows))


def _list_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no keys registered"
    return "\n".join(
        f"{r['name']:<20} {r['fingerprint']}  added {r['added_at']} by {r['added_by']}"
        + (f"  revoked {r['revoked_at']}" if r["revoked_at"] else "")
        for r in rows
    )


@keys_group.command("revoke")
def keys_revoke(
    name: str,
    by: Annotated[str | None, typer.Option(help="The administrator revoking it")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Revoke a key: anchors it signs after now no longer count."""
    actor = by or "system"
    with session(db, now) as app:
        app.inspectors.revoke_key(name, actor, token_for(actor))
    logs.logger().info("inspector_key.revoked", key=name, by=actor)
    typer.echo(f"{name}: revoked")
