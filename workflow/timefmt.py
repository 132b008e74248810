"""How instants are stored (UTC text that sorts) and shown (Asia/Ho_Chi_Minh, dd/mm/yyyy)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from workflow.bounds import FIRST_YEAR, LAST_YEAR

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db(instant: datetime) -> str:
    """UTC, fixed width, so that text order is time order on every backend."""
    if instant.tzinfo is None:
        raise ValueError("refusing a naive datetime: store only aware instants")
    # isoformat is several times faster than strftime, and this runs once per transition
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db(text: str) -> datetime:
    # fromisoformat is about 20x faster than strptime, and a report reads one or two of
    # these per row (the nation's overdue list: 200,000 rows spent most of their time
    # here); it takes only the exact shape to_db writes, anything else goes to strptime
    if len(text) == 27 and text[10] == "T" and text[19] == "." and text[26] == "Z":
        return datetime.fromisoformat(text[:26]).replace(tzinfo=UTC)
    return datetime.strptime(text, _DB_FORMAT).replace(tzinfo=UTC)


def show_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = d.astimezone(LOCAL_TZ).date()
    return d.strftime("%d/%m/%Y")


def show_instant(instant: datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def parse_user_instant(text: str) -> datetime:
    """An ISO date or date-time from a user; without an offset it means Vietnam's local time."""
    value = datetime.fromisoformat(text)
    # checked before any arithmetic: 0001-01-01 would overflow on conversion to UTC
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year {value.year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def parse_user_date(text: str) -> date:
    """A calendar date written dd/mm/yyyy; raises ValueError for an impossible one (30/02)."""
    day, month, year = (int(part) for part in text.strip().split("/"))
    return date(year, month, day)
