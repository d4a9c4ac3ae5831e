"""The pace of job creation: at most `rate` creates a second, slower after a 429.

The service throttles creation at about 15 a second; `lx` starts well under it
(`DEFAULT_RATE`). Each create may start `1 / rate` seconds after the previous one
started, so a slow answer is not followed by a burst. After a create met a 429
(the client waited what the server asked and tried again), the interval doubles,
up to `MAX_INTERVAL`, for the rest of the run.

The clock and the sleep are handed in: tests pass a fake clock whose sleep advances
it (or replace `CLOCK` and `SLEEP`), so no test waits for real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RATE = 5.0  # creates a second
MAX_RATE = 15.0  # the service's creation throttle, as users report it
MAX_INTERVAL = 10.0  # the slowest the pace gets after 429s

# What the commands use; tests replace them with a fake clock.
CLOCK: Callable[[], float] = time.monotonic
SLEEP: Callable[[float], None] = time.sleep


@dataclass
class Pacer:
    rate: float
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    interval: float = field(init=False)
    slowed: int = field(default=0, init=False)  # how many times a 429 slowed the pace
    _next: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.rate <= MAX_RATE:
            raise ValueError(f"rate must be above 0 and at most {MAX_RATE:g}")
        self.interval = 1.0 / self.rate

    def start(self) -> float:
        """Sleep until the next create may start; the time it starts."""
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = max(self.clock(), self._next)
        self._next = now + self.interval
        return now

    def throttled(self) -> None:
        """The create that just ended met a 429: go half as fast from now on."""
        self.slowed += 1
        self.interval = min(self.interval * 2, MAX_INTERVAL)
        if self._next is not None:
            self._next = max(self._next, self.clock() + self.interval)

    @property
    def current_rate(self) -> float:
        return 1.0 / self.interval
