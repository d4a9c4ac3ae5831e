"""Helpers for tests: a recording transport and a client wired to a sandbox app."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from llamaextract_cli.context import State

TEST_KEY = "llx-TESTKEY-0123456789abcdefSECRET"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class Stdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


Runner = Callable[..., Result]


class Recorder(httpx.BaseTransport):
    """An httpx transport that records every request before passing it on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def params(self, index: int = 0) -> list[tuple[str, str]]:
        return list(self.requests[index].url.params.multi_items())


def wire(
    app: object, *, record: bool = True, url: str | None = None, timeout: float = 60.0
) -> tuple[Callable[[State], None], Recorder | None]:
    """A `state_setup` that gives the run a client on `app` (in-process) or on `url`.

    Retries never sleep for real: the client's sleep is a no-op.
    """
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.sandbox.transport import SandboxTransport

    inner: httpx.BaseTransport = (
        httpx.HTTPTransport() if url is not None else SandboxTransport(app)  # type: ignore[arg-type]
    )
    recorder = Recorder(inner) if record else None

    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url=url or "http://sandbox.invalid",
            api_key=TEST_KEY,
            transport=recorder or inner,  # type: ignore[arg-type]
            sleep=lambda s: None,
            timeout=timeout,
        )

    return setup, recorder
