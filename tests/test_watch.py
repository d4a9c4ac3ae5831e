"""`lx jobs watch` / `lx jobs list --watch` against the sandbox's live jobs on a fake clock.

The live jobs go PENDING -> RUNNING -> COMPLETED/FAILED over ~10 s of the app's
clock; the watch loop's `sleep` advances that clock, so nothing really sleeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.client_factory import SANDBOX_HOST
from llamaextract_cli.cli.commands.jobs import watching
from llamaextract_cli.cli.context import State
from llamaextract_cli.errors import Interrupted
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.transport import SandboxTransport

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
EVENT_KEYS = ["id", "status", "previous_status", "updated_at", "observed_at"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_767_225_600.0)


@pytest.fixture
def app(clock: FakeClock) -> SandboxApp:
    return SandboxApp(jobs=60, seed=7, clock=clock, now=clock.now())


@pytest.fixture
def run(
    lx: Callable[..., Any], app: SandboxApp, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(watching, "sleep", fake_sleep)
    monkeypatch.setattr(watching, "clock", clock.now)

    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url=SANDBOX_HOST, api_key="llx-test", transport=SandboxTransport(app)
        )

    def invoke(*args: str, **kw: Any) -> Any:
        return lx(*args, state_setup=setup, **kw)

    invoke.slept = slept  # type: ignore[attr-defined]
    return invoke


def events(stdout: str) -> list[dict[str, Any]]:
    lines = stdout.splitlines()
    assert stdout.endswith("\n") or not stdout
    return [json.loads(line) for line in lines]


def iso(epoch: float) -> str:
    when = datetime.fromtimestamp(epoch, timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def test_stream_follows_live_jobs_to_the_end(run: Callable[..., Any], app: SandboxApp) -> None:
    live = app.live_job_ids()
    ids = ",".join(live)
    r = run("jobs", "watch", "--id", ids, "--interval", "1", "--until-terminal")
    assert r.code == 0, r.stderr
    got = events(r.stdout)
    assert all(list(e)[:5] == EVENT_KEYS for e in got)
    for job_id in live:
        mine = [e for e in got if e["id"] == job_id]
        assert [e["status"] for e in mine][:2] == ["PENDING", "RUNNING"]
        assert mine[-1]["status"] in ("COMPLETED", "FAILED")
        assert len(mine) == 3
        assert [e["previous_status"] for e in mine] == [None, "PENDING", "RUNNING"]
        # what was reported is what the server holds at the end
        status, updated_ms = app.job_state(job_id)
        assert mine[-1]["status"] == status
        assert mine[-1]["updated_at"] == iso(updated_ms / 1000)
        observed = [e["observed_at"] for e in mine]
        assert observed == sorted(observed)
    # the first poll reports every job, at the fake clock's start
    assert {e["id"] for e in got[:4]} == set(live)
    assert all(e["observed_at"] == iso(1_767_225_600.0) for e in got[:4])
    assert {e["status"] for e in got[-4:]} <= {"COMPLETED", "FAILED"}
    assert run.slept and set(run.slept) == {1.0}  # type: ignore[attr-defined]
    assert 6 <= len(run.slept) <= 12  # type: ignore[attr-defined]


def test_list_watch_streams_changes(
    run: Callable[..., Any], app: SandboxApp, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls = {"n": 0}

    def sleep(seconds: float) -> None:  # list --watch has no --count: Ctrl-C after 6 polls
        polls["n"] += 1
        if polls["n"] == 6:
            raise KeyboardInterrupt
        clock.advance(seconds)

    monkeypatch.setattr(watching, "sleep", sleep)
    r = run("jobs", "list", "--watch", "--interval", "2", "-o", "jsonl")
    assert r.code == 130
    got = events(r.stdout)
    assert len(got[:30]) == 30 and all(e["previous_status"] is None for e in got[:30])
    changes = got[30:]
    assert changes and {e["id"] for e in changes} <= set(app.live_job_ids())
    assert {e["previous_status"] for e in changes} <= {"PENDING", "RUNNING"}


def test_count_and_first_poll(run: Callable[..., Any], app: SandboxApp) -> None:
    r = run("jobs", "watch", "-L", "6", "--count", "3", "--interval", "5")
    assert r.code == 0, r.stderr
    got = events(r.stdout)
    first = got[:6]
    assert all(e["previous_status"] is None for e in first)
    assert len(run.slept) == 2  # type: ignore[attr-defined]
    # after 10 s of fake time every live job has moved on from PENDING
    later = got[6:]
    assert {e["id"] for e in later} <= set(app.live_job_ids())
    assert all(e["previous_status"] is not None for e in later)


def test_fields_ride_along(run: Callable[..., Any], app: SandboxApp) -> None:
    ids = ",".join(app.live_job_ids())
    r = run(
        "jobs", "watch", "--id", ids, "--interval", "3", "--until-terminal", "-f", "error_message"
    )
    got = events(r.stdout)
    failed = [e for e in got if e["status"] == "FAILED"]
    assert failed and all(e["error_message"] for e in failed)


def test_interrupt_leaves_whole_lines_and_exits_130(
    run: Callable[..., Any], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}

    def interrupted(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        clock.advance(seconds)

    monkeypatch.setattr(watching, "sleep", interrupted)
    r = run("jobs", "watch", "-L", "5", "--interval", "2")
    assert r.code == 130
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr
    assert len(events(r.stdout)) >= 5


def test_sigterm_exits_130(run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def terminated(seconds: float) -> None:
        raise Interrupted("terminated")

    monkeypatch.setattr(watching, "sleep", terminated)
    r = run("jobs", "list", "--watch", "-L", "2", "-o", "jsonl")
    assert r.code == 130
    assert len(events(r.stdout)) == 2


def test_csv_is_refused(run: Callable[..., Any]) -> None:
    r = run("jobs", "watch", "-o", "csv", "--count", "1")
    assert r.code == 2 and "jsonl" in r.stderr


@pytest.mark.parametrize("no_color", [False, True])
def test_live_table_on_a_terminal(run: Callable[..., Any], app: SandboxApp, no_color: bool) -> None:
    args = ["jobs", "watch", "-L", "6", "--count", "4", "--interval", "3"]
    if no_color:
        args.insert(0, "--no-color")
    r = run(*args, tty=True, env={"COLUMNS": "100"})
    assert r.code == 0, r.stderr
    assert "\x1b[?25l" in r.stdout and r.stdout.rstrip().endswith("\x1b[?25h")  # cursor back
    plain = ANSI.sub("", r.stdout)
    assert "STATUS" in plain and "refreshed 00:00:09 UTC" in plain
    assert "Ctrl-C" in plain
    assert bool(re.search(r"\x1b\[[0-9;]*3[0-7]m", r.stdout)) is not no_color
    # the live jobs changed between the last two refreshes are marked
    assert re.search(r"^\*\s+ext-", plain, re.MULTILINE)
    for job_id in app.live_job_ids():
        assert job_id in plain
    assert all(len(line) <= 100 for line in plain.splitlines())


def test_live_table_ctrl_c_restores_the_cursor(
    run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(watching, "sleep", interrupted)
    r = run("jobs", "watch", "-L", "3", tty=True, env={"COLUMNS": "80"})
    assert r.code == 130
    assert r.stdout.rstrip().endswith("\x1b[?25h")


# --- the frame at 80, 100 and 160 columns (exact text) ---------------------------------

NOW = datetime(2026, 11, 29, 15, 0, 0, tzinfo=timezone.utc)
DONE = {
    "id": "ext-aaaaaaaa-0000-0000-0000-000000000001",
    "status": "COMPLETED",
    "created_at": "2026-11-29T14:03:12.117Z",
    "updated_at": "2026-11-29T14:04:17.000Z",
    "file_input": "dfl-aaaaaaaa-0000-0000-0000-00000000000a",
}
BROKEN = {
    "id": "ext-bbbbbbbb-0000-0000-0000-000000000002",
    "status": "FAILED",
    "created_at": "2026-11-29T12:00:00Z",
    "updated_at": "2026-11-29T12:00:30Z",
    "file_input": "dfl-bbbbbbbb-0000-0000-0000-00000000000b",
    "error_message": "Parse failed:\n\tthe document is password protected and cannot be opened",
}
BUSY = {
    "id": "ext-cccccccc-0000-0000-0000-000000000003",
    "status": "RUNNING",
    "created_at": "2026-11-29T14:59:58Z",
    "updated_at": "2026-11-29T14:59:59Z",
    "file_input": "dfl-c",
}


def frame(jobs: list[dict[str, Any]], changed: set[str], width: int, **kw: Any) -> str:
    import io

    from rich.console import Console

    from llamaextract_cli.output.watch_view import watch_frame

    height = kw.pop("height", 40)
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    view = watch_frame(
        jobs,
        changed,
        columns=None,
        refreshed=NOW,
        interval=5,
        now=NOW,
        width=width,
        height=height,
        **kw,
    )
    with console.capture() as capture:
        console.print(view)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())


def test_frame_at_80_columns_keeps_ids_marks_and_headers_whole() -> None:
    assert frame([DONE, BROKEN, BUSY], {BROKEN["id"]}, 80) == "\n".join(
        [
            "  ID                                        STATUS     UPDATED   ERROR",
            "  ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  55m ago   -",
            "* ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     2h ago    Parse failed:",
            "      the document is password protected and cannot be opened",
            "  ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now  -",
            "RUNNING 1  COMPLETED 1  FAILED 1  · 1 changed (*) · refreshed 15:00:00 UTC every",
            "5s · Ctrl-C stops",
        ]
    )


def test_frame_at_100_columns() -> None:
    assert frame([DONE, BROKEN, BUSY], set(), 100).splitlines()[:5] == [
        "  ID                                        STATUS     UPDATED   ERROR",
        "  ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  55m ago   -",
        "  ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     2h ago    "
        "Parse failed: the document is",
        "      password protected and cannot be opened",
        "  ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now  -",
    ]


def test_frame_at_160_columns() -> None:
    assert frame([DONE, BROKEN, BUSY], set(), 160).splitlines()[:4] == [
        "  ID                                        STATUS     UPDATED   CREATED   DURATION  "
        "ERROR",
        "  ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  55m ago   56m ago   1m04s     -",
        "  ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     2h ago    3h ago    30s       "
        "Parse failed: the document is password protected and cannot be opened",
        "  ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now  just now  -         -",
    ]


def test_frame_has_an_error_column_only_when_a_job_has_an_error() -> None:
    assert frame([DONE, BUSY], set(), 80).splitlines()[0] == (
        "  ID                                        STATUS     UPDATED   CREATED"
    )


def test_frame_under_one_status_names_it_once() -> None:
    assert frame([BROKEN], set(), 80, constant={"status": "FAILED"}).splitlines()[:3] == [
        "  ID (all FAILED)                           UPDATED   ERROR",
        "  ext-bbbbbbbb-0000-0000-0000-000000000002  2h ago    Parse failed: the document",
        "      is password protected and cannot be opened",
    ]


def test_frame_is_never_taller_than_the_terminal() -> None:
    # A taller frame is drawn again in full when the live view stops: its header twice.
    text = frame([DONE, BROKEN, BUSY] * 10, set(), 80, height=12)
    lines = text.splitlines()
    assert len(lines) <= 12 - 2  # room for `lx: interrupted` and the prompt
    assert lines.count(lines[0]) == 1 and lines[0].startswith("  ID ")
    assert "more not shown" in text
