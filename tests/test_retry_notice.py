"""Retries a person can see: on a terminal each wait before a retry is one stderr line
(`lx: retrying in 2.0 s (3 of 5): connection refused; Ctrl-C to stop`), so a refused
connection or an unknown host is never a silent wait; in a pipe nothing is added. The
client only calls `on_retry`; the face decides to print. `auth login` and `jobs list`
give up after the same number of attempts."""

from __future__ import annotations

import re
import socket
import time

import httpx
import pytest
from lxtest import TEST_KEY, Runner

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.api.retry import RetryNotice
from llamaextract_cli.errors import NetworkError

LINE = re.compile(r"lx: retrying in \d+\.\d s \((\d) of 5\): (.+); Ctrl-C to stop")


def failing(error: Exception) -> ApiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return ApiClient(
        base_url="https://api.example.test",
        api_key=TEST_KEY,
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
        rand=lambda: 0.0,
        on_retry=NOTICES.append,
    )


NOTICES: list[RetryNotice] = []


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "host not found"),
        (httpx.ConnectError("[Errno -3] Temporary failure in name resolution"), "host not found"),
        (httpx.ReadTimeout("timed out"), "timed out"),
        (httpx.RemoteProtocolError("Server disconnected"), "connection dropped"),
    ],
)
def test_the_client_tells_each_wait_before_it_starts(error: Exception, reason: str) -> None:
    NOTICES.clear()
    client = failing(error)
    with pytest.raises(NetworkError):
        client.list_page([])
    assert [n.retry for n in NOTICES] == [1, 2, 3, 4, 5]
    assert {n.max_retries for n in NOTICES} == {5}
    assert {n.reason for n in NOTICES} == {reason}
    assert [n.wait for n in NOTICES] == [0.5, 1.0, 2.0, 4.0, 8.0]  # no jitter (rand 0)


def test_a_status_names_itself() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"items": []})])
    notices: list[RetryNotice] = []
    client = ApiClient(
        base_url="https://api.example.test",
        api_key=TEST_KEY,
        transport=httpx.MockTransport(lambda r: next(answers)),
        sleep=lambda s: None,
        on_retry=notices.append,
    )
    client.list_page([])
    assert [n.reason for n in notices] == ["503 Service Unavailable"]


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's real sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_a_terminal_sees_every_wait(lx: Runner, closed_port: str, waits: list[float]) -> None:
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    r = lx("--base-url", closed_port, "jobs", "list", tty=True, env=env)
    lines = r.stderr.splitlines()
    assert r.code == 1
    announced = [LINE.fullmatch(line) for line in lines[:-1]]
    assert all(announced), lines
    assert [m.group(1) for m in announced if m] == ["1", "2", "3", "4", "5"]
    assert {m.group(2) for m in announced if m} == {"connection refused"}
    assert len(waits) == 5
    assert lines[-1].startswith("lx: could not reach 127.0.0.1") and "6 attempts" in lines[-1]


def test_a_pipe_sees_one_line(lx: Runner, closed_port: str, waits: list[float]) -> None:
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    r = lx("--base-url", closed_port, "jobs", "list", env=env)
    assert r.code == 1 and len(r.stderr.splitlines()) == 1 and len(waits) == 5


def test_auth_login_and_list_give_up_alike(
    lx: Runner, closed_port: str, waits: list[float]
) -> None:
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    listing = lx("--base-url", closed_port, "jobs", "list", tty=True, env=env)
    login = lx(
        "--profile",
        "work",
        "auth",
        "login",
        "--with-token",
        "--base-url",
        closed_port,
        stdin=TEST_KEY + "\n",
        tty=True,
    )
    assert login.code == 1, login.stderr
    attempts = [re.search(r"after (\d+) attempts", r.stderr) for r in (listing, login)]
    assert all(attempts) and len({m.group(1) for m in attempts if m}) == 1
    assert len([x for x in login.stderr.splitlines() if LINE.fullmatch(x)]) == 5
