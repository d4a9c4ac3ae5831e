"""How many requests may be in flight at once: at most the maximum, less after a 429.

Additive increase, multiplicative decrease (the way TCP shares a link): a 429 halves
the limit (at most once per `cooldown` seconds, so one burst of 429s answered to the
requests already in flight cuts it once), and every `limit x RISE` requests answered
without one raise it by one, up to the maximum. The retry rules of each request are
not touched: a request that meets a 429 waits as `retry.next_wait` says, holding its
slot, so the number in flight never exceeds the limit of the moment nor the maximum.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

RISE = 4  # requests answered per step up, per unit of the current limit
COOLDOWN = 1.0  # seconds: 429s within this time of a cut do not cut again


class AdaptiveLimit:
    def __init__(
        self,
        maximum: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
        cooldown: float = COOLDOWN,
    ) -> None:
        if maximum < 1:
            raise ValueError("the maximum must be at least 1")
        self.maximum = maximum
        self.limit = maximum
        self.in_flight = 0
        self.peak = 0  # the most requests in flight at once
        self.cuts = 0  # how many times a 429 lowered the limit
        self._clock = clock
        self._log = log
        self._cooldown = cooldown
        self._last_cut: float | None = None
        self._answered = 0
        self._cond = threading.Condition()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a slot; False when `stop` was set meanwhile (no slot taken)."""
        with self._cond:
            while self.in_flight >= self.limit:
                if stop is not None and stop.is_set():
                    return False
                self._cond.wait(0.1)
            if stop is not None and stop.is_set():
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def release(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._answered += 1
            if self.limit < self.maximum and self._answered >= self.limit * RISE:
                self._answered = 0
                self.limit += 1
                self._say(f"concurrency {self.limit - 1} -> {self.limit} (no 429 lately)")
            self._cond.notify_all()

    def throttled(self) -> None:
        """A 429 was answered: halve the limit, unless it was just cut."""
        with self._cond:
            now = self._clock()
            self._answered = 0
            if self._last_cut is not None and now - self._last_cut < self._cooldown:
                return
            self._last_cut = now
            before = self.limit
            self.limit = max(1, self.limit // 2)
            if self.limit != before:
                self.cuts += 1
                self._say(f"429: concurrency {before} -> {self.limit}")

    def _say(self, text: str) -> None:
        if self._log is not None:
            self._log(text)
