"""Every command `lx` prints as advice runs when pasted (issue 12, point 3).

Each test provokes one hint in a terminal (stderr a TTY), takes the command lines as
printed (alone on their line, indented two spaces, starting `lx `), and runs each, as
a shell would: `A && B` runs A then B, `A | B` feeds A's stdout to B. Every run must
exit 0. The commands carry the run's global options (`--profile sandbox`, `--base-url
URL`), so they reach the same emulator; where the sandbox runs on a fake clock, the
same in-process app answers the pasted command too.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxtest import Result, Runner

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
URL = f"sandbox://?jobs=300&seed=7&now={NOW}"  # `&` and `?`: the hint must quote it
AUTH = {"authorization": "Bearer k"}


def printed_commands(stderr: str) -> list[str]:
    """The command lines of stderr: alone on their line, indented, starting `lx `."""
    return [line[2:] for line in stderr.splitlines() if line.startswith("  lx ")]


def run_pasted(lx: Callable[..., Result], line: str, **kw: Any) -> list[Result]:
    """Run `line` as a shell would (`&&` and `|` between `lx` commands); every exit 0."""
    words = shlex.split(line)
    results: list[Result] = []
    command: list[str] = []
    piped: str | None = None

    def run(stdin: str | None) -> Result:
        assert command[0] == "lx", line
        extra = dict(kw)
        if stdin is not None:
            extra["stdin"] = stdin
        r = lx(*command[1:], **extra)
        assert r.code == 0, (line, r.stderr)
        results.append(r)
        return r

    for word in [*words, "&&"]:
        if word in ("&&", "|"):
            r = run(piped)
            piped = r.stdout if word == "|" else None
            command = []
        else:
            command.append(word)
    return results


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock(NOW_S)
    monkeypatch.setattr(waiter, "CLOCK", clock.now)
    monkeypatch.setattr(waiter, "SLEEP", clock.advance)
    return clock


@pytest.fixture
def app(clock: FakeClock) -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=clock)


@pytest.fixture
def on_app(lx: Runner, app: SandboxApp, clock: FakeClock) -> Callable[..., Result]:
    """`lx` whose client talks to `app` (the settings still see the arguments as given)."""

    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key="k",
            transport=SandboxTransport(app, sleep=clock.advance),
            sleep=clock.advance,
            clock=clock.now,
        )

    def invoke(*args: str, **kw: Any) -> Result:
        return lx(*args, state_setup=setup, **kw)

    return invoke


def one(stderr: str) -> str:
    commands = printed_commands(stderr)
    assert len(commands) == 1, stderr
    return commands[0]


# --- the hints ---------------------------------------------------------------------------


def test_next_page_hint_carries_the_profile_and_resumes(lx: Runner) -> None:
    r = lx("--profile", "sandbox", "jobs", "list", "--status", "FAILED", "-L", "3", tty=True)
    assert r.code == 0, r.stderr
    command = one(r.stderr)
    assert command.startswith("lx --profile sandbox jobs list --status FAILED -L 3 --page-token ")
    [page] = run_pasted(lx, command, tty=True)
    first = {line.split()[0] for line in r.stdout.splitlines()[1:]}
    second = {line.split()[0] for line in page.stdout.splitlines()[1:]}
    assert len(second) == 3 and not first & second  # the next three, not the same ones


def test_next_page_hint_quotes_a_base_url(on_app: Callable[..., Result]) -> None:
    r = on_app("--base-url", URL, "jobs", "list", "-L", "2", "-o", "jsonl", tty=True)
    command = one(r.stderr)
    assert command.startswith(f"lx --base-url {shlex.quote(URL)} jobs list")
    run_pasted(on_app, command, tty=True)


def test_errors_details_hint_names_a_whole_id(lx: Runner) -> None:
    r = lx("--profile", "sandbox", "jobs", "errors", tty=True, env={"COLUMNS": "80"})
    assert r.code == 0, r.stderr
    command = one(r.stderr)
    assert command.startswith("lx --profile sandbox jobs get ext-")
    assert len(command.split()[-1]) == len("ext-") + 36  # the whole ID
    [get] = run_pasted(lx, command, tty=True, env={"COLUMNS": "80"})
    assert command.split()[-1] in get.stdout


def test_result_not_ready_hint_waits_then_reads(
    on_app: Callable[..., Result], app: SandboxApp
) -> None:
    ends = {}
    probe_clock = FakeClock(NOW_S)
    probe = SandboxApp(jobs=300, seed=7, now=NOW, clock=probe_clock)
    probe_clock.advance(60)
    for job_id in app.live_job_ids():
        ends[probe.job_state(job_id)[0]] = job_id  # type: ignore[index]
    job_id = ends["COMPLETED"]
    r = on_app("--base-url", URL, "jobs", "result", job_id, tty=True)
    assert r.code == 1 and "has no result yet" in r.stderr
    command = one(r.stderr)
    wait, result = command.split(" && ")
    assert wait == shlex.join(["lx", "--base-url", URL, "jobs", "wait", job_id])
    assert result == shlex.join(["lx", "--base-url", URL, "jobs", "result", job_id])
    *_, last = run_pasted(on_app, command, tty=True)
    assert last.stdout.strip()


def test_get_panel_hint_prints_the_whole_result(lx: Runner) -> None:
    listing = lx("--profile", "sandbox", "jobs", "list", "-s", "COMPLETED", "-L", "60")
    for line in listing.stdout.splitlines():
        job_id = line.split('"')[3]
        r = lx("--profile", "sandbox", "jobs", "get", job_id, tty=True, env={"COLUMNS": "80"})
        if printed_commands(r.stderr):
            break
    else:
        pytest.fail("no job of the sandbox has a result longer than the panel shows")
    # A job with field metadata shows values with their confidence, one without the JSON.
    values = "more values (see below)" in r.stdout
    assert values or "more lines (see below)" in r.stdout
    command = one(r.stderr)
    flags = " --metadata" if values else ""
    assert command == f"lx --profile sandbox jobs result {job_id}{flags}"
    [result] = run_pasted(lx, command)
    if values:  # every value, one row each, with its confidence
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(rows) > 20 and {"field", "value", "confidence"} <= set(rows[0])
    else:  # the whole result, as received (an array result: one item a line)
        assert [json.loads(line) for line in result.stdout.splitlines()]


def test_delete_refusal_hint_cancels_first(on_app: Callable[..., Result], app: SandboxApp) -> None:
    job_id = app.live_job_ids()[0]
    r = on_app("--base-url", URL, "jobs", "delete", job_id, "--yes", tty=True)
    assert r.code == 1
    command = one(r.stderr)
    assert command == shlex.join(["lx", "--base-url", URL, "jobs", "cancel", job_id])
    # On a terminal it asks first; the person answers y.
    run_pasted(on_app, command, tty=True, stdin_tty=True, stdin="y\n")
    assert app.job_state(job_id)[0] == "CANCELLED"  # type: ignore[index]


def test_stdin_hint_pipes_with_the_profile(lx: Runner) -> None:
    # A usage error stays one line (the brief's rule): the example is in its hint.
    r = lx("--profile", "sandbox", "jobs", "get", "-", tty=True, stdin_tty=True)
    assert r.code == 2 and r.stderr.count("\n") == 1
    command = r.stderr.split("e.g. ", 1)[1].removesuffix(")\n")
    assert command == "lx --profile sandbox jobs list -o jsonl | lx --profile sandbox jobs get -"
    *_, get = run_pasted(lx, command)
    assert get.stdout.count("\n") == 30


def test_no_key_hints_log_in_to_the_same_place_or_try_the_sandbox(
    lx: Runner, monkeypatch: pytest.MonkeyPatch, config: Path
) -> None:
    import getpass

    with SandboxServer(SandboxApp(jobs=20, seed=7)) as server:
        r = lx("--base-url", server.url, "jobs", "list", tty=True)
        assert r.code == 3
        login, sandbox = printed_commands(r.stderr)
        assert login == f"lx --base-url {server.url} auth login"
        assert sandbox == "lx --profile sandbox jobs list"
        monkeypatch.setattr(getpass, "getpass", lambda *a, **k: "llx-pasted-key-0123456789")
        run_pasted(lx, login, tty=True, stdin_tty=True)
        run_pasted(lx, sandbox, tty=True)
        assert "llx-pasted-key-0123456789" in config.read_text()


def test_hints_are_never_wrapped_whatever_the_width(lx: Runner) -> None:
    for columns in ("40", "80"):
        r = lx(
            "--profile", "sandbox", "jobs", "list", "-L", "2", tty=True, env={"COLUMNS": columns}
        )
        command = one(r.stderr)
        assert len(command) > int(columns)  # longer than the terminal, still one line
        assert "--page-token " in command
