"""Time slices in a real process: Ctrl-C (and SIGTERM) while slices are spooled to disk
exits 130 with whole records on stdout and leaves no temporary file behind.

The child lists a window in 4 concurrent slices from a sandbox server with latency; its
TMPDIR is a directory of the test's own. While it runs, /proc shows the spool files it
holds open there (so the test knows spooling is under way); after the signal, the
directory must be empty and the process gone.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from relsupport import NOW, lx_env, one_error_line, popen_lx, raw_listing, read_until_line, serving

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc"),
]

JOBS = 2000


def make_app(latency: float = 0.0) -> SandboxApp:
    return SandboxApp(jobs=JOBS, seed=5, now=NOW, live=0, faults=FaultConfig(latency=latency))


@pytest.fixture
def slow_server() -> Iterator[SandboxServer]:
    with serving(make_app(latency=0.03)) as server:
        yield server


def spool_files(pid: int, where: Path) -> int:
    count = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(where))
        except OSError:
            continue
    return count


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_slices_are_spooled_leaves_no_file(
    tmp_path: Path, slow_server: SandboxServer, sig: signal.Signals
) -> None:
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    argv = [
        "--base-url", slow_server.url, "--concurrency", "4", "jobs", "list", "--all",
        "--since", "2025-11-01", "--until", NOW, "--page-size", "10", "-o", "jsonl",
    ]  # fmt: skip
    env = lx_env(tmp_path, TMPDIR=str(spool_dir))
    with popen_lx(argv, env) as proc:
        assert proc.stdout is not None
        first = read_until_line(proc.stdout)
        deadline = time.monotonic() + 20
        while spool_files(proc.pid, spool_dir) == 0:  # wait for a slice to spill to disk
            assert proc.poll() is None, "the listing ended before anything was spooled"
            assert time.monotonic() < deadline, "no spool file appeared"
            time.sleep(0.01)
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert one_error_line(err) in ("lx: interrupted", "lx: terminated")
    out = first + rest
    assert out.endswith("\n")
    got = [json.loads(line) for line in out.splitlines()]
    want = raw_listing(make_app())
    assert 0 < len(got) < JOBS and got == want[: len(got)]
    assert list(spool_dir.iterdir()) == [], "a temporary file was left behind"


def test_a_whole_run_leaves_no_file(tmp_path: Path, slow_server: SandboxServer) -> None:
    from relsupport import run_lx

    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    r = run_lx(
        ["--base-url", slow_server.url, "--concurrency", "8", "jobs", "list", "--all",
         "--since", "2025-11-01", "--page-size", "25", "-o", "jsonl"],
        lx_env(tmp_path, TMPDIR=str(spool_dir)),
    )  # fmt: skip
    assert (r.code, r.stderr) == (0, "")
    assert [json.loads(line) for line in r.stdout.splitlines()] == raw_listing(make_app())
    assert list(spool_dir.iterdir()) == []
