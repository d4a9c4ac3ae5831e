"""Signals and pipes, with real processes: `| head -1` ends quietly on every listing
command; SIGINT and SIGTERM during paging, waiting and watching exit 130 with stdout made
of whole records and the terminal's cursor given back.

Readiness is a line of output (never a sleep); every child is killed and reaped in a
`finally` (relsupport.popen_lx).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from relsupport import (
    AUTH,
    NOW,
    check_no_secret,
    count,
    lx_argv,
    lx_env,
    one_error_line,
    popen_lx,
    read_until_line,
    serving,
)

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer

pytestmark = pytest.mark.slow

BIG = "sandbox://?jobs=3000&seed=3"  # the in-process emulator of the child: no server


def _some(app: SandboxApp, n: int, **q: str) -> list[dict[str, Any]]:
    query = [("page_size", str(n)), *q.items()]
    return json.loads(app.handle("GET", "/api/v2/extract", query, AUTH).body)["items"]


def _rows_job(app: SandboxApp) -> str:
    for job in _some(app, 100, status="COMPLETED", expand="configuration"):
        if (job.get("configuration") or {}).get("extraction_target") != "per_doc":
            return job["id"]
    raise AssertionError("the data set has no per_page / per_table_row job")


def head_cases() -> list[tuple[str, list[str]]]:
    app = SandboxApp(jobs=3000, seed=3)
    ids = [j["id"] for j in _some(app, 60)]
    base = ["--base-url", BIG]
    return [
        ("list jsonl", [*base, "jobs", "list", "--all", "-o", "jsonl"]),
        ("list json", [*base, "jobs", "list", "--all", "-o", "json"]),
        ("list csv", [*base, "jobs", "list", "--all", "-o", "csv"]),
        ("list tsv", [*base, "jobs", "list", "--all", "-o", "tsv"]),
        ("list table", [*base, "jobs", "list", "--all", "-o", "table"]),
        ("errors jsonl", [*base, "jobs", "errors", "-o", "jsonl", "--since", "3650d"]),
        ("stats csv", [*base, "jobs", "stats", "-o", "csv", "--since", "3650d"]),
        ("result rows", [*base, "jobs", "result", _rows_job(app), "-o", "jsonl"]),
        ("get several", [*base, "jobs", "get", *ids, "-o", "jsonl"]),
        ("fields", ["jobs", "fields"]),
        ("config list", ["config", "list", "-o", "jsonl"]),
    ]


def test_head_1_ends_every_listing_quietly(tmp_path: Path) -> None:
    """`lx ... | head -1` in a shell with pipefail: exit 0, nothing on stderr, and the one
    line is whole. The commands run side by side (2 cores), each in its own pipeline."""
    env = lx_env(tmp_path)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for name, argv in head_cases():
            p = subprocess.Popen(
                ["bash", "-c", 'set -o pipefail; "$@" | head -n 1', "lx", *lx_argv(*argv)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            procs.append((name, p))
        for name, p in procs:
            out, err = p.communicate(timeout=60)
            text, errors = out.decode(), err.decode()
            check_no_secret(text, errors)
            count("signals and pipes", "| head -1 pipelines")
            assert (p.returncode, errors) == (0, ""), (name, p.returncode, errors)
            assert text.endswith("\n") and text.count("\n") == 1, (name, text)
            line = text.rstrip("\n")
            if name.endswith("jsonl") or name in ("result rows", "get several"):
                json.loads(line)
            elif name == "list json":
                assert line == "["
            elif name.endswith(("csv", "tsv")):
                assert line.startswith("id") or "," in line or "\t" in line
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)


# --- interrupting a listing that pages --------------------------------------------------------


@pytest.fixture(scope="module")
def slow_server() -> Iterator[SandboxServer]:
    """200 jobs, 10 a page, 0.15 s a request: a listing takes 3 s, time to interrupt it."""
    app = SandboxApp(jobs=200, seed=4, now=NOW, live=0, faults=FaultConfig(latency=0.15))
    with serving(app) as server:
        yield server


def _whole_records(fmt: str, text: str) -> int:
    """How many whole records `text` holds; fails on a partial one."""
    if text == "":
        return 0
    if fmt != "json":
        assert text.endswith("\n"), f"a partial line: {text[-60:]!r}"
    if fmt == "jsonl":
        return len([json.loads(line) for line in text.splitlines()])
    if fmt == "json":  # cut: `[`, then whole items separated by `,\n`, no closing bracket
        assert text.startswith("[\n") and not text.endswith("]\n")
        return len(json.loads(text + "\n]"))
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == len(rows[0]) for r in rows)
    return len(rows) - 1


@pytest.mark.parametrize(
    ("fmt", "sig"),
    [
        ("jsonl", signal.SIGINT),
        ("json", signal.SIGINT),
        ("csv", signal.SIGTERM),
        ("jsonl", signal.SIGTERM),
    ],
    ids=["jsonl-SIGINT", "json-SIGINT", "csv-SIGTERM", "jsonl-SIGTERM"],
)
def test_a_signal_during_paging_exits_130_with_whole_records(
    tmp_path: Path, slow_server: SandboxServer, fmt: str, sig: signal.Signals
) -> None:
    argv = ["--base-url", slow_server.url, "jobs", "list", "--all", "--page-size", "10", "-o", fmt]
    with popen_lx(argv, lx_env(tmp_path)) as proc:
        assert proc.stdout is not None
        first = read_until_line(proc.stdout)  # the first page is out: paging is under way
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=30)
    check_no_secret(first, rest, err)
    count("signals and pipes", f"{signal.Signals(sig).name} runs")
    assert proc.returncode == 130, err
    line = one_error_line(err)
    assert line in ("lx: interrupted", "lx: terminated"), line
    written = _whole_records(fmt, first + rest)
    assert 0 < written < 200


# --- interrupting jobs wait and jobs watch ----------------------------------------------------


@pytest.fixture
def live_server() -> Iterator[tuple[SandboxServer, list[str]]]:
    app = SandboxApp(jobs=20, seed=6, now=NOW, live=2)
    with serving(app) as server:
        yield server, app.live_job_ids()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_jobs_wait_exits_130(
    tmp_path: Path, live_server: tuple[SandboxServer, list[str]], sig: signal.Signals
) -> None:
    server, live = live_server
    argv = ["--base-url", server.url, "jobs", "wait", *live, "--interval", "0.5", "-o", "jsonl"]
    with popen_lx(argv, lx_env(tmp_path)) as proc:
        assert proc.stderr is not None
        first = read_until_line(proc.stderr)  # `ext-… PENDING (0s)`: the first poll is done
        assert "PENDING" in first or "RUNNING" in first, first
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        err = first + err
    count("signals and pipes", f"{signal.Signals(sig).name} runs")
    assert proc.returncode == 130, err
    assert out == ""  # the final jobs are written only at the end: nothing partial
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith(("lx: interrupted", "lx: terminated"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_jobs_watch_exits_130_with_whole_lines(
    tmp_path: Path, live_server: tuple[SandboxServer, list[str]], sig: signal.Signals
) -> None:
    server, _ = live_server
    argv = ["--base-url", server.url, "jobs", "watch", "--interval", "0.5", "-o", "jsonl"]
    with popen_lx(argv, lx_env(tmp_path)) as proc:
        assert proc.stdout is not None
        first = read_until_line(proc.stdout)
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=30)
    count("signals and pipes", f"{signal.Signals(sig).name} runs")
    assert proc.returncode == 130, err
    assert _whole_records("jsonl", first + rest) >= 1
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith(("lx: interrupted", "lx: terminated"))


# --- the terminal is left sane ----------------------------------------------------------------

HIDE, SHOW = b"\x1b[?25l", b"\x1b[?25h"


def _read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    got = b""
    while wanted not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got


def _drain(fd: int) -> bytes:
    got = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 0.3)
        if not ready:
            return got
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return got
        if not chunk:
            return got
        got += chunk


@pytest.mark.parametrize(
    ("name", "tty_stream"),
    [("wait", "stderr"), ("watch", "stdout")],
)
def test_ctrl_c_on_a_live_display_gives_the_cursor_back(
    tmp_path: Path, live_server: tuple[SandboxServer, list[str]], name: str, tty_stream: str
) -> None:
    import pty

    server, live = live_server
    argv = ["--base-url", server.url, "jobs", name]
    argv += [*live, "--interval", "0.5"] if name == "wait" else ["--interval", "0.5"]
    master, slave = pty.openpty()
    try:
        streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, tty_stream: slave}
        with popen_lx(argv, lx_env(tmp_path, TERM="xterm"), **streams) as proc:
            os.close(slave)
            slave = -1
            shown = _read_until(master, HIDE, time.monotonic() + 20)
            assert HIDE in shown, shown[-200:]
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
            shown += _drain(master)
        count("signals and pipes", "SIGINT runs")
        assert proc.returncode == 130
        assert SHOW in shown[shown.rindex(HIDE) :], "the cursor was left hidden"
    finally:
        with contextlib.suppress(OSError):
            os.close(master)
        if slave >= 0:
            os.close(slave)
