"""How instants are stored (UTC text that sorts) and shown (Asia/Ho_Chi_Minh, dd/mm/yyyy)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

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
    """A date or date-time from a user: dd/mm/yyyy [HH:MM[:SS]] or ISO (yyyy-mm-dd, with a
    time and an offset if wanted); without an offset it means Vietnam's local time.
    ValueError, with the text, for anything else (never an overflow)."""
    stripped = text.strip()
    try:
        if match := _DMY_TIME.match(stripped):
            day = _dmy(match.group(1))
            hour, minute, second = (int(part or 0) for part in match.groups()[1:])
            value = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LOCAL_TZ)
        elif _ISO_START.match(stripped):
            value = datetime.fromisoformat(stripped)
        else:
            raise ValueError
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a date dd/mm/yyyy (or yyyy-mm-dd)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    try:
        return value.astimezone(UTC)  # 0001-01-01 local overflows here: named, not raised
    except OverflowError:
        raise ValueError(f"{text!r} is not a date dd/mm/yyyy (or yyyy-mm-dd)") from None


def parse_user_date(text: str) -> date:
    """A calendar date written dd/mm/yyyy (day and month may have one digit) or ISO
    yyyy-mm-dd: the one date parser of imports and options. ValueError, naming the text,
    for anything else or an impossible date (30/02)."""
    stripped = text.strip()
    if _ISO_DATE.match(stripped):
        try:
            return date.fromisoformat(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a date that exists") from None
    return _dmy(stripped)


# ASCII digits only: str.isdigit and \d accept "²" and other scripts' digits
_DMY_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
_DMY_TIME = re.compile(
    r"^([0-9]{1,2}/[0-9]{1,2}/[0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$"
)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ISO_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]|$)")


def _dmy(text: str) -> date:
    match = _DMY_DATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date dd/mm/yyyy")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date that exists") from None
