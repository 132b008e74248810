"""Alembic environment of bontot's schema, shipped inside the package.

`adapters.persistence.schema` runs it programmatically and hands it an open connection
(`config.attributes["connection"]`); no alembic.ini is needed. The repository's
alembic.ini is for developers writing a new revision:
`alembic revision --autogenerate -m "..."` against `$BONTOT_DATABASE_URL`.

SQLite cannot ALTER most things: revisions use `op.batch_alter_table` (autogenerate
renders it, `render_as_batch`). A batch rebuild of an append-only table drops its
triggers: re-create them in the same revision (`append_only_triggers`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from adapters.persistence import db
from adapters.persistence.metadata import METADATA

config = context.config
target_metadata = METADATA


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=db.database_url(config.get_main_option("sqlalchemy.url")),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = db.make_engine(db.database_url(config.get_main_option("sqlalchemy.url")))
    try:
        with engine.connect() as connection:
            _configure(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
