"""What every command shares: the options, `session()` over the composition root, the
token an actor presents, `fail()`, `parse_payload()` and `emit()`.

Errors the services raise on purpose become a message on stderr and an exit code here,
once: a refusal to an actor exits 2 (logged as a warning when it says so), any other
BontotError exits 1. Never a traceback for bad input.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer

from adapters import bootstrap, logs
from adapters.bootstrap import App
from adapters.cli import render
from adapters.clock import SystemClock
from workflow.bounds import FIRST_YEAR, LAST_YEAR
from workflow.clock import Clock, VirtualClock
from workflow.errors import BontotError
from workflow.service.actors import NotAuthenticated, Refused
from workflow.spec.registry import DEFAULT_DEFINITION as DEFAULT_DEFINITION  # the options'
from workflow.timefmt import parse_user_instant

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
LangOption = Annotated[str, typer.Option("--lang", help="vi or en")]
YearOption = Annotated[int, typer.Option("--year", min=FIRST_YEAR, max=LAST_YEAR)]
OptionalYear = Annotated[int | None, typer.Option("--year", min=FIRST_YEAR, max=LAST_YEAR)]
UnderOption = Annotated[str | None, typer.Option("--under")]
TOKEN_ENV = "BONTOT_TOKEN"


def fail(message: str, code: int = 1) -> typer.Exit:
    # a driver's message may quote the URL it was given, password and all
    typer.echo(logs.redacted(message), err=True)
    return typer.Exit(code)


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
    return bootstrap.database_url(db)


def clock_for(now: str | None) -> Clock:
    if now is None:
        return SystemClock()
    try:
        return VirtualClock(parse_user_instant(now))
    except (ValueError, OverflowError) as exc:
        raise fail(f"--now {now!r}: {exc}") from None


def refused(exc: Refused) -> typer.Exit:
    """A service's refusal, said to the actor (exit 2), logged as it asks."""
    if exc.log is not None:
        logs.logger().warning(exc.log, **exc.fields)
    if isinstance(exc, NotAuthenticated):
        return fail(f"{exc}; act with your own token in ${TOKEN_ENV}", 2)
    return fail(str(exc), 2)


@contextmanager
def session(db: str | None, now: str | None = None, create: bool = False) -> Iterator[App]:
    """The services on the database (`create`: made or upgraded first; otherwise its
    schema must be there). Errors raised on purpose become messages and exit codes."""
    url = database_url(db)
    try:
        app = bootstrap.build(url, clock_for(now), schema="upgrade" if create else "require")
    except BontotError as exc:
        raise fail(str(exc)) from None
    try:
        yield app
    except Refused as exc:
        raise refused(exc) from None
    except BontotError as exc:
        raise fail(str(exc)) from None
    finally:
        app.close()


T = TypeVar("T")


def guarded(call: Callable[[], T]) -> T:
    """`call()`, with the services' errors turned into messages and exit codes (for the
    commands that need no database)."""
    try:
        return call()
    except Refused as exc:
        raise refused(exc) from None
    except BontotError as exc:
        raise fail(str(exc)) from None


def token_for(actor: str) -> Callable[[], str | None]:
    """The token `actor` presents: $BONTOT_TOKEN, else asked for on a terminal. Read only
    when the services ask (an installation without actors asks for none)."""

    def read() -> str | None:
        token = os.environ.get(TOKEN_ENV)
        if token is None and sys.stdin.isatty():
            token = typer.prompt(f"token for {actor}", hide_input=True)
        return token

    return read


def parse_payload(data: str | None) -> dict[str, Any]:
    """The `--data` JSON object (empty when not given)."""
    try:
        payload = json.loads(data) if data else {}
    except json.JSONDecodeError as exc:
        raise fail(f"--data is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise fail("--data must be a JSON object")
    return payload


def emit(result: Any, as_json: bool, text: Callable[[], str], err: bool = False) -> None:
    """Print `result` as JSON (`--json`), else the text `text()` makes of it."""
    typer.echo(render.dumps(result) if as_json else text(), err=err)


def log_filter(
    since: str | None, until: str | None, late: bool, refusals: bool, overrides: bool
) -> tuple[datetime | None, datetime | None, str | None]:
    """The audit log's filters as `audit log` and `export audit-log` take them: the span
    (--from/--to) and which records only (late | refusals | overrides)."""
    only = "late" if late else "refusals" if refusals else "overrides" if overrides else None
    try:
        start = parse_user_instant(since) if since else None
        end = parse_user_instant(until) if until else None
    except ValueError as exc:
        raise fail(f"--from/--to: {exc}") from None
    return start, end, only
