"""`lx jobs stats`: one pass over a stream of jobs, memory bounded by the number of groups.

Definitions (also in `lx jobs stats --help` and the README):

- ``by_status``: every one of the six statuses, zeros included, in lifecycle order;
  a status the client does not know is counted under its own name, after them.
- ``failure_rate``: FAILED / (COMPLETED + FAILED + CANCELLED), the share of finished
  jobs that failed; ``null`` when no job is finished. Jobs still PENDING, THROTTLED
  or RUNNING do not count, nor do unknown statuses.
- ``by_day`` / ``by_hour``: the UTC day (hour) of ``created_at``; every day (hour) of
  the window is present, zeros included. ``by_hour`` comes only with windows shorter
  than two days.
- ``by_configuration``: ``configuration_id``, or ``inline`` for a job without one.
- ``by_tier``: ``configuration.tier`` (stats asks for ``expand=configuration``);
  ``unknown`` when a job carries no configuration.
- ``by_input_type``: the job's ``document_input_type`` when present, else inferred
  from its input (``file_input`` / ``document_input_value``): ``file_id`` for a
  ``dfl-``/``file-`` ID, ``parse_job_id`` for anything else, ``unknown`` without one.
- ``pages``: sum of ``metadata.usage.num_pages_extracted``.
- ``credits``: sum of ``usage.credits``; ``null`` when no job carries a number there.
- ``duration_seconds``: ``updated_at - created_at`` of finished jobs; ``median`` and
  ``p95`` interpolate linearly between ranks (as numpy's default and
  ``statistics.quantiles(method="inclusive")`` do) over durations rounded to the
  second. Durations are kept in a histogram: exact seconds up to one hour, then
  buckets 1% wide (so ``p95`` of hours-long jobs is within 1%).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from llamaextract_cli.api.query import iso_utc
from llamaextract_cli.choices import STATUSES, TERMINAL_STATUSES
from llamaextract_cli.timeparse import parse_api_time

GROUPINGS = ("status", "day", "hour", "configuration", "tier", "input-type")
HOURLY_BELOW = timedelta(days=2)
DEFAULT_WINDOW = timedelta(days=7)
EXACT_SECONDS = 3600
_LOG_STEP = math.log(1.01)


class DurationHistogram:
    """Counts of durations: exact to the second below an hour, 1% buckets above.

    Memory: at most 3,600 exact keys plus about 1,400 buckets up to a year,
    whatever the number of jobs.
    """

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.count = 0

    @staticmethod
    def _key(seconds: float) -> int:
        s = max(0, round(seconds))
        if s < EXACT_SECONDS:
            return s
        return EXACT_SECONDS + int(math.log(s / EXACT_SECONDS) / _LOG_STEP)

    @staticmethod
    def _value(key: int) -> float:
        if key < EXACT_SECONDS:
            return float(key)
        return float(round(EXACT_SECONDS * math.exp((key - EXACT_SECONDS) * _LOG_STEP)))

    def add(self, seconds: float) -> None:
        key = self._key(seconds)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.count += 1

    def _kth(self, keys: list[int], k: int) -> float:
        """The k-th smallest value (0-based)."""
        seen = 0
        for key in keys:
            seen += self.counts[key]
            if seen > k:
                return self._value(key)
        return self._value(keys[-1])

    def quantile(self, q: float) -> float | None:
        if not self.count:
            return None
        keys = sorted(self.counts)
        pos = (self.count - 1) * q
        lo, hi = math.floor(pos), math.ceil(pos)
        a = self._kth(keys, lo)
        b = a if hi == lo else self._kth(keys, hi)
        return round(a + (b - a) * (pos - lo), 3)

    def summary(self) -> dict[str, Any]:
        return {"median": self.quantile(0.5), "p95": self.quantile(0.95), "count": self.count}


def input_type(job: Mapping[str, Any]) -> str:
    declared = job.get("document_input_type")
    if isinstance(declared, str) and declared:
        return declared
    value = job.get("file_input")
    if not isinstance(value, str) or not value:
        value = job.get("document_input_value")
    if not isinstance(value, str) or not value:
        return "unknown"
    return "file_id" if value.startswith(("dfl-", "file-")) else "parse_job_id"


def _tier(job: Mapping[str, Any]) -> str:
    config = job.get("configuration")
    tier = config.get("tier") if isinstance(config, Mapping) else None
    return tier if isinstance(tier, str) and tier else "unknown"


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _pages(job: Mapping[str, Any]) -> int | float | None:
    meta = job.get("metadata")
    usage = meta.get("usage") if isinstance(meta, Mapping) else None
    return _number(usage.get("num_pages_extracted")) if isinstance(usage, Mapping) else None


def _credits(job: Mapping[str, Any]) -> int | float | None:
    usage = job.get("usage")
    return _number(usage.get("credits")) if isinstance(usage, Mapping) else None


class Tally:
    """Counts by status of one group, with its pages and credits."""

    __slots__ = ("credits", "pages", "statuses", "total")

    def __init__(self) -> None:
        self.total = 0
        self.statuses: dict[str, int] = {}
        self.pages: int | float = 0
        self.credits: int | float | None = None

    def add(self, status: str, pages: float | None, credits: float | None) -> None:
        self.total += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if pages is not None:
            self.pages += pages
        if credits is not None:
            self.credits = credits if self.credits is None else self.credits + credits

    def by_status(self, extra: Iterable[str] = ()) -> dict[str, int]:
        """Every known status (zeros included), then the unknown ones seen anywhere."""
        out = {s: self.statuses.get(s, 0) for s in STATUSES}
        for s in extra:
            out[s] = self.statuses.get(s, 0)
        return out

    @property
    def failure_rate(self) -> float | None:
        finished = sum(self.statuses.get(s, 0) for s in TERMINAL_STATUSES)
        return self.statuses.get("FAILED", 0) / finished if finished else None


@dataclass(frozen=True)
class Window:
    """The creation-time window: `since`/`until` as filtered (None: unbounded)."""

    since: datetime | None
    until: datetime | None
    now: datetime
    default: bool = False

    @property
    def end(self) -> datetime:
        return self.until or self.now

    def hourly(self, first: datetime | None) -> bool:
        start = self.since or first
        return start is not None and self.end - start < HOURLY_BELOW


def default_window(
    since: datetime | None, until: datetime | None, has_ids: bool, now: datetime
) -> Window:
    """The last 7 days when neither a bound nor job IDs were given."""
    if since is None and until is None and not has_ids:
        return Window(now - DEFAULT_WINDOW, None, now, default=True)
    return Window(since, until, now)


class StatsAccumulator:
    """Feed jobs with `add`; `result()` gives every figure of `lx jobs stats -o json`."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.all = Tally()
        self.days: dict[date, Tally] = {}
        self.hours: dict[datetime, Tally] = {}
        self.configs: dict[str, Tally] = {}
        self.tiers: dict[str, Tally] = {}
        self.inputs: dict[str, Tally] = {}
        self.durations = DurationHistogram()
        self.unknown: dict[str, None] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None
        # hours are only ever shown for windows under two days: skip them for longer ones
        self._hours = window.since is None or window.end - window.since < HOURLY_BELOW

    def add(self, job: Mapping[str, Any]) -> None:
        status = job.get("status")
        status = status if isinstance(status, str) and status else "UNKNOWN"
        if status not in STATUSES:
            self.unknown.setdefault(status)
        pages, credits = _pages(job), _credits(job)
        self.all.add(status, pages, credits)
        raw = job.get("created_at")
        created = parse_api_time(raw) if isinstance(raw, str) else None
        if created is not None:
            created = created.astimezone(timezone.utc)
            self._time_groups(created, status, pages, credits)
        config = job.get("configuration_id")
        key = config if isinstance(config, str) and config else "inline"
        for groups, name in ((self.configs, key), (self.tiers, _tier(job))):
            _tally(groups, name).add(status, pages, credits)
        _tally(self.inputs, input_type(job)).add(status, pages, credits)
        if status in TERMINAL_STATUSES and created is not None:
            raw_end = job.get("updated_at")
            ended = parse_api_time(raw_end) if isinstance(raw_end, str) else None
            if ended is not None:
                self.durations.add((ended - created).total_seconds())

    def _time_groups(
        self, created: datetime, status: str, pages: float | None, credits: float | None
    ) -> None:
        if self.first is None or created < self.first:
            self.first = created
        if self.last is None or created > self.last:
            self.last = created
        _tally(self.days, created.date()).add(status, pages, credits)
        if self._hours:
            hour = created.replace(minute=0, second=0, microsecond=0)
            _tally(self.hours, hour).add(status, pages, credits)

    def add_all(self, jobs: Iterable[Mapping[str, Any]]) -> StatsAccumulator:
        for job in jobs:
            self.add(job)
        return self

    # ------------------------------------------------------------------ results
    def _row(self, name: str, key: str, tally: Tally, *, money: bool) -> dict[str, Any]:
        row: dict[str, Any] = {name: key, "total": tally.total}
        row.update(tally.by_status(self.unknown))
        if money:
            row["failure_rate"] = tally.failure_rate
            row["pages"] = tally.pages
            row["credits"] = tally.credits
        return row

    def _grouped(self, name: str, groups: dict[str, Tally]) -> list[dict[str, Any]]:
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1].total, kv[0]))
        return [self._row(name, key, tally, money=True) for key, tally in ordered]

    def by_day(self) -> list[dict[str, Any]]:
        start = (self.window.since or self.first or self.window.end).astimezone(timezone.utc)
        end = max(self.window.end, self.last or self.window.end).astimezone(timezone.utc)
        day, last = start.date(), end.date()
        if self.first is not None:
            day = min(day, self.first.date())
        rows = []
        while day <= last:
            rows.append(
                self._row("date", day.isoformat(), self.days.get(day, Tally()), money=False)
            )
            day += timedelta(days=1)
        return rows

    def by_hour(self) -> list[dict[str, Any]]:
        start = (self.window.since or self.first or self.window.end).astimezone(timezone.utc)
        if self.first is not None:
            start = min(start, self.first)
        end = max(self.window.end, self.last or self.window.end).astimezone(timezone.utc)
        hour = start.replace(minute=0, second=0, microsecond=0)
        rows = []
        while hour <= end:
            tally = self.hours.get(hour, Tally())
            rows.append(self._row("hour", iso_utc(hour), tally, money=False))
            hour += timedelta(hours=1)
        return rows

    def by_status_rows(self) -> list[dict[str, Any]]:
        total = self.all.total
        return [
            {"status": s, "count": n, "share": n / total if total else None}
            for s, n in self.all.by_status(self.unknown).items()
        ]

    def rows(self, by: str) -> list[dict[str, Any]]:
        """The rows of one `--by` grouping (csv/tsv/jsonl output and the table)."""
        if by == "status":
            return self.by_status_rows()
        if by == "day":
            return self.by_day()
        if by == "hour":
            return self.by_hour()
        if by == "configuration":
            return self._grouped("configuration", self.configs)
        if by == "tier":
            return self._grouped("tier", self.tiers)
        return self._grouped("input_type", self.inputs)

    def hourly(self) -> bool:
        return self.window.hourly(self.first)

    def result(self) -> dict[str, Any]:
        w = self.window
        out: dict[str, Any] = {
            "total": self.all.total,
            "by_status": self.all.by_status(self.unknown),
            "failure_rate": self.all.failure_rate,
            "pages": self.all.pages,
            "credits": self.all.credits,
            "duration_seconds": self.durations.summary(),
            "window": {
                "since": iso_utc(w.since) if w.since else None,
                "until": iso_utc(w.end),
                "default": w.default,
            },
            "by_day": self.by_day(),
        }
        if self.hourly():
            out["by_hour"] = self.by_hour()
        out["by_configuration"] = self.rows("configuration")
        out["by_tier"] = self.rows("tier")
        out["by_input_type"] = self.rows("input-type")
        return out


def _tally(groups: dict[Any, Tally], key: Any) -> Tally:
    tally = groups.get(key)
    if tally is None:
        tally = groups[key] = Tally()
    return tally
