"""structlog set-up: one JSON line per unit of work on stderr; stdout stays for results."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure() -> None:
    level = getattr(logging, os.environ.get("BONTOT_LOG_LEVEL", "INFO").upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def logger() -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger("bontot")  # type: ignore[no-any-return]
