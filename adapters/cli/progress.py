"""A progress bar (rich) on stderr for the long commands, when stderr is a terminal; none
otherwise, so that a script's pipe or a log file holds no control characters.

rich is imported only when a bar is drawn (start-up speed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from workflow.progress import SILENT, Progress

#: what each long operation is called on its bar, by language
LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "open": "Mở chu kỳ",
        "bulk": "Quyết định hàng loạt",
        "verify": "Kiểm tra nhật ký",
        "report": "Lập báo cáo",
        "tick": "Nhắc việc",
        "import": "Nhập dữ liệu",
        "simulate": "Mô phỏng",
    },
    "en": {
        "open": "Opening cycles",
        "bulk": "Bulk decision",
        "verify": "Verifying the trail",
        "report": "Building the report",
        "tick": "Reminders",
        "import": "Importing",
        "simulate": "Simulating",
    },
}


def on_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _Bar:
    def __init__(self, bar: Any, task: Any) -> None:
        self._bar = bar
        self._task = task

    def total(self, count: int | None) -> None:
        self._bar.update(self._task, total=count)

    def advance(self, count: int = 1) -> None:
        self._bar.advance(self._task, count)


@contextmanager
def shown(
    operation: str, lang: str = "vi", total: int | None = None, stream: TextIO | None = None
) -> Iterator[Progress]:
    """A Progress drawn as a bar on `stream` (stderr) while the block runs, if that is a
    terminal; a silent one otherwise. `total` None: a count and a spinner until told."""
    out = sys.stderr if stream is None else stream
    if not on_terminal(out):
        yield SILENT
        return
    # lazy: rich only when a bar is drawn
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    label = LABELS.get(lang, LABELS["en"]).get(operation, operation)
    console = Console(file=out)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with RichProgress(*columns, console=console, redirect_stderr=False) as bar:
        yield _Bar(bar, bar.add_task(label, total=total))
