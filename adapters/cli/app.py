"""The `bontot` command line (typer). Results on stdout, logs and refusals on stderr.

The root only: each command group lives in its own module, which knows nothing of this
one; here they are put together, in the order `bontot --help` lists them.

For a quick start, a command's module is imported only when that command runs: `bontot
--help` lists the commands from the table below without importing any of them (a unit
test holds the table's help lines equal to the commands' own).
"""

from __future__ import annotations

from importlib import import_module
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from adapters import i18n, logs
from adapters.cli import coercion, errors

#: every top-level command and group, in the order `bontot --help` lists them:
#: name → (module in adapters.cli, the first line of its help)
ENTRIES: dict[str, tuple[str, str]] = {
    "init": (
        "db_cmds",
        "Create the database schema, or upgrade it to the newest revision (idempotent).",
    ),
    "fire": ("cycles_cmds", "Fire EVENT on UNIT's cycle of YEAR."),
    "status": (
        "cycles_cmds",
        "The board: cycles by state under a node, the recognised share against the target.",
    ),
    "history": (
        "cycles_cmds",
        "Every step of a unit's cycle, with actor, role and time, and its deadlines.",
    ),
    "demo": (
        "db_cmds",
        "A sample province driven through a simulated year, into a fresh database.",
    ),
    "verdict": (
        "evidence_cmds",
        "The recognition rule's verdict on UNIT's evidence: every check, actual vs required.",
    ),
    "bulk": (
        "bulk_cmds",
        "Fire EVENT (appraise, recognise, report...) on every cycle under a node that can take it.",
    ),
    "report": (
        "report_cmds",
        "One row per unit (stage, dates, rating, verdict with failing checks, overdue)"
        " and a summary per superior (counts by stage, recognised share against target,"
        " late units).",
    ),
    "calendar": (
        "time_cmds",
        "The year's effective deadlines, reminders and escalations, and what moved them.",
    ),
    "overdue": (
        "time_cmds",
        "Units late on a deadline (and committees late on a milestone), oldest first.",
    ),
    "tick": ("time_cmds", "One pass: fire due reminders and escalations, compose, deliver."),
    "worker": (
        "time_cmds",
        "Run the ticker until SIGTERM: wakes at the next due instant and on every sweep.",
    ),
    "outbox": ("time_cmds", "The outbox: what waits, was sent, is parked."),
    "simulate": (
        "time_cmds",
        "Every reminder and escalation of a year, day by day, on a virtual clock against a"
        " copy: nothing is sent, nothing changes here.",
    ),
    "serve": ("serve_cmds", "Serve the web board and the HTTP API (/api/v1)."),
    "units": ("units_cmds", "The unit tree."),
    "cycle": ("cycles_cmds", "Yearly cycles."),
    "definitions": ("definitions_cmds", "Workflow definitions."),
    "audit": ("audit_cmds", "The audit trail: verify, export, read."),
    "actors": ("actors_cmds", "Actors, their roles and tokens."),
    "meetings": ("meeting_cmds", "The meeting register (criterion 2)."),
    "ratings": ("evidence_cmds", "The annual ratings register."),
    "targets": ("evidence_cmds", "Superiors' yearly targets."),
    "milestone": ("time_cmds", "Programme milestones of committees."),
    "documents": ("documents_cmds", "Word documents to sign."),
    "export": ("export_cmds", "Lists as Excel or CSV files."),
    "db": ("db_cmds", "The database schema and its revisions."),
}


# click's types are typer's own (vendored) or click's, by typer's version: Any here
def load_entry(name: str) -> Any:
    """The click command or group `name`, its module imported now."""
    module = import_module(f"adapters.cli.{ENTRIES[name][0]}")
    function = getattr(module, "commands", {}).get(name)
    if function is not None:
        holder = typer.Typer()
        holder.command(name)(function)
        command = typer.main.get_command(holder)
    else:
        group = getattr(module, "groups", {}).get(name) or module.group
        command = typer.main.get_group(group)
    command.name = name
    return coercion.read_plainly(command)


class LazyGroup(errors.RootGroup):
    """The root group: commands listed from ENTRIES, loaded when resolved to run, their
    help said in the language asked for (`help_lang`, set by the root when help is shown)."""

    listing = False

    def help_line(self, name: str) -> str:
        if self.help_lang not in (None, "en"):
            said = i18n.text(self.help_lang, f"help.{name}")
            if not said.startswith("help."):
                return said.split("\n")[0]
        return ENTRIES[name][1]

    def list_commands(self, ctx: Any) -> list[str]:
        return [*ENTRIES, *(name for name in self.commands if name not in ENTRIES)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in ENTRIES:
            return self.commands.get(cmd_name)
        if self.listing:  # the help's list needs a name and a line, not the command
            return TyperCommand(cmd_name, help=self.help_line(cmd_name))
        command = load_entry(cmd_name)
        if self.help_lang is not None:  # a command's help is typer's rich help
            errors.help_words(self.help_lang)
        if self.help_lang not in (None, "en"):  # loaded after the root translated its help
            errors.translate_help(command, self.help_lang, cmd_name)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def get_help(self, ctx: Any) -> str:
        if self.help_lang in (None, "en"):
            return str(super().get_help(ctx))
        return errors.plain_help_in(self.help_lang, super().get_help(ctx))


app = typer.Typer(
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=True,
    # plain click help at the root: typer's rich help imports rich.markdown (0.2 s)
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help=__doc__.splitlines()[0],
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version  # lazy: only for --version (start-up speed)

        typer.echo(f"bontot {version('bontot')}")
        raise typer.Exit()


@app.callback()
def _setup(
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            envvar="BONTOT_LOG_FORMAT",
            help="auto (readable on a terminal, JSON lines otherwise), json or console",
        ),
    ] = "auto",
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version"),
    ] = False,
) -> None:
    """bontot: the yearly "chi bộ bốn tốt / đảng bộ cơ sở bốn tốt" cycle as a workflow.

    Exit codes: 0 done, 1 failure, 2 usage error, 3 refused by the rules or by access,
    4 not found. --debug (anywhere) shows the traceback of an unexpected error."""
    if log_format not in logs.FORMATS:
        raise typer.BadParameter(
            f"{log_format!r} is not one of {', '.join(logs.FORMATS)}", param_hint="--log-format"
        )
    logs.configure(log_format)


def main() -> None:
    app(prog_name="bontot")


if __name__ == "__main__":
    main()
