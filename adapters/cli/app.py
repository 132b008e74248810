"""The `bontot` command line (typer). Results on stdout, logs and refusals on stderr.

The root only: each command group lives in its own module, which knows nothing of this
one; here they are put together, in the order `bontot --help` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from adapters import logs
from adapters.cli import (
    actors_cmds,
    audit_cmds,
    bulk_cmds,
    cycles_cmds,
    db_cmds,
    definitions_cmds,
    documents_cmds,
    errors,
    evidence_cmds,
    export_cmds,
    meeting_cmds,
    report_cmds,
    serve_cmds,
    time_cmds,
    units_cmds,
)

app = typer.Typer(
    cls=errors.RootGroup,
    no_args_is_help=True,
    add_completion=False,
    help=__doc__.splitlines()[0],
    pretty_exceptions_enable=False,
)

#: top-level commands, by name
COMMANDS: dict[str, Callable[..., Any]] = {
    "init": db_cmds.init,
    **cycles_cmds.commands,
    "demo": db_cmds.demo,
    **evidence_cmds.commands,
    **bulk_cmds.commands,
    **report_cmds.commands,
    **time_cmds.commands,
    **serve_cmds.commands,
}
#: command groups, by name
GROUPS: dict[str, typer.Typer] = {
    "units": units_cmds.group,
    "cycle": cycles_cmds.group,
    "definitions": definitions_cmds.group,
    "audit": audit_cmds.group,
    "actors": actors_cmds.group,
    "meetings": meeting_cmds.group,
    **evidence_cmds.groups,
    **time_cmds.groups,
    "documents": documents_cmds.group,
    "export": export_cmds.group,
    "db": db_cmds.group,
}


@app.callback()
def _setup() -> None:
    """bontot: the yearly "chi bộ bốn tốt / đảng bộ cơ sở bốn tốt" cycle as a workflow.

    Exit codes: 0 done, 1 failure, 2 usage error, 3 refused by the rules or by access,
    4 not found. --debug (anywhere) shows the traceback of an unexpected error."""
    logs.configure()


for name, command in COMMANDS.items():
    app.command(name)(command)
for name, group in GROUPS.items():
    app.add_typer(group, name=name)


def main() -> None:
    app(prog_name="bontot")


if __name__ == "__main__":
    main()
