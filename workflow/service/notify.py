"""Kept for callers not moved yet: the tick service is `Ticks` (workflow.service.ticks)."""

from workflow.service.ports import Notifier
from workflow.service.ticks import (
    DEFAULT_BACKOFF,
    DeliveryFailed,
    DeliveryOutcome,
    DeliveryReport,
    TickResult,
    Ticks,
)

Notifications = Ticks

__all__ = [
    "DEFAULT_BACKOFF", "DeliveryFailed", "DeliveryOutcome", "DeliveryReport", "Notifications",
    "Notifier", "TickResult", "Ticks",
]
