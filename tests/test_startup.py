"""Start-up discipline: help, version and usage errors load nothing heavy.

`lx --help`, `lx --version` and shell completion must not import httpx, pydantic
or rich (CLI start-up is measured in benchmarks/; this test only guards imports).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("httpx", "httpcore", "pydantic", "rich", "llama_cloud", "ssl")
OURS_HEAVY = ("llamaextract_cli.api.client", "llamaextract_cli.sandbox.app")

PROBE = """
import contextlib, io, sys
from llamaextract_cli.main import {entry}
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        {call}
    except SystemExit:
        pass
print("\\n".join(sorted(sys.modules)))
"""


def loaded_modules(args: list[str], entry: str = "run") -> set[str]:
    call = f"{entry}({args!r})"
    code = PROBE.format(entry=entry, call=call)
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def heavy_in(mods: set[str]) -> list[str]:
    found = [m for m in mods if m.split(".")[0] in HEAVY]
    found += [m for m in mods if m in OURS_HEAVY]
    return sorted(found)


def test_version_does_not_even_import_typer() -> None:
    mods = loaded_modules(["--version"], entry="main")
    assert not heavy_in(mods)
    assert "typer" not in mods


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["jobs", "--help"],
        ["jobs", "list", "--help"],
        ["jobs", "get", "--help"],
        ["jobs", "stats", "--help"],
        ["auth", "--help"],
        ["config", "--help"],
        ["sandbox", "serve", "--help"],
        ["completion", "bash"],
        ["jobs", "list", "--status", "bogus"],
        ["jobs", "list", "--since", "yesterday"],
    ],
)
def test_help_completion_and_usage_errors_stay_light(args: list[str]) -> None:
    assert heavy_in(loaded_modules(args)) == []
