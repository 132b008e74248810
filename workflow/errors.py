"""Typed errors. Each says what was wrong and where, and is raised before anything changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


class Reason(str):
    """A reason an act is refused: its English text (it is a `str`, so logs and the audit
    trail keep it as they did) that also names its message and parameters, for the
    adapters to say in the user's language. Parameters named `role` or `owner` hold a
    role's code name, and `fields` a record's field names; the adapters show their words."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, english: str, msgid: str, **params: Any) -> Reason:
        made = super().__new__(cls, english)
        made.msgid = msgid
        made.params = params
        return made

    def __reduce__(self) -> Any:  # a worker process gets its message too
        return (_reason, (str(self), self.msgid, dict(self.params)))


def _reason(english: str, msgid: str, params: dict[str, Any]) -> Reason:
    return Reason(english, msgid, **params)


class BontotError(Exception):
    """Base of every error the engine raises on purpose.

    `str(error)` is English, for logs. `msgid` and `params`, when given, name the message
    the adapters say it with in the user's language (their catalogues hold the words; the
    core stays free of them)."""

    msgid: str | None = None
    params: Mapping[str, Any]
    #: what the command line exits with for this kind of error (see adapters.cli.errors)
    exit_code: ClassVar[int] = 1

    def __init__(
        self, *args: object, msgid: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(*args)
        if msgid is None and len(args) == 1 and isinstance(args[0], Reason):
            msgid, params = args[0].msgid, args[0].params  # a policy's reason, said as is
        if msgid is not None:
            self.msgid = msgid
        self.params = dict(params or {})


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

    exit_code = 4


class InvalidInput(BontotError):
    """A value a user gave cannot be used as it is (a year out of range, a payload that is
    not what the step takes): a usage error, nothing was changed."""

    exit_code = 2


class Ambiguous(BontotError):
    """A request matched more than one thing and must be narrowed."""
