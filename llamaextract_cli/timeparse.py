"""Parse `--since/--until` values and durations (`30m`, `2h`, `7d`, `2w`, `1h30m`).

Pure functions of their input and a given `now`; no I/O.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)([smhdw])")
_DURATION_FULL = re.compile(r"(?:\d+[smhdw])+")
_MAX_SECONDS = 100 * 365 * 86400  # a century: beyond that a value is a typo

DURATION_HELP = "a duration such as 45s, 30m, 2h, 7d, 2w or 1h30m"
WHEN_HELP = (
    "an ISO date (2026-11-01), an ISO date-time (2026-11-01T09:30:00Z, offsets allowed, "
    "naive means UTC), or a relative age such as 30m, 2h, 7d, 2w"
)


class TimeParseError(ValueError):
    pass


# The fraction of the seconds, 1 digit or more (the API may send 3, 6, or any number).
_FRACTION = re.compile(r"(?<=:\d\d)\.(\d+)")


def fromiso(text: str) -> datetime:
    """`datetime.fromisoformat` as Python 3.11 reads ISO 8601, on 3.10 too: a `Z` suffix,
    and a fraction of the seconds of any length (cut or padded to microseconds), which
    3.10 refuses unless it has 3 or 6 digits. Raises ValueError."""
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "00000")[:6], text, count=1)
    return datetime.fromisoformat(text)


def parse_duration(text: str) -> float:
    """Seconds in a duration like `90s`, `10m`, `1h30m`. Raises TimeParseError."""
    value = text.strip().lower()
    if not value or not _DURATION_FULL.fullmatch(value):
        raise TimeParseError(f"{text!r} is not {DURATION_HELP}")
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(value))
    if seconds > _MAX_SECONDS:
        raise TimeParseError(f"{text!r} is longer than a century")
    return float(seconds)


def parse_when(text: str, now: datetime, *, end_of_day: bool = False) -> datetime:
    """An aware UTC datetime for `--since`/`--until`.

    A bare date means the start of that day (UTC), or its last microsecond when
    ``end_of_day`` (so `--until 2026-11-01` includes the whole day).
    """
    value = text.strip()
    if not value:
        raise TimeParseError(f"an empty value is not {WHEN_HELP}")
    if _DURATION_FULL.fullmatch(value.lower()):
        return now.astimezone(timezone.utc) - timedelta(seconds=parse_duration(value))
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()
            moment = time.max if end_of_day else time.min
            return datetime.combine(day, moment, tzinfo=timezone.utc)
        parsed = fromiso(value)
    except ValueError:
        raise TimeParseError(f"{text!r} is not {WHEN_HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the last UTC datetime
        raise TimeParseError(f"{text!r} is out of the range of dates") from None


def parse_api_time(text: str) -> datetime | None:
    """A timestamp as the API sends it; None when it cannot be read."""
    try:
        parsed = fromiso(text)
    except (ValueError, AttributeError, TypeError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def humanize_age(seconds: float) -> str:
    """`just now`, `45s ago`, `3m ago`, `5h ago`, `2d ago`, `3w ago`; future times `in 5m`."""
    future = seconds < 0
    s = abs(seconds)
    if s < 5:
        return "just now"
    if s < 60:
        text = f"{int(s)}s"
    elif s < 3600:
        text = f"{int(s // 60)}m"
    elif s < 86400:
        text = f"{int(s // 3600)}h"
    elif s < 86400 * 14:
        text = f"{int(s // 86400)}d"
    else:
        text = f"{int(s // 604800)}w"
    return f"in {text}" if future else f"{text} ago"


def humanize_duration(seconds: float) -> str:
    """`850ms`, `12s`, `3m05s`, `2h10m`, `3d4h`."""
    if seconds < 0:
        seconds = 0
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600}h"
