"""The HTTP/1.1 server: binds where asked, keeps connections alive, stops cleanly."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from sandbox_support import KEY, LIST, NOW, NOW_S, Api

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

AUTH = {"Authorization": f"Bearer {KEY}"}


def make() -> SandboxApp:
    return SandboxApp(jobs=200, seed=5, now=NOW, clock=FakeClock(NOW_S))


def test_context_manager_serves_on_loopback_and_an_ephemeral_port() -> None:
    with SandboxServer(make()) as srv:
        assert srv.url.startswith("http://127.0.0.1:") and srv.port > 0
        resp = httpx.get(srv.url + LIST, headers=AUTH, params={"page_size": 2})
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/json"
        assert len(resp.json()["items"]) == 2
    with pytest.raises(httpx.ConnectError):
        httpx.get(srv.url + LIST, headers=AUTH)


def test_the_socket_and_in_process_answers_are_the_same_bytes() -> None:
    app = make()
    query = {"page_size": 7, "status": "FAILED", "expand": ["configuration", "extract_metadata"]}
    with SandboxServer(app) as srv, httpx.Client(base_url=srv.url, headers=AUTH) as client:
        over_socket = client.get(LIST, params=query)
    with httpx.Client(
        transport=SandboxTransport(app), base_url="http://sandbox", headers=AUTH
    ) as client:
        in_process = client.get(LIST, params=query)
    assert over_socket.content == in_process.content
    assert over_socket.status_code == in_process.status_code == 200


def test_keep_alive_reuses_one_connection() -> None:
    app = make()
    with SandboxServer(app) as srv, httpx.Client(base_url=srv.url, headers=AUTH) as client:
        token = None
        peers = set()
        for _ in range(5):
            params = {"page_size": 10, **({"page_token": token} if token else {})}
            resp = client.get(LIST, params=params)
            peers.add(resp.extensions["network_stream"].get_extra_info("client_addr"))
            token = resp.json()["next_page_token"]
        assert len(peers) == 1
        assert resp.headers.get("connection") != "close"


def test_errors_methods_and_bodies_over_http() -> None:
    with SandboxServer(make()) as srv, httpx.Client(base_url=srv.url) as client:
        assert client.get(LIST).status_code == 401
        assert client.get(LIST).json() == {"detail": "Not authenticated"}
        assert client.get("/nope").json() == {"detail": "Not Found"}
        assert client.post(LIST, headers=AUTH, json={"x": 1}).status_code == 422
        assert client.put(LIST, headers=AUTH, json={"x": 1}).status_code == 405
        assert client.get(LIST, headers=AUTH, params={"status": "X"}).status_code == 422
        job = client.get(LIST, headers=AUTH, params={"status": "RUNNING"}).json()["items"][0]
        resp = client.post(f"{LIST}/{job['id']}/cancel", headers=AUTH, content=b"{}")
        assert resp.json()["status"] == "CANCELLED"
        assert client.delete(f"{LIST}/{job['id']}", headers=AUTH).json() == {}
        head = client.head(LIST, headers=AUTH)
        assert head.status_code == 200 and head.content == b""


def test_concurrent_clients() -> None:
    app = make()
    reference = [j["id"] for j in Api(app).list_all([], page_size=100)]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def worker(page_size: int) -> None:
        try:
            with httpx.Client(base_url=srv.url, headers=AUTH) as client:
                got: list[str] = []
                token = None
                while True:
                    params = {"page_size": page_size, **({"page_token": token} if token else {})}
                    page = client.get(LIST, params=params).json()
                    got += [j["id"] for j in page["items"]]
                    token = page.get("next_page_token")
                    if not token:
                        break
                results.append(got)
        except BaseException as e:  # reported below
            errors.append(e)

    with SandboxServer(app) as srv:
        threads = [threading.Thread(target=worker, args=(n,)) for n in (3, 7, 13, 50, 100, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not errors
    assert results and all(r == reference for r in results)


def test_stop_closes_idle_keep_alive_connections_and_joins() -> None:
    srv = SandboxServer(make()).start()
    sock = socket.create_connection(("127.0.0.1", srv.port))
    request = f"GET {LIST}?page_size=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n"
    sock.sendall(request.encode())
    time.sleep(0.05)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
    before = threading.active_count()
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 2
    sock.settimeout(2)
    assert sock.recv(1024) == b""  # the server closed its end
    sock.close()
    assert threading.active_count() < before
    srv.stop()  # idempotent


def test_start_stop_start_and_explicit_port() -> None:
    srv = SandboxServer(make(), port=0).start()
    port = srv.port
    srv.stop()
    again = SandboxServer(make(), port=port).start()
    try:
        assert again.port == port
        assert httpx.get(again.url + LIST, headers=AUTH).status_code == 200
    finally:
        again.stop()


def test_serve_forever_returns_on_request_stop() -> None:
    srv = SandboxServer(make())
    thread = threading.Thread(target=srv.serve_forever)
    thread.start()
    for _ in range(100):
        if srv.port:
            break
        time.sleep(0.01)
    srv.request_stop()
    thread.join(5)
    assert not thread.is_alive()


def test_bugs_and_bad_requests_do_not_take_the_server_down(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make()
    with SandboxServer(app) as srv:

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        with monkeypatch.context() as m:
            m.setattr(app, "handle", broken)
            resp = httpx.get(srv.url + LIST, headers=AUTH)
        assert (resp.status_code, resp.json()) == (500, {"detail": "Internal Server Error"})
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(b"GET /api/v2/extract HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n")
            sock.settimeout(5)
            assert sock.recv(1024).startswith(b"HTTP/1.1 400")
        assert httpx.get(srv.url + LIST, headers=AUTH).status_code == 200
    err = capfd.readouterr().err
    assert "internal error: RuntimeError('a bug')" in err
    assert "Traceback" not in err
