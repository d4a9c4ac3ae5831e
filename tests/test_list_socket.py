"""`lx jobs list` over a real socket to `SandboxServer`: each fault, and flat memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from lxtest import Runner, wire

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0


def make_app(jobs: int = 120, **faults: object) -> SandboxApp:
    return SandboxApp(
        jobs=jobs,
        seed=3,
        now=NOW,
        clock=FakeClock(NOW_S),
        live=0,
        faults=FaultConfig(**faults),  # type: ignore[arg-type]
    )


@pytest.fixture
def clean_ids() -> list[str]:
    app = make_app()
    with SandboxServer(app) as srv:
        import httpx

        out: list[str] = []
        token = None
        with httpx.Client(base_url=srv.url, headers={"authorization": "Bearer k"}) as c:
            while True:
                params = {"page_size": 25, **({"page_token": token} if token else {})}
                page = c.get("/api/v2/extract", params=params).json()
                out += [j["id"] for j in page["items"]]
                token = page.get("next_page_token")
                if not token:
                    return out


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[SandboxServer] = []

    def start(app: SandboxApp) -> SandboxServer:
        srv = SandboxServer(app).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


RECOVERABLE = [
    "500",
    "502",
    "503",
    "429:seconds",
    "429:ms",
    "429:date",
    "429:none",
    "malformed",
    "truncate",
    "drop",
    "html",
    "stall",
]


@pytest.mark.parametrize("fault", RECOVERABLE)
def test_recoverable_faults_are_retried_and_the_listing_is_complete(
    lx: Runner, serve: object, clean_ids: list[str], fault: str
) -> None:
    app = make_app(schedule=["ok", fault, fault, "ok"], stall=1.0)
    srv = serve(app)  # type: ignore[operator]
    setup, _ = wire(app, url=srv.url, timeout=0.3, record=False)
    r = lx("jobs", "list", "--all", "--page-size", "25", state_setup=setup)
    assert r.code == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == clean_ids


@pytest.mark.parametrize(
    ("fault", "says"),
    [("no-retry", "503 Service Unavailable"), ("repeat-token", "repeated a page token")],
)
def test_unrecoverable_faults_fail_loudly_with_a_whole_prefix(
    lx: Runner, serve: object, clean_ids: list[str], fault: str, says: str
) -> None:
    app = make_app(schedule=["ok", fault])
    srv = serve(app)  # type: ignore[operator]
    setup, _ = wire(app, url=srv.url, record=False)
    r = lx("jobs", "list", "--all", "--page-size", "25", state_setup=setup)
    assert r.code == 1
    assert says in r.stderr and r.stderr.count("\n") == 1
    written = [json.loads(line)["id"] for line in r.stdout.splitlines()]
    assert written == clean_ids[: len(written)]


def test_persistent_5xx_gives_up_after_six_attempts(lx: Runner, serve: object) -> None:
    app = make_app(error_rate=1.0)
    srv = serve(app)  # type: ignore[operator]
    setup, _ = wire(app, url=srv.url, record=False)
    r = lx("jobs", "list", state_setup=setup)
    assert r.code == 1
    assert "after 6 attempts" in r.stderr


def test_connection_refused_exits_1(lx: Runner) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    setup, _ = wire(None, url=f"http://127.0.0.1:{port}", record=False)
    r = lx("jobs", "list", state_setup=setup)
    assert r.code == 1
    assert "could not reach 127.0.0.1" in r.stderr


def _peak_rss_kib(url: str) -> int:
    """Peak RSS of `lx jobs list --all -o jsonl` in a child process.

    Read from /proc/self/status (VmHWM), which starts afresh at exec; getrusage's
    ru_maxrss would carry over this (large) test process's peak across fork+exec.
    """
    code = (
        "import sys\n"
        "from llamaextract_cli.cli.main import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(hwm.split()[1], file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "LLAMA_CLOUD_API_KEY": "llx-memory-test"}
    proc = subprocess.run(
        [sys.executable, "-c", code, "--base-url", url, "jobs", "list", "--all", "-o", "jsonl"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stderr.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_memory_does_not_grow_with_the_number_of_jobs() -> None:
    """50,000 jobs stay within 10 MiB of 2,000 jobs (issue 6's bound)."""
    peaks = {}
    for jobs in (2_000, 50_000):
        app = SandboxApp(jobs=jobs, seed=1, live=0, cache_bytes=4 * 2**20)
        with SandboxServer(app) as srv:
            peaks[jobs] = _peak_rss_kib(srv.url)
    assert peaks[50_000] - peaks[2_000] < 10 * 1024, peaks
