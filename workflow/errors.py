"""Typed errors. Each says what was wrong and where, and is raised before anything changes."""

from __future__ import annotations

from dataclasses import dataclass


class BontotError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a definition, located by file and line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class DefinitionError(BontotError):
    """A definition failed to load or validate; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class RowProblem:
    """One bad cell of an import, located by row (1 = header) and column name."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


class ImportRefused(BontotError):
    """An import had bad rows; nothing was imported."""

    def __init__(self, source: str, problems: list[RowProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {p}" for p in problems]
        super().__init__("nothing imported:\n" + "\n".join(lines))


class NotFound(BontotError):
    """A unit, cycle or definition that was asked for does not exist."""


class Ambiguous(BontotError):
    """A request matched more than one thing and must be narrowed."""
