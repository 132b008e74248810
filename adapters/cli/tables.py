"""Tables drawn with rich when stdout is a terminal; the commands' plain text otherwise
(a pipe, a file, `--json`), so that what scripts read does not change.

rich is imported only when a table is drawn (start-up speed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from adapters.cli.render import HEADINGS, board_summary_lines
from workflow.service.results import Board
from workflow.spec.model import DefinitionSpec


def on_terminal(stream: Any = None) -> bool:
    out = sys.stdout if stream is None else stream
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def draw_board(board: Board, lang: str, specs: Iterable[DefinitionSpec] = ()) -> None:
    """`bontot status` on a terminal: a table per definition of its stages and counts,
    then the shares against the targets."""
    from rich.console import Console  # lazy: only on a terminal
    from rich.markup import escape
    from rich.table import Table

    h = HEADINGS[lang]
    console = Console(file=sys.stdout)
    under = f" — {board.under}" if board.under else ""
    console.print(h["board"].format(year=board.year, under=under), style="bold",
                  markup=False, highlight=False)  # fmt: skip
    by_definition: dict[str, list[tuple[str, int]]] = {}
    for row in board.rows:
        label = row.label_en if lang == "en" else row.label_vi
        by_definition.setdefault(row.definition_id, []).append((label, row.count))
    for definition_id, rows in by_definition.items():
        table = Table(title=escape(f"[{definition_id}]"), title_justify="left",
                      show_header=False, show_footer=True)  # fmt: skip
        table.add_column(footer=h["total"])
        table.add_column(justify="right", footer=str(sum(count for _, count in rows)))
        for label, count in rows:
            table.add_row(escape(label), str(count))
        console.print(table)
    if len(by_definition) > 1:
        console.print(f"{h['total']}: {board.total()}", markup=False, highlight=False)
    for line in board_summary_lines(board, lang, specs):
        console.print(line, markup=False, highlight=False)
