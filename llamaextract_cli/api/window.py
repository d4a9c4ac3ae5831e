"""Whole-window reads in concurrent time slices: `iter_window`, the one entry point.

Cursor paging cannot be parallelised, but the `created_at` window can: it is cut into
slices, each paged with its own cursor by one of `concurrency` worker threads sharing
one client (one keep-alive connection each). The result is the sequential listing's,
job for job and in its order:

- Seams. Slice k keeps the jobs created in [lo_k, hi_k) and asks the API for
  [lo_k, hi_k] (both API bounds are inclusive); the jobs at exactly hi_k belong to the
  slice above and are dropped here. Whatever the server's time precision (ms, us, ns),
  every job lands in exactly one slice, decided on its own `created_at`, and every job
  of one instant in the same slice, so ties keep the server's order.
- Adaptive splitting. The window starts as `concurrency` equal slices. While a worker
  is idle, a slice with more than a page and a half left splits what it has not
  fetched yet, [lo, time of its last job], into pieces of about equal job counts (the
  density of its last page, and `total_size` when the server sends one, are the
  estimate; a wrong estimate only costs balance, never a job): it keeps the newest
  piece, goes on with its cursor and stops at the piece's lower end, and hands the
  others to idle workers. A window whose jobs all sit in one hour thus still spreads.
- Order (`ordered=True`). The slice being written out (the newest not yet written)
  streams through memory, at most two pages ahead; the slices not yet due are spooled
  to anonymous temporary files (`api/spool.py`: no name on disk, freed when done, on
  an error or Ctrl-C, and not left behind even by a kill). Aggregations pass
  `ordered=False` and get the jobs in arrival order with no spooling.
- Politeness. No more than `concurrency` requests are in flight; a 429 halves that
  (it rises again by one every few answers) and is retried by the usual rules
  (`api/retry.py`, unchanged). `--debug` logs the slices, each request line prefixed
  with its slice.
- Faults. The first failure of any slice stops every worker and is raised to the
  caller, who has received whole jobs only, in order: a prefix of the listing.

Several statuses (one per request) are one set of slices per status, merged
newest-first as `pager.iter_jobs` merges them.

For the commands that read a whole window (`jobs list --all`, `stats`, `errors`, and
`export`, `review`, `rerun` with filters): call `iter_window` where `iter_jobs` was
called without a limit. It falls back to `iter_jobs` itself whenever slicing does not
apply (concurrency 1, no lower bound `since`, `--id` filters, a page token), so there
is nothing to decide at the call site::

    from llamaextract_cli.api.window import iter_window

    jobs = iter_window(state.client(), filters, concurrency=state.concurrency(),
                       page_size=state.page_size(flag), ordered=False)  # True for output
    try:
        for job in jobs: ...
    finally:
        jobs.close()
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, cast

from llamaextract_cli import choices
from llamaextract_cli.api.pager import Listing, _created_key, _pages, iter_jobs
from llamaextract_cli.api.query import iso_utc
from llamaextract_cli.api.spool import Spool
from llamaextract_cli.api.throttle import AdaptiveLimit
from llamaextract_cli.timeparse import parse_api_time

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.api.query import JobFilter

DEFAULT_CONCURRENCY = choices.DEFAULT_CONCURRENCY
MAX_CONCURRENCY = choices.CONCURRENCY_RANGE[1]
MIN_SPLIT_US = 2_000  # a remaining range narrower than 2 ms is not split
MEMORY_PAGES = 2  # pages of the due slice held in memory before spilling to disk
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def to_us(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - _EPOCH) // _US


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def job_us(job: dict[str, Any]) -> int | None:
    raw = job.get("created_at")
    when = parse_api_time(raw) if isinstance(raw, str) else None
    return None if when is None else to_us(when)


def sliceable(filters: JobFilter, concurrency: int) -> bool:
    """Whether `iter_window` splits this read (else it is `iter_jobs`, one cursor)."""
    return concurrency > 1 and filters.since is not None and not filters.job_ids


def iter_window(
    client: ApiClient,
    filters: JobFilter,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    page_size: int = 100,
    ordered: bool = True,
    info: Listing | None = None,
    token: str | None = None,
    now: datetime | None = None,
    tmpdir: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Every job of the window `filters` selects, each once; see the module's docstring.

    `ordered=True`: newest first, exactly as `iter_jobs` yields them (ties at one
    instant included). `ordered=False`: the same jobs in no particular order (for
    aggregations: less memory, no spooling). `info.pages` counts the requests
    answered. `now` is the window's upper end when `filters.until` is None (the top
    slice itself stays open, as the sequential listing is). Close the iterator (or
    exhaust it) to stop the workers.
    """
    info = info if info is not None else Listing()
    if token or not sliceable(filters, concurrency):
        yield from iter_jobs(client, filters, page_size=page_size, token=token, info=info)
        return
    since = cast(datetime, filters.since)
    top = filters.until or now or datetime.now(timezone.utc)
    lo, hi = to_us(since), to_us(top)
    if hi - lo < MIN_SPLIT_US:
        yield from iter_jobs(client, filters, page_size=page_size, info=info)
        return
    run = _Run(client, filters, concurrency, page_size, ordered, info, tmpdir)
    yield from run.jobs(lo, hi)


@dataclass(eq=False)
class _Slice:
    number: int
    status: str | None
    lo: int  # keeps created_at >= lo (us)
    hi: int | None  # keeps created_at < hi; None: the window's top, no cut
    query_lo: datetime  # created_at_on_or_after (the window's since for the lowest)
    query_hi: datetime | None  # created_at_on_or_before (the window's until for the top)
    spool: Spool | None
    expected: float | None = None  # jobs the slice is thought to hold (an estimate)
    kept: int = 0
    pages: int = 0


@dataclass
class _Status:
    """The slices of one status (or of no status filter), newest first."""

    status: str | None
    order: list[_Slice] = field(default_factory=list)


class _Stopped(Exception):
    """A worker found the run stopped while waiting for a request slot."""


class _Gated:
    """`list_page` through the shared limit, reporting 429s to it."""

    def __init__(self, client: ApiClient, limit: AdaptiveLimit, stop: threading.Event) -> None:
        self.client = client
        self.limit = limit
        self.stop = stop

    def list_page(self, params: Any) -> dict[str, Any]:
        if not self.limit.acquire(self.stop):
            raise _Stopped
        try:
            return self.client.list_page(params, on_throttle=self.limit.throttled)
        finally:
            self.limit.release()


class _Run:
    def __init__(
        self,
        client: ApiClient,
        filters: JobFilter,
        concurrency: int,
        page_size: int,
        ordered: bool,
        info: Listing,
        tmpdir: str | None,
    ) -> None:
        self.client = client
        self.filters = filters
        self.concurrency = concurrency
        self.page_size = page_size
        self.ordered = ordered
        self.info = info
        self.tmpdir = tmpdir
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.limit = AdaptiveLimit(concurrency, log=client.log)
        self.tasks: deque[_Slice] = deque()
        self.waiting = 0  # workers waiting for a task
        self.running = 0  # slices being fetched
        self.error: BaseException | None = None
        self.numbers = 0
        self.statuses = [_Status(s) for s in (filters.statuses or (None,))]
        self.out: deque[list[dict[str, Any]]] = deque()  # unordered: pages to hand out
        self.out_jobs = 0
        self.spilled = 0
        self.workers: list[threading.Thread] = []

    # -- the plan ----------------------------------------------------------------------

    def _new(self, status: str | None, lo: int, hi: int | None, qlo: datetime, qhi: Any) -> _Slice:
        self.numbers += 1
        spool = Spool(self.tmpdir) if self.ordered else None
        return _Slice(self.numbers, status, lo, hi, qlo, qhi, spool)

    def _plan(self, lo: int, hi: int) -> None:
        n = max(1, min(self.concurrency, (hi - lo) // MIN_SPLIT_US))
        step = (hi - lo) / n
        # whole milliseconds: any server reads them exactly, whatever its precision
        cuts = sorted({lo + math.floor(step * i / 1000) * 1000 for i in range(1, n)} - {lo})
        edges = [lo, *cuts]  # lower ends, oldest first
        since, until = self.filters.since, self.filters.until
        assert since is not None
        for group in self.statuses:
            slices = []
            for i in range(len(edges) - 1, -1, -1):  # newest first
                top = i == len(edges) - 1
                s_hi = None if top else edges[i + 1]
                qlo = since if i == 0 else from_us(edges[i])
                qhi = until if top else from_us(edges[i + 1])
                slices.append(self._new(group.status, edges[i], s_hi, qlo, qhi))
            group.order = slices
        # newest first, statuses interleaved: the slices due first start first
        for i in range(len(edges)):
            for group in self.statuses:
                self.tasks.append(group.order[i])
        self.client.log(
            f"slices: {_ms(lo)} .. {_ms(hi)} in {len(edges)} "
            f"slices{self._per_status()}, up to {self.concurrency} requests at once"
        )

    def _per_status(self) -> str:
        if len(self.statuses) < 2:
            return ""
        return f" for each of {', '.join(str(g.status) for g in self.statuses)}"

    # -- the consumer ------------------------------------------------------------------

    def jobs(self, lo: int, hi: int) -> Iterator[dict[str, Any]]:
        self._plan(lo, hi)
        _fewer_malloc_arenas()
        for n in range(self.concurrency):
            worker = threading.Thread(target=self._work, name=f"lx-slices-{n}", daemon=True)
            self.workers.append(worker)
        for worker in self.workers:
            worker.start()
        finished = False
        try:
            if not self.ordered:
                yield from self._unordered()
            elif len(self.statuses) == 1:
                yield from self._ordered(self.statuses[0])
            else:
                streams = [self._ordered(g) for g in self.statuses]
                try:
                    yield from heapq.merge(*streams, key=_created_key, reverse=True)
                finally:
                    for stream in streams:
                        stream.close()
            finished = True
        finally:
            self._shut(finished)

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def _ordered(self, group: _Status) -> Iterator[dict[str, Any]]:
        index = 0
        while True:
            with self.cond:
                self._raise_if_failed()
                if index >= len(group.order):
                    return
                current = group.order[index]
                spool = cast(Spool, current.spool)
                spool.due = True
                spool.budget = MEMORY_PAGES * self.page_size
            while True:
                with self.cond:
                    while not spool.ready() and self.error is None:
                        self.cond.wait(0.25)
                    self._raise_if_failed()
                    got, exhausted = spool.take()
                if exhausted:
                    break
                if isinstance(got, bytes):
                    yield from spool.decode(got)
                elif got:
                    yield from got
            with self.cond:
                spool.close()
            index += 1

    def _unordered(self) -> Iterator[dict[str, Any]]:
        while True:
            with self.cond:
                while not self.out and self.error is None and not self._all_done():
                    self.cond.wait(0.25)
                self._raise_if_failed()
                if not self.out:
                    return
                items = self.out.popleft()
                self.out_jobs -= len(items)
                self.cond.notify_all()
            yield from items

    def _all_done(self) -> bool:
        return not self.tasks and self.running == 0

    def _shut(self, finished: bool) -> None:
        with self.cond:
            self.stop.set()
            self.cond.notify_all()
            for group in self.statuses:
                for s in group.order:
                    if s.spool is not None:
                        s.spool.close()
        if finished:
            for worker in self.workers:
                worker.join(5)
            pages = sum(s.pages for g in self.statuses for s in g.order)
            self.client.log(
                f"slices: {self.numbers} slices, {pages} pages, peak {self.limit.peak} "
                f"requests in flight, {self.spilled} jobs spooled to disk"
            )
        else:  # an error or an interrupt: wait half a second at most, for all of them
            deadline = time.monotonic() + 0.5
            for worker in self.workers:
                worker.join(max(0.0, deadline - time.monotonic()))

    # -- the workers -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self.cond:
                self.waiting += 1
                while not self.tasks and not self.stop.is_set() and self.running > 0:
                    self.cond.wait(0.25)
                self.waiting -= 1
                if self.stop.is_set() or not self.tasks:
                    self.cond.notify_all()
                    return
                current = self.tasks.popleft()
                self.running += 1
            try:
                self._fetch(current)
            except _Stopped:
                pass
            except BaseException as e:  # handed to the consumer, raised there
                with self.cond:
                    if self.error is None:
                        self.error = e
                    self.stop.set()
            finally:
                with self.cond:
                    self.running -= 1
                    self.cond.notify_all()

    def _params(self, s: _Slice) -> list[tuple[str, str]]:
        window = replace(self.filters, since=s.query_lo, until=s.query_hi)
        return window.params(status=s.status)

    def _fetch(self, s: _Slice) -> None:
        self.client.log_as(f"[slice {s.number}] ")
        self.client.log(f"start {self._range(s)}")
        listing = Listing()
        gated = cast("ApiClient", _Gated(self.client, self.limit, self.stop))
        previous: int | None = None
        size = lambda: self.page_size  # noqa: E731
        for page in _pages(gated, self._params(s), None, size, listing, self.stop):
            items = page["items"]
            s.pages += 1
            with self.cond:
                self.info.pages += 1
            if s.pages == 1 and listing.total_size is not None:
                s.expected = float(listing.total_size)
            kept, first, last = self._keep(s, items)
            s.kept += len(kept)
            self._emit(s, kept)
            if page["next"] is None or last is None:
                break
            if last < s.lo:  # the rest is the slices' below
                break
            self._maybe_split(s, len(items), previous if previous is not None else first, last)
            previous = last
        if self.stop.is_set():
            return
        with self.cond:
            if s.spool is not None:
                s.spool.finished = True
                self.spilled += s.spool.spilled
            self.cond.notify_all()
        pages = "1 page" if s.pages == 1 else f"{s.pages} pages"
        self.client.log(f"done: {s.kept} jobs in {pages}")
        self.client.log_as("")

    def _keep(
        self, s: _Slice, items: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], int | None, int | None]:
        """The page's jobs inside the slice, and the times of its first and last job."""
        if not items:
            return [], None, None
        first, last = job_us(items[0]), job_us(items[-1])
        whole = (
            first is not None
            and last is not None
            and last >= s.lo
            and (s.hi is None or first < s.hi)
        )
        if whole:
            return items, first, last
        kept = []
        for job in items:
            t = job_us(job)
            if t is None or (t >= s.lo and (s.hi is None or t < s.hi)):
                kept.append(job)
        return kept, first, last

    def _emit(self, s: _Slice, kept: list[dict[str, Any]]) -> None:
        if not kept:
            return
        if s.spool is None:  # unordered: a bounded hand-over queue
            bound = self.page_size
            with self.cond:
                while self.out_jobs >= bound and not self.stop.is_set():
                    self.cond.wait(0.25)
                self.out.append(kept)
                self.out_jobs += len(kept)
                self.cond.notify_all()
            return
        spool = s.spool
        with self.cond:
            if spool.to_memory(len(kept)):
                spool.put_memory(kept)
                self.cond.notify_all()
                return
        blob = Spool.encode(kept)
        with self.cond:
            if not self.stop.is_set():
                spool.write_file(blob, len(kept))
                self.cond.notify_all()

    def _maybe_split(self, s: _Slice, count: int, newer: int | None, last: int) -> None:
        with self.cond:
            idle = self.waiting - len(self.tasks)
        room = last - s.lo
        if idle <= 0 or room < MIN_SPLIT_US:
            return
        span = max((newer if newer is not None else last) - last, 1_000)
        density = max(count, 1) / span  # jobs per microsecond, near the cursor
        remaining = None if s.expected is None else s.expected - s.kept
        if remaining is not None:
            if remaining <= 1.5 * self.page_size:
                return
            pieces = min(idle + 1, int(remaining // self.page_size))
            # Between two guesses: the density near the cursor holds all the way down
            # (right for a burst, far too short for the jobs just before it), or the rest
            # is spread evenly over the whole range (right for a steady flow).
            extent = math.sqrt(min(float(room), remaining / density) * room)
        else:
            pieces = idle + 1
            extent = float(room)
        if pieces < 2:
            return
        step = extent / pieces
        points: list[int] = []
        for i in range(1, pieces):
            p = math.floor((last - step * i) / 1000) * 1000
            if p <= s.lo or (points and p >= points[-1]):
                continue
            points.append(p)
        if not points:
            return
        share = None if remaining is None else remaining / (len(points) + 1)
        with self.cond:
            group = next(g for g in self.statuses if g.status == s.status)
            at = group.order.index(s) + 1 if self.ordered else 0
            lowers = [*points[1:], s.lo]
            made = []
            for upper, lower in zip(points, lowers, strict=True):
                qlo = s.query_lo if lower == s.lo else from_us(lower)
                new = self._new(s.status, lower, upper, qlo, from_us(upper))
                new.expected = share
                made.append(new)
            s.lo = points[0]
            s.expected = None if share is None else s.kept + share
            if self.ordered:
                group.order[at:at] = made
            self.tasks.extend(made)
            self.cond.notify_all()
        self.client.log(
            f"split: keeps {self._range(s)}; "
            + ", ".join(f"slice {n.number} {self._range(n)}" for n in made)
        )

    @staticmethod
    def _range(s: _Slice) -> str:
        hi = "top" if s.hi is None else _ms(s.hi)
        what = f" {s.status}" if s.status else ""
        return f"[{_ms(s.lo)} .. {hi}){what}"


def _fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at 2 (as MALLOC_ARENA_MAX=2 would) before the workers start.

    Each thread that allocates would get an arena of its own, which keeps the memory of
    the pages it decoded; with 8 workers that is several MiB of peak RSS for nothing.
    Elsewhere (musl, macOS, Windows) there is no such call and nothing to do.
    """
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _ms(us: int) -> str:
    """A slice's end for --debug: ISO 8601 to the millisecond (split points are whole ms)."""
    text = iso_utc(from_us(us - us % 1000))
    return text if "." not in text else text[:-4] + "Z"
