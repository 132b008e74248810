"""The one composition root: from a database URL and a clock, the services every entry
point calls (the command line, the worker, the demo, simulate, the parallel verifier).

Here and nowhere else the SQL store is built, the Vietnamese calendar is handed to the
cycle service (a caller cannot forget it and get deadlines without public holidays), the
definitions catalogue is read and the notification channels are chosen. Nothing happens
at import time, and little is imported: what only some commands need (Alembic for the
schema, the notification channels with httpx, smtplib and Jinja2) is imported by the
function that needs it, for a quick start of the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from adapters import logs
from adapters.catalog import load_catalog
from adapters.clock import SystemClock
from adapters.holidays_vn import calendar_for
from adapters.identity import hash_token, issue_token, verify_token
from adapters.persistence.connection import Database as Database  # the web server's
from adapters.persistence.connection import Pooled, open_database
from adapters.persistence.db import SERVER_POOL, create_schema, database_url, make_engine
from adapters.persistence.db import checkpoint as checkpoint_wal
from adapters.persistence.store import SqlStore
from workflow.clock import Clock
from workflow.errors import BontotError
from workflow.spec.registry import DefinitionSet

if TYPE_CHECKING:
    from adapters.notifications.notifier import ChannelNotifier
    from adapters.notifications.settings import NotifySettings
    from adapters.persistence import schema as schema_revisions
    from workflow.service.actors import Actors
    from workflow.service.acts import Acts
    from workflow.service.cycles import CycleService
    from workflow.service.desk import Desk
    from workflow.service.inspectors import Inspectors
    from workflow.service.meeting_checks import MeetingChecks
    from workflow.service.registers import Registers
    from workflow.service.reorganisations import Reorganisations
    from workflow.service.ticks import Ticks
    from workflow.service.trail import Trail

__all__ = [
    "App",
    "build",
    "connect",
    "database_url",
    "notifier_from",
    "opened",
    "reading",
    "schema_head",
    "schema_status",
    "upgrade_schema",
]

#: what to do about the schema before building: nothing, insist it is there, bring it to
#: the newest revision (`bontot init`), or make it in an empty database (demo, scratch)
Schema = Literal["as_is", "require", "upgrade", "create"]


class App:
    """The services over one database connection, and what they were built from.

    Each service is built (and its module imported) the first time it is asked for: a
    command that reads the board never loads the meeting checks, the bulk decisions or
    the inspectors' keys (issue 15's quick command line). They are built here and
    nowhere else, with what they are always given (the Vietnamese calendar among it).
    """

    def __init__(
        self,
        url: str,
        clock: Clock,
        catalog: DefinitionSet,
        store: SqlStore,
        db: Database,
        owns_db: bool = True,
    ) -> None:
        self.url = url
        self.clock = clock
        self.catalog = catalog
        #: the unit of work the services share (a SqlStore: its facade methods serve the
        #: adapters that read it directly: verification, simulate, the demo's fixtures);
        #: commands go through the services
        self.store = store
        self.db = db
        self.owns_db = owns_db

    @cached_property
    def cycles(self) -> CycleService:
        from workflow.service.cycles import CycleService

        return CycleService(self.store, self.clock, calendar_for)

    @cached_property
    def actors(self) -> Actors:
        from workflow.service.actors import Actors, known_roles

        return Actors(
            self.store, self.clock, verify_token, _new_token, known_roles(self.catalog),
            wall=SystemClock(),
        )  # fmt: skip

    @cached_property
    def registers(self) -> Registers:
        from workflow.service.registers import Registers

        return Registers(self.store, self.actors, self.catalog, self.clock)

    @cached_property
    def evidence(self) -> MeetingChecks:
        from workflow.service.meeting_checks import MeetingChecks

        return MeetingChecks(self.store, self.cycles, self.catalog, self.clock)

    @cached_property
    def acts(self) -> Acts:
        from workflow.service.acts import Acts

        return Acts(self.actors, self.cycles, self.catalog)

    @cached_property
    def trail(self) -> Trail:
        from workflow.service.trail import Trail

        return Trail(self.store, self.actors, self.clock)

    @cached_property
    def inspectors(self) -> Inspectors:
        """Inspectors' keys, signed anchors, passwords."""
        from workflow.service.inspectors import Inspectors

        return Inspectors(self.store, self.actors, self.clock)

    @cached_property
    def desk(self) -> Desk:
        """The web board's reads (its rows per child node, the unit page, my work)."""
        from workflow.service.desk import Desk

        return Desk(self.actors, self.cycles, self.evidence)

    @cached_property
    def reorganisations(self) -> Reorganisations:
        """The tree's reorganisations (move, merge, split, rename, a decision's annex)."""
        from workflow.service.reorganisations import Reorganisations

        return Reorganisations(self.store, self.actors, self.cycles, self.clock)

    def ticks(
        self, channels: Sequence[str] = ("log",), lang: str = "vi", batch_size: int = 1000
    ) -> Ticks:
        """The reminders' service: fire due timers, compose, deliver."""
        from adapters.notifications.templates import render_digest  # lazy: Jinja2
        from workflow.service.ticks import Ticks

        return Ticks(
            self.cycles, render_digest, channels=channels, lang=lang, batch_size=batch_size
        )

    def close(self) -> None:
        self.store.close()
        if self.owns_db:
            self.db.dispose()


def connect(url: str) -> Database:
    """A connection pool on `url`, for a caller that builds several Apps on it (the worker,
    one per tick, in the scheduler's thread; the web server, one per request)."""
    return Pooled(make_engine(url, SERVER_POOL))


def checkpoint(db: Database) -> None:
    """SQLite's WAL copied into its file between a worker's ticks (db.checkpoint)."""
    checkpoint_wal(db.engine)


def _prepare(db: Database, url: str, schema: Schema) -> None:
    if schema == "create":
        create_schema(db.engine)
    elif schema == "upgrade":
        from adapters.persistence import schema as schema_revisions  # lazy: Alembic

        try:
            schema_revisions.upgrade(db.engine)  # the revisions, also on an empty database
        except BontotError as exc:
            raise BontotError(f"{url}: {exc}") from None


def build(
    url: str,
    clock: Clock,
    *,
    schema: Schema = "as_is",
    catalog: DefinitionSet | None = None,
    db: Database | None = None,
) -> App:
    """Every service on one connection to `url`. `db`: a pool to borrow (not disposed on
    close); `catalog`: the definitions, if already read."""
    owns = db is None
    database = open_database(url) if db is None else db
    try:
        _prepare(database, url, schema)
        store = SqlStore(database)
        if schema == "require" and not store.has_schema():
            store.close()
            raise BontotError(f"{url}: no bontot schema here; run `bontot init` first")
    except BaseException:
        if owns:
            database.dispose()
        raise
    definitions = catalog if catalog is not None else load_catalog()
    return App(url, clock, definitions, store, database, owns_db=owns)


@contextmanager
def opened(
    url: str,
    clock: Clock,
    *,
    schema: Schema = "as_is",
    catalog: DefinitionSet | None = None,
    db: Database | None = None,
) -> Iterator[App]:
    """`build`, closed on leaving."""
    app = build(url, clock, schema=schema, catalog=catalog, db=db)
    try:
        yield app
    finally:
        app.close()


@contextmanager
def reading(url: str) -> Iterator[SqlStore]:
    """The store alone, for a reader that needs no service (a verifier's worker process
    opens its own: a connection inherited through fork is never shared)."""
    database = open_database(url)
    store = SqlStore(database)
    try:
        yield store
    finally:
        store.close()
        database.dispose()


def _new_token() -> tuple[str, str]:
    token = issue_token()
    return token, hash_token(token)


def notifier_from(
    settings: NotifySettings | None = None, insecure: bool = False
) -> ChannelNotifier:
    """The channels the settings name ($BONTOT_NOTIFY_* when None). ValueError names the
    setting at fault, and a channel in clear text unless `insecure` (or the environment)
    accepts it, which is then logged as a warning."""
    # lazy: the channels import httpx, smtplib and Jinja2, which few commands need
    from adapters.notifications import plaintext
    from adapters.notifications.factory import channels_from
    from adapters.notifications.notifier import ChannelNotifier
    from adapters.notifications.settings import NotifySettings

    chosen = settings or NotifySettings.load(os.environ)
    accepted = insecure or plaintext.allowed_by(os.environ)
    for problem in plaintext.plaintext_problems(chosen):
        if not accepted:
            raise ValueError(
                f"{problem}: refused; use https (or SMTP starttls/ssl), or accept it with "
                f"--insecure or {plaintext.ALLOW_ENV}=1"
            )
        logs.logger().warning("notification.plaintext_accepted", problem=problem)
    return ChannelNotifier(channels_from(chosen, logs.logger()))


# -- the schema, for `bontot init` and `bontot db` -------------------------------------
# Alembic is imported where a function needs the revisions (lazy: it takes a while to
# import, and only `init`, `db` and a fresh database need it).
def upgrade_schema(url: str, to: str = "head") -> schema_revisions.Upgrade:
    from adapters.persistence import schema as schema_revisions  # lazy: Alembic

    pool = make_engine(url)
    try:
        return schema_revisions.upgrade(pool, to)
    finally:
        pool.dispose()


def schema_status(url: str) -> tuple[str | None, str | None]:
    """(stamped revision, revision recognised from the tables)."""
    from adapters.persistence import schema as schema_revisions  # lazy: Alembic

    pool = make_engine(url)
    try:
        return schema_revisions.status(pool)
    finally:
        pool.dispose()


def schema_head() -> str:
    from adapters.persistence import schema as schema_revisions  # lazy: Alembic

    return schema_revisions.head()
