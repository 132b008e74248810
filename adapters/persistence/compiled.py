"""Dynamic statements as SQLAlchemy Core constructs, compiled once per (dialect, shape).

A statement whose text depends on its arguments (an `IN (...)` list of n values) is
built as a Core construct and compiled for the backend's dialect the first time its shape
is seen; later calls of that shape reuse the text and only bind values. The text runs on
the raw DBAPI cursor (`Sql.run`), in the driver's own placeholder style: qmark for
sqlite3, pyformat for psycopg. Hand-written static statements stay text (`Sql.execute`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import BindParameter, ClauseElement, Table
    from sqlalchemy.engine.interfaces import Dialect as SqlaDialect

# SQLAlchemy is imported by the functions that build and compile a statement: a command
# that compiles none (a board, a history on a SQLite file) never imports it.

T = TypeVar("T")


def table(name: str) -> Table:
    """A table of the schema (tables.py), as a Core construct: read when a statement's
    shape is first compiled, so that a command that compiles none never imports the
    table classes."""
    from adapters.persistence.metadata import METADATA  # lazy: start-up time

    return METADATA.tables[name]


@dataclass(frozen=True)
class Compiled:
    """A statement's text for one driver and how to bind its values: by position (qmark)
    in `positions` order, or by name (pyformat) when `positions` is None."""

    text: str
    positions: tuple[str, ...] | None

    def bind(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self.positions is None:
            return values
        return tuple(values[name] for name in self.positions)


def padded(values: Sequence[Any]) -> list[Any]:
    """`values` (at least one) lengthened to the next power of two by repeating the last:
    an `IN (...)` list means the same, and its statement has one of a few shapes."""
    size = 1 << (len(values) - 1).bit_length()
    return [*values, *([values[-1]] * (size - len(values)))]


def chunks(values: Iterable[T], most: int = 256) -> Iterator[list[T]]:
    """`values` in lists of a power of two up to `most` items (the last ones split by
    the binary digits of what is left), so that a multi-row statement has few shapes and
    the dialect's cache of translated texts stays small."""
    items = list(values)
    start = 0
    while start < len(items):
        left = len(items) - start
        size = most if left >= most else 1 << (left.bit_length() - 1)
        yield items[start : start + size]
        start += size


def rows_of(count: int, width: int) -> str:
    """`count` rows of `width` `?` placeholders, for a multi-row VALUES."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


def in_list(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The bound values of an `IN` list built with `marks(name, len(values))`."""
    return {f"{name}{i}": value for i, value in enumerate(values)}


def marks(name: str, count: int) -> list[BindParameter[Any]]:
    from sqlalchemy import bindparam  # lazy: start-up time

    return [bindparam(f"{name}{i}") for i in range(count)]


_CACHE: dict[tuple[str, Hashable], Compiled] = {}


def compiled(
    dialect: SqlaDialect, shape: Hashable, build: Callable[..., ClauseElement], *args: Any
) -> Compiled:
    """The statement of `shape` (a name and what its text depends on) for `dialect` (an
    engine's, so its driver's placeholder style), built (`build(*args)`) and compiled on
    first use. Shapes are few (`IN` lists are padded to powers of two and chunked), so
    the cache stays small."""
    key = (dialect.name, shape)
    found = _CACHE.get(key)
    if found is None:
        from sqlalchemy.sql.compiler import SQLCompiler  # lazy: start-up time

        done = build(*args).compile(dialect=dialect)
        assert isinstance(done, SQLCompiler)
        positional = dialect.paramstyle in ("qmark", "numeric", "format")
        positions = tuple(done.positiontup or ()) if positional else None
        found = _CACHE[key] = Compiled(str(done), positions)
    return found
