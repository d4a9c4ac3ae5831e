"""`--error-format json` / LX_ERROR_FORMAT=json: the one stderr line of a failure is one
JSON object, for every exit status; the default stays the `lx: …` line; warnings stay
text."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from lxtest import runner_on

from llamaextract_cli.jobs import lookup
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig

URL = "sandbox://?jobs=300&seed=7"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
KEYS = ["exit_status", "kind", "message", "hint", "http_status", "request_id", "retry_after"]
UNKNOWN = "ext-00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW.timestamp()))


@pytest.fixture
def run(lx: Callable[..., Any], app: SandboxApp) -> Any:
    return runner_on(lx, app, URL)


def error_of(stderr: str) -> dict[str, Any]:
    """The one JSON object of stderr (each line must be one)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    doc = json.loads(lines[0])
    assert list(doc) == ["error"] and list(doc["error"]) == KEYS
    return doc["error"]


def job_in(app: SandboxApp, status: str) -> str:
    auth = {"authorization": "Bearer llx-test"}
    query = [("status", status), ("page_size", "1")]
    return app.handle("GET", "/api/v2/extract", query, auth).json()["items"][0]["id"]


# --- one test per exit status --------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["jobs", "list", "--bogus"], "unknown option --bogus"),
        (["jobs", "list", "--limit", "x"], "--limit: 'x' is not a whole number"),
        (["jobs", "result"], "'lx jobs result' needs JOB_ID"),
        (["jobs", "list", "--status", "DONE"], "'DONE' is not one of"),
        (["jobs", "list", "--limit", "3", "--all"], "--limit and --all contradict each other"),
        (["jobs", "list", "--jq", ".["], "--jq: syntax error"),
        (["nosuchcommand"], "unknown command 'nosuchcommand'"),
    ],
)
def test_usage_errors_exit_2(run: Any, argv: list[str], said: str) -> None:
    r = run("--error-format", "json", *argv)
    assert (r.code, r.stdout) == (2, "")
    error = error_of(r.stderr)
    assert error["exit_status"] == 2 and error["kind"] == "usage"
    assert said in error["message"]
    assert error["hint"] and error["http_status"] is None


def test_a_missing_command_is_json_too(run: Any) -> None:
    r = run("--error-format", "json", "jobs")
    assert r.code == 2
    assert error_of(r.stderr)["kind"] == "usage"


def test_auth_exit_3_no_key(lx: Any) -> None:
    r = lx("--error-format", "json", "jobs", "list")
    assert r.code == 3
    error = error_of(r.stderr)
    assert (error["exit_status"], error["kind"]) == (3, "auth")
    assert "no API key" in error["message"] and "lx auth login" in error["hint"]


def test_auth_exit_3_refused_names_the_request(lx: Any) -> None:
    from lxtest import wire

    locked = SandboxApp(jobs=20, seed=7, now=NOW, clock=FakeClock(), api_key="llx-other-key-123456")
    setup, _ = wire(locked)
    r = lx("--error-format", "json", "--base-url", URL, "jobs", "list", state_setup=setup)
    assert r.code == 3
    error = error_of(r.stderr)
    assert (error["kind"], error["http_status"]) == ("auth", 401)
    assert error["request_id"].startswith("req-sandbox-")


def test_not_found_exit_4_one_object_per_unknown_id(run: Any, app: SandboxApp) -> None:
    known = job_in(app, "COMPLETED")
    other = UNKNOWN.replace("0000-0000-0000-0000", "0000-0000-0000-0001")
    r = run("--error-format", "json", "jobs", "get", known, UNKNOWN, other, "-o", "jsonl")
    assert r.code == 4
    assert json.loads(r.stdout)["id"] == known  # what was found is still printed
    lines = r.stderr.splitlines()
    assert len(lines) == 2
    for line, job_id in zip(lines, (UNKNOWN, other), strict=True):
        error = json.loads(line)["error"]
        assert list(error) == KEYS
        assert error["message"] == f"job {job_id} not found"
        assert (error["exit_status"], error["kind"], error["http_status"]) == (4, "not_found", 404)
        assert error["request_id"].startswith("req-sandbox-")


def test_not_found_exit_4_single(run: Any) -> None:
    r = run("--error-format", "json", "jobs", "result", UNKNOWN)
    assert r.code == 4
    error = error_of(r.stderr)
    assert (error["kind"], error["http_status"]) == ("not_found", 404)


def test_wait_not_found_is_json(run: Any) -> None:
    r = run("--error-format", "json", "jobs", "wait", UNKNOWN, "--timeout", "0")
    assert r.code == 4
    objects = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    assert [o["error"]["kind"] for o in objects] == ["not_found"]


def test_api_exit_1_carries_status_request_id_and_retry_after(lx: Any) -> None:
    from lxtest import wire

    busy = SandboxApp(
        jobs=20,
        seed=7,
        now=NOW,
        clock=FakeClock(),
        faults=FaultConfig(rate_limit=1, schedule=[], retry_after="seconds"),
    )
    setup, _ = wire(busy)
    # every request beyond the first within the (frozen) second is a 429
    r = lx(
        "--error-format",
        "json",
        "--base-url",
        URL,
        "jobs",
        "list",
        "--all",
        "--page-size",
        "1",
        state_setup=setup,
    )
    assert r.code == 1
    error = error_of(r.stderr.splitlines()[-1])
    assert (error["exit_status"], error["kind"], error["http_status"]) == (1, "api", 429)
    assert error["request_id"].startswith("req-sandbox-")
    assert error["retry_after"] == 1.0


def test_network_exit_1(lx: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens
    r = lx(
        "--error-format",
        "json",
        "--base-url",
        f"http://127.0.0.1:{port}",
        "jobs",
        "list",
        env={"LLAMA_CLOUD_API_KEY": "llx-TESTKEY-0123456789abcdefSECRET"},
    )
    assert r.code == 1
    error = error_of(r.stderr)
    assert (error["kind"], error["http_status"], error["request_id"]) == ("network", None, None)
    assert "could not reach" in error["message"]
    assert "SECRET" not in r.stderr


def test_failed_job_exit_1(run: Any, app: SandboxApp) -> None:
    r = run("--error-format", "json", "jobs", "result", job_in(app, "FAILED"))
    assert r.code == 1
    error = error_of(r.stderr)
    assert (error["exit_status"], error["kind"]) == (1, "failed_job")
    assert "is FAILED" in error["message"]


def test_timeout_exit_124(run: Any, app: SandboxApp) -> None:
    r = run("--error-format", "json", "jobs", "wait", job_in(app, "RUNNING"), "--timeout", "0")
    assert r.code == 124
    objects = [json.loads(line)["error"] for line in r.stderr.splitlines() if line[:1] == "{"]
    assert len(objects) == 1
    assert (objects[0]["exit_status"], objects[0]["kind"]) == (124, "timeout")
    assert "timed out" in objects[0]["message"]


def test_interrupted_exit_130(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(lookup, "fetch_or_fail", interrupt)
    r = run("--error-format", "json", "jobs", "get", UNKNOWN)
    assert r.code == 130
    error = error_of(r.stderr)
    assert (error["exit_status"], error["kind"], error["message"]) == (
        130,
        "interrupted",
        "interrupted",
    )


# --- how the format is chosen ----------------------------------------------------------------


def test_the_default_is_the_text_line(run: Any) -> None:
    r = run("jobs", "get", UNKNOWN)
    assert (r.code, r.stderr) == (4, f"lx: job {UNKNOWN} not found\n")


def test_the_environment_variable(run: Any) -> None:
    r = run("jobs", "list", "--bogus", env={"LX_ERROR_FORMAT": "json"})
    assert r.code == 2 and error_of(r.stderr)["kind"] == "usage"
    r = run("--error-format", "text", "jobs", "list", "--bogus", env={"LX_ERROR_FORMAT": "json"})
    assert r.code == 2 and r.stderr.startswith("lx: unknown option --bogus")


def test_a_bad_environment_value_is_a_usage_error(run: Any) -> None:
    r = run("jobs", "list", env={"LX_ERROR_FORMAT": "xml"})
    assert r.code == 2
    assert r.stderr.startswith("lx: LX_ERROR_FORMAT='xml' is not an error format")


def test_an_error_before_the_root_options_are_read_is_json(run: Any) -> None:
    r = run("--bogus", "--error-format", "json", "jobs", "list")
    assert r.code == 2 and error_of(r.stderr)["message"].startswith("unknown option --bogus")


def test_warnings_stay_text(run: Any) -> None:
    r = run("--error-format", "json", "jobs", "get", "-", stdin="")
    assert r.code == 0
    assert r.stderr == "lx: no job IDs on stdin; nothing to do\n"
