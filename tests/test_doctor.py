"""`lx doctor`: one line per check, the exit status, JSON, and each check's verdicts."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from lxtest import Runner

from llamaextract_cli.cli import doctor
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.server import SandboxServer

NAMES = [
    "lx",
    "libraries",
    "settings",
    "profile",
    "api_key",
    "base_url",
    "live",
    "completion",
    "cache",
]
KEY = "llx-doctor-test-key-0123456789"


def checks(
    run: Runner, *args: str, env: dict[str, str] | None = None, command: bool = True
) -> tuple[int, dict]:
    r = run(*args, *(("doctor",) if command else ()), "-o", "json", env=env)
    assert r.stderr == "", r.stderr
    return r.code, {c["check"]: c for c in json.loads(r.stdout)["checks"]}


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "home").mkdir()
    return {"HOME": str(tmp_path / "home"), "SHELL": "/bin/bash", "XDG_DATA_HOME": ""}


def test_the_sandbox_profile_passes_every_check_but_completion(
    lx: Runner, home: dict[str, str]
) -> None:
    code, by = checks(lx, "--profile", "sandbox", env=home)
    assert code == 0
    assert list(by) == NAMES
    assert {n: c["status"] for n, c in by.items()} == {
        **dict.fromkeys(NAMES, "ok"),
        "completion": "warn",
    }
    assert by["profile"]["message"] == "sandbox; source: flag (--profile)"
    assert by["api_key"]["details"] == {"masked": "llx-…0000", "source": "built-in sandbox"}
    assert by["completion"]["hint"] == "lx completion install bash"
    assert by["live"]["details"]["latency_ms"] >= 0


def test_text_is_one_line_per_check_and_a_count(lx: Runner, home: dict[str, str]) -> None:
    r = lx("--profile", "sandbox", "doctor", env=home)
    assert r.code == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    heads = [line.split()[:2] for line in lines if line and not line.startswith(" ")]
    assert heads[: len(NAMES)] == [["ok", n] for n in NAMES[:7]] + [
        ["warn", "completion"],
        ["ok", "cache"],
    ]
    assert "                  -> lx completion install bash" in lines
    assert lines[-1] == "8 ok, 1 warning, 0 failed"
    jl = lx("--profile", "sandbox", "doctor", "-o", "jsonl", env=home)
    assert [json.loads(x)["check"] for x in jl.stdout.splitlines()] == NAMES


def test_no_key_fails_with_a_login_hint_for_the_profile_in_effect(
    lx: Runner, config: Path, home: dict[str, str]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.eu]\nbase_url = "https://api.cloud.eu.llamaindex.ai"\n')
    os.chmod(config, 0o600)
    code, by = checks(lx, "doctor", "--no-live", env=home, command=False)
    assert code == 1
    assert by["api_key"]["status"] == "fail" and by["api_key"]["hint"] == "lx auth login"
    code, by = checks(lx, "--profile", "eu", "doctor", "--no-live", env=home, command=False)
    assert code == 1 and by["api_key"]["hint"] == "lx --profile eu auth login"
    assert by["settings"]["status"] == "ok" and by["settings"]["details"]["mode"] == "0600"


def test_without_a_key_the_url_is_still_tried(lx: Runner, home: dict[str, str]) -> None:
    with SandboxServer(SandboxApp(jobs=20, seed=1)) as srv:
        code, by = checks(lx, "--base-url", srv.url, env=home)
    assert code == 1  # the key check failed
    # The server answered 401 to a request without a key: reachable, key unchecked.
    assert by["live"]["status"] == "warn" and "no key to check" in by["live"]["message"]
    assert by["live"]["hint"] == "lx auth login"


def test_a_malformed_settings_file_fails_its_checks_not_the_command(
    lx: Runner, config: Path, home: dict[str, str]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text("[profiles.eu\n", encoding="utf-8")
    r = lx("doctor", env=home)
    assert r.code == 1 and "Traceback" not in r.stdout + r.stderr
    code, by = checks(lx, env=home)
    assert by["settings"]["status"] == "fail" and "line 1" in by["settings"]["message"]
    assert by["profile"]["status"] == "fail"
    assert by["live"]["message"] == "skipped: the profile could not be resolved"
    assert by["cache"]["status"] == "ok"


def test_a_settings_file_readable_by_others_is_a_warning(
    lx: Runner, config: Path, home: dict[str, str]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('default_profile = "sandbox"\n', encoding="utf-8")
    os.chmod(config, 0o644)
    code, by = checks(lx, env=home)
    assert code == 0
    assert by["settings"]["status"] == "warn" and by["settings"]["hint"] == f"chmod 600 {config}"
    assert by["profile"]["message"].startswith("sandbox; source: ")


def test_the_live_check_over_a_socket_compares_clocks(lx: Runner, home: dict[str, str]) -> None:
    with SandboxServer(SandboxApp(jobs=20, seed=1)) as srv:
        code, by = checks(lx, "--base-url", srv.url, env={**home, "LLAMA_CLOUD_API_KEY": KEY})
    assert code == 0
    live = by["live"]
    assert live["status"] == "ok" and "clock within 5 s" in live["message"]
    assert live["details"]["server_date"].endswith("GMT")
    assert abs(live["details"]["skew_seconds"]) < 5


def test_an_unreachable_url_fails_the_live_check_clearly(
    lx: Runner, home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "LIVE_RETRIES", 0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: connections are refused
    code, by = checks(
        lx, "--base-url", f"http://127.0.0.1:{port}", env={**home, "LLAMA_CLOUD_API_KEY": KEY}
    )
    assert code == 1
    assert by["live"]["status"] == "fail"
    assert "could not reach 127.0.0.1" in by["live"]["message"]
    assert by["base_url"]["status"] == "ok" and by["cache"]["status"] == "ok"


def test_no_live_sends_no_request(lx: Runner, home: dict[str, str]) -> None:
    r = lx(
        "--base-url",
        "http://127.0.0.1:9",
        "doctor",
        "--no-live",
        "-o",
        "json",
        env={**home, "LLAMA_CLOUD_API_KEY": KEY},
    )
    by = {c["check"]: c for c in json.loads(r.stdout)["checks"]}
    assert r.code == 0 and by["live"] == {
        "check": "live",
        "status": "warn",
        "message": "not checked",
        "hint": None,
        "details": {},
    }


@pytest.mark.parametrize(
    ("offset", "status", "words"),
    [
        (0.4, "ok", "clock within 5 s"),
        (-0.6, "ok", "clock within 5 s"),
        (30.0, "warn", "30 s ahead of the server's"),
        (-90.0, "warn", "90 s behind the server's"),
    ],
)
def test_clock_skew_verdicts(offset: float, status: str, words: str) -> None:
    server = 1_800_000_000  # a whole second, as a Date header has
    check = doctor._clock(0.0, "Fri, 15 Jan 2027 08:00:00 GMT", lambda: server + offset)
    assert check.status == status and words in check.message
    assert check.data["skew_seconds"] == round(offset, 1)
    if status == "warn":
        assert "--since" in check.message and check.hint


def test_a_missing_or_unreadable_date_is_said_not_guessed() -> None:
    assert "no Date" in doctor._clock(3.0, None, lambda: 0.0).message
    odd = doctor._clock(3.0, "yesterday", lambda: 0.0)
    assert odd.status == "ok" and "unreadable Date" in odd.message
    assert odd.data["skew_seconds"] is None


def test_completion_installed_current_and_stale(lx: Runner, home: dict[str, str]) -> None:
    assert lx("completion", "install", "bash", env=home).code == 0
    code, by = checks(lx, "--profile", "sandbox", env=home)
    assert code == 0 and by["completion"]["status"] == "ok"
    assert by["completion"]["message"].endswith(", current")
    path = Path(by["completion"]["details"]["path"])
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    _, by = checks(lx, "--profile", "sandbox", env=home)
    assert by["completion"]["status"] == "warn" and "another version" in by["completion"]["message"]
    assert by["completion"]["hint"] == "lx completion install bash"
    _, by = checks(lx, "--profile", "sandbox", env={**home, "SHELL": "/bin/tcsh"})
    assert by["completion"]["status"] == "ok" and "not checked" in by["completion"]["message"]


def test_a_bad_format_is_a_usage_error(lx: Runner) -> None:
    r = lx("--profile", "sandbox", "doctor", "-o", "csv")
    assert r.code == 2 and r.stdout == "" and "text, json, jsonl" in r.stderr
