"""Bounded behaviour: retries stop (in attempts and in seconds of waiting), `--timeout`
bounds each request rather than the run, and `jobs wait` never busy-loops and slows down
when the API answers 429. Time is a fake clock wherever waiting is involved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxtest import TEST_KEY, Runner
from relsupport import NOW, Switchboard, count, raw_listing, serving

from llamaextract_cli.api import client as client_module
from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.api.retry import MAX_DELAY, MAX_SERVER_WAIT, RetryPolicy
from llamaextract_cli.cli.context import State
from llamaextract_cli.errors import ApiError, LxError, NetworkError
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.jobs.batch import Outcome
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.transport import SandboxTransport

T0 = 1_767_225_600.0

# The documented figures (docs/reliability.md): 1 + 5 attempts, at most 120 s of waiting
# between the attempts of one request, backoff 0.5 s doubling to 8 s, a server's ask
# honoured up to 60 s.
ATTEMPTS = 6
BUDGET = 120.0


def test_the_documented_figures() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries + 1, policy.max_total) == (ATTEMPTS, BUDGET)
    assert (MAX_DELAY, MAX_SERVER_WAIT) == (8.0, 60.0)


# --- retries: a property over what a server may answer ------------------------------------

_retry_after = st.one_of(
    st.none(),
    st.integers(-5, 10_000).map(lambda s: {"retry-after": str(s)}),
    st.integers(-5000, 10**7).map(lambda ms: {"retry-after-ms": str(ms)}),
    st.integers(-100, 10_000).map(lambda s: {"retry-after": formatdate(T0 + s, usegmt=True)}),
    st.sampled_from([{"retry-after": "soon"}, {"retry-after-ms": "nan"}, {"retry-after": ""}]),
)
_answer = st.one_of(
    st.tuples(st.sampled_from([429, 503, 500, 502, 408, 409]), _retry_after, st.none()),
    st.tuples(st.sampled_from([429, 503, 200]), st.none(), st.sampled_from(["true", "false"])),
    st.tuples(st.just(200), st.none(), st.none()),
    st.tuples(st.just(-1), st.none(), st.none()),  # the connection drops
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(_answer, min_size=1, max_size=12))
def test_retries_are_bounded_in_attempts_and_seconds(answers: list[Any]) -> None:
    count("bounds", "server answer sequences tried")
    clock = FakeClock(T0)
    waits: list[float] = []
    seen: list[int] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, should = answers[min(len(seen), len(answers) - 1)]
        seen.append(status)
        if status == -1:
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        h = dict(headers or {})
        if should:
            h["x-should-retry"] = should
        body = {"items": []} if status == 200 else {"detail": "no"}
        return httpx.Response(status, headers=h, json=body)

    client = ApiClient(
        base_url="https://api.example.test",
        api_key=TEST_KEY,
        transport=httpx.MockTransport(handler),
        sleep=sleep,
        clock=clock.now,
        rand=lambda: 0.5,
    )
    try:
        client.list_page([])
        ok = True
    except LxError as e:
        ok = False
        assert isinstance(e, (ApiError, NetworkError)) and e.exit_status == 1
    assert len(seen) <= ATTEMPTS
    assert sum(waits) <= BUDGET
    assert all(0 <= w <= MAX_SERVER_WAIT for w in waits)
    assert len(waits) == len(seen) - 1  # a wait between attempts, never after the last
    if ok:
        assert seen[-1] == 200
    first = answers[0]
    if first[2] == "false" and first[0] != 200:
        assert len(seen) == 1  # x-should-retry: false is obeyed at once


# --- --timeout bounds each request, not the run -----------------------------------------------


class Stamped(Switchboard):
    """Records when each request arrived (monotonic seconds)."""

    def __init__(self, app: SandboxApp) -> None:
        super().__init__(app)
        self.arrivals: list[float] = []

    def handle(self, *args: Any, **kwargs: Any) -> Any:
        self.arrivals.append(time.monotonic())
        return super().handle(*args, **kwargs)


@pytest.fixture
def recorded_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Clients built from the flags (the real `--timeout` path) retry without sleeping."""
    waits: list[float] = []

    class Client(client_module.ApiClient):
        def __init__(self, **kwargs: Any) -> None:
            kwargs["sleep"] = waits.append
            super().__init__(**kwargs)

    monkeypatch.setattr(client_module, "ApiClient", Client)
    return waits


def _stamped_server(**faults: Any) -> Iterator[Any]:
    app = SandboxApp(jobs=50, seed=2, now=NOW, live=0, faults=FaultConfig(**faults))
    board = Stamped(app)
    return board, serving(board)


def test_timeout_applies_to_each_request_not_to_the_whole_listing(
    lx: Runner, recorded_waits: list[float]
) -> None:
    board, server = _stamped_server(latency=0.15)
    with server as srv:
        started = time.monotonic()
        r = lx("--base-url", srv.url, "--timeout", "0.5", "jobs", "list", "--all",
               "--page-size", "10", env={"LLAMA_CLOUD_API_KEY": TEST_KEY})  # fmt: skip
        took = time.monotonic() - started
    assert (r.code, r.stderr) == (0, "")
    assert len(r.stdout.splitlines()) == 50
    assert recorded_waits == []  # no request timed out...
    assert took > 0.5  # ...though the listing (5 pages of 0.15 s) took longer than one
    count("bounds", "per-request timeout runs")


def test_a_stalled_request_is_cut_at_the_timeout_and_retried(
    lx: Runner, recorded_waits: list[float]
) -> None:
    board, server = _stamped_server(schedule=["stall"], stall=3.0)
    with server as srv:
        r = lx("--base-url", srv.url, "--timeout", "0.3", "jobs", "list", "-L", "5",
               env={"LLAMA_CLOUD_API_KEY": TEST_KEY})  # fmt: skip
    assert (r.code, r.stderr) == (0, "")
    assert len(recorded_waits) == 1  # one retry, after the backoff
    first, second = board.arrivals[:2]
    assert 0.25 <= second - first < 1.5  # the stall (3 s) was cut at about 0.3 s
    count("bounds", "per-request timeout runs")


def test_the_timeout_reaches_the_http_client() -> None:
    client = ApiClient(base_url="https://api.example.test", api_key=None, timeout=0.3)
    try:
        assert client._http.timeout == httpx.Timeout(0.3, connect=0.3)
    finally:
        client.close()
    client = ApiClient(base_url="https://api.example.test", api_key=None)
    try:
        assert client._http.timeout == httpx.Timeout(60.0, connect=5.0)  # CLI.md's defaults
    finally:
        client.close()


# --- jobs wait: never a busy loop, slower on 429 ------------------------------------------------

_poll_answer = st.sampled_from(["RUNNING", "RUNNING", "RUNNING", "429", "503", "network", "DONE"])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    answers=st.lists(_poll_answer, min_size=1, max_size=40),
    interval=st.sampled_from([0.5, 1.0, 2.0, 7.5, 45.0]),
    timeout=st.one_of(st.none(), st.floats(0, 600)),
    throttled_flags=st.lists(st.booleans(), max_size=40),
)
def test_wait_for_never_busy_loops_and_backs_off(
    answers: list[str], interval: float, timeout: float | None, throttled_flags: list[bool]
) -> None:
    count("bounds", "poll sequences tried (jobs wait)")
    clock = FakeClock(0.0)
    pauses: list[float] = []
    polls: list[tuple[float, str]] = []
    flags = iter(throttled_flags)

    def sleep(seconds: float) -> None:
        assert seconds > 0, "a pause of 0 s is a busy loop"
        pauses.append(seconds)
        clock.advance(seconds)

    def fetch(ids: Any) -> list[Outcome[dict[str, Any]]]:
        answer = answers[len(polls)] if len(polls) < len(answers) else "DONE"
        polls.append((clock.now(), answer))
        if answer == "429":
            return [Outcome(i, error=ApiError("busy", status_code=429)) for i in ids]
        if answer == "503":
            return [Outcome(i, error=ApiError("down", status_code=503)) for i in ids]
        if answer == "network":
            return [Outcome(i, error=NetworkError("reset")) for i in ids]
        status = "COMPLETED" if answer == "DONE" else "RUNNING"
        return [Outcome(i, value={"id": i, "status": status}) for i in ids]

    try:
        result = waiter.wait_for(
            ["ext-1"],
            fetch,
            interval=interval,
            timeout=timeout,
            clock=clock.now,
            sleep=sleep,
            throttled=lambda: next(flags, False),
        )
    except LxError:
        result = None  # too many failed polls in a row: the error reaches the user
    assert len(polls) == len(pauses) + 1
    if timeout is not None and result is not None:
        assert clock.now() <= timeout + 1e-6  # never sleeps past the deadline
    for i, pause in enumerate(pauses):
        clipped = timeout is not None and abs(polls[i][0] + pause - timeout) < 1e-6
        if clipped:
            continue
        assert pause >= interval - 1e-9  # never faster than asked
        if polls[i][1] == "429":
            assert pause >= waiter.THROTTLED_MIN  # a 429 slows the next poll to 5 s or more
        if i and not clipped:
            assert pause >= pauses[i - 1] - 1e-9  # the interval never shrinks again


class Timed(Switchboard):
    """Records the fake time of each request."""

    def __init__(self, app: SandboxApp, clock: FakeClock) -> None:
        super().__init__(app)
        self.fake = clock
        self.times: list[float] = []

    def handle(self, *args: Any, **kwargs: Any) -> Any:
        self.times.append(self.fake.now())
        return super().handle(*args, **kwargs)


def test_jobs_wait_under_a_429_storm_spaces_its_requests(
    lx: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API answers 429 to four polls in a row (each retried by the client): requests
    stay at least the server's Retry-After apart, the polls slow down to 5 s, 10 s, 20 s
    and so on, and the wait still ends when the job does."""
    clock = FakeClock(T0)
    schedule = ["ok"] + ["429:seconds"] * (4 * ATTEMPTS)
    app = SandboxApp(jobs=30, seed=7, now=NOW, clock=clock, live=2,
                     faults=FaultConfig(schedule=schedule))  # fmt: skip
    board = Timed(app, clock)
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        assert seconds > 0
        pauses.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(waiter, "CLOCK", clock.now)
    monkeypatch.setattr(waiter, "SLEEP", sleep)

    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key=TEST_KEY,
            transport=SandboxTransport(board, sleep=clock.advance),  # type: ignore[arg-type]
            sleep=clock.advance,
            clock=clock.now,
        )

    job = app.live_job_ids()[0]
    r = lx("jobs", "wait", job, "--interval", "1", state_setup=setup)
    assert r.code in (0, 1), r.stderr  # the live job completes or fails: either way it ended
    gaps = [b - a for a, b in zip(board.times, board.times[1:], strict=False)]
    assert min(gaps) >= 1.0  # never two requests closer than the server asked (1 s)
    # the first poll went through (--interval 1), the four throttled ones doubled the pause
    assert pauses[:5] == [1.0, 5.0, 10.0, 20.0, 40.0]
    assert all(p >= 40.0 for p in pauses[5:])  # and it does not speed up again
    assert len(board.times) == 1 + 4 * ATTEMPTS + (len(pauses) - 4)
    count("bounds", "requests of a 429 storm", len(board.times))


def test_raw_listing_helper_agrees_with_the_app() -> None:
    app = SandboxApp(jobs=12, seed=1, now=NOW, live=0)
    assert len(raw_listing(app, page_size=5)) == 12
