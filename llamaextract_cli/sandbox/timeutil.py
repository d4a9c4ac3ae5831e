"""Timestamps: epoch milliseconds in, ISO 8601 out, and the query's date-time parser."""

from __future__ import annotations

import calendar
import re
import time

_DT = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as `2026-01-01T12:00:00.123Z`."""
    sec, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:03d}Z"


def http_date(t: float) -> str:
    """An IMF-fixdate (RFC 9110) for a Retry-After or Date header."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def parse_datetime_us(text: str) -> int:
    """Parse an ISO 8601 date-time (Z or offset; naive means UTC) or a bare date.

    Returns epoch microseconds. Raises ValueError with a pydantic-like reason.
    """
    m = _DT.fullmatch(text.strip())
    if m is None:
        if not text:
            raise ValueError("input is too short")
        raise ValueError("invalid datetime format")
    y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
    h = int(m["h"] or 0)
    mi = int(m["mi"] or 0)
    s = int(m["s"] or 0)
    if not 1 <= mo <= 12:
        raise ValueError("month value is outside expected range of 1-12")
    if not 1 <= d <= calendar.monthrange(y, mo)[1]:
        raise ValueError("day value is outside expected range")
    if h > 23 or mi > 59 or s > 59:
        raise ValueError("time value is outside expected range")
    frac = m["f"] or ""
    us = int((frac + "000000")[:6]) if frac else 0
    offset_s = 0
    tz = m["tz"]
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        oh = int(digits[:2])
        om = int(digits[2:4] or 0)
        if oh > 23 or om > 59:
            raise ValueError("timezone offset is outside expected range")
        offset_s = sign * (oh * 3600 + om * 60)
    epoch = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - offset_s
    return epoch * 1_000_000 + us
