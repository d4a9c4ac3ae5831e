"""`lx jobs wait` without the terminal: the polling loop, the run, and what it means.

The display is handed in (`Display`: `output.wait_view` makes the real one), so the
domain never imports a renderer.


`wait_for` polls the jobs that are not terminal yet until none is left or the
deadline passes. Between polls it sleeps the `Schedule`'s interval: `--interval`
for the first 30 seconds, then 1.5x longer each poll up to 30 s (or up to
`--interval` when that is longer), and at least twice as long, 5 s or more,
after a poll met a 429 (even one the client's retries got past). A poll that
fails for a passing reason (network, 429, 5xx; the client has already retried
those) is skipped, up to `MAX_FAILED_POLLS` in a row. It never sleeps 0 s: no busy loop.

`CLOCK` and `SLEEP` are what the command uses; tests replace them (a fake clock
whose sleep advances it), so no test waits for real.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.errors import (
    ApiError,
    Interrupted,
    JobsFailed,
    LxError,
    NotFoundError,
    WaitTimeout,
)
from llamaextract_cli.jobs.batch import Outcome
from llamaextract_cli.timeparse import humanize_duration

if TYPE_CHECKING:
    from llamaextract_cli.api.query import JobFilter
    from llamaextract_cli.jobs.session import Session

Clock = Callable[[], float]
Sleep = Callable[[float], None]
Fetch = Callable[[Sequence[str]], list[Outcome[dict[str, Any]]]]

CLOCK: Clock = time.monotonic
SLEEP: Sleep = time.sleep

GROW_AFTER = 30.0  # seconds of waiting before the interval starts to grow
FACTOR = 1.5
CAP = 30.0
THROTTLED_MIN = 5.0
MAX_FAILED_POLLS = 5


@dataclass
class Schedule:
    """How long to sleep before the next poll."""

    base: float
    factor: float = FACTOR
    cap: float = CAP
    grow_after: float = GROW_AFTER
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.base

    def next(self, elapsed: float, *, throttled: bool = False) -> float:
        ceiling = max(self.cap, self.base)
        if throttled:
            self.current = min(max(self.current * 2, THROTTLED_MIN), max(ceiling, 60.0))
        elif elapsed >= self.grow_after:
            self.current = min(self.current * self.factor, max(ceiling, self.current))
        return self.current


@dataclass
class Tracked:
    """One job being waited on: its last answer and when its status last changed."""

    id: str
    job: dict[str, Any] | None = None
    changed_at: float = 0.0  # seconds since the wait started
    missing: bool = False  # the API answered 404

    @property
    def status(self) -> str | None:
        status = self.job.get("status") if self.job else None
        return status if isinstance(status, str) else None

    @property
    def done(self) -> bool:
        return self.missing or self.status in TERMINAL_STATUSES


@dataclass
class WaitResult:
    jobs: list[Tracked]
    elapsed: float
    timed_out: bool = False
    stopped_early: bool = False  # --fail-fast: a job failed, the others were not awaited

    @property
    def missing(self) -> list[Tracked]:
        return [t for t in self.jobs if t.missing]

    @property
    def unfinished(self) -> list[Tracked]:
        return [t for t in self.jobs if not t.done]

    @property
    def failed(self) -> list[Tracked]:
        return [t for t in self.jobs if t.status in ("FAILED", "CANCELLED")]

    @property
    def all_completed(self) -> bool:
        return all(t.status == "COMPLETED" for t in self.jobs)


@dataclass
class Hooks:
    """What the display hears about: a status change, a finished poll, a failed poll."""

    on_change: Callable[[Tracked, float], None] = lambda t, elapsed: None
    on_poll: Callable[[list[Tracked], float], None] = lambda jobs, elapsed: None
    on_retry: Callable[[LxError, float], None] = lambda error, wait: None


def transient(error: LxError) -> bool:
    """A failure worth another poll: network, malformed answer, 408/409/429, 5xx."""
    if not isinstance(error, ApiError):
        return False
    code = error.status_code
    return code is None or code in (408, 409, 429) or code >= 500


def wait_for(
    ids: Sequence[str],
    fetch: Fetch,
    *,
    interval: float,
    timeout: float | None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    hooks: Hooks | None = None,
    throttled: Callable[[], bool] = lambda: False,
    fail_fast: bool = False,
) -> WaitResult:
    """Poll until every job is terminal, a job is unknown (first poll), or time runs out.

    `throttled()` tells whether the last poll met a 429, even one the client retried.
    With `fail_fast`, a poll that finds a job FAILED or CANCELLED ends the wait.
    """
    clock = clock or CLOCK
    sleep = sleep or SLEEP
    hooks = hooks or Hooks()
    jobs = [Tracked(i) for i in ids]
    schedule = Schedule(max(interval, 0.01))
    start = clock()
    failed_polls = 0
    first = True
    while True:
        elapsed = clock() - start
        errors = _poll([t for t in jobs if not t.done], fetch, elapsed, hooks)
        hooks.on_poll(jobs, elapsed)
        if first and any(t.missing for t in jobs):
            return WaitResult(jobs, elapsed)
        first = False
        failed_polls = failed_polls + 1 if errors else 0
        if failed_polls > MAX_FAILED_POLLS:
            raise errors[-1]
        if all(t.done for t in jobs):
            return WaitResult(jobs, clock() - start)
        if fail_fast and any(t.status in ("FAILED", "CANCELLED") for t in jobs):
            return WaitResult(jobs, clock() - start, stopped_early=True)
        elapsed = clock() - start
        if timeout is not None and elapsed >= timeout:
            return WaitResult(jobs, elapsed, timed_out=True)
        slowed = throttled() or any(getattr(e, "status_code", None) == 429 for e in errors)
        pause = schedule.next(elapsed, throttled=slowed)
        if errors:
            hooks.on_retry(errors[-1], pause)
        if timeout is not None:
            pause = min(pause, timeout - elapsed)
        sleep(pause)


def _poll(pending: list[Tracked], fetch: Fetch, elapsed: float, hooks: Hooks) -> list[LxError]:
    """Fetch the pending jobs; update them; return the passing errors met."""
    errors: list[LxError] = []
    by_id = {t.id: t for t in pending}
    for outcome in fetch([t.id for t in pending]):
        tracked = by_id[outcome.id]
        if outcome.not_found:
            tracked.missing = True
            hooks.on_change(tracked, elapsed)
        elif outcome.error is not None:
            if not transient(outcome.error):
                raise outcome.error
            errors.append(outcome.error)
        else:
            _update(tracked, outcome.value or {}, elapsed, hooks)
    return errors


def _update(tracked: Tracked, job: dict[str, Any], elapsed: float, hooks: Hooks) -> None:
    before = tracked.status
    seen = tracked.job is not None
    tracked.job = job
    if not seen or tracked.status != before:
        tracked.changed_at = elapsed
        hooks.on_change(tracked, elapsed)


# --- what a finished wait means ----------------------------------------------------

MAX_NAMED = 5


def never_seen(result: WaitResult) -> list[Tracked]:
    """The IDs unknown at the first poll: a typo, the wrong project (exit 4 at once)."""
    return [t for t in result.missing if t.job is None]


def _named(jobs: Sequence[Tracked], describe: Callable[[Tracked], str]) -> str:
    shown = ", ".join(describe(t) for t in jobs[:MAX_NAMED])
    more = len(jobs) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def raise_outcome(result: WaitResult, timeout: float | None) -> None:
    """Return when every job COMPLETED; else raise the error that names what did not."""
    total = len(result.jobs)
    if result.failed:
        bad = result.failed

        def why(t: Tracked) -> str:
            error = (t.job or {}).get("error_message")
            return f"{t.id} {t.status}" + (f" ({error})" if t.status == "FAILED" and error else "")

        if total == 1:
            raise JobsFailed(f"job {why(bad[0])}")
        if result.stopped_early:
            left = len(result.unfinished)
            others = f"{left} other job" + ("" if left == 1 else "s")
            raise JobsFailed(f"{_named(bad, why)}; stopped waiting for the {others} (--fail-fast)")
        raise JobsFailed(f"{len(bad)} of {total} jobs did not complete: {_named(bad, why)}")
    if result.timed_out:
        spent = humanize_duration(timeout if timeout is not None else result.elapsed)
        running = _named(result.unfinished, lambda t: f"{t.id} ({t.status or '?'})")
        raise WaitTimeout(f"timed out after {spent}; still running: {running}")
    if result.missing:
        gone = _named(result.missing, lambda t: t.id)
        raise NotFoundError(f"not found while waiting (deleted?): {gone}")


# --- one run -------------------------------------------------------------------------


class Display(Protocol):
    """The progress of a wait: entered before the first poll, left after the last."""

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> Any: ...

    def hooks(self) -> Hooks: ...


def wait_jobs(
    state: Session,
    ids: Sequence[str],
    params: Sequence[tuple[str, str]],
    *,
    interval: float,
    timeout: float | None,
    display: Display,
    fail_fast: bool = False,
) -> WaitResult:
    """Poll until every job is terminal, one is unknown or `timeout` runs out.

    The jobs are fetched with `lookup.fetch_jobs`; a 429 the client met (even one it
    retried past) slows the next poll; Ctrl-C stops waiting, never the jobs.
    """
    from llamaextract_cli.jobs.lookup import fetch_jobs

    try:
        # Not `with display:`: a Ctrl-C that lands inside __enter__, once the live view
        # has hidden the cursor, would skip __exit__ and leave the terminal without one.
        try:
            display.__enter__()
            return wait_for(
                ids,
                lambda batch: fetch_jobs(state, batch, params),
                interval=interval,
                timeout=timeout,
                hooks=display.hooks(),
                throttled=throttle_watch(state),
                fail_fast=fail_fast,
            )
        finally:
            display.__exit__(None, None, None)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted; stopped waiting, the jobs keep running",
            hint="`jobs cancel JOB_ID` stops a job",
        ) from None


def throttle_watch(state: Session) -> Callable[[], bool]:
    """A function telling whether the client met a 429 since it was last called."""
    client = state.client()
    seen = [getattr(client, "throttled", 0)]

    def throttled() -> bool:
        count = getattr(client, "throttled", 0)
        hit, seen[0] = count > seen[0], count
        return bool(hit)

    return throttled


# --- waiting on a selector ---------------------------------------------------------


def selected_ids(
    state: Session, filters: JobFilter, *, limit: int, page_size: int = 100
) -> list[str]:
    """The IDs of every job `filters` match now (newest first), at most `limit` + 1:
    one more than `limit` tells the caller the plan is too big."""
    from llamaextract_cli.api.pager import iter_jobs

    ids: list[str] = []
    for job in iter_jobs(state.client(), filters, limit=limit + 1, page_size=page_size):
        job_id = job.get("id")
        if isinstance(job_id, str) and job_id not in ids:
            ids.append(job_id)
    return ids
