"""Helpers of the reliability tests: a server whose app can be swapped, subprocess runs,
the figures a run reports (docs/reliability.md), and checks shared by several files."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxtest import TEST_KEY

from llamaextract_cli.sandbox.app import SandboxApp, SandboxResponse
from llamaextract_cli.sandbox.clock import Clock
from llamaextract_cli.sandbox.server import SandboxServer

NOW = "2026-01-01T00:00:00Z"
REPO = Path(__file__).resolve().parents[2]
AUTH = {"authorization": "Bearer k"}

# Counters the tests fill in; written as JSON at the end of the session when
# LX_RELIABILITY_FIGURES names a file (see conftest.py): the figures of the docs.
FIGURES: dict[str, Counter[str]] = {}


def count(group: str, key: str, n: int = 1) -> None:
    FIGURES.setdefault(group, Counter())[key] += n


def write_figures(path: str) -> None:
    from lxtest import SECRET_SCAN

    data: dict[str, Any] = {g: dict(sorted(c.items())) for g, c in sorted(FIGURES.items())}
    data["secret scan of every in-process run (tests/conftest.py)"] = dict(SECRET_SCAN)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


class Switchboard:
    """Looks like a SandboxApp to SandboxServer, and forwards to whichever app is current.

    One server (one socket, one thread) then serves many examples, each with a fresh app
    and a fresh fault schedule.
    """

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self.requests = 0

    @property
    def clock(self) -> Clock:
        return self.app.clock

    def handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> SandboxResponse:
        self.requests += 1
        return self.app.handle(method, path, query, headers, body)


@contextlib.contextmanager
def serving(app: SandboxApp | Switchboard) -> Iterator[SandboxServer]:
    server = SandboxServer(app, port=0)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def raw_listing(app: SandboxApp, page_size: int = 100, **q: str) -> list[dict[str, Any]]:
    """Every job of the app straight from its handler: the independent view."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        query = [("page_size", str(page_size)), *q.items()]
        if token:
            query.append(("page_token", token))
        page = json.loads(app.handle("GET", "/api/v2/extract", query, AUTH, b"").body)
        out.extend(page["items"])
        token = page.get("next_page_token")
        if not token:
            return out


# --- subprocesses -------------------------------------------------------------------------


def lx_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of an `lx` subprocess: isolated settings, the test key, no colour."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LLAMA_", "LX_"))
        and k not in ("NO_COLOR", "PYTHONUNBUFFERED", "COVERAGE_PROCESS_START")
    }
    env.update(
        LX_CONFIG=str(tmp / "config" / "config.toml"),
        LX_CACHE_DIR=str(tmp / "cache"),
        LLAMA_CLOUD_API_KEY=TEST_KEY,
        COLUMNS="120",
    )
    env.update(extra)
    return env


def lx_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "llamaextract_cli", *args]


@dataclass
class Proc:
    code: int
    stdout: str
    stderr: str


def run_lx(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    stdin: Any = subprocess.DEVNULL,
    timeout: float = 60,
    encoding: str = "utf-8",
) -> Proc:
    p = subprocess.run(
        lx_argv(*args),
        env=dict(env),
        stdin=stdin,
        capture_output=True,
        text=True,
        encoding=encoding,
        errors="replace",
        timeout=timeout,
        cwd=REPO,
    )
    check_no_secret(p.stdout, p.stderr)
    return Proc(p.returncode, p.stdout, p.stderr)


def default_sigint() -> None:
    """In a child before exec: SIGINT back to its default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def popen_lx(
    args: Sequence[str], env: Mapping[str, str], **kwargs: Any
) -> Iterator[subprocess.Popen[str]]:
    """Start `lx ARGS` with stdout and stderr piped; always reaped, killed if still running.

    The child gets SIGINT's default action back: a test run started in the background
    (`pytest &`, some CI runners) ignores SIGINT, the child would inherit that, and
    Python installs no KeyboardInterrupt handler for an ignored signal.
    """
    kwargs.setdefault("preexec_fn", default_sigint)
    proc = subprocess.Popen(
        lx_argv(*args),
        env=dict(env),
        stdin=kwargs.pop("stdin", subprocess.DEVNULL),
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=kwargs.pop("stderr", subprocess.PIPE),
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=REPO,
        **kwargs,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=10)


def read_until_line(stream: Any, timeout: float = 30.0) -> str:
    """Read from a child's pipe until a whole line has come, straight from the file
    descriptor (a buffered readline would hide bytes from a later communicate())."""
    import select
    import time

    fd = stream.fileno()
    got = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in got:
        left = deadline - time.monotonic()
        assert left > 0, f"no whole line within {timeout}s: {got[-200:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, f"the pipe closed before a whole line: {got[-200:]!r}"
            got += chunk
    return got.decode("utf-8", "replace")


# --- checks -------------------------------------------------------------------------------


def check_no_secret(*texts: str, secrets: Sequence[str] = (TEST_KEY,)) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, "the API key leaked into an output"


def one_error_line(stderr: str) -> str:
    """stderr must be exactly one line `lx: ...` and no traceback; returns it."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {stderr!r}"
    assert lines[0].startswith("lx: "), lines[0]
    return lines[0]
