"""Injected faults: what proxies, overloaded services and flaky networks do to a client.

All faults are off by default. Random decisions come from one RNG seeded by `fault_seed`,
one draw per request, so a run repeats exactly; `schedule` forces faults request by request
for deterministic tests (then the rate-based faults, off by default, take over).
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections import deque
from dataclasses import dataclass, field

from llamaextract_cli.sandbox.clock import Clock
from llamaextract_cli.sandbox.timeutil import http_date

RETRY_AFTER_FORMS = ("seconds", "ms", "date", "none")
SCHEDULE_ENTRIES = (
    "ok",
    "500",
    "502",
    "503",
    "error",
    "429",
    "429:seconds",
    "429:ms",
    "429:date",
    "429:none",
    "malformed",
    "truncate",
    "drop",
    "html",
    "stall",
    "no-retry",
    "repeat-token",
)
# the order in which one uniform draw is matched against the rates
_RATE_KINDS = (
    ("error_rate", "error"),
    ("no_retry_rate", "no-retry"),
    ("html_rate", "html"),
    ("malformed_rate", "malformed"),
    ("truncate_rate", "truncate"),
    ("drop_rate", "drop"),
    ("stall_rate", "stall"),
    ("repeat_token_rate", "repeat-token"),
)
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
MALFORMED_BODY = b"{items: [this is not JSON], 'next_page_token': None"
_ERROR_DETAIL = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class FaultConfig:
    """What to inject. Rates are probabilities per request (0..1, summing to at most 1)."""

    latency: float = 0.0  # seconds added to every request (real sleep)
    error_rate: float = 0.0  # 500/502/503 with a JSON body
    rate_limit: int = 0  # 429 when more than N requests arrive within one second; 0 = off
    retry_after: str = "seconds"  # how a 429 says when to retry: seconds|ms|date|none
    malformed_rate: float = 0.0  # 200 whose body is not JSON
    truncate_rate: float = 0.0  # 200 whose body is cut mid-JSON (Content-Length matches)
    drop_rate: float = 0.0  # full Content-Length, half the body, connection closed
    html_rate: float = 0.0  # 502 with an nginx HTML page
    stall_rate: float = 0.0  # answer only after `stall` seconds
    stall: float = 30.0
    no_retry_rate: float = 0.0  # 503 with x-should-retry: false
    repeat_token_rate: float = 0.0  # a list page whose next_page_token is the one sent
    schedule: list[str] = field(default_factory=list)
    fault_seed: int = 0

    def __post_init__(self) -> None:
        for name, _ in _RATE_KINDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        total = sum(getattr(self, name) for name, _ in _RATE_KINDS)
        if total > 1.0 + 1e-9:
            raise ValueError(f"the fault rates add up to {total:g}; at most 1 is possible")
        if self.latency < 0 or self.stall < 0:
            raise ValueError("latency and stall must be >= 0")
        if self.rate_limit < 0:
            raise ValueError("rate_limit must be >= 0 (0 turns it off)")
        if self.retry_after not in RETRY_AFTER_FORMS:
            raise ValueError(
                f"retry_after must be one of {', '.join(RETRY_AFTER_FORMS)}, "
                f"not {self.retry_after!r}"
            )
        self.schedule = [entry.strip().lower() for entry in self.schedule]
        bad = [entry for entry in self.schedule if entry not in SCHEDULE_ENTRIES]
        if bad:
            raise ValueError(
                f"unknown fault schedule entry {bad[0]!r} (known: {', '.join(SCHEDULE_ENTRIES)})"
            )

    @property
    def any_rate(self) -> bool:
        return any(getattr(self, name) for name, _ in _RATE_KINDS)


@dataclass(frozen=True)
class Fault:
    """One decision: `kind` is a schedule entry name without its options."""

    kind: str
    status: int = 0
    retry_after: str = "seconds"
    wait: float = 1.0


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject. Thread-safe."""

    def __init__(self, config: FaultConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._rng = random.Random(config.fault_seed)
        self._schedule = deque(config.schedule)
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()

    def decide(self) -> Fault | None:
        cfg = self.config
        with self._lock:
            if self._schedule:
                entry = self._schedule.popleft()
                if entry != "ok":
                    return self._from_entry(entry)
            if cfg.rate_limit:
                now = self.clock.now()
                while self._recent and self._recent[0] <= now - 1.0:
                    self._recent.popleft()
                if len(self._recent) >= cfg.rate_limit:
                    wait = max(self._recent[0] + 1.0 - now, 0.001)
                    return Fault("429", 429, cfg.retry_after, wait)
                self._recent.append(now)
            if not cfg.any_rate:
                return None
            u = self._rng.random()
            acc = 0.0
            for name, kind in _RATE_KINDS:
                acc += getattr(cfg, name)
                if u < acc:
                    return self._from_entry(kind)
            return None

    def _from_entry(self, entry: str) -> Fault:
        if entry in ("500", "502", "503"):
            return Fault("error", int(entry))
        if entry == "error":
            return Fault("error", self._rng.choice((500, 502, 503)))
        if entry.startswith("429"):
            _, _, form = entry.partition(":")
            return Fault("429", 429, form or self.config.retry_after, 1.0)
        return Fault(entry)

    def cut(self, body: bytes) -> bytes:
        """A body cut somewhere in its middle (never empty, never whole)."""
        if len(body) < 2:
            return b""
        with self._lock:
            at = self._rng.randint(max(1, len(body) * 3 // 10), max(1, len(body) * 7 // 10))
        return body[:at]


def short_circuit(fault: Fault, now: float) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The response of a fault that replaces the real answer, or None if it needs one."""
    json_ct = ("content-type", "application/json")
    if fault.kind == "error":
        body = json.dumps({"detail": _ERROR_DETAIL[fault.status]}).encode()
        return fault.status, [json_ct], body
    if fault.kind == "no-retry":
        body = json.dumps({"detail": "Service Unavailable: do not retry this request"}).encode()
        return 503, [json_ct, ("x-should-retry", "false")], body
    if fault.kind == "html":
        return 502, [("content-type", "text/html")], NGINX_502
    if fault.kind == "malformed":
        return 200, [json_ct], MALFORMED_BODY
    if fault.kind == "429":
        headers = [json_ct]
        seconds = max(1, math.ceil(fault.wait))
        if fault.retry_after == "seconds":
            headers.append(("retry-after", str(seconds)))
        elif fault.retry_after == "ms":
            headers.append(("retry-after-ms", str(max(1, math.ceil(fault.wait * 1000)))))
        elif fault.retry_after == "date":
            headers.append(("retry-after", http_date(math.ceil(now + fault.wait))))
        body = json.dumps({"detail": "Rate limit exceeded; retry later"}).encode()
        return 429, headers, body
    return None
