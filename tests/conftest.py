"""Shared fixtures: isolated settings, and an in-process `lx` runner.

Every test runs with its own config and cache dirs and without the user's
LLAMA_CLOUD_* variables, so nothing on the machine leaks in or is touched.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxtest import Result, Runner, Stdin, assert_no_secret, secrets_of

from llamaextract_cli.cli.context import State
from llamaextract_cli.cli.env import Env
from llamaextract_cli.cli.main import run

_CLEARED = (
    "LLAMA_CLOUD_API_KEY",
    "LLAMA_PARSE_API_KEY",
    "LLAMA_CLOUD_BASE_URL",
    "LLAMA_CLOUD_PROJECT_ID",
    "LX_PROFILE",
    "LX_FORMAT",
    "LX_FORCE_TTY",
    "NO_COLOR",
)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("LX_CONFIG", str(config))
    monkeypatch.setenv("LX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "120")
    return config


@pytest.fixture(autouse=True)
def fresh_settings_warnings() -> Iterator[None]:
    """The "readable by others" warning is said once per process: reset it per test."""
    from llamaextract_cli.settings import store as settings_file

    settings_file.reset_warnings()
    yield
    settings_file.reset_warnings()


@pytest.fixture
def config(isolated_settings: Path) -> Path:
    """The (isolated) settings file path."""
    return isolated_settings


@pytest.fixture
def lx() -> Runner:
    """Run `lx ARGS...` in-process; returns exit code, stdout and stderr.

    `tty=True` makes stdout/stderr look like a terminal; `state_setup` may adjust
    the State before the run (e.g. inject a client on a fake clock). Every run's
    output is checked for the keys it was given (`lxtest.assert_no_secret`).
    """

    def invoke(
        *args: str,
        stdin: str = "",
        tty: bool = False,
        stdin_tty: bool = False,
        env: dict[str, str] | None = None,
        state_setup: Callable[[State], None] | None = None,
    ) -> Result:
        out, err = io.StringIO(), io.StringIO()
        environ = dict(os.environ)
        environ.update(env or {})
        e = Env(
            stdin=Stdin(stdin, stdin_tty),
            stdout=out,
            stderr=err,
            environ=environ,
            stdin_isatty=stdin_tty,
            stdout_isatty=tty,
            stderr_isatty=tty,
        )
        state = State(env=e)
        if state_setup is not None:
            state_setup(state)
        secrets = secrets_of(environ, stdin)
        code = run(list(args), state=state)
        result = Result(int(code), out.getvalue(), err.getvalue())
        # issue 7: no run of the suite may print a key it was given, whole
        assert_no_secret(result.stdout, result.stderr, secrets)
        return result

    return invoke


@pytest.fixture
def sandbox_url() -> str:
    """A base URL for the in-process emulator (see `lx --base-url sandbox:`)."""
    return "sandbox://?jobs=300&seed=7"
