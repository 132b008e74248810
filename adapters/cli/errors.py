"""The one place where what went wrong becomes a message and an exit code.

Exit codes (the README lists them): 0 done, 1 failure, 2 usage error (an option, an
argument or a value the command cannot use), 3 refused by the rules or by access, 4 not
found (a unit, year, definition, event, file or database that is not there). A user's
mistake never prints a traceback; an unexpected exception exits 1 with one short line,
and its traceback only with `--debug` (or BONTOT_DEBUG=1).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import traceback
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from adapters import i18n
from adapters.cli import coercion
from workflow.errors import BontotError, ImportRefused

if TYPE_CHECKING:  # loaded only when an error is said: the definitions' model is heavy
    from adapters.i18n.said import Labeller
    from workflow.spec.model import DefinitionSpec

DONE, FAILURE, USAGE, REFUSED, NOT_FOUND = 0, 1, 2, 3, 4
DEBUG_ENV = "BONTOT_DEBUG"


def _click_module(name: str) -> Any:
    """Click's own module `name`: newer typer carries its own copy of click."""
    try:
        return importlib.import_module(f"typer._click.{name}")
    except ImportError:
        return importlib.import_module(f"click.{name}")


_cx = _click_module("exceptions")
UsageError: Any = _cx.UsageError
BadParameter: Any = _cx.BadParameter
#: what ends a run on purpose: typer's own, and click's if typer is older
_EXITS = (typer.Exit, _cx.Exit) if hasattr(_cx, "Exit") else (typer.Exit,)
_ABORTS = (
    (typer.Abort, _cx.Abort, KeyboardInterrupt)
    if hasattr(_cx, "Abort")
    else (
        typer.Abort,
        KeyboardInterrupt,
    )
)


class CliProblem(BontotError):
    """A problem a command found itself, said by message id, with its exit code."""

    def __init__(self, msgid: str, code: int = USAGE, **params: Any) -> None:
        super().__init__(f"{msgid} {params}", msgid=msgid, params=params)
        self.code = code


def problem(msgid: str, code: int = USAGE, **params: Any) -> CliProblem:
    return CliProblem(msgid, code, **params)


def lang_of(argv: list[str]) -> str:
    """The language a run speaks, read before the options are parsed (so that their own
    errors are said in it): --lang, else $BONTOT_LANG, else Vietnamese; an unknown one
    falls back to Vietnamese (and the option itself then refuses it)."""
    lang = os.environ.get(i18n.LANG_ENV, i18n.DEFAULT_LANG)
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.removeprefix("--lang=")
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def say(exc: BontotError, lang: str) -> str:
    """An error the engine raised on purpose, in the user's language when it names its
    message (else its own text, which names what was wrong)."""
    if exc.msgid is not None:
        from adapters.i18n.said import error_text  # the definitions' model: only when said

        said = error_text(lang, exc.msgid, exc.params, labeller())
        hint = error_text(lang, f"cli_hint.{exc.msgid}", exc.params)
        return said if hint.startswith("cli_hint.") else f"{said} ({hint})"
    if isinstance(exc, ImportRefused):
        from adapters.i18n.said import message_text

        labels = labeller()
        lines = [i18n.text(lang, "import.nothing")]
        lines += [
            i18n.text(
                lang, "import.problem", source=exc.source, row=p.row, column=p.column,
                message=message_text(p.message, lang, labels),
            )
            for p in exc.problems
        ]  # fmt: skip
        return "\n".join(lines)
    return str(exc)


def labeller() -> Labeller:
    """The definitions' labels for an error's code names (read only when one is said)."""
    from adapters.catalog import load_catalog
    from adapters.i18n.said import Labeller

    def specs() -> list[DefinitionSpec]:
        try:
            return load_catalog().specs()
        except (BontotError, OSError):  # the message still names each by its code
            return []

    return Labeller(specs)


def code_of(exc: BontotError) -> int:
    return exc.code if isinstance(exc, CliProblem) else type(exc).exit_code


_NO_COMMAND = re.compile(r"No such command '([^']*)'")
_EXTRA = re.compile(r"unexpected extra arguments? \((.*)\)")


def usage_text(exc: Any, lang: str) -> str:
    """Click's own usage errors, in the user's language."""
    t = i18n.text
    if isinstance(exc, _cx.NoSuchOption):
        hint = ", ".join(sorted(exc.possibilities or []))
        said = t(lang, "usage.no_option", name=exc.option_name)
        return said + (t(lang, "usage.did_you_mean", names=hint) if hint else "")
    if isinstance(exc, _cx.MissingParameter):
        name = _param_name(exc.param)
        kind = getattr(exc, "param_type", None) or getattr(exc.param, "param_type_name", "")
        key = "usage.missing_argument" if kind == "argument" else "usage.missing_option"
        return t(lang, key, name=name)
    if isinstance(exc, BadParameter):
        name = _param_name(exc.param) if exc.param is not None else str(exc.param_hint or "?")
        if isinstance(exc, Said):
            return t(lang, exc.msgid, **exc.params)
        bounds = _bounds(exc.param)
        if bounds is not None and any(w in exc.message for w in ("greater", "less", "range")):
            low, high = bounds
            return t(lang, "usage.out_of_range", name=name, low=low, high=high)
        if "integer" in exc.message:
            return t(lang, "usage.not_integer", name=name)
        if "number" in exc.message or "float" in exc.message:
            return t(lang, "usage.not_number", name=name)
        return t(lang, "usage.bad_value", name=name, detail=exc.message)
    found = _NO_COMMAND.search(exc.message)
    if found:
        return t(lang, "usage.no_command", name=found.group(1))
    found = _EXTRA.search(exc.message)
    if found:
        return t(lang, "usage.extra", args=found.group(1))
    return t(lang, "usage.other", detail=exc.message)


def _bounds(param: Any) -> tuple[str, str] | None:
    """An option's lowest and highest value, said as numbers (typer's or click's types)."""
    info = getattr(getattr(param, "type_descriptor", None), "parameter_info", None)
    where = info if info is not None else getattr(param, "type", None)
    low, high = getattr(where, "min", None), getattr(where, "max", None)
    if low is None and high is None:
        return None
    return (f"{low:g}" if low is not None else "…", f"{high:g}" if high is not None else "…")


def _param_name(param: Any) -> str:
    if param is None:
        return "?"
    opts = getattr(param, "opts", None)
    if getattr(param, "param_type_name", "") == "option" and opts:
        return str(max(opts, key=len))
    return str(getattr(param, "name", None) or "?").upper()


class Said(BadParameter):  # type: ignore[misc]
    """A bad option value, said by message id in the user's language."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def report(exc: BaseException, lang: str, debug: bool) -> int:
    """Say `exc` on stderr; the exit code."""
    from adapters import logs

    t = i18n.text

    def _echo(text: str) -> None:  # a driver's message may quote a URL, password and all
        typer.echo(logs.redacted(text), err=True)

    if isinstance(exc, UsageError):
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "bontot"
        _echo(t(lang, "usage.error", message=usage_text(exc, lang)))
        _echo(t(lang, "usage.help", command=where))
        return USAGE
    if isinstance(exc, _ABORTS):
        _echo(t(lang, "error.aborted"))
        return FAILURE
    if isinstance(exc, BontotError):
        log = getattr(exc, "log", None)
        if log is not None:
            logs.logger().warning(log, **getattr(exc, "fields", {}))
        _echo(say(exc, lang))
        return code_of(exc)
    said = database_text(exc, lang)
    if said is not None:
        logs.logger().error("command.database_failed", error=type(exc).__name__)
        _echo(said)
        return FAILURE
    if isinstance(exc, OSError) and exc.filename is not None:
        # a file the user named and the system could not open, write or find
        missing = isinstance(exc, FileNotFoundError)
        key = "error.no_file" if missing else "error.file"
        _echo(t(lang, key, file=exc.filename, reason=exc.strerror or exc))
        return NOT_FOUND if missing else FAILURE
    logs.logger().error("command.crashed", error=type(exc).__name__, detail=str(exc)[:500])
    _echo(t(lang, "error.unexpected", kind=type(exc).__name__, detail=exc))
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    else:
        _echo(t(lang, "error.debug_hint"))
    return FAILURE


#: what the database driver says, and what the user is told
_DATABASE_FAULTS = (
    ("database is locked", "error.locked"),
    ("readonly database", "error.readonly"),
    ("read-only", "error.readonly"),
    ("file is not a database", "error.not_database"),
    ("unable to open database file", "error.cannot_open"),
    ("disk is full", "error.disk_full"),
    ("database or disk is full", "error.disk_full"),
)


def database_text(exc: BaseException, lang: str) -> str | None:
    """The database's own failures (locked, read-only, not a database, unreachable) said
    plainly; None for anything else."""
    if type(exc).__module__.split(".")[0] not in ("sqlalchemy", "sqlite3", "psycopg"):
        return None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    for clue, msgid in _DATABASE_FAULTS:
        if clue in detail.lower():
            return i18n.text(lang, msgid, detail=detail)
    if type(exc).__name__ in ("OperationalError", "DatabaseError", "InterfaceError"):
        return i18n.text(lang, "error.database", detail=detail)
    return None


def translate_help(command: Any, lang: str, path: str = "") -> None:
    """The help texts of `command` and everything under it in `lang`, from the catalogue
    (`help.<command path>`, `help.option.<option>`); English keeps the docstrings."""
    if lang == "en":
        return
    said = i18n.text(lang, f"help.{path or '(root)'}")
    if not said.startswith("help."):
        command.help, command.short_help = said, None
    for param in getattr(command, "params", []):
        opts = getattr(param, "opts", None)
        if opts and getattr(param, "param_type_name", "") == "option":
            option = i18n.text(lang, f"help.option.{max(opts, key=len)}")
            if not option.startswith("help."):
                param.help = option + (_extras_in(param, lang) if not path else "")
    help_option = getattr(command, "_help_option", None)  # made by coercion.read_plainly
    if help_option is not None:
        help_option.help = i18n.text(lang, "help.word.help_option")
    for name, sub in (getattr(command, "commands", None) or {}).items():
        translate_help(sub, lang, f"{path}.{name}" if path else name)


#: typer's words around the help texts (`typer.rich_utils`'s settings) → catalogue entry
HELP_WORDS = {
    "OPTIONS_PANEL_TITLE": "help.word.options",
    "COMMANDS_PANEL_TITLE": "help.word.commands",
    "ARGUMENTS_PANEL_TITLE": "help.word.arguments",
    "REQUIRED_LONG_STRING": "help.word.required",
    "DEFAULT_STRING": "help.word.default",
    "ENVVAR_STRING": "help.word.envvar",
    "DEPRECATED_STRING": "help.word.deprecated",
}


def help_words(lang: str) -> None:
    """The panels' titles and the [required], [default: …] marks of the help in `lang`
    (set on every help shown: a test process shows help in both languages)."""
    from typer import rich_utils

    for setting, msgid in HELP_WORDS.items():
        setattr(rich_utils, setting, i18n.text(lang, msgid))


#: click's own words in the root's plain help (no rich there: `--help` stays quick)
PLAIN_HELP_WORDS = {
    "Usage: ": "help.word.usage",
    "Options:\n": "help.word.options_heading",
    "Commands:\n": "help.word.commands_heading",
}


def plain_help_in(lang: str, shown: str) -> str:
    """The root's help as click wrote it, its own words (headings, marks) in `lang`."""
    for word, msgid in PLAIN_HELP_WORDS.items():
        shown = shown.replace(word, i18n.text(lang, msgid))
    return shown


def _extras_in(param: Any, lang: str) -> str:
    """A root option's environment variable and default, marked in `lang`; click's own
    marks (English) are turned off for it. (The commands' help is drawn by typer's rich
    help, whose marks `help_words` sets.)"""
    extras = []
    if param.envvar and param.show_envvar:
        extras.append(i18n.text(lang, "help.word.envvar_is", var=param.envvar))
    shown = param.show_default
    value = shown if isinstance(shown, str) else param.default
    if shown and value not in (None, False, "", ()) and not callable(value):
        extras.append(i18n.text(lang, "help.word.default_is", value=value))
    param.show_envvar = param.show_default = False
    return f"  [{'; '.join(extras)}]" if extras else ""


class RootGroup(TyperGroup):
    """The root command: runs the command asked for and maps whatever escapes it to a
    message and an exit code (`report`), on the real command line and under test runners."""

    #: the language help is being shown in (None: no help asked for)
    help_lang: str | None = None

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
        argv = [a for a in argv if a != "--debug"]
        lang = lang_of(argv)
        coercion.read_plainly(self)
        if "--help" in argv or not argv:
            self.help_lang = lang
            translate_help(self, lang)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else DONE
        except _EXITS as exc:
            code = exc.exit_code
        except (Exception, KeyboardInterrupt) as exc:
            try:
                code = report(exc, lang, debug)
            except Exception:  # saying it failed: say it plainly, still without a trace
                typer.echo(f"{type(exc).__name__}: {exc}", err=True)
                code = FAILURE
        if standalone_mode:
            sys.exit(code)
        return code
