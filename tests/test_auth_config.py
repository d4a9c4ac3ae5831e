"""lx auth login|logout|status and lx config list|get|set|unset|path, end to end.

In-process through `main.run` (the `lx` fixture of conftest.py), plus a few runs
of `python -m llamaextract_cli` as a subprocess. Key checks go to a tiny HTTP
server on 127.0.0.1 (no network) or to the in-process sandbox. Every run's
stdout and stderr are checked for the test key.
"""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxtest import TEST_KEY, Result

from llamaextract_cli.cli import login as auth_flow
from llamaextract_cli.cli.context import State
from llamaextract_cli.errors import NetworkError
from llamaextract_cli.settings import profiles as settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BAD_KEY = "llx-BADKEY-0000000000000000REVOKED"
MASKED = "llx-…CRET"


@pytest.fixture
def run(lx: Callable[..., Result]) -> Callable[..., Result]:
    """`lx` that also asserts the keys never reach stdout or stderr."""

    def invoke(*args: str, **kwargs: object) -> Result:
        result = lx(*args, **kwargs)
        for secret in (TEST_KEY, BAD_KEY):
            assert secret not in result.stdout, f"key in stdout of {args}"
            assert secret not in result.stderr, f"key in stderr of {args}"
        assert "Traceback" not in result.stderr or "--debug" in args
        return result

    return invoke


def read(config: Path) -> dict:
    return tomllib.loads(config.read_text())


def write(config: Path, text: str) -> None:
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text(text)
    config.chmod(0o600)


# --- a fake API on loopback --------------------------------------------------------


@dataclass
class FakeApi:
    url: str
    good_keys: set[str]
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    state = FakeApi(url="", good_keys={TEST_KEY})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
            if self.headers.get("Authorization") in {f"Bearer {k}" for k in state.good_keys}:
                code, body = 200, {"items": [], "next_page_token": None}
            else:
                code, body = 401, {"detail": "Invalid API key"}
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# --- config path / set / get / unset / list ----------------------------------------


def test_config_path(run: Callable[..., Result], config: Path) -> None:
    r = run("config", "path")
    assert (r.code, r.stdout, r.stderr) == (0, f"{config}\n", "")
    assert not config.exists()


def test_config_set_get_unset_roundtrip(run: Callable[..., Result], config: Path) -> None:
    r = run("config", "set", "format", "JSON")
    assert r.code == 0 and r.stdout == ""
    assert "Set format = json in profile 'default'" in r.stderr
    assert read(config) == {"profiles": {"default": {"format": "json"}}}
    assert run("config", "get", "format").stdout == "json\n"
    assert run("config", "set", "page_size", "25").code == 0
    assert read(config)["profiles"]["default"]["page_size"] == 25  # an int, not "25"
    r = run("config", "unset", "format")
    assert r.code == 0 and "Removed format from profile 'default'" in r.stderr
    r = run("config", "get", "format")
    assert (r.code, r.stdout, r.stderr) == (1, "", "")
    r = run("config", "unset", "format")
    assert r.code == 0 and "nothing to remove" in r.stderr


def test_config_get_shows_the_value_in_effect(run: Callable[..., Result], config: Path) -> None:
    assert run("config", "get", "base_url").stdout == f"{settings.DEFAULT_BASE_URL}\n"
    run("config", "set", "base_url", settings.EU_BASE_URL)
    assert run("config", "get", "base_url").stdout == f"{settings.EU_BASE_URL}\n"
    r = run("config", "get", "base_url", env={"LLAMA_CLOUD_BASE_URL": "https://env.example.com"})
    assert r.stdout == "https://env.example.com\n"
    r = run("--base-url", "http://127.0.0.1:1", "config", "get", "base_url")
    assert r.stdout == "http://127.0.0.1:1\n"
    r = run("config", "get", "format", env={"LX_FORMAT": "csv"})
    assert r.stdout == "csv\n"


def test_config_get_api_key_is_masked(run: Callable[..., Result]) -> None:
    r = run("config", "get", "api_key", env={"LLAMA_CLOUD_API_KEY": TEST_KEY})
    assert (r.code, r.stdout) == (0, f"{MASKED}\n")
    assert run("config", "get", "api_key").code == 1


def test_config_unknown_key(run: Callable[..., Result], config: Path) -> None:
    for args in (("get", "colour"), ("set", "colour", "blue"), ("unset", "colour")):
        r = run("config", *args)
        assert r.code == 2, args
        assert "unknown setting 'colour'" in r.stderr
        assert "api_key, base_url, project_id, organization_id, format, page_size" in r.stderr
        assert r.stderr.count("\n") == 1
    assert not config.exists()


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("format", "xml", "one of table, wide, json, jsonl, yaml, csv, tsv"),
        ("page_size", "0", "from 1 to 100"),
        ("page_size", "abc", "whole number"),
        ("base_url", "ftp://example.com", "http(s) URL"),
        ("project_id", "", "non-empty"),
    ],
)
def test_config_set_bad_value_changes_nothing(
    run: Callable[..., Result], config: Path, key: str, value: str, needle: str
) -> None:
    run("config", "set", "project_id", "p1")
    before = config.read_bytes()
    r = run("config", "set", key, value)
    assert r.code == 2 and needle in r.stderr and key in r.stderr
    assert r.stderr.count("\n") == 1
    assert config.read_bytes() == before


def test_config_set_api_key_is_refused(run: Callable[..., Result], config: Path) -> None:
    r = run("config", "set", "api_key", TEST_KEY)
    assert r.code == 2 and "lx auth login" in r.stderr
    assert not config.exists()


def test_config_set_uses_the_profile_in_effect(run: Callable[..., Result], config: Path) -> None:
    assert run("--profile", "eu", "config", "set", "project_id", "p-eu").code == 0
    assert run("config", "set", "project_id", "p-eu2", env={"LX_PROFILE": "eu"}).code == 0
    assert run("config", "set", "default_profile", "eu").code == 0
    assert run("config", "set", "format", "csv").code == 0  # goes to eu, the default now
    assert run("--profile", "sandbox", "config", "set", "page_size", "7").code == 0
    assert read(config) == {
        "default_profile": "eu",
        "profiles": {
            "eu": {"project_id": "p-eu2", "format": "csv"},
            "sandbox": {"page_size": 7},
        },
    }
    assert run("config", "get", "default_profile").stdout == "eu\n"
    assert run("--profile", "sandbox", "config", "get", "page_size").stdout == "7\n"
    r = run("--profile", "bad name", "config", "set", "format", "json")
    assert r.code == 2 and "invalid profile name" in r.stderr


def test_config_default_profile(run: Callable[..., Result], config: Path) -> None:
    assert run("config", "get", "default_profile").code == 1
    r = run("config", "set", "default_profile", "nope")
    assert r.code == 2 and "'nope'" in r.stderr and "sandbox" in r.stderr
    assert not config.exists()
    r = run("config", "set", "default_profile", "sandbox")
    assert r.code == 0 and "Default profile is now 'sandbox'" in r.stderr
    r = run("config", "get", "base_url")
    assert r.stdout == "sandbox:\n"
    assert run("config", "unset", "default_profile").code == 0
    assert run("config", "get", "default_profile").code == 1


def test_config_set_notes_a_shadowing_variable(run: Callable[..., Result]) -> None:
    r = run("config", "set", "project_id", "p", env={"LLAMA_CLOUD_PROJECT_ID": "q"})
    assert r.code == 0 and "LLAMA_CLOUD_PROJECT_ID is set and takes precedence" in r.stderr


def test_config_list(run: Callable[..., Result], config: Path) -> None:
    write(
        config,
        f'[profiles.default]\napi_key = "{TEST_KEY}"\nproject_id = "p1"\npage_size = 20\n',
    )
    r = run("config", "list", "-o", "json", env={"LLAMA_CLOUD_BASE_URL": "https://e.example.com"})
    assert r.code == 0
    rows = {row["key"]: row for row in json.loads(r.stdout)}
    assert list(rows) == [
        "profile",
        "api_key",
        "base_url",
        "project_id",
        "organization_id",
        "format",
        "page_size",
        "concurrency",
    ]
    assert rows["concurrency"] == {"key": "concurrency", "value": 4, "source": "default"}
    assert rows["profile"] == {"key": "profile", "value": "default", "source": "default"}
    assert rows["api_key"] == {"key": "api_key", "value": MASKED, "source": "profile 'default'"}
    assert rows["base_url"]["source"] == "environment (LLAMA_CLOUD_BASE_URL)"
    assert rows["project_id"]["value"] == "p1"
    assert rows["page_size"]["value"] == 20
    assert rows["organization_id"] == {"key": "organization_id", "value": None, "source": "none"}


def test_config_list_default_format_follows_the_terminal(run: Callable[..., Result]) -> None:
    piped = run("config", "list")
    assert json.loads(piped.stdout.splitlines()[0])["key"] == "profile"
    table = run("config", "list", tty=True)
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["KEY", "VALUE", "SOURCE"]
    assert lines[3].split() == ["base_url", settings.DEFAULT_BASE_URL, "default"]
    csv_out = run("config", "list", "-o", "csv").stdout.splitlines()
    assert csv_out[0] == "key,value,source" and csv_out[1] == "profile,default,default"
    tsv_out = run("config", "list", "-o", "tsv").stdout.splitlines()
    assert tsv_out[2] == "api_key\t\tnone"


def test_config_list_unknown_profile(run: Callable[..., Result]) -> None:
    r = run("--profile", "nope", "config", "list")
    assert r.code == 2 and "profile 'nope' does not exist" in r.stderr
    assert "sandbox (built in)" in r.stderr and r.stdout == ""


def test_malformed_file_is_reported_and_kept(run: Callable[..., Result], config: Path) -> None:
    write(config, '[profiles.default]\nformat = "json"\nproject_id = = 3\n')
    before = config.read_bytes()
    for args in (
        ("config", "set", "format", "csv"),
        ("config", "unset", "format"),
        ("config", "list"),
        ("auth", "logout"),
        ("auth", "status"),
    ):
        r = run(*args)
        assert r.code == 2, args
        assert str(config) in r.stderr and "line 3, column" in r.stderr
        assert r.stderr.count("\n") == 1
    r = run("auth", "login", "--with-token", "--no-verify", stdin=TEST_KEY + "\n")
    assert r.code == 2
    assert config.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_readable_file_warning_goes_to_stderr_once(
    run: Callable[..., Result], config: Path
) -> None:
    write(config, '[profiles.default]\nformat = "json"\n')
    config.chmod(0o644)
    r = run("config", "get", "format")
    assert r.code == 0 and r.stdout == "json\n"
    warning = f"lx: warning: {config} is readable by other users; run chmod 600 {config}\n"
    assert r.stderr == warning


# --- auth login --------------------------------------------------------------------


def test_login_with_token_stores_the_key(
    run: Callable[..., Result], config: Path, api: FakeApi
) -> None:
    r = run(
        "auth", "login", "--with-token", "--base-url", api.url, stdin=f"  {TEST_KEY}  \nignored\n"
    )
    assert r.code == 0 and r.stdout == ""
    assert r.stderr == f"Logged in to {api.url} as profile 'default' (key {MASKED})\n"
    assert read(config) == {"profiles": {"default": {"api_key": TEST_KEY, "base_url": api.url}}}
    assert api.seen == [{"path": "/api/v2/extract?page_size=1", "auth": f"Bearer {TEST_KEY}"}]
    if os.name == "posix":
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    status = run("auth", "status")
    assert status.code == 0 and "Key check:    ok" in status.stdout
    assert MASKED in status.stdout and "from profile 'default'" in status.stdout


def test_login_refused_key_saves_nothing(
    run: Callable[..., Result], config: Path, api: FakeApi
) -> None:
    r = run("auth", "login", "--with-token", "--base-url", api.url, stdin=BAD_KEY + "\n")
    assert r.code == 3
    assert "refused the key (401 Unauthorized); nothing was saved" in r.stderr
    assert r.stderr.count("\n") == 1
    assert not config.exists()


def test_login_network_failure_saves_nothing(
    run: Callable[..., Result], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(state: object, *, api_key_override: str | None = None) -> None:
        raise NetworkError(f"could not reach host: refused (key {api_key_override})")

    monkeypatch.setattr(auth_flow, "check_key", down)
    r = run("auth", "login", "--with-token", stdin=TEST_KEY)
    assert r.code == 1 and "could not check the key" in r.stderr and "--no-verify" in r.stderr
    assert not config.exists()
    r = run("auth", "login", "--with-token", "--no-verify", stdin=TEST_KEY)
    assert r.code == 0 and r.stderr.startswith("Saved (unchecked) https://api.cloud.llamaindex.ai")
    assert read(config)["profiles"]["default"]["api_key"] == TEST_KEY


def test_login_global_base_url_is_for_the_check_only(
    run: Callable[..., Result], config: Path, api: FakeApi
) -> None:
    r = run("--base-url", api.url, "auth", "login", "--with-token", stdin=TEST_KEY)
    assert r.code == 0 and "used for this check only" in r.stderr
    assert read(config) == {"profiles": {"default": {"api_key": TEST_KEY}}}


def test_login_into_a_new_profile_and_region(
    run: Callable[..., Result], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    def ok(state: State, *, api_key_override: str | None = None) -> None:
        checked.append(state.settings().base_url)

    monkeypatch.setattr(auth_flow, "check_key", ok)
    r = run("--profile", "eu", "auth", "login", "--eu", "--with-token", stdin=TEST_KEY)
    assert r.code == 0 and f"Logged in to {settings.EU_BASE_URL} as profile 'eu'" in r.stderr
    assert checked == [settings.EU_BASE_URL]
    assert read(config) == {
        "profiles": {"eu": {"api_key": TEST_KEY, "base_url": settings.EU_BASE_URL}}
    }
    r = run("auth", "login", "--with-token", stdin=TEST_KEY, env={"LX_PROFILE": "ci"})
    assert r.code == 0 and "as profile 'ci'" in r.stderr
    assert set(read(config)["profiles"]) == {"eu", "ci"}
    r = run("auth", "login", "--eu", "--base-url", "https://x.example.com", "--with-token")
    assert r.code == 2 and "--eu and --base-url" in r.stderr


def test_login_notes_a_key_in_the_environment(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth_flow, "check_key", lambda state, **kw: None)
    r = run("auth", "login", "--with-token", stdin=TEST_KEY, env={"LLAMA_PARSE_API_KEY": BAD_KEY})
    assert r.code == 0 and "LLAMA_PARSE_API_KEY is set and takes precedence" in r.stderr


def test_login_without_tty_needs_with_token(run: Callable[..., Result], config: Path) -> None:
    r = run("auth", "login", stdin=TEST_KEY + "\n")
    assert r.code == 2 and "--with-token" in r.stderr and r.stderr.count("\n") == 1
    assert not config.exists()


@pytest.mark.parametrize("stdin", ["", "\n", "   \n" + TEST_KEY])
def test_login_empty_key(run: Callable[..., Result], config: Path, stdin: str) -> None:
    r = run("auth", "login", "--with-token", "--no-verify", stdin=stdin)
    assert r.code == 2 and "no key" in r.stderr
    assert not config.exists()


def test_login_key_with_inner_spaces(run: Callable[..., Result], config: Path) -> None:
    r = run("auth", "login", "--with-token", "--no-verify", stdin="llx-abc def-ghijklmnop\n")
    assert r.code == 2 and "spaces" in r.stderr and "abc def" not in r.stderr
    assert not config.exists()


def test_login_prompts_hidden_on_a_tty(
    run: Callable[..., Result], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "", stream: object = None) -> str:
        prompts.append(prompt)
        return TEST_KEY

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    r = run("auth", "login", "--no-verify", stdin_tty=True)
    assert r.code == 0 and prompts == ["Paste your API key (input is hidden): "]
    assert read(config)["profiles"]["default"]["api_key"] == TEST_KEY

    monkeypatch.setattr("getpass.getpass", lambda prompt="", stream=None: "")
    r = run("--profile", "other", "auth", "login", "--no-verify", stdin_tty=True)
    assert r.code == 2 and "no key entered" in r.stderr


def test_login_into_sandbox_is_refused(run: Callable[..., Result], config: Path) -> None:
    r = run("--profile", "sandbox", "auth", "login", "--with-token", stdin=TEST_KEY)
    assert r.code == 2 and "built in" in r.stderr
    assert not config.exists()


def test_login_against_the_in_process_sandbox(run: Callable[..., Result], config: Path) -> None:
    r = run("auth", "login", "--with-token", "--base-url", "sandbox:", stdin=TEST_KEY)
    assert r.code == 0, r.stderr
    assert r.stderr == f"Logged in to sandbox: as profile 'default' (key {MASKED})\n"
    assert read(config)["profiles"]["default"] == {"api_key": TEST_KEY, "base_url": "sandbox:"}


# --- auth logout -------------------------------------------------------------------


def test_logout_removes_only_the_key(run: Callable[..., Result], config: Path) -> None:
    write(
        config,
        f'default_profile = "eu"\n[profiles.eu]\napi_key = "{TEST_KEY}"\nproject_id = "p"\n'
        f'[profiles.other]\napi_key = "{BAD_KEY}"\n',
    )
    r = run("auth", "logout")
    assert r.code == 0 and f"Removed the key of profile 'eu' from {config}" in r.stderr
    assert read(config) == {
        "default_profile": "eu",
        "profiles": {"eu": {"project_id": "p"}, "other": {"api_key": BAD_KEY}},
    }
    r = run("auth", "logout")
    assert r.code == 0 and "has no stored key; nothing to remove" in r.stderr
    r = run("--profile", "sandbox", "auth", "logout")
    assert r.code == 0 and "built in" in r.stderr
    r = run("auth", "logout", env={"LLAMA_CLOUD_API_KEY": TEST_KEY})
    assert r.code == 0 and "LLAMA_CLOUD_API_KEY is still set" in r.stderr


def test_logout_with_no_file(run: Callable[..., Result], config: Path) -> None:
    r = run("auth", "logout")
    assert r.code == 0 and "nothing to remove" in r.stderr
    assert not config.exists() and not config.parent.exists()


# --- auth status -------------------------------------------------------------------


def test_status_without_key_exits_3(run: Callable[..., Result]) -> None:
    r = run("auth", "status")
    assert r.code == 3
    assert "API key:      (none)" in r.stdout and "Key check:    no key" in r.stdout
    assert r.stderr.startswith("lx: no API key for profile 'default'")
    assert "lx auth login" in r.stderr and "--profile sandbox" in r.stderr


def test_status_refused_key_exits_3(run: Callable[..., Result], api: FakeApi) -> None:
    env = {"LLAMA_CLOUD_API_KEY": BAD_KEY}
    r = run("--base-url", api.url, "auth", "status", env=env)
    assert r.code == 3 and "Key check:    401 Unauthorized" in r.stdout
    assert "refused the key of profile 'default' (401 Unauthorized)" in r.stderr
    key_line = next(line for line in r.stdout.splitlines() if line.startswith("API key:"))
    assert key_line.split()[2:] == ["llx-…OKED", "from", "environment", "(LLAMA_CLOUD_API_KEY)"]


def test_status_json(run: Callable[..., Result], api: FakeApi, config: Path) -> None:
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY, "LLAMA_CLOUD_PROJECT_ID": "p1"}
    r = run("--base-url", api.url, "auth", "status", "-o", "json", env=env)
    assert r.code == 0, r.stderr
    info = json.loads(r.stdout)
    assert info == {
        "profile": "default",
        "profile_source": "default",
        "base_url": api.url,
        "base_url_source": "flag (--base-url)",
        "project_id": "p1",
        "project_id_source": "environment (LLAMA_CLOUD_PROJECT_ID)",
        "organization_id": None,
        "organization_id_source": "none",
        "api_key": MASKED,
        "api_key_source": "environment (LLAMA_CLOUD_API_KEY)",
        "config_path": str(config),
        "config_exists": False,
        "check": "ok",
        "ok": True,
    }
    assert api.seen[-1]["path"] == "/api/v2/extract?page_size=1&project_id=p1"
    r = run("--base-url", api.url, "auth", "status", "-o", "jsonl", env=env)
    assert r.stdout.count("\n") == 1 and json.loads(r.stdout)["ok"] is True
    assert run("auth", "status", "-o", "csv").code == 2


def test_status_network_failure_exits_1(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(state: object, *, api_key_override: str | None = None) -> None:
        raise NetworkError(f"could not reach host: connection refused (sent {TEST_KEY})")

    monkeypatch.setattr(auth_flow, "check_key", down)
    r = run("auth", "status", env={"LLAMA_CLOUD_API_KEY": TEST_KEY})
    assert r.code == 1 and "Key check:    failed: could not reach host" in r.stdout
    assert r.stderr.startswith("lx: could not reach host")


def test_status_against_a_closed_port_exits_1(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import time

    monkeypatch.setattr(time, "sleep", lambda s: None)  # the retries' waits

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    r = run("--base-url", f"http://127.0.0.1:{port}", "auth", "status", env=env)
    assert r.code == 1 and "Key check:    failed: could not reach 127.0.0.1" in r.stdout
    assert r.stderr.startswith("lx: could not reach 127.0.0.1") and "(after 6 attempts)" in r.stderr


def test_config_set_notes_plain_http(run: Callable[..., Result]) -> None:
    r = run("config", "set", "base_url", "http://proxy.example.com")
    assert r.code == 0 and "--allow-http" in r.stderr
    r = run("config", "set", "base_url", "http://127.0.0.1:8787")
    assert r.code == 0 and "--allow-http" not in r.stderr


def test_status_no_check(run: Callable[..., Result]) -> None:
    r = run("auth", "status", "--no-check", env={"LLAMA_CLOUD_API_KEY": TEST_KEY})
    assert r.code == 0 and "Key check:    not checked" in r.stdout


def test_status_of_the_sandbox_ignores_the_environment(run: Callable[..., Result]) -> None:
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY, "LLAMA_CLOUD_BASE_URL": "https://x.example.com"}
    r = run("--profile", "sandbox", "auth", "status", "-o", "json", env=env)
    assert r.code == 0, r.stderr
    info = json.loads(r.stdout)
    assert (info["base_url"], info["api_key_source"], info["check"]) == (
        "sandbox:",
        "built-in sandbox",
        "ok",
    )


def test_unwritable_location_is_one_line(run: Callable[..., Result], tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    env = {"LX_CONFIG": str(blocker / "lx" / "config.toml")}
    for args, stdin in (
        (("config", "set", "format", "json"), ""),
        (("auth", "login", "--with-token", "--no-verify"), TEST_KEY),
    ):
        r = run(*args, stdin=stdin, env=env)
        assert r.code == 2 and r.stderr.count("\n") == 1, args
        assert r.stderr.startswith(f"lx: cannot write settings file {blocker}/lx/config.toml")
    assert blocker.read_text() == "not a directory"


def test_debug_never_shows_the_key(
    run: Callable[..., Result], api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    for args in (
        ("--debug", "--base-url", api.url, "auth", "status"),
        ("--debug", "config", "list", "-o", "json"),
        ("--debug", "config", "get", "api_key"),
    ):
        r = run(*args, env=env)  # the `run` fixture asserts the key is absent
        assert r.code == 0, (args, r.stderr)
    env = {"LLAMA_CLOUD_API_KEY": BAD_KEY}
    r = run("--debug", "--base-url", api.url, "auth", "status", env=env)
    assert r.code == 3
    r = run("--debug", "auth", "login", "--with-token", "--base-url", api.url, stdin=BAD_KEY)
    assert r.code == 3
    captured = capsys.readouterr()  # --debug tracebacks go to the process's stderr
    for secret in (TEST_KEY, BAD_KEY):
        assert secret not in captured.out and secret not in captured.err


# --- as a subprocess ---------------------------------------------------------------


def lx_process(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llamaextract_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.mark.slow
def test_subprocess_login_status_logout(config: Path, api: FakeApi) -> None:
    p = lx_process("auth", "login", "--with-token", "--base-url", api.url, stdin=TEST_KEY + "\n")
    assert p.returncode == 0, p.stderr
    assert p.stderr == f"Logged in to {api.url} as profile 'default' (key {MASKED})\n"
    p = lx_process("auth", "status", "-o", "json")
    assert p.returncode == 0 and json.loads(p.stdout)["check"] == "ok"
    p = lx_process("config", "list", "-o", "csv")
    assert f"api_key,{MASKED},profile 'default'" in p.stdout
    p = lx_process("auth", "logout")
    assert p.returncode == 0
    p = lx_process("auth", "status")
    assert p.returncode == 3
    p = lx_process("auth", "login")  # stdin is a pipe, not a terminal
    assert p.returncode == 2 and "--with-token" in p.stderr


@pytest.mark.slow
def test_subprocess_malformed_file_and_warning(config: Path) -> None:
    write(config, "[profiles.default]\nformat = json\n")
    p = lx_process("config", "set", "format", "csv")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.startswith(f"lx: invalid settings file {config} (line 2, column 10)")
    assert config.read_text() == "[profiles.default]\nformat = json\n"
    write(config, '[profiles.default]\nformat = "json"\n')
    config.chmod(0o640)
    p = lx_process("config", "get", "format")
    assert p.returncode == 0 and p.stdout == "json\n"
    assert p.stderr.count("readable by other users") == 1


@pytest.mark.slow
def test_subprocess_concurrent_config_set(config: Path) -> None:
    """Two `lx config set` at once, many times: a valid file with one of the outcomes."""
    for i in range(8):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "llamaextract_cli",
                    "config",
                    "set",
                    "project_id",
                    f"{t}{i}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for t in ("a", "b")
        ]
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        assert read(config)["profiles"]["default"]["project_id"] in {f"a{i}", f"b{i}"}
    assert sorted(x.name for x in config.parent.iterdir()) == ["config.toml", "config.toml.lock"]
