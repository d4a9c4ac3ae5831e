"""`lx sandbox serve`: help, usage errors, and a real run stopped by a signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from typing import Any

import httpx
import pytest
from llama_cloud import LlamaCloud
from typer.testing import CliRunner

from llamaextract_cli.cli.commands import sandbox as sandbox_cmd


def run(*args: str) -> Any:
    return CliRunner().invoke(sandbox_cmd.app, list(args))


def test_help_has_examples_and_every_option_is_documented() -> None:
    result = run("serve", "--help")
    assert result.exit_code == 0
    out = result.output
    assert re.search(r"Examples:\n +lx sandbox serve --port 8787\n +lx sandbox serve", out)
    for flag in (
        "--host", "--port", "--jobs", "--seed", "--api-shape", "--api-key", "--live", "--now",
        "--max-page-size", "--latency", "--error-rate", "--rate-limit", "--retry-after",
        "--malformed-rate", "--truncate-rate", "--drop-rate", "--html-rate", "--stall-rate",
        "--stall", "--no-retry-rate", "--repeat-token-rate", "--fault-schedule", "--fault-seed",
    ):  # fmt: skip
        assert flag in out, flag
    import typer

    command = typer.main.get_command(sandbox_cmd.app)
    serve = command.commands["serve"]  # type: ignore[attr-defined]
    undocumented = [p.name for p in serve.params if not getattr(p, "help", None)]
    assert undocumented == []
    assert run("--help").exit_code == 0


@pytest.mark.parametrize(
    "args,message",
    [
        (["--api-shape", "future"], "current or seed"),
        (["--error-rate", "2"], "between 0 and 1"),
        (["--error-rate", "0.7", "--html-rate", "0.7"], "add up to"),
        (["--fault-schedule", "ok,teapot"], "teapot"),
        (["--now", "last tuesday"], "ISO 8601"),
        (["--retry-after", "minutes"], "seconds, ms, date or none"),
        (["--port", "70000"], "70000"),
        (["--jobs", "-5"], "-5"),
        (["--api-key", " "], "empty"),
        (["--latency", "fast"], "fast"),
    ],
)
def test_bad_values_are_usage_errors(args: list[str], message: str) -> None:
    result = run("serve", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_busy_port_is_a_usage_error() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port), "--jobs", "5")
    assert result.exit_code == 2
    assert "cannot listen on 127.0.0.1" in result.output


class Served:
    """`python -m llamaextract_cli sandbox serve ...` in a subprocess."""

    def __init__(self, *args: str) -> None:
        cmd = [sys.executable, "-m", "llamaextract_cli", "sandbox", "serve", "--port", "0", *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # SIGINT back to default: a test run started in the background ignores it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.killer = threading.Timer(30, self.proc.kill)
        self.killer.start()
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        while len(self.lines) < 3:
            line = self.proc.stderr.readline()
            assert line, f"the server did not start: {self.lines}"
            self.lines.append(line.rstrip("\n"))
        match = re.search(r"on (http://127\.0\.0\.1:\d+)$", self.lines[0])
        assert match, self.lines
        self.url = match.group(1)

    def stop(self, sig: int) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=20)
        self.killer.cancel()
        return self.proc.returncode, out, err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_until_a_signal_and_stops_cleanly(sig: int) -> None:
    served = Served("--jobs", "600", "--seed", "7", "--now", "2026-01-01T00:00:00Z", "--live", "4")
    try:
        first, second = served.lines[:2]
        assert first == f"lx sandbox: serving 600 jobs (seed 7, shape current) on {served.url}"
        live = re.findall(r"ext-[0-9a-f-]{36}", second)
        assert len(live) == 4
        client = LlamaCloud(
            api_key="llx-any", base_url=served.url, _strict_response_validation=True, max_retries=0
        )
        failed = list(client.extract.list(status="FAILED", page_size=100))
        assert failed and all(j.status == "FAILED" for j in failed)
        assert client.extract.get(live[0]).id == live[0]
        client.close()
    finally:
        code, out, err = served.stop(sig)
    assert code == 0, err
    assert out == ""
    assert "Traceback" not in err
    assert err.rstrip().endswith("lx sandbox: stopped")
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url + "/api/v2/extract")


def test_usage_errors_through_the_lx_root(lx: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`lx sandbox serve` with a bad value: exit 2, one line naming the option, no traceback."""
    r = lx("sandbox", "serve", "--error-rate", "1.5")
    assert r.code == 2
    assert "--error-rate" in r.stderr and "between 0 and 1" in r.stderr
    assert "Traceback" not in r.stderr
    r = lx("sandbox")  # no command: the group's help
    captured = capsys.readouterr()
    assert r.code == 2
    assert "serve" in r.stderr + captured.err + captured.out
