"""The API key never appears where it should not (CLI.md: never printed whole, nor logged,
not even with --debug), and is never sent in clear text to another machine.

Besides these tests, every in-process run of the whole suite is scanned for the keys it
was given (tests/conftest.py's `lx` fixture, `lxtest.assert_no_secret`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxtest import TEST_KEY, Result, Runner
from relsupport import NOW, count, lx_env, run_lx, serving

from llamaextract_cli.api import client as client_module
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer

WRONG_KEY = "llx-WRONGKEY-9876543210zyxwvuSECRET"
SECRETS = (TEST_KEY, WRONG_KEY, TEST_KEY.removeprefix("llx-"))


def clean(r: Result | Any) -> None:
    count("secrets", "outputs grepped")
    for secret in SECRETS:
        assert secret not in r.stdout and secret not in r.stderr, "the key leaked"


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client the commands build (factory.make_client) retries without sleeping."""
    waits: list[float] = []

    class Client(client_module.ApiClient):
        def __init__(self, **kwargs: Any) -> None:
            kwargs["sleep"] = waits.append
            super().__init__(**kwargs)

    monkeypatch.setattr(client_module, "ApiClient", Client)
    return waits


@pytest.fixture(scope="module")
def keyed() -> Iterator[SandboxServer]:
    """A server that accepts only the test key, with a few retryable faults up front."""
    app = SandboxApp(
        jobs=60,
        seed=5,
        now=NOW,
        live=0,
        api_key=TEST_KEY,
        faults=FaultConfig(schedule=["500", "429:ms", "html", "malformed", "drop"]),
    )
    with serving(app) as server:
        yield server


def test_a_broad_matrix_of_runs_never_shows_the_key(
    lx: Runner, keyed: SandboxServer, no_sleep: list[float], isolated_settings: Path
) -> None:
    url = ["--base-url", keyed.url]
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    job = keyed.app.data.ids[0]
    runs: list[tuple[list[str], dict[str, str], str, int]] = [
        # (argv, env, stdin, expected exit)
        ([*url, "--debug", "jobs", "list", "-L", "3"], env, "", 0),
        ([*url, "--debug", "jobs", "list", "--all", "-o", "csv"], env, "", 0),
        ([*url, "--debug", "jobs", "get", job, "-o", "json"], env, "", 0),
        ([*url, "--debug", "jobs", "get", "ext-unknown"], env, "", 4),
        ([*url, "--debug", "jobs", "result", job], env, "", None),
        ([*url, "--debug", "jobs", "stats", "-o", "json"], env, "", 0),
        ([*url, "--debug", "jobs", "errors", "-o", "jsonl"], env, "", 0),
        ([*url, "--debug", "jobs", "cancel", job, "--dry-run"], env, "", None),
        ([*url, "--debug", "jobs", "list", "--since", "bogus"], env, "", 2),
        ([*url, "--debug", "jobs", "list"], {"LLAMA_CLOUD_API_KEY": WRONG_KEY}, "", 3),
        ([*url, "--debug", "auth", "status"], env, "", 0),
        (
            [*url, "--debug", "auth", "status", "-o", "json"],
            {"LLAMA_CLOUD_API_KEY": WRONG_KEY},
            "",
            3,
        ),
        (["config", "list"], env, "", 0),
        (["config", "list", "-o", "json"], env, "", 0),
        (["config", "get", "api_key"], env, "", 0),
        ([*url, "--debug", "auth", "login", "--with-token"], {}, TEST_KEY + "\n", 0),
        (["config", "list", "-o", "csv"], {}, "", 0),
        (["config", "get", "api_key"], {}, "", 0),
        ([*url, "--debug", "auth", "status"], {}, "", 0),
        ([*url, "--debug", "auth", "login", "--with-token"], {}, WRONG_KEY + "\n", 3),
        (["--debug", "auth", "login", "--with-token", "--no-verify"], {}, TEST_KEY + "\n", 0),
        (["--debug", "--base-url", "http://127.0.0.1:9", "jobs", "list"], env, "", 1),
        (["--debug", "--base-url", "http://api.example.com", "jobs", "list"], env, "", 2),
        (["--debug", "auth", "logout"], {}, "", 0),
    ]
    for argv, extra, stdin, code in runs:
        r = lx(*argv, env=extra, stdin=stdin)
        clean(r)
        if "--debug" not in argv:
            assert "Traceback" not in r.stderr
        if code is not None:
            assert r.code == code, (argv, r.stderr)


def test_debug_logs_say_the_key_is_sent_masked(lx: Runner, keyed: SandboxServer) -> None:
    r = lx(
        "--base-url", keyed.url, "--debug", "auth", "status", env={"LLAMA_CLOUD_API_KEY": TEST_KEY}
    )
    clean(r)
    assert "llx-…CRET" in r.stdout + r.stderr  # masked, so a user can tell which key


def test_login_from_a_prompt_never_echoes(lx: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    prompts: list[Any] = []

    def fake_getpass(prompt: str = "", stream: Any = None) -> str:
        prompts.append(stream)
        return TEST_KEY

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    r = lx("auth", "login", "--no-verify", stdin_tty=True, tty=True)
    clean(r)
    assert r.code == 0 and prompts, r.stderr
    assert "llx-…CRET" in r.stderr


def test_a_traceback_under_debug_never_shows_the_key(
    lx: Runner, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """An unexpected failure deep in the HTTP stack whose message carries the request's
    headers (as h11's "Illegal header value" does): the traceback --debug prints is
    redacted too."""

    def explode(self: Any, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"cannot send {dict(request.headers)}")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", explode)
    r = lx("--debug", "--base-url", "http://127.0.0.1:9", "jobs", "list",
           env={"LLAMA_CLOUD_API_KEY": TEST_KEY})  # fmt: skip
    out, err = capfd.readouterr()  # a traceback may go to the process's own stderr
    clean(r)
    assert r.code == 1
    for text in (out, err, r.stderr):
        assert TEST_KEY not in text
    assert "Traceback" in err + r.stderr  # --debug did print one


# --- plain http to another machine ------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail loudly if anything opens a connection or resolves a name."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args[:1]}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    return attempts


REMOTE = "http://api.example.com"
PLAIN_HTTP_RUNS: list[tuple[list[str], dict[str, str], str]] = [
    (["--base-url", REMOTE, "jobs", "list"], {}, ""),
    (["--base-url", REMOTE + ":8080/", "jobs", "get", "ext-1"], {}, ""),
    (["--base-url", "http://10.0.0.1", "jobs", "wait", "ext-1"], {}, ""),
    (["--base-url", "http://0.0.0.0:80", "jobs", "stats"], {}, ""),
    (["--base-url", "http://localhost.example.com", "jobs", "errors"], {}, ""),
    (["--base-url", "HTTP://API.EXAMPLE.COM", "jobs", "list"], {}, ""),
    (["jobs", "list"], {"LLAMA_CLOUD_BASE_URL": REMOTE}, ""),
    (["auth", "status"], {"LLAMA_CLOUD_BASE_URL": REMOTE}, ""),
    (["--profile", "plain", "jobs", "list"], {}, ""),
    (
        ["auth", "login", "--with-token", "--base-url", REMOTE],
        {"LLAMA_CLOUD_API_KEY": ""},
        TEST_KEY + "\n",
    ),
    (
        ["--base-url", REMOTE, "auth", "login", "--with-token"],
        {"LLAMA_CLOUD_API_KEY": ""},
        TEST_KEY + "\n",
    ),
]


@pytest.mark.parametrize(("argv", "env", "stdin"), PLAIN_HTTP_RUNS)
def test_plain_http_to_another_machine_sends_nothing(
    lx: Runner,
    isolated_settings: Path,
    no_network: list[Any],
    argv: list[str],
    env: dict[str, str],
    stdin: str,
) -> None:
    isolated_settings.parent.mkdir(parents=True, exist_ok=True)
    isolated_settings.write_text(
        f'[profiles.plain]\napi_key = "{TEST_KEY}"\nbase_url = "{REMOTE}"\n'
    )
    isolated_settings.chmod(0o600)
    before = isolated_settings.read_bytes()
    r = lx(*argv, env={"LLAMA_CLOUD_API_KEY": TEST_KEY, **env}, stdin=stdin)
    clean(r)
    count("secrets", "plain-http runs refused")
    assert no_network == []
    assert r.code == 2, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "clear text" in lines[0] and "--allow-http" in lines[0], r.stderr
    assert isolated_settings.read_bytes() == before  # login saved nothing


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (no packet is sent)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_plain_http_to_a_real_listener_gets_no_connection(tmp_path: Path) -> None:
    """A real process and a real listener on a non-loopback address of this machine:
    without --allow-http not one connection arrives; with it, the key does (so the
    listener would have seen a leak)."""
    address = _outside_address() or "127.0.0.2"  # not the loopback of is_loopback()? see below
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    seen.append(conn.recv(4096))
                    conn.sendall(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://{address}:{port}"
        env = lx_env(tmp_path)
        refused = run_lx(["--base-url", url, "--timeout", "0.5", "jobs", "list"], env)
        assert refused.code == 2 and "clear text" in refused.stderr
        assert seen == []
        if not address.startswith("127."):
            allowed = run_lx(
                [
                    "--base-url",
                    url,
                    "--allow-http",
                    "--timeout",
                    "0.3",
                    "auth",
                    "status",
                    "-o",
                    "json",
                ],
                env,
            )
            assert "Traceback" not in allowed.stderr
            assert any(TEST_KEY.encode() in chunk for chunk in seen)  # the listener works
    finally:
        stop.set()
        thread.join(5)
        listener.close()
