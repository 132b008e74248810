"""Schema migrations: Alembic, run programmatically on an engine (no alembic.ini).

The revisions live in `schema_migrations/versions`, shipped with the package. A database
made before migrations existed has bontot's tables but no `alembic_version`: it is
recognised by the tables each revision added and stamped at the newest revision it
holds completely, then upgraded in place, in one transaction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from adapters import logs
from adapters.persistence.db import append_only_triggers
from adapters.persistence.metadata import METADATA
from workflow.errors import BontotError

MIGRATIONS = Path(__file__).with_name("schema_migrations")
VERSION_TABLE = "alembic_version"

#: The tables each revision added, oldest first: how a database made by `create_all`
#: before migrations (releases up to 7a2cb4e, and main until this change) is recognised.
#: Frozen: every database made since is versioned, so later revisions need no line.
HISTORY: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "0001",
        frozenset(
            {"meta", "definition", "unit", "cycle", "transition", "deadline", "milestone"}
            | {"timer", "notice", "notice_message", "notice_queue", "outbox", "audit_event"}
            | {"actor", "delivery"}
        ),
    ),
    ("0002", frozenset({"rating", "target"})),
    ("0003", frozenset({"meeting"})),
)


class SchemaError(BontotError):
    """The database's schema cannot be recognised or moved to the revision asked for."""


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # the revision found (or stamped), None for an empty database
    after: str | None
    stamped: str | None  # the revision an unversioned database was recognised as

    @property
    def changed(self) -> bool:
        return self.before != self.after


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    revision = scripts().get_current_head()
    if revision is None:  # pragma: no cover - the package ships its revisions
        raise SchemaError(f"no schema revisions in {MIGRATIONS}")
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def recognise(table_names: set[str]) -> str | None:
    """The revision an unversioned database is at, from its tables; None if it has none
    of bontot's tables. A database holding part of a revision's tables is refused."""
    known = frozenset().union(*(tables for _, tables in HISTORY))
    ours = table_names & known
    if not ours:
        return None
    found: str | None = None
    covered: set[str] = set()
    for revision, tables in HISTORY:
        if not tables <= ours:
            break
        found, covered = revision, covered | tables
    if found is None:
        lacking = ", ".join(sorted(HISTORY[0][1] - ours))
        raise SchemaError(f"cannot recognise this database's schema: it lacks {lacking}")
    if ours != covered:
        extra = ", ".join(sorted(ours - covered))
        raise SchemaError(
            f"cannot recognise this database's schema: it holds revision {found}, and "
            f"{extra} without the rest of a later revision"
        )
    return found


def status(engine: Engine) -> tuple[str | None, str | None]:
    """(the stamped revision, the revision recognised from the tables when unstamped)."""
    with engine.connect() as connection:
        if inspect(connection).has_table(VERSION_TABLE):
            return current(connection), None
        return None, recognise(set(inspect(connection).get_table_names()))


def upgrade(engine: Engine, to: str = "head") -> Upgrade:
    """Stamp an unversioned database, then upgrade it to `to`, in one transaction."""
    with engine.begin() as connection:
        stamped: str | None = None
        if not inspect(connection).has_table(VERSION_TABLE):
            stamped = recognise(set(inspect(connection).get_table_names()))
            if stamped is not None:
                MigrationContext.configure(connection).stamp(scripts(), stamped)
        before = current(connection)
        try:
            command.upgrade(config(connection), to)
        except Exception as exc:  # alembic's own errors name the revision asked for
            if type(exc).__module__.startswith("alembic"):
                raise SchemaError(f"cannot upgrade to {to!r}: {exc}") from exc
            raise
        after = current(connection)
        wanted = _named(to)
        if wanted is not None and after != wanted:  # an upgrade to an older one: no-op
            raise SchemaError(
                f"the database is at {after}, past {wanted}: an upgrade never "
                "goes back"
            )
    result = Upgrade(before, after, stamped)
    log = logs.logger().bind(url=engine.url.render_as_string(hide_password=True))
    if stamped is not None:
        log.info("schema.stamped", revision=stamped, reason="tables made before migrations")
    if result.changed:
        log.info("schema.upgraded", from_revision=before, to_revision=after)
    else:
        log.info("schema.unchanged", revision=after)
    return result


def _named(to: str) -> str | None:
    """The revision `to` names, None for a relative one ("+1") or an unknown one (which
    the upgrade itself refuses)."""
    try:
        script = scripts().get_revision(to)
    except Exception:  # alembic's resolution errors
        return None
    return script.revision if script is not None else None


def create(engine: Engine) -> None:
    """The newest schema, fast. An empty database gets the tables from the metadata and
    the triggers in one transaction, stamped at the head revision (Alembic's recipe for
    a new database): the same schema the revisions build, which the tests compare, in a
    fraction of the time. Any other database is upgraded by the revisions."""
    with engine.begin() as connection:
        names = set(inspect(connection).get_table_names())
        if VERSION_TABLE not in names and recognise(names) is None:
            METADATA.create_all(connection)
            for statement in append_only_triggers(connection.dialect.name):
                connection.exec_driver_sql(statement)
            MigrationContext.configure(connection).stamp(scripts(), "head")
            return
    upgrade(engine)
