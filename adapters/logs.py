"""structlog set-up: one JSON line per unit of work on stderr; stdout stays for results."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

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


def configure() -> None:
    level = getattr(logging, os.environ.get("BONTOT_LOG_LEVEL", "INFO").upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            _redact,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def logger() -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger("bontot")  # type: ignore[no-any-return]
