"""`ApiClient.create_job`: the body and query, and the rule that a create is retried only
where the server certainly did not act on it (`api.retry`).

The ambiguous cases run against real sockets on 127.0.0.1: a server that reads the whole
request and then drops the connection, one that reads it and never answers (a read
timeout), and a port nothing listens on (connect refused: safe to retry).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.api.retry import RetryPolicy, sent_before
from llamaextract_cli.errors import AuthError, NetworkError, OutcomeUnknown, UsageError

KEY = "llx-TESTKEY-0123456789abcdefSECRET"
JOB = {"id": "ext-new", "status": "PENDING", "file_input": "dfl-1", "project_id": "prj-1"}
BODY = {"file_input": "dfl-1", "configuration_id": "cfg-1"}

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def make(handler: Handler) -> tuple[ApiClient, list[float]]:
    waits: list[float] = []
    client = ApiClient(
        base_url="https://api.example.test",
        api_key=KEY,
        transport=httpx.MockTransport(handler),
        sleep=waits.append,
        rand=lambda: 0.0,
        clock=lambda: 1_700_000_000.0,
    )
    return client, waits


def test_create_posts_the_sdk_body_and_scope() -> None:
    handler, seen = scripted(httpx.Response(200, json=JOB))
    client, _ = make(handler)
    job = client.create_job(BODY, [("project_id", "prj-1"), ("organization_id", "org-1")])
    assert job == JOB
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/api/v2/extract")
    assert list(request.url.params.multi_items()) == [
        ("project_id", "prj-1"),
        ("organization_id", "org-1"),
    ]
    assert json.loads(request.content) == BODY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {KEY}"


# --- retried: the server certainly did not act --------------------------------------------


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(429, headers={"retry-after": "2"}),
        httpx.Response(503, headers={"x-should-retry": "true"}),
        httpx.Response(503, headers={"retry-after": "1"}),
        httpx.Response(500, headers={"retry-after-ms": "1500"}),
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
    ],
    ids=["429", "503 x-should-retry", "503 retry-after", "500 retry-after-ms", "refused", "ct"],
)
def test_a_create_the_server_did_not_act_on_is_retried(refusal: object) -> None:
    handler, seen = scripted(refusal, httpx.Response(200, json=JOB))  # type: ignore[arg-type]
    client, waits = make(handler)
    assert client.create_job(BODY)["id"] == "ext-new"
    assert len(seen) == 2 and len(waits) == 1
    assert json.loads(seen[1].content) == BODY


def test_429_waits_what_the_server_asks_and_counts_as_throttled() -> None:
    handler, _ = scripted(
        httpx.Response(429, headers={"retry-after": "3"}), httpx.Response(201, json=JOB)
    )
    client, waits = make(handler)
    client.create_job(BODY)
    assert waits == [3.0] and client.throttled == 1


def test_x_should_retry_false_wins_even_over_429() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"x-should-retry": "false"}))
    client, _ = make(handler)
    with pytest.raises(Exception) as info:
        client.create_job(BODY)
    assert not isinstance(info.value, OutcomeUnknown) and len(seen) == 1


def test_refused_until_the_end_is_a_network_error_not_an_unknown() -> None:
    handler, seen = scripted(httpx.ConnectError("connection refused"))
    client, _ = make(handler)
    with pytest.raises(NetworkError) as info:
        client.create_job(BODY)
    assert not isinstance(info.value, OutcomeUnknown)
    assert len(seen) == RetryPolicy().max_retries + 1


# --- never repeated: the server may have acted --------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.WriteTimeout("write timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
        httpx.Response(500),
        httpx.Response(502, text="<html><title>Bad Gateway</title></html>"),
        httpx.Response(504),
        httpx.Response(200, text="<html>proxy</html>"),
        httpx.Response(200, content=b""),
        httpx.Response(200, json={"status": "PENDING"}),
    ],
    ids=[
        "read timeout",
        "write timeout",
        "dropped",
        "reset",
        "500",
        "502",
        "504",
        "2xx html",
        "2xx empty",
        "2xx no id",
    ],
)
def test_a_create_the_server_may_have_acted_on_is_not_repeated(failure: object) -> None:
    handler, seen = scripted(failure, httpx.Response(200, json=JOB))  # type: ignore[arg-type]
    client, waits = make(handler)
    with pytest.raises(OutcomeUnknown) as info:
        client.create_job(BODY)
    assert len(seen) == 1 and waits == []
    assert "not repeated" in info.value.message
    assert info.value.exit_status == 1


def test_4xx_answers_are_errors_of_their_kind_and_not_retried() -> None:
    detail = [{"loc": ["body", "file_input"], "msg": "Field required", "type": "missing"}]
    for status, kind in ((422, UsageError), (401, AuthError)):
        handler, seen = scripted(httpx.Response(status, json={"detail": detail}))
        client, _ = make(handler)
        with pytest.raises(kind):
            client.create_job(BODY)
        assert len(seen) == 1


def test_gets_keep_their_retries() -> None:
    """The narrower rule is the create's alone: a GET still retries a read timeout."""
    handler, seen = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json=JOB))
    client, _ = make(handler)
    assert client.get_job("ext-new")["id"] == "ext-new"
    assert len(seen) == 2


def test_which_transport_failures_count_as_sent() -> None:
    request = httpx.Request("POST", "http://x")
    unsent = [
        httpx.ConnectError("x"),
        httpx.ConnectTimeout("x"),
        httpx.PoolTimeout("x"),
        httpx.UnsupportedProtocol("x"),
        httpx.LocalProtocolError("x"),
    ]
    sent = [
        httpx.ReadTimeout("x", request=request),
        httpx.WriteTimeout("x"),
        httpx.RemoteProtocolError("x"),
        httpx.ReadError("x"),
        httpx.WriteError("x"),
        httpx.ProxyError("x"),
        OSError("x"),
    ]
    assert [sent_before(e) for e in unsent] == [False] * len(unsent)
    assert [sent_before(e) for e in sent] == [True] * len(sent)


# --- over real sockets ---------------------------------------------------------------------


class Server:
    """A TCP server on 127.0.0.1 that reads each request whole, then does `mode`:
    'drop' closes the connection without answering, 'silent' keeps it open and never
    answers, 'ok' answers 200 with a job."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.bodies: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(5)
            try:
                self.bodies.append(read_request(conn))
            except OSError:
                conn.close()
                continue
            if self.mode == "drop":
                conn.close()
            elif self.mode == "silent":
                self.held.append(conn)
            else:
                body = json.dumps(JOB).encode()
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                )
                conn.sendall(head.encode() + body)
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for conn in self.held:
            conn.close()
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request (head and Content-Length body); return its body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("closed")
        body += chunk
    return body


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    s = Server(request.param)
    yield s
    s.close()


def socket_client(port: int, timeout: float = 60.0) -> ApiClient:
    return ApiClient(
        base_url=f"http://127.0.0.1:{port}",
        api_key=KEY,
        timeout=timeout,
        sleep=lambda s: None,
    )


@pytest.mark.parametrize("server", ["drop"], indirect=True)
def test_a_connection_dropped_after_the_body_was_read_is_unknown_and_not_repeated(
    server: Server,
) -> None:
    client = socket_client(server.port)
    try:
        with pytest.raises(OutcomeUnknown) as info:
            client.create_job(BODY, [("project_id", "prj-1")])
    finally:
        client.close()
    assert [json.loads(b) for b in server.bodies] == [BODY]  # the server read it, once
    assert "the connection closed before the answer" in info.value.message


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_a_read_timeout_is_unknown_and_not_repeated(server: Server) -> None:
    client = socket_client(server.port, timeout=0.3)
    try:
        with pytest.raises(OutcomeUnknown) as info:
            client.create_job(BODY)
    finally:
        client.close()
    assert len(server.bodies) == 1
    assert "no answer in time" in info.value.message


def test_connect_refused_is_retried_and_then_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    waits: list[float] = []
    client = ApiClient(base_url=f"http://127.0.0.1:{port}", api_key=KEY, sleep=waits.append)
    try:
        with pytest.raises(NetworkError) as info:
            client.create_job(BODY)
    finally:
        client.close()
    assert not isinstance(info.value, OutcomeUnknown)
    assert len(waits) == RetryPolicy().max_retries


@pytest.mark.parametrize("server", ["ok"], indirect=True)
def test_a_create_over_a_socket_returns_the_job(server: Server) -> None:
    client = socket_client(server.port)
    try:
        assert client.create_job(BODY)["id"] == "ext-new"
    finally:
        client.close()
    assert [json.loads(b) for b in server.bodies] == [BODY]
