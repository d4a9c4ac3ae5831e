"""Helpers for tests: a recording transport and a client wired to a sandbox app."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from llamaextract_cli.cli.context import State

TEST_KEY = "llx-TESTKEY-0123456789abcdefSECRET"
KEY_VARIABLES = ("LLAMA_CLOUD_API_KEY", "LLAMA_PARSE_API_KEY")
MIN_SECRET = 12  # shorter keys are masked as **** and are too short to grep for

# Every in-process run of the suite is scanned for the keys it was given (conftest's `lx`);
# the counts are a figure of docs/reliability.md.
SECRET_SCAN = {"runs": 0, "chars": 0}


def secrets_of(environ: Mapping[str, str], stdin: str = "") -> set[str]:
    """The keys a run knows: the test key, the key variables, a key piped to stdin, the
    keys of its settings file (LX_CONFIG)."""
    found = {TEST_KEY}
    found.update(environ.get(name, "").strip() for name in KEY_VARIABLES)
    found.update(line.strip() for line in stdin.splitlines() if line.startswith("llx-"))
    config = environ.get("LX_CONFIG")
    if config:
        try:
            text = Path(config).read_text(errors="replace")
        except OSError:
            text = ""
        found.update(re.findall(r'api_key\s*=\s*"([^"]+)"', text))
    return {s for s in found if len(s) >= MIN_SECRET}


def assert_no_secret(stdout: str, stderr: str, secrets: set[str]) -> None:
    """No key, whole, in what a run printed (CLI.md: the key is never printed whole)."""
    SECRET_SCAN["runs"] += 1
    SECRET_SCAN["chars"] += len(stdout) + len(stderr)
    for secret in secrets:
        where = "stdout" if secret in stdout else "stderr" if secret in stderr else None
        assert where is None, f"an API key appeared in {where}"


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


def runner_on(lx: Callable[..., Result], app: object, url: str) -> Callable[..., Result]:
    """`lx` bound to one emulator app: `--base-url url` for the settings, `app` on the wire."""
    setup, _ = wire(app, record=False)

    def invoke(*args: str, **kw: object) -> Result:
        return lx("--base-url", url, *args, state_setup=setup, **kw)

    return invoke
