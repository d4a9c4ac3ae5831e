"""A real HTTP/1.1 server (keep-alive) for a SandboxApp, bound where asked (127.0.0.1).

    with SandboxServer(app) as srv:        # port 0: an ephemeral port
        httpx.get(srv.url + "/api/v2/extract", headers=...)

`stop()` stops accepting, closes every connection (idle keep-alive ones too), wakes any
stalled answer and joins the threads.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, unquote

from llamaextract_cli.sandbox.app import SandboxApp, SandboxResponse
from llamaextract_cli.sandbox.timeutil import http_date

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], app: SandboxApp, family: int) -> None:
        self.address_family = family
        self.app = app
        self.stopping = threading.Event()
        self.conns: dict[socket.socket, threading.Thread] = {}
        self.conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """One line, not a traceback; clients hanging up mid-answer are not worth one."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or self.stopping.is_set():
            return
        print(f"lx sandbox: error serving {client_address}: {exc!r}", file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.conns_lock:
            self.server.conns[self.connection] = threading.current_thread()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.conns_lock:
                self.server.conns.pop(self.connection, None)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _serve(self) -> None:
        target, _, qs = self.path.partition("?")
        query = parse_qsl(qs, keep_blank_values=True)
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            resp = self.server.app.handle(self.command, unquote(target), query, headers, body)
        except Exception as e:  # a bug in the emulator: answer like a server would
            print(f"lx sandbox: internal error: {e!r}", file=sys.stderr)
            resp = SandboxResponse(
                500, [("content-type", "application/json")], b'{"detail":"Internal Server Error"}'
            )
        if resp.delay > 0 and self.server.stopping.wait(resp.delay):
            self.close_connection = True
            return
        payload = resp.body
        full_length = len(payload)
        if resp.fault == "drop":
            payload = payload[: full_length // 2]
            self.close_connection = True
        lines = [
            f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Unknown')}",
            f"date: {http_date(self.server.app.clock.now())}",
            "server: lx-sandbox",
        ]
        lines += [f"{k}: {v}" for k, v in resp.headers]
        lines.append(f"content-length: {full_length}")
        if self.close_connection:
            lines.append("connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + payload)
        if resp.fault == "drop":
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _serve


class SandboxServer:
    """Serve `app` on host:port (port 0: ephemeral). Use as a context manager or start/stop."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._httpd = _HTTPServer((self.host, self.port), self.app, family)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lx-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout)
        with httpd.conns_lock:
            conns = list(httpd.conns.items())
        for conn, _ in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for conn, worker in conns:
            worker.join(timeout)
            with contextlib.suppress(OSError):
                conn.close()
        self._stop_requested.set()

    def request_stop(self) -> None:
        """Ask `serve_forever` to return (safe from a signal handler)."""
        self._stop_requested.set()

    def serve_forever(self) -> None:
        """Serve until `request_stop()` (or Ctrl-C), then stop cleanly."""
        self.start()
        try:
            while not self._stop_requested.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
