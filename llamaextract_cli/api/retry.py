"""When to retry a request and how long to wait: the official SDK's rules, as a floor.

- retry connection errors, timeouts, and statuses 408, 409, 429 and 5xx;
- `x-should-retry: true|false` from the server overrides everything else;
- wait `retry-after-ms`, else `retry-after` (seconds or an HTTP date) when it is
  between 0 and 60 s; otherwise exponential backoff with jitter, 0.5 s doubling up to 8 s;
- at most `max_retries` retries (SDK default: 5) and, beyond the SDK, at most
  `max_total` seconds spent waiting between attempts, so a run is bounded.

A request that is not safe to repeat (`repeatable=False`: the POST that creates a job,
which costs credits) is retried only where the server certainly did not act on it:
- the connection could not be made (refused, DNS, connect timeout, no pooled
  connection free): nothing was sent;
- 429, or a 5xx that says so (`x-should-retry: true`, or a Retry-After header):
  the server refused the request as a whole;
- `x-should-retry: false` still wins over everything.
A failure after the request was sent (a read or write timeout, a connection dropped
before the answer, a 2xx whose body cannot be read) or a plain 5xx is never retried:
the server may have acted, and repeating could create a second job. `sent_before`
tells the two kinds of transport failure apart.

Pure functions of their inputs (the random source and clock are passed in).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({408, 409, 429})
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_SERVER_WAIT = 60.0


@dataclass(frozen=True)
class RetryNotice:
    """A wait about to start: the client hands it to its `on_retry` callback, if any."""

    wait: float  # seconds
    retry: int  # 1 for the first retry
    max_retries: int
    reason: str  # short: "connection refused", "host not found", "503 Service Unavailable"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    max_total: float = 120.0  # seconds of waiting, summed over all retries of one request

    def status_is_retryable(
        self, status: int, headers: Mapping[str, str], *, repeatable: bool = True
    ) -> bool:
        verdict = should_retry_header(headers)
        if verdict is not None:
            return verdict
        if not repeatable:  # only where the server says it did not act
            return status == 429 or (status >= 500 and has_retry_after(headers))
        return status in RETRY_STATUSES or status >= 500


def has_retry_after(headers: Mapping[str, str]) -> bool:
    return headers.get("retry-after") is not None or headers.get("retry-after-ms") is not None


def sent_before(error: BaseException) -> bool:
    """Whether a transport failure may have come after the request reached the server.

    False only for failures that happen before anything is sent (httpx's ConnectError,
    ConnectTimeout, PoolTimeout, UnsupportedProtocol, LocalProtocolError); anything else
    (read/write timeouts and errors, a connection closed without an answer, a proxy
    error, an unknown OSError) counts as sent.
    """
    import httpx

    unsent = (
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.UnsupportedProtocol,
        httpx.LocalProtocolError,
    )
    return not isinstance(error, unsent)


def should_retry_header(headers: Mapping[str, str]) -> bool | None:
    value = (headers.get("x-should-retry") or "").strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def server_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked to wait, or None when it asked nothing usable."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            wait = float(ms) / 1000.0
        except ValueError:
            wait = None
        if wait is not None and 0 <= wait <= MAX_SERVER_WAIT:
            return wait
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        wait = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        wait = when.timestamp() - now
        wait = max(wait, 0.0)
    if 0 <= wait <= MAX_SERVER_WAIT:
        return wait
    return None


def asked_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """What the server's retry-after-ms / Retry-After says, in seconds (no upper bound;
    an HTTP date in the past is 0), for error reports; None when absent or unreadable."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            wait = float(ms) / 1000.0
        except ValueError:
            wait = -1.0
        if math.isfinite(wait) and wait >= 0:
            return wait
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        wait = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return max(round(when.timestamp() - now, 3), 0.0)
    return wait if math.isfinite(wait) and wait >= 0 else None


def backoff(retries_done: int, rand: Callable[[], float] = random.random) -> float:
    """The SDK's exponential backoff with up to 25% jitter subtracted."""
    delay = min(INITIAL_DELAY * (2.0**retries_done), MAX_DELAY)
    return delay * (1 - 0.25 * rand())


def next_wait(
    retries_done: int,
    headers: Mapping[str, str] | None,
    now: float,
    rand: Callable[[], float] = random.random,
) -> float:
    asked = server_wait(headers, now) if headers is not None else None
    return asked if asked is not None else backoff(retries_done, rand)
