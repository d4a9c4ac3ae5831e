"""Injected faults: each kind, in-process and over a real socket, repeatable by seed."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from sandbox_support import KEY, LIST, NOW_S, Api

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import SCHEDULE_ENTRIES, FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

AUTH = {"Authorization": f"Bearer {KEY}"}
MakeApp = Callable[..., SandboxApp]


def faulty(make_app: MakeApp, **faults: Any) -> Api:
    return Api(make_app(jobs=120, seed=1, faults=FaultConfig(**faults)))


def header(resp: Any, name: str) -> str | None:
    return next((v for k, v in resp.headers if k.lower() == name), None)


# ---------------------------------------------------------------- configuration


def test_everything_is_off_by_default(make_app: MakeApp) -> None:
    api = Api(make_app(jobs=50))
    for _ in range(50):
        resp = api.call("GET", LIST, [("page_size", "3")])
        assert resp.status == 200 and resp.fault is None and resp.delay == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_rate": 1.5},
        {"drop_rate": -0.1},
        {"error_rate": 0.6, "html_rate": 0.6},
        {"retry_after": "minutes"},
        {"rate_limit": -1},
        {"latency": -1},
        {"schedule": ["ok", "teapot"]},
    ],
)
def test_bad_fault_configs_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FaultConfig(**kwargs)


def test_faults_apply_to_the_extract_api_only(make_app: MakeApp) -> None:
    api = faulty(make_app, schedule=["500"])
    assert api.call("GET", "/health").status == 404
    assert api.call("GET", LIST).status == 500  # the schedule entry was still there


# ---------------------------------------------------------------- each kind, in-process


def test_schedule_is_consumed_in_order_then_no_faults(make_app: MakeApp) -> None:
    api = faulty(make_app, schedule=["ok", "500", "502", "503", "ok", "html", "no-retry"])
    got = [api.call("GET", LIST, [("page_size", "2")]).status for _ in range(9)]
    assert got == [200, 500, 502, 503, 200, 502, 503, 200, 200]


def test_error_bodies(make_app: MakeApp) -> None:
    api = faulty(make_app, schedule=["500", "html", "no-retry", "error"])
    r500 = api.call("GET", LIST)
    assert r500.json() == {"detail": "Internal Server Error"}
    html = api.call("GET", LIST)
    assert header(html, "content-type") == "text/html"
    assert b"<center>nginx" in html.body and b"502 Bad Gateway" in html.body
    no_retry = api.call("GET", LIST)
    assert (no_retry.status, header(no_retry, "x-should-retry")) == (503, "false")
    assert "detail" in no_retry.json()
    assert api.call("GET", LIST).status in (500, 502, 503)


def test_a_faulted_mutation_changes_nothing(make_app: MakeApp) -> None:
    api = faulty(make_app, schedule=["503"])
    job_id = api.app.live_job_ids()[0]
    assert api.call("POST", f"{LIST}/{job_id}/cancel").status == 503
    assert api.get(job_id)["status"] == "PENDING"


@pytest.mark.parametrize("form", ["seconds", "ms", "date", "none"])
def test_429_retry_after_forms(make_app: MakeApp, form: str) -> None:
    api = faulty(make_app, schedule=[f"429:{form}", "429"], retry_after=form)
    for _ in range(2):
        resp = api.call("GET", LIST)
        assert resp.status == 429 and "detail" in resp.json()
        after, after_ms = header(resp, "retry-after"), header(resp, "retry-after-ms")
        if form == "seconds":
            assert (after, after_ms) == ("1", None)
        elif form == "ms":
            assert (after, after_ms) == (None, "1000")
        elif form == "date":
            assert after_ms is None and after is not None
            when = parsedate_to_datetime(after).timestamp()
            assert NOW_S < when <= NOW_S + 2
        else:
            assert (after, after_ms) == (None, None)


def test_rate_limit_counts_requests_per_second(make_app: MakeApp, clock: FakeClock) -> None:
    api = faulty(make_app, rate_limit=3, retry_after="ms")
    got = [api.call("GET", LIST).status for _ in range(5)]
    assert got == [200, 200, 200, 429, 429]
    clock.advance(0.4)
    resp = api.call("GET", LIST)
    assert (resp.status, header(resp, "retry-after-ms")) == (429, "600")
    clock.advance(0.6)
    assert [api.call("GET", LIST).status for _ in range(4)] == [200, 200, 200, 429]


def test_malformed_and_truncated_bodies(make_app: MakeApp) -> None:
    api = faulty(make_app, schedule=["malformed", "truncate"])
    whole = Api(make_app(jobs=120, seed=1)).call("GET", LIST).body
    malformed = api.call("GET", LIST)
    assert malformed.status == 200 and header(malformed, "content-type") == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.body)
    cut = api.call("GET", LIST)
    assert cut.status == 200 and cut.fault == "truncate"
    assert 0 < len(cut.body) < len(whole) and whole.startswith(cut.body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.body)


def test_repeat_token_loops(make_app: MakeApp) -> None:
    api = faulty(make_app, schedule=["ok", "repeat-token", "repeat-token"])
    first = api.page([("page_size", "10")])
    sent = first["next_page_token"]
    looping = api.page([("page_size", "10"), ("page_token", sent)])
    assert looping["next_page_token"] == sent
    # on a first page, the token leads back to the first page
    start = api.page([("page_size", "10")])
    again = api.page([("page_size", "10"), ("page_token", start["next_page_token"])])
    assert again["items"] == first["items"]


def test_latency_and_stall_are_delays(make_app: MakeApp) -> None:
    api = faulty(make_app, latency=0.25, stall=7.0, schedule=["stall"])
    stalled = api.call("GET", LIST)
    assert (stalled.status, stalled.fault, stalled.delay) == (200, "stall", 7.25)
    assert api.call("GET", LIST).delay == 0.25


def test_rates_are_seeded_and_roughly_right(make_app: MakeApp) -> None:
    rates = {"error_rate": 0.2, "html_rate": 0.1, "malformed_rate": 0.1, "truncate_rate": 0.1}

    def run(seed: int) -> list[str | None]:
        api = faulty(make_app, fault_seed=seed, **rates)
        return [api.call("GET", LIST, [("page_size", "1")]).fault for _ in range(1000)]

    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    counts = Counter(a)
    assert 150 < counts["error"] < 250
    for kind in ("html", "malformed", "truncate"):
        assert 60 < counts[kind] < 140, kind
    assert 400 < counts[None] < 600


# ---------------------------------------------------------------- the in-process transport


def test_transport_degrades_socket_faults(make_app: MakeApp) -> None:
    slept: list[float] = []
    app = make_app(jobs=30, faults=FaultConfig(schedule=["drop", "stall", "stall"], stall=50.0,
                                               latency=0.01))  # fmt: skip
    transport = SandboxTransport(app, sleep=slept.append)
    with httpx.Client(transport=transport, base_url="http://sandbox", headers=AUTH) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(LIST)
        with pytest.raises(httpx.ReadTimeout):
            client.get(LIST, timeout=httpx.Timeout(5.0, read=2.0))
        assert slept == [0.01, 2.0]
        assert client.get(LIST, timeout=None).status_code == 200  # no timeout: waits it out
        assert slept[-1] == 50.01
        ok = client.get(LIST, params={"page_size": 3})
        assert ok.status_code == 200 and len(ok.json()["items"]) == 3


# ---------------------------------------------------------------- over a real socket


@pytest.fixture
def served() -> Iterator[Callable[..., SandboxServer]]:
    servers: list[SandboxServer] = []

    def serve(**faults: Any) -> SandboxServer:
        app = SandboxApp(jobs=150, seed=2, now="2026-01-01T00:00:00Z", clock=FakeClock(NOW_S),
                         faults=FaultConfig(**faults))  # fmt: skip
        srv = SandboxServer(app).start()
        servers.append(srv)
        return srv

    yield serve
    for srv in servers:
        srv.stop()


def test_drop_over_a_socket(served: Callable[..., SandboxServer]) -> None:
    srv = served(schedule=["drop"])
    with httpx.Client(base_url=srv.url, headers=AUTH) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(LIST)
        assert client.get(LIST).status_code == 200  # a new connection works


def test_truncate_over_a_socket(served: Callable[..., SandboxServer]) -> None:
    srv = served(schedule=["truncate"])
    with httpx.Client(base_url=srv.url, headers=AUTH) as client:
        resp = client.get(LIST)
        assert resp.status_code == 200
        assert int(resp.headers["content-length"]) == len(resp.content)
        with pytest.raises(json.JSONDecodeError):
            resp.json()
        assert client.get(LIST).json()["total_size"] == 154  # the connection is still usable


def test_stall_over_a_socket_times_the_client_out(served: Callable[..., SandboxServer]) -> None:
    srv = served(schedule=["stall"], stall=30.0)
    with httpx.Client(base_url=srv.url, headers=AUTH) as client:
        t0 = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.get(LIST, timeout=httpx.Timeout(5.0, read=0.2))
        assert time.monotonic() - t0 < 2
    t0 = time.monotonic()
    srv.stop()  # wakes the stalled answer instead of waiting 30 s
    assert time.monotonic() - t0 < 2


def test_html_malformed_and_429_over_a_socket(served: Callable[..., SandboxServer]) -> None:
    srv = served(schedule=["html", "malformed", "429:ms", "no-retry"])
    with httpx.Client(base_url=srv.url, headers=AUTH) as client:
        html = client.get(LIST)
        assert (html.status_code, html.headers["content-type"]) == (502, "text/html")
        assert html.text.startswith("<html>")
        assert client.get(LIST).status_code == 200
        limited = client.get(LIST)
        assert (limited.status_code, limited.headers["retry-after-ms"]) == (429, "1000")
        assert client.get(LIST).headers["x-should-retry"] == "false"


def test_every_schedule_entry_is_served(served: Callable[..., SandboxServer]) -> None:
    entries = [e for e in SCHEDULE_ENTRIES if e not in ("drop", "stall")]
    srv = served(schedule=entries)
    with httpx.Client(base_url=srv.url, headers=AUTH) as client:
        statuses = [client.get(LIST, params={"page_size": 2}).status_code for _ in entries]
    assert set(statuses) <= {200, 429, 500, 502, 503}
    assert statuses.count(429) == 5
