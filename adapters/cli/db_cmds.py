"""The database: `bontot init`, `bontot db upgrade`, `bontot db current`, `bontot demo`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import typer

from adapters import bootstrap, i18n
from adapters.cli.context import (
    DbOption,
    JsonOption,
    LangOption,
    YearOption,
    database_url,
    emit,
    fail,
    guarded,
    session,
)
from adapters.demo import fresh_demo_url, run_demo
from adapters.logs import redacted
from workflow.errors import BontotError

group = typer.Typer(no_args_is_help=True, help="The database schema and its revisions.")


def init(db: DbOption = None, lang: LangOption = "vi") -> None:
    """Create the database schema, or upgrade it to the newest revision (idempotent)."""
    with session(db, create=True):
        pass
    typer.echo(i18n.text(lang, "cli.initialised", url=redacted(database_url(db))))


@group.command("upgrade")
def upgrade(
    db: DbOption = None,
    to: Annotated[str, typer.Option("--to", help="Revision to reach: an id, head, or +N")] = "head",
    lang: LangOption = "vi",
) -> None:
    """Upgrade the schema in place (a database made before migrations is recognised and
    stamped first); nothing changes when it is already there."""
    url = database_url(db)
    try:
        done = bootstrap.upgrade_schema(url, to)
    except BontotError as exc:
        raise fail(f"{url}: {exc}") from None
    shown = redacted(url)
    if done.stamped is not None:
        typer.echo(i18n.text(lang, "cli.db_stamped", revision=done.stamped))
    if done.changed:
        before = done.before or i18n.text(lang, "cli.db_empty")
        typer.echo(i18n.text(lang, "cli.db_upgraded", url=shown, before=before, after=done.after))
    else:
        typer.echo(i18n.text(lang, "cli.db_up_to_date", url=shown, revision=done.after))


@group.command("current")
def current(db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "vi") -> None:
    """The schema revision of the database, and the newest one this version knows."""
    url = database_url(db)
    try:
        stamped, recognised = bootstrap.schema_status(url)
    except BontotError as exc:
        raise fail(f"{url}: {exc}") from None
    head = bootstrap.schema_head()
    found = {
        "revision": stamped,
        "recognised": recognised,
        "head": head,
        "up_to_date": stamped == head,
    }
    emit(found, as_json, partial(_current_text, found, lang))


def _current_text(found: dict[str, Any], lang: str) -> str:
    stamped, recognised, head = found["revision"], found["recognised"], found["head"]
    if stamped is not None:
        if stamped == head:
            return i18n.text(lang, "cli.db_at_head", revision=stamped)
        return i18n.text(lang, "cli.db_behind", revision=stamped, head=head)
    if recognised is not None:
        return i18n.text(lang, "cli.db_unstamped", recognised=recognised, head=head)
    return i18n.text(lang, "cli.db_none", head=head)


def demo(
    db: DbOption = None,
    year: YearOption = 2025,
    seed: Annotated[int, typer.Option()] = 2025,
    lang: LangOption = "vi",
) -> None:
    """A sample province driven through a simulated year, into a fresh database."""
    url = fresh_demo_url(db)
    typer.echo(i18n.text(lang, "cli.demo_database", url=redacted(url)), err=True)
    typer.echo(guarded(partial(run_demo, url, year=year, seed=seed, lang=lang)))


commands: dict[str, Callable[..., Any]] = {"init": init, "demo": demo}
