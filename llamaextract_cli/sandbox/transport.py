"""An httpx transport that serves a SandboxApp in-process: no socket, no thread.

Faults that need a socket degrade: a dropped connection raises httpx.RemoteProtocolError,
and a stall longer than the request's read timeout waits that timeout, then raises
httpx.ReadTimeout, as a real client would see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx

from llamaextract_cli.sandbox.app import SandboxApp


class SandboxTransport(httpx.BaseTransport):
    def __init__(self, app: SandboxApp, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        query = parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.read()
        resp = self.app.handle(request.method, request.url.path, query, headers, body)
        delay = resp.delay
        if delay > 0:
            timeout = request.extensions.get("timeout", {}).get("read")
            if resp.fault == "stall" and timeout is not None and delay > timeout:
                self._sleep(timeout)
                raise httpx.ReadTimeout("sandbox: the server stalled", request=request)
            self._sleep(delay)
        if resp.fault == "drop":
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            )
        return httpx.Response(
            resp.status,
            headers=resp.headers,
            content=b"" if request.method == "HEAD" else resp.body,
            request=request,
        )
