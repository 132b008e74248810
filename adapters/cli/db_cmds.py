"""`bontot db upgrade` and `bontot db current`: the schema's revision, and moving it on."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli import render
from adapters.cli.app import DbOption, JsonOption, app, fail
from adapters.persistence.db import database_url, make_engine
from workflow.errors import BontotError

db_app = typer.Typer(no_args_is_help=True, help="The database schema and its revisions.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(
    db: DbOption = None,
    to: Annotated[str, typer.Option("--to", help="Revision to reach: an id, head, or +N")] = "head",
) -> None:
    """Upgrade the schema in place (a database made before migrations is recognised and
    stamped first); nothing changes when it is already there."""
    from adapters.persistence import schema

    url = database_url(db)
    engine = make_engine(url)
    try:
        done = schema.upgrade(engine, to)
    except BontotError as exc:
        raise fail(f"{url}: {exc}") from None
    finally:
        engine.dispose()
    if done.stamped is not None:
        typer.echo(f"recognised a schema made before migrations: revision {done.stamped}")
    if done.changed:
        typer.echo(f"upgraded {url}: {done.before or 'empty'} -> {done.after}")
    else:
        typer.echo(f"{url} is at {done.after}: nothing to do")


@db_app.command("current")
def current(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The schema revision of the database, and the newest one this version knows."""
    from adapters.persistence import schema

    url = database_url(db)
    engine = make_engine(url)
    try:
        stamped, recognised = schema.status(engine)
    except BontotError as exc:
        raise fail(f"{url}: {exc}") from None
    finally:
        engine.dispose()
    head = schema.head()
    if as_json:
        typer.echo(
            render.dumps(
                {
                    "revision": stamped,
                    "recognised": recognised,
                    "head": head,
                    "up_to_date": stamped == head,
                }
            )
        )
        return
    if stamped is not None:
        typer.echo(f"{stamped}" + (" (head)" if stamped == head else f" (head is {head})"))
    elif recognised is not None:
        typer.echo(
            f"none: tables made before migrations, recognised as {recognised} "
            f"(head is {head}; `bontot db upgrade` stamps and upgrades it)"
        )
    else:
        typer.echo(f"none: no bontot schema here (head is {head}; run `bontot init`)")
