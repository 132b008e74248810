"""The unit of work on SQL: `with uow:` ... `uow.commit()`; rolled back unless committed.

Its repositories share its one connection. Reads outside a `with` run in autocommit, as
cheap as before. A write transaction begins as its dialect says: BEGIN IMMEDIATE on SQLite
(writers queue at the start, never midway), BEGIN on PostgreSQL.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from adapters.persistence.audit import SqlAudit
from adapters.persistence.connection import Database, database_of
from adapters.persistence.cycles import SqlCycles
from adapters.persistence.damage import note_for, refusal, refusal_pg
from adapters.persistence.definitions import SqlDefinitions
from adapters.persistence.sql import Sql
from adapters.persistence.units import SqlUnits

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adapters.persistence.actors import SqlActors
    from adapters.persistence.meeting_register import SqlMeetings
    from adapters.persistence.outbox import SqlOutbox
    from adapters.persistence.registers import SqlRegisters
    from adapters.persistence.timers import SqlTimers
    from adapters.persistence.tree import SqlTree
    from adapters.persistence.versions import SqlVersions


class TransactionOpen(RuntimeError):
    """A unit of work entered while its transaction is still open (they do not nest)."""


class SqlUnitOfWork:
    def __init__(self, source: Engine | Database) -> None:
        self.database = database_of(source)
        self.sql = Sql(self.database)
        note = note_for(self.database.shown)
        self._note = None if note is None else os.fspath(note)
        self.audit = SqlAudit(self.sql)
        self.definitions = SqlDefinitions(self.sql)
        self.units = SqlUnits(self.sql)
        self.cycles = SqlCycles(self.sql)
        self._open = False
        # PostgreSQL keeps a failed storage check's note in a table (revision 0008): looked
        # up at each commit when the table is there (one indexed read, no row)
        self._pg_note = self.sql.dialect.name == "postgresql" and bool(
            self.sql.one("SELECT to_regclass('storage_damage') IS NOT NULL")[0]
        )

    # The other repositories are made, and their modules imported, on first use: a
    # command that reads a board never loads the tree's reorganisation, the outbox or
    # the registers (issue 15's quick command line).

    @cached_property
    def tree(self) -> SqlTree:
        from adapters.persistence.tree import SqlTree

        return SqlTree(self.sql)

    @cached_property
    def timers(self) -> SqlTimers:
        from adapters.persistence.timers import SqlTimers

        return SqlTimers(self.sql, self.audit)

    @cached_property
    def outbox(self) -> SqlOutbox:
        from adapters.persistence.outbox import SqlOutbox

        return SqlOutbox(self.sql, self.audit)

    @cached_property
    def actors(self) -> SqlActors:
        from adapters.persistence.actors import SqlActors

        return SqlActors(self.sql, self.audit)

    @cached_property
    def registers(self) -> SqlRegisters:
        from adapters.persistence.registers import SqlRegisters

        return SqlRegisters(self.sql, self.audit, self.units)

    @cached_property
    def meetings(self) -> SqlMeetings:
        from adapters.persistence.meeting_register import SqlMeetings

        return SqlMeetings(self.sql, self.audit)

    @cached_property
    def versions(self) -> SqlVersions:
        from adapters.persistence.versions import SqlVersions

        return SqlVersions(self.sql)

    def __enter__(self) -> Self:
        if self._open:
            raise TransactionOpen("a unit of work is already open on this connection")
        self.sql.execute(self.sql.dialect.begin)
        self._open = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._open:
            self.rollback()

    def commit(self) -> None:
        if self._note is not None and os.path.exists(self._note):  # one stat, no pathlib
            self.rollback()
            raise refusal(Path(self._note))
        if self._pg_note:
            found = self.sql.one("SELECT findings FROM storage_damage LIMIT 1")
            if found is not None:
                self.rollback()
                raise refusal_pg(str(found[0]))
        # closed first: a COMMIT that fails is not followed by a ROLLBACK (as before)
        self._open = False
        self.sql.execute("COMMIT")

    def rollback(self) -> None:
        self._open = False
        self.sql.execute("ROLLBACK")

    def has_schema(self) -> bool:
        """Whether bontot's tables are here (its `cycle` table stands for them)."""
        return self.sql.one(*self.sql.dialect.table_exists("cycle")) is not None

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on this database (the pool's; for a file, made on demand)."""
        return self.database.engine

    def close(self) -> None:
        self.sql.close()
