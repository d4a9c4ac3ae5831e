"""Start-up discipline: help, version and usage errors load nothing heavy.

`lx --help`, `lx --version` and shell completion must not import httpx, pydantic
or rich; a JSON listing must not import rich or pydantic, nor the parts of httpx
a synchronous CLI never uses (trio, anyio, httpx's own command line). Start-up
time itself is measured in benchmarks/ (never a pass/fail test); these tests
only guard the imports that decide it.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys

import pytest

HEAVY = ("httpx", "httpcore", "pydantic", "rich", "llama_cloud", "ssl")
OURS_HEAVY = ("llamaextract_cli.api.client", "llamaextract_cli.sandbox.app")
# Never needed by any command: httpx/httpcore import them only if present.
UNUSED = ("trio", "anyio", "click", "pygments")

PROBE = """
import contextlib, io, sys
from llamaextract_cli.cli.main import {entry}
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        {call}
    except SystemExit:
        pass
print("\\n".join(sorted(name for name, mod in sys.modules.items() if mod is not None)))
"""

# One interpreter, one fork per command line: each child runs one command and reports
# the modules it holds afterwards. The parent imports only what every run imports.
PROBE_MANY = """
import contextlib, io, json, os, sys
from llamaextract_cli.cli.main import run
import llamaextract_cli.cli.app
found = {}
for args in json.loads(sys.argv[1]):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                run(args)
            except BaseException:
                pass
        mods = sorted(name for name, mod in sys.modules.items() if mod is not None)
        os.write(w, "\\n".join(mods).encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        data = os.read(r, 1 << 16)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    os.waitpid(pid, 0)
    found[" ".join(args)] = b"".join(chunks).decode().split()
print(json.dumps(found))
"""


def loaded_modules(args: list[str], entry: str = "run") -> set[str]:
    call = f"{entry}({args!r})"
    code = PROBE.format(entry=entry, call=call)
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def heavy_in(mods: set[str] | list[str]) -> list[str]:
    found = [m for m in mods if m.split(".")[0] in HEAVY + UNUSED]
    found += [m for m in mods if m in OURS_HEAVY]
    return sorted(found)


def command_paths() -> list[list[str]]:
    """Every command and group of the CLI, found by walking the click tree."""
    from llamaextract_cli.cli.app import get_root_command

    paths: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            if not getattr(sub, "hidden", False):
                walk(sub, [*path, name])

    walk(get_root_command(), [])
    return paths


def test_version_does_not_even_import_typer() -> None:
    for flag in ("--version", "-V"):
        mods = loaded_modules([flag], entry="main")
        assert not heavy_in(mods)
        assert "typer" not in mods


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the probe forks one child per command")
def test_every_help_stays_light() -> None:
    paths = command_paths()
    assert ["jobs", "list"] in paths and len(paths) > 10
    lines = [[*p, "--help"] for p in paths] + [[], ["jobs"], ["-h"]]
    proc = subprocess.run(
        [sys.executable, "-I", "-c", PROBE_MANY, json.dumps(lines)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert len(found) == len(lines)
    heavy = {args: heavy_in(mods) for args, mods in found.items() if heavy_in(mods)}
    assert heavy == {}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["jobs", "list", "--help"],
        ["completion", "bash"],
        ["jobs", "list", "--status", "bogus"],
        ["jobs", "list", "--since", "yesterday"],
        ["jobs", "list", "--limit", "-3"],
        ["jobs", "frobnicate"],
        ["--no-such-flag"],
    ],
)
def test_help_completion_and_usage_errors_stay_light(args: list[str]) -> None:
    assert heavy_in(loaded_modules(args)) == []


LISTING_PROBE = """
import contextlib, io, json, sys
from llamaextract_cli.cli.main import main
out = io.StringIO()
code = None
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
mods = sorted(name for name, mod in sys.modules.items() if mod is not None)
print(json.dumps({"code": code, "lines": out.getvalue().splitlines(), "modules": mods}))
"""


def test_a_json_listing_loads_only_what_it_needs() -> None:
    """Through the real entry point and a socket: no rich, no pydantic, no async backends."""
    from llamaextract_cli.sandbox.app import SandboxApp
    from llamaextract_cli.sandbox.server import SandboxServer

    app = SandboxApp(jobs=50, seed=1, live=0, now="2026-01-01T00:00:00Z")
    with SandboxServer(app) as srv:
        args = ["--base-url", srv.url, "jobs", "list", "-L", "3", "-o", "jsonl"]
        env = {**os.environ, "LLAMA_CLOUD_API_KEY": "llx-test"}
        proc = subprocess.run(
            [sys.executable, "-I", "-c", LISTING_PROBE, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] == 0, proc.stderr
    assert [json.loads(line)["id"][:4] for line in result["lines"]] == ["ext-"] * 3
    mods = set(result["modules"])
    assert "httpx" in mods  # it did talk to the server
    assert sorted(m for m in mods if m.split(".")[0] in ("rich", "pydantic", *UNUSED)) == []


def test_plain_http_skips_the_ca_bundle_but_still_demands_verification() -> None:
    from llamaextract_cli.api.client import _verify_for

    assert _verify_for("https://api.cloud.llamaindex.ai") is True
    ctx = _verify_for("http://127.0.0.1:8787")
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 0
