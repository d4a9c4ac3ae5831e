"""Concurrent time slices (api/window.py): the same jobs, in the same order, as one cursor.

Every check compares a sliced run with `--concurrency 1` (today's sequential listing)
of the same data: the sandbox in its usual shape, squeezed into two hours (skew), and a
small API of its own here whose jobs pile up on the slices' seams at the millisecond,
microsecond or nanosecond, to test both inclusive bounds.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from lxtest import TEST_KEY, Runner, wire

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.api.spool import Spool
from llamaextract_cli.api.throttle import RISE, AdaptiveLimit
from llamaextract_cli.api.window import iter_window
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.transport import SandboxTransport

NOW = "2026-01-01T00:00:00Z"
WINDOW = ("--since", "2025-12-01T00:00:00Z", "--until", NOW)
URL = "sandbox://?jobs=1500&seed=3"


def make_app(**kw: Any) -> SandboxApp:
    return SandboxApp(**{"jobs": 1500, "seed": 3, "now": NOW, "live": 0, **kw})


def run_on(lx: Runner, app: SandboxApp, *args: str) -> Any:
    """`lx ARGS` on `app` in-process; with --debug, the client logs to the run's stderr."""

    def setup(state: Any) -> None:
        def log(line: str) -> None:
            state.env.stderr.write(line + "\n")

        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key=TEST_KEY,
            transport=SandboxTransport(app),
            sleep=lambda s: None,
            log=log if "--debug" in args else None,
        )

    return lx("--base-url", URL, *args, state_setup=setup)


def sliced_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lx-slices-")]


@pytest.fixture(autouse=True)
def no_worker_left() -> Iterator[None]:
    yield
    for t in sliced_threads():
        t.join(5)
    assert not sliced_threads(), "a slice worker outlived its listing"


# --- the same output ------------------------------------------------------------------


@pytest.mark.parametrize("span", [None, 2 * 3600 * 1000], ids=["spread", "skewed"])
@pytest.mark.parametrize("page_size", ["100", "7"])
def test_list_all_is_byte_identical_at_every_concurrency(
    lx: Runner, span: int | None, page_size: str
) -> None:
    app = make_app(span_ms=span)
    args = ("jobs", "list", "--all", *WINDOW, "--page-size", page_size, "-o", "jsonl")
    sequential = run_on(lx, app, "--concurrency", "1", *args)
    assert sequential.code == 0 and sequential.stdout.count("\n") == 1500
    for concurrency in ("2", "4", "8", "32"):
        r = run_on(lx, app, "--concurrency", concurrency, *args)
        assert (r.code, r.stderr) == (0, "")
        assert r.stdout == sequential.stdout, f"--concurrency {concurrency} differs"


def test_several_statuses_combine_with_slices(lx: Runner) -> None:
    app = make_app(span_ms=6 * 3600 * 1000)
    args = ("jobs", "list", "--all", *WINDOW, "-s", "failed", "-s", "completed", "-o", "csv")
    want = run_on(lx, app, "--concurrency", "1", *args)
    got = run_on(lx, app, "--concurrency", "6", *args)
    assert want.code == got.code == 0
    assert got.stdout == want.stdout and want.stdout.count("\n") > 1000


@pytest.mark.parametrize("command", ["stats", "errors"])
@pytest.mark.parametrize("span", [None, 3600 * 1000])
def test_aggregations_are_equal(lx: Runner, command: str, span: int | None) -> None:
    app = make_app(span_ms=span)
    args = ("jobs", command, *WINDOW, "--page-size", "20", "-o", "json")
    want = run_on(lx, app, "--concurrency", "1", *args)
    got = run_on(lx, app, "--concurrency", "8", *args)
    assert want.code == got.code == 0
    assert json.loads(got.stdout) == json.loads(want.stdout)


def test_skew_is_split_adaptively_and_shown_by_debug(lx: Runner) -> None:
    """Every job in the last two hours of 31 days: the busy slice hands out pieces."""
    app = make_app(span_ms=2 * 3600 * 1000)
    r = run_on(lx, app, "--debug", "--concurrency", "4", "jobs", "list", "--all", *WINDOW)
    assert r.code == 0
    lines = r.stderr.splitlines()
    assert lines[0].startswith("slices: 2025-12-01T00:00:00Z .. 2026-01-01T00:00:00Z in 4")
    splits = [line for line in lines if " split: keeps " in line]
    assert splits, "the busy slice never split"
    done = [line for line in lines if "] done: " in line]
    busy = [line for line in done if not line.endswith("done: 0 jobs in 1 page")]
    assert len(busy) >= 2, "the jobs were not spread over the slices"
    assert sum(int(line.split("done: ")[1].split()[0]) for line in done) == 1500
    assert any(line.startswith("[slice ") and "> GET " in line for line in lines)
    assert lines[-1].startswith("slices: ") and "requests in flight" in lines[-1]


# --- what does not slice --------------------------------------------------------------


def test_limit_first_page_and_open_windows_are_one_cursor(lx: Runner) -> None:
    app = make_app()
    for args in (
        ("jobs", "list", *WINDOW),  # --limit 30: the first page, as before
        ("jobs", "list", "-L", "250", "--since", "2025-12-01"),
        ("jobs", "list", "--all"),  # no lower bound: nothing to split
        ("--concurrency", "1", "jobs", "list", "--all", *WINDOW),
    ):
        setup, rec = wire(app)
        assert rec is not None
        r = lx("--base-url", URL, "--concurrency", "8", *args, state_setup=setup)
        assert r.code == 0, r.stderr
        bounds = {
            tuple(v for k, v in req.url.params.multi_items() if k.startswith("created_at"))
            for req in rec.requests
        }
        assert len(bounds) == 1, f"{args}: more than one query"
        tokens = [req.url.params.get("page_token") for req in rec.requests]
        assert tokens[0] is None and all(tokens[1:])
        if args[-1] == NOW and len(args) == 6:  # the default --limit: one request of 30
            assert len(rec.requests) == 1 and ("page_size", "30") in rec.params(0)


# --- seams: ties at the instant, any precision ----------------------------------------


class SeamApi(httpx.BaseTransport):
    """A jobs API over fixed jobs at nanosecond times, keeping only `digits` of the
    fraction when it compares and prints them (3: ms, 6: us, 9: ns), both bounds
    inclusive, newest first then id descending, keyset page tokens."""

    def __init__(self, times_ns: list[int], digits: int) -> None:
        unit = 10 ** (9 - digits)
        self.digits = digits
        self.jobs = sorted(
            ((t - t % unit, f"ext-{i:05d}") for i, t in enumerate(times_ns)), reverse=True
        )
        self.lock = threading.Condition()
        self.in_flight = 0
        self.peak = 0
        self.hold = 0  # hold each request until this many are in flight (or 0.2 s pass)

    def _ns(self, text: str) -> int:
        date, _, frac = text.rstrip("Z").partition(".")
        base = datetime.fromisoformat(date).replace(tzinfo=timezone.utc)
        whole = int(base.timestamp()) * 10**9
        return whole + int((frac + "0" * 9)[:9]) // 10 ** (9 - self.digits) * 10 ** (
            9 - self.digits
        )

    def _iso(self, ns: int) -> str:
        s, frac = divmod(ns, 10**9)
        text = datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{frac:09d}"[: 20 + self.digits] + "Z"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.lock.notify_all()
            if self.hold:
                self.lock.wait_for(lambda: self.in_flight >= self.hold, timeout=0.2)
        try:
            q = dict(parse_qsl(request.url.query.decode()))
            lo = self._ns(q["created_at_on_or_after"]) if "created_at_on_or_after" in q else None
            hi = self._ns(q["created_at_on_or_before"]) if "created_at_on_or_before" in q else None
            rows = [
                j for j in self.jobs if (lo is None or j[0] >= lo) and (hi is None or j[0] <= hi)
            ]
            if "page_token" in q:
                t, _, job_id = q["page_token"].partition("/")
                rows = [j for j in rows if j < (int(t), job_id)]
            size = int(q["page_size"])
            page = rows[:size]
            body: dict[str, Any] = {
                "items": [
                    {"id": job_id, "created_at": self._iso(t), "status": "COMPLETED"}
                    for t, job_id in page
                ]
            }
            if len(rows) > size:
                body["next_page_token"] = f"{page[-1][0]}/{page[-1][1]}"
            return httpx.Response(200, json=body)
        finally:
            with self.lock:
                self.in_flight -= 1


BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
BASE_NS = int(BASE.timestamp()) * 10**9


def seam_times() -> list[int]:
    """Jobs on the seams of a 4 s window cut in 4 (and on every whole ms of one second
    of it, where adaptive splits fall), in piles at the instant and 1 ns/us/ms around."""
    out: list[int] = []
    for second in range(5):
        at = BASE_NS + second * 10**9
        for delta in (0, 1, -1, 1000, -1000, 10**6, -(10**6)):
            if 0 <= at + delta - BASE_NS <= 4 * 10**9:
                out += [at + delta] * (25 if delta == 0 else 3)
    for ms in range(0, 1000, 3):  # a dense second, every third ms, three jobs each
        out += [BASE_NS + 2 * 10**9 + ms * 10**6] * 3
    return out


def listing(api: SeamApi, concurrency: int, page_size: int) -> list[str]:
    client = ApiClient(base_url="http://seams.invalid", api_key=TEST_KEY, transport=api)
    filters = JobFilter(since=BASE, until=BASE + timedelta(seconds=4))
    try:
        jobs = iter_window(client, filters, concurrency=concurrency, page_size=page_size)
        return [job["id"] for job in jobs]
    finally:
        client.close()


@pytest.mark.parametrize("digits", [3, 6, 9])
@pytest.mark.parametrize("page_size", [7, 40])
def test_jobs_on_the_seams_are_listed_once_in_the_sequential_order(
    digits: int, page_size: int
) -> None:
    api = SeamApi(seam_times(), digits)
    everything = [job_id for _, job_id in api.jobs]
    sequential = listing(api, 1, page_size)
    assert sequential == everything
    for concurrency in (2, 4, 5, 16):
        got = listing(api, concurrency, page_size)
        assert len(got) == len(set(got)), "a job listed twice"
        assert got == sequential, f"concurrency {concurrency}: a different listing"


def test_no_more_requests_in_flight_than_the_concurrency() -> None:
    api = SeamApi(seam_times(), 6)
    for concurrency in (2, 3, 6):
        api.peak, api.hold = 0, concurrency + 1  # every request waits for one more
        listing(api, concurrency, 50)
        assert api.peak == concurrency


# --- the spool ------------------------------------------------------------------------


def open_spool_files(where: Path) -> int:
    """Files under `where` this process holds open (an O_TMPFILE shows as `#N (deleted)`)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(str(where))
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize("finish", ["exhausted", "closed early", "failed"])
def test_spooled_slices_leave_no_file(tmp_path: Path, finish: str) -> None:
    schedule = ["ok"] * 12 + ["no-retry"] if finish == "failed" else []
    app = make_app(faults=FaultConfig(schedule=schedule))
    client = ApiClient(
        base_url="http://sandbox.invalid", api_key=TEST_KEY, transport=SandboxTransport(app)
    )
    filters = JobFilter(since=datetime(2025, 12, 1, tzinfo=timezone.utc), until=BASE)
    jobs = iter_window(client, filters, concurrency=4, page_size=20, tmpdir=str(tmp_path))
    seen = 0
    spooled = 0
    try:
        for _ in jobs:
            seen += 1
            spooled = max(spooled, open_spool_files(tmp_path))
            if finish == "closed early" and seen == 150:
                break
    except Exception as e:
        assert finish == "failed", e
    finally:
        jobs.close()
        client.close()
    assert spooled > 0, "nothing was spooled: the test proves nothing"
    assert open_spool_files(tmp_path) == 0
    assert list(tmp_path.iterdir()) == []
    assert seen == 1500 if finish == "exhausted" else seen < 1500


def test_spool_keeps_order_across_memory_and_file(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    pages = [[{"n": i * 10 + k, "pad": "x" * 5000} for k in range(10)] for i in range(40)]
    out: list[int] = []

    def drain() -> None:
        while True:
            got, _ = spool.take()
            if got is None:
                return
            items = spool.decode(got) if isinstance(got, bytes) else got
            out.extend(item["n"] for item in items)

    for i, page in enumerate(pages):
        if i == 10:
            spool.due, spool.budget = True, 25  # becomes due: memory for 2.5 pages
        if spool.to_memory(len(page)):
            spool.put_memory(page)
        else:
            spool.write_file(Spool.encode(page), len(page))
        if i % 7 == 6:
            drain()
    spool.finished = True
    drain()
    assert out == list(range(400))
    assert 0 < spool.spilled < 400
    spool.close()


# --- politeness -----------------------------------------------------------------------


def test_adaptive_limit_halves_on_429_and_rises_slowly() -> None:
    now = [0.0]
    lines: list[str] = []
    limit = AdaptiveLimit(8, clock=lambda: now[0], log=lines.append)
    limit.throttled()
    assert limit.limit == 4
    limit.throttled()  # the same burst: not cut again
    assert limit.limit == 4
    now[0] = 1.5
    limit.throttled()
    assert limit.limit == 2 and limit.cuts == 2
    for _ in range(2 * RISE - 1):
        assert limit.acquire()
        limit.release()
    assert limit.limit == 2
    assert limit.acquire()
    limit.release()
    assert limit.limit == 3
    for _ in range(1000):
        assert limit.acquire()
        limit.release()
    assert limit.limit == 8  # never above the maximum
    assert lines[:2] == ["429: concurrency 8 -> 4", "429: concurrency 4 -> 2"]


def test_adaptive_limit_blocks_at_the_limit() -> None:
    limit = AdaptiveLimit(2)
    assert limit.acquire() and limit.acquire()
    stop = threading.Event()
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(limit.acquire(stop)))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and limit.in_flight == 2
    limit.release()
    waiter.join(5)
    assert got == [True] and limit.peak == 2
    stop.set()
    assert limit.acquire(stop) is False


class Counting(httpx.BaseTransport):
    """Counts requests in flight at once and 429 answers."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.throttled = self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.requests += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            response = self.inner.handle_request(request)
        finally:
            with self.lock:
                self.in_flight -= 1
        if response.status_code == 429:
            with self.lock:
                self.throttled += 1
        return response


def test_429s_lower_the_concurrency_and_the_output_is_unchanged(lx: Runner) -> None:
    """A rate limit of 6 requests a second, on a clock that moves only when the client
    waits (Retry-After: 1): no real sleep, and a retry storm would show as a count."""
    clock = FakeClock()
    app = make_app(clock=clock, faults=FaultConfig(rate_limit=6, retry_after="seconds"))
    counting = Counting(SandboxTransport(app, sleep=lambda s: None))

    lines: list[str] = []

    def setup(state: Any) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key=TEST_KEY,
            transport=counting,
            sleep=clock.advance,
            clock=clock.now,
            log=lines.append,
        )

    args = ("jobs", "list", "--all", *WINDOW, "--page-size", "20")
    want = run_on(lx, make_app(), "--concurrency", "1", *args)
    r = lx("--base-url", URL, "--concurrency", "8", *args, state_setup=setup)
    assert r.code == 0, r.stderr[-500:]
    out = [line for line in r.stdout.splitlines()]
    assert "\n".join(out) + "\n" == want.stdout
    pages = counting.requests - counting.throttled
    assert counting.throttled > 0, "the rate limit never bit: the test proves nothing"
    assert counting.throttled < 2 * pages
    assert counting.peak <= 8
    assert any(line.endswith("429: concurrency 8 -> 4") for line in lines)


# --- faults and settings --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_a_failing_slice_fails_the_command_with_whole_records(lx: Runner, fmt: str) -> None:
    args = ("jobs", "list", "--all", *WINDOW, "--page-size", "25", "-o", fmt)
    full = run_on(lx, make_app(), "--concurrency", "1", *args).stdout
    app = make_app(faults=FaultConfig(schedule=["ok"] * 9 + ["no-retry"]))
    r = run_on(lx, app, "--concurrency", "4", *args)
    assert r.code == 1
    assert r.stderr.startswith("lx: ") and r.stderr.count("\n") == 1
    if fmt == "json":
        assert r.stdout == "" or not r.stdout.rstrip().endswith("]")
        body = r.stdout.rstrip().rstrip(",")
        assert full.startswith(body)
    else:
        assert r.stdout == "" or r.stdout.endswith("\n")
        assert full.startswith(r.stdout)
    assert len(r.stdout) < len(full)


def test_concurrency_comes_from_the_flag_then_the_profile(
    lx: Runner, config: Path, tmp_path: Path
) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[profiles.default]\napi_key = "{TEST_KEY}"\nconcurrency = 3\n')
    app = make_app()
    r = run_on(lx, app, "--debug", "jobs", "list", "--all", *WINDOW)
    assert "in 3 slices, up to 3 requests at once" in r.stderr
    r = run_on(lx, app, "--debug", "--concurrency", "5", "jobs", "list", "--all", *WINDOW)
    assert "in 5 slices, up to 5 requests at once" in r.stderr
    config.write_text(f'[profiles.default]\napi_key = "{TEST_KEY}"\nconcurrency = 0\n')
    r = run_on(lx, app, "jobs", "list", "--all", *WINDOW)
    assert r.code == 2 and "concurrency" in r.stderr and "from 1 to 32" in r.stderr


@pytest.mark.parametrize(
    ("value", "says"),
    [("0", "from 1 to 32"), ("33", "from 1 to 32"), ("x", "a whole number"), ("", "whole")],
)
def test_bad_concurrency_is_one_plain_line(lx: Runner, value: str, says: str) -> None:
    r = lx("--concurrency", value, "--profile", "sandbox", "jobs", "list")
    assert r.code == 2
    assert r.stderr.startswith("lx: --concurrency") and says in r.stderr
    assert r.stderr.count("\n") == 1 and "<=" not in r.stderr


def test_defaults_without_a_flag(lx: Runner) -> None:
    r = run_on(lx, make_app(), "--debug", "jobs", "stats", *WINDOW, "-o", "json")
    assert r.code == 0 and "in 4 slices, up to 4 requests at once" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "export", "--all", *WINDOW, "--page-size", "30", "-o", "jsonl"),
        ("jobs", "review", *WINDOW, "--page-size", "30", "-o", "json"),
    ],
    ids=["export", "review"],
)
def test_export_and_review_read_the_window_in_slices_with_the_same_output(
    lx: Runner, args: tuple[str, ...]
) -> None:
    app = make_app(jobs=400)
    want = run_on(lx, app, "--concurrency", "1", *args)
    got = run_on(lx, app, "--debug", "--concurrency", "8", *args)
    assert want.code == got.code == 0, got.stderr[-300:]
    assert got.stdout == want.stdout and want.stdout.strip()
    assert "in 8 slices" in got.stderr
