"""Shared fixtures: isolated settings, and an in-process `lx` runner.

Every test runs with its own config and cache dirs and without the user's
LLAMA_CLOUD_* variables, so nothing on the machine leaks in or is touched.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from llamaextract_cli.context import State
from llamaextract_cli.env import Env
from llamaextract_cli.main import run

TEST_KEY = "llx-TESTKEY-0123456789abcdefSECRET"

_CLEARED = (
    "LLAMA_CLOUD_API_KEY",
    "LLAMA_PARSE_API_KEY",
    "LLAMA_CLOUD_BASE_URL",
    "LLAMA_CLOUD_PROJECT_ID",
    "LX_PROFILE",
    "LX_FORMAT",
    "LX_FORCE_TTY",
    "NO_COLOR",
)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("LX_CONFIG", str(config))
    monkeypatch.setenv("LX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "120")
    return config


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class _Stdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


Runner = Callable[..., Result]


@pytest.fixture
def lx() -> Runner:
    """Run `lx ARGS...` in-process; returns exit code, stdout and stderr.

    `tty=True` makes stdout/stderr look like a terminal; `state_setup` may adjust
    the State before the run (e.g. inject a client on a fake clock).
    """

    def invoke(
        *args: str,
        stdin: str = "",
        tty: bool = False,
        stdin_tty: bool = False,
        env: dict[str, str] | None = None,
        state_setup: Callable[[State], None] | None = None,
    ) -> Result:
        out, err = io.StringIO(), io.StringIO()
        environ = dict(os.environ)
        environ.update(env or {})
        e = Env(
            stdin=_Stdin(stdin, stdin_tty),
            stdout=out,
            stderr=err,
            environ=environ,
            stdin_isatty=stdin_tty,
            stdout_isatty=tty,
            stderr_isatty=tty,
        )
        state = State(env=e)
        if state_setup is not None:
            state_setup(state)
        code = run(list(args), state=state)
        return Result(int(code), out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture
def sandbox_url() -> str:
    """A base URL for the in-process emulator (see `lx --base-url sandbox:`)."""
    return "sandbox://?jobs=300&seed=7"


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
