"""What every command shares: the options, `session()` over the composition root, the
token an actor presents, `fail()`, `parse_payload()` and `emit()`.

Errors the services raise on purpose propagate to the root (adapters.cli.errors), which
says them in the user's language with their exit code. Never a traceback for bad input.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from adapters import i18n, logs
from adapters.cli import errors
from adapters.cli.errors import problem
from adapters.clock import SystemClock
from workflow.bounds import FIRST_YEAR, LAST_YEAR
from workflow.clock import Clock, VirtualClock
from workflow.import_columns import ColumnNote
from workflow.spec.registry import DEFAULT_DEFINITION as DEFAULT_DEFINITION  # the options'
from workflow.timefmt import parse_user_instant

if TYPE_CHECKING:
    from adapters.bootstrap import App

YEARS = range(FIRST_YEAR, LAST_YEAR + 1)  # what a cycle's year can be (workflow.bounds)


def _lang(value: str) -> str:
    if value not in i18n.LANGS:
        raise errors.Said("usage.lang", lang=value)
    return value


def _year(value: int | None) -> int | None:
    if value is not None and value not in YEARS:
        raise errors.Said("usage.year", year=value, low=YEARS.start, high=YEARS.stop - 1)
    return value


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $BONTOT_DATABASE_URL or ./bontot.db)"),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now", help="Act as if it were this ISO date-time (Asia/Ho_Chi_Minh if no offset)"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
LangOption = Annotated[
    str,
    typer.Option(
        "--lang", envvar=i18n.LANG_ENV, callback=_lang, help="vi or en ($BONTOT_LANG; vi)"
    ),
]
YearOption = Annotated[int, typer.Option("--year", callback=_year)]
OptionalYearOption = Annotated[int | None, typer.Option("--year", callback=_year)]
UnderOption = Annotated[str | None, typer.Option("--under")]
TOKEN_ENV = "BONTOT_TOKEN"


def fail(message: str, code: int = 1) -> typer.Exit:
    # a driver's message may quote the URL it was given, password and all
    typer.echo(logs.redacted(message), err=True)
    return typer.Exit(code)


def fail_said(lang: str, msgid: str, code: int = 1, **params: Any) -> typer.Exit:
    """`fail` with the catalogue's message `msgid` in `lang`."""
    return fail(i18n.text(lang, msgid, **params), code)


def finite(value: float | None) -> float | None:
    """An option's callback: click's FloatRange lets nan through (every comparison with
    it is false), and a nan sleep or lease breaks the scheduler."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def seconds_option(help: str, low: float, high: float) -> Any:
    """A duration in seconds, bounded so that no loop spins and no timedelta overflows."""
    return typer.Option(help=f"{help} ({low:g}–{high:g})", min=low, max=high, callback=finite)


def database_url(db: str | None) -> str:
    from adapters import bootstrap  # lazy: start-up speed (see session())

    url = bootstrap.database_url(db)
    if "://" not in url:
        raise problem("usage.db_not_url", db=url)
    return url


def clock_for(now: str | None) -> Clock:
    if now is None:
        return SystemClock()
    try:
        instant = parse_user_instant(now)
    except (ValueError, OverflowError):
        raise problem("usage.now", now=now) from None
    if instant.year not in YEARS:
        raise problem("usage.now_range", now=now, low=YEARS.start, high=YEARS.stop - 1)
    return VirtualClock(instant)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None: in memory, or not SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    path = path.split("?", 1)[0].removeprefix("file:")
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def session(db: str | None, now: str | None = None, create: bool = False) -> Iterator[App]:
    """The services on the database (`create`: made or upgraded first; otherwise its
    schema must be there, and a SQLite file is never made by a command that only reads or
    acts). What goes wrong is said by the root (adapters.cli.errors)."""
    # lazy: the composition root pulls in SQLAlchemy and every service; `--help` and a
    # bad option should not wait for them (start-up speed, not an import circle)
    from adapters import bootstrap

    url = database_url(db)
    file = _sqlite_file(url)
    if not create and file is not None and not file.exists():
        raise problem("error.no_database", errors.NOT_FOUND, file=str(file))
    app = bootstrap.build(url, clock_for(now), schema="upgrade" if create else "require")
    try:
        yield app
    finally:
        app.close()


T = TypeVar("T")


def guarded(call: Callable[[], T]) -> T:
    """`call()` (the root says the services' errors; kept for the commands that call it)."""
    return call()


def token_for(actor: str) -> Callable[[], str | None]:
    """The token `actor` presents: $BONTOT_TOKEN, else asked for on a terminal. Read only
    when the services ask (an installation without actors asks for none)."""

    def read() -> str | None:
        token = os.environ.get(TOKEN_ENV)
        if token is None and sys.stdin.isatty():
            asked = i18n.text(errors.lang_of(sys.argv), "cli.token_prompt", actor=actor)
            token = typer.prompt(asked, hide_input=True)
        return token

    return read


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def parse_payload(data: str | None) -> dict[str, Any]:
    """The `--data` JSON object (empty when not given). NaN and Infinity are refused: they
    are not JSON, and the history would print them as such."""
    try:
        payload = json.loads(data, parse_constant=_no_constant) if data else {}
    except json.JSONDecodeError as exc:
        raise problem("usage.data_json", detail=f"{exc.msg} ({exc.lineno}:{exc.colno})") from None
    except ValueError as exc:
        raise problem("usage.data_constant", value=str(exc)) from None
    if not isinstance(payload, dict):
        raise problem("usage.data_object")
    return payload


def _finite(value: Any, where: str) -> None:
    """Refuse NaN and infinities anywhere in a payload (they are not JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise problem("usage.data_constant", value=f"{where}: {value}")
    if isinstance(value, dict):
        for item in value.values():
            _finite(item, where)
    elif isinstance(value, list):
        for item in value:
            _finite(item, where)


def _score(text: str) -> int | float:
    number = float(text)  # ValueError for what is not a number
    if not math.isfinite(number):
        raise ValueError(text)
    return int(number) if number.is_integer() else number


def self_evaluation(
    criteria: list[str], checks: list[str], from_file: Path | None
) -> dict[str, Any]:
    """The self-evaluation given without typed JSON: `--criterion KEY=SCORE` (repeated),
    `--check KEY` (a sub-criterion ticked, repeated) and/or `--from-file FILE` (YAML or
    JSON: `criteria: {KEY: SCORE}`, `checklist: {KEY: true}`, and any other field)."""
    payload: dict[str, Any] = {}
    if from_file is not None:
        if not from_file.is_file():
            raise problem("error.no_file", errors.NOT_FOUND, file=str(from_file), reason="")
        import yaml  # lazy: start-up time (only `fire --from-file` reads YAML)

        try:
            loaded = yaml.safe_load(from_file.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise problem("usage.from_file", file=str(from_file), detail=str(exc)[:200]) from None
        if not isinstance(loaded, dict):
            raise problem("usage.from_file_mapping", file=str(from_file))
        _finite(loaded, str(from_file))
        payload.update({str(k): v for k, v in loaded.items()})
    for item in criteria:
        key, sep, value = item.partition("=")
        try:
            score = _score(value)
        except ValueError:
            score = None
        if not sep or not key.strip() or score is None:
            raise problem("usage.criterion", given=item)
        payload.setdefault("criteria", {})[key.strip()] = score
    for key in checks:
        payload.setdefault("checklist", {})[key.strip()] = True
    return payload


def warn_columns(notes: Iterable[ColumnNote], lang: str) -> None:
    """Each column of an imported file that nothing read, one line on stderr."""
    for note in notes:
        typer.echo(("warning: " if lang == "en" else "cảnh báo: ") + note.describe(lang), err=True)


def emit(result: Any, as_json: bool, text: Callable[[], str], err: bool = False) -> None:
    """Print `result` as JSON (`--json`), else the text `text()` makes of it."""
    typer.echo(json_text(result) if as_json else text(), err=err)


def json_text(result: Any) -> str:
    from adapters.cli.render import dumps  # lazy: start-up speed

    return dumps(result)


def log_filter(
    since: str | None, until: str | None, late: bool, refusals: bool, overrides: bool
) -> tuple[datetime | None, datetime | None, str | None]:
    """The audit log's filters as `audit log` and `export audit-log` take them: the span
    (--from/--to) and which records only (late | refusals | overrides)."""
    only = "late" if late else "refusals" if refusals else "overrides" if overrides else None
    try:
        start = parse_user_instant(since) if since else None
        end = parse_user_instant(until) if until else None
    except (ValueError, OverflowError):
        raise problem("usage.span", since=since or "", until=until or "") from None
    return start, end, only
