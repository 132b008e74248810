"""How far a long use case has gone, told to whoever watches it.

A use case that works through many items (opening a year's cycles, a bulk decision,
verifying the audit chains, an import) takes a `Progress` and tells it the total, once
known, and each batch done. The command line draws a bar with it on a terminal, the web
keeps it for the page that polls; the core knows neither.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def total(self, count: int | None) -> None:
        """How many items there are (None: not known; the watcher counts what is done)."""

    def advance(self, count: int = 1) -> None:
        """`count` more items done."""


class Silent:
    """A progress nobody watches."""

    def total(self, count: int | None) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass


SILENT: Progress = Silent()


class Counted:
    """A progress that remembers how far it is (for a watcher that reads it later: the
    web's progress fragment, a test)."""

    def __init__(self) -> None:
        self.expected: int | None = None
        self.done = 0

    def total(self, count: int | None) -> None:
        self.expected = count

    def advance(self, count: int = 1) -> None:
        self.done += count
