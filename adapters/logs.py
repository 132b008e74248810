"""structlog set-up: one line per unit of work on stderr; stdout stays for results.

On a terminal the lines are drawn for a reader (structlog's console renderer); piped or
with `--log-format json` they are JSON lines for a machine. structlog (and the rich it
pulls in) is imported at the first line logged, not at start-up: most commands log
nothing on the way to their answer, and the import costs a tenth of a second.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import structlog

#: the values of --log-format / $BONTOT_LOG_FORMAT
FORMATS = ("auto", "json", "console")

#: the format the next logged line sets up (None: set up already, or never asked for)
_pending: str | None = None

#: the password of a URL's user part: postgresql://user:PASSWORD@host/db
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s]*@")
MASK = "***"


def redacted(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***: what may be printed
    or logged of a database or webhook URL."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)


def _redact(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A processor: no log line carries a URL's password, whichever field holds it."""
    for key, value in event.items():
        if isinstance(value, str) and "://" in value:
            event[key] = redacted(value)
    return event


def configure(log_format: str = "auto") -> None:
    """Log in `log_format` from the next line on (to whatever stderr is at each line)."""
    global _pending
    _pending = log_format


def console_wanted(log_format: str, stream: Any) -> bool:
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return log_format == "console"


def _apply(log_format: str) -> None:
    import structlog  # lazy: start-up speed (see the module's docstring)

    level = getattr(logging, os.environ.get("BONTOT_LOG_LEVEL", "INFO").upper(), logging.INFO)
    renderer: Any
    if console_wanted(log_format, sys.stderr):
        renderer = structlog.dev.ConsoleRenderer(colors=True)
    else:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            _redact,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )


class _CurrentStderr:
    """sys.stderr as it is when a line is written: a logger made while something had
    replaced it (a test's capture, a redirection) writes to today's, not to that one."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def logger() -> structlog.typing.FilteringBoundLogger:
    global _pending
    if _pending is not None:
        _apply(_pending)
        _pending = None
    import structlog

    return structlog.get_logger("bontot")  # type: ignore[no-any-return]
