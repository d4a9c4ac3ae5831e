"""`lx jobs wait` against the sandbox's live jobs on a fake clock: no test sleeps for real."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.cli.context import State
from llamaextract_cli.errors import ApiError, NetworkError, NotFoundError
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.jobs.fields import job_duration_seconds
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport
from llamaextract_cli.timeparse import humanize_duration

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
AUTH = {"authorization": "Bearer k"}


@dataclass
class World:
    """A sandbox on a fake clock; the waiter's sleep (and the client's) advance it."""

    clock: FakeClock
    app: SandboxApp
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the waiter must never busy-loop"
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def setup(self, state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key="k",
            transport=SandboxTransport(self.app, sleep=self.clock.advance),
            sleep=self.clock.advance,
            clock=self.clock.now,
        )

    @property
    def elapsed(self) -> float:
        return self.clock.now() - NOW_S

    def status(self, job_id: str) -> str:
        state = self.app.job_state(job_id)
        assert state is not None
        return state[0]

    def finished(self, status: str) -> str:
        query = [("status", status), ("page_size", "1")]
        return self.app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"][0]["id"]


def probe_app() -> tuple[SandboxApp, FakeClock]:
    clock = FakeClock(NOW_S)
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=clock), clock


def timeline(job_id: str, interval: float = 2.0) -> tuple[list[str], float]:
    """The progress lines polling every `interval` s prints, and when it sees the end."""
    app, clock = probe_app()
    lines: list[str] = []
    last, t = None, 0.0
    while t < 60:
        state = app.job_state(job_id)
        assert state is not None
        if state[0] != last:
            lines.append(f"{job_id} {state[0]} ({int(t)}s)")
            last = state[0]
        if last in TERMINAL_STATUSES:
            return lines, t
        clock.advance(interval)
        t += interval
    raise AssertionError("the live job never ended")


def status_at(job_id: str, seconds: float) -> str:
    app, clock = probe_app()
    clock.advance(seconds)
    state = app.job_state(job_id)
    assert state is not None
    return state[0]


def summary(job_id: str) -> str:
    """The summary line of a live job once it has ended."""
    app, clock = probe_app()
    clock.advance(60)
    job = app.handle("GET", f"/api/v2/extract/{job_id}", [], AUTH).json()
    line = f"{job_id} {job['status']} in {humanize_duration(job_duration_seconds(job) or 0)}"
    return line + (f": {job['error_message']}" if job["status"] == "FAILED" else "")


def make_world(monkeypatch: pytest.MonkeyPatch, **app_kwargs: Any) -> World:
    clock = FakeClock(NOW_S)
    world = World(clock, SandboxApp(jobs=300, seed=7, now=NOW, clock=clock, **app_kwargs))
    monkeypatch.setattr(waiter, "CLOCK", clock.now)
    monkeypatch.setattr(waiter, "SLEEP", world.sleep)
    return world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(monkeypatch)


@pytest.fixture
def live(world: World) -> dict[str, str]:
    """The live jobs by how they end: one FAILED, the others COMPLETED."""
    ids = world.app.live_job_ids()
    ends: dict[str, str] = {}
    probe = FakeClock(NOW_S)
    app = SandboxApp(jobs=300, seed=7, now=NOW, clock=probe)
    probe.advance(60)
    for job_id in ids:
        state = app.job_state(job_id)
        assert state is not None
        ends.setdefault(state[0], job_id)
    assert set(ends) == {"FAILED", "COMPLETED"}
    return ends


# --- outcomes and exit statuses -----------------------------------------------------------


def test_a_completing_job_exits_0(lx: Any, world: World, live: dict[str, str]) -> None:
    job = live["COMPLETED"]
    r = lx("jobs", "wait", job, state_setup=world.setup)
    assert (r.code, r.stdout) == (0, "")
    lines, end = timeline(job)
    assert r.stderr == "".join(f"{line}\n" for line in [*lines, summary(job)])
    assert world.sleeps == [2.0] * int(end / 2) and world.elapsed == end
    assert world.status(job) == "COMPLETED"


def test_a_failing_job_exits_1_naming_why(lx: Any, world: World, live: dict[str, str]) -> None:
    job = live["FAILED"]
    r = lx("jobs", "wait", job, state_setup=world.setup)
    assert r.code == 1
    error = world.app.handle("GET", f"/api/v2/extract/{job}", [], AUTH).json()["error_message"]
    lines = r.stderr.splitlines()
    assert lines[-2] == summary(job) == f"{summary(job).split(':')[0]}: {error}"
    assert lines[-1] == f"lx: job {job} FAILED ({error})"


def test_several_jobs_one_failing(lx: Any, world: World, live: dict[str, str]) -> None:
    ids = world.app.live_job_ids()
    r = lx("jobs", "wait", *ids, "--interval", "1", state_setup=world.setup)
    assert r.code == 1
    summary = r.stderr.splitlines()[-len(ids) - 1 : -1]
    assert [line.split()[:2] for line in summary] == [[i, world.status(i)] for i in ids]
    assert r.stderr.splitlines()[-1].startswith(
        f"lx: 1 of {len(ids)} jobs did not complete: {live['FAILED']} FAILED ("
    )


def test_every_job_completed_with_json_output(lx: Any, world: World, live: dict[str, str]) -> None:
    ids = [i for i in world.app.live_job_ids() if i != live["FAILED"]]
    r = lx("jobs", "wait", *ids, "-o", "json", state_setup=world.setup)
    assert r.code == 0
    jobs = json.loads(r.stdout)
    assert [j["id"] for j in jobs] == ids and {j["status"] for j in jobs} == {"COMPLETED"}


def test_json_of_one_id_is_the_final_object(lx: Any, world: World, live: dict[str, str]) -> None:
    r = lx("jobs", "wait", live["COMPLETED"], "-o", "json", state_setup=world.setup)
    assert json.loads(r.stdout)["status"] == "COMPLETED"
    r = lx("jobs", "wait", live["COMPLETED"], "-f", "id,status", state_setup=world.setup)
    assert r.stdout == f'{{"id":"{live["COMPLETED"]}","status":"COMPLETED"}}\n'


def test_already_terminal_jobs_need_no_sleep(lx: Any, world: World) -> None:
    done, cancelled = world.finished("COMPLETED"), world.finished("CANCELLED")
    r = lx("jobs", "wait", done, state_setup=world.setup)
    assert (r.code, world.sleeps) == (0, [])
    r = lx("jobs", "wait", cancelled, state_setup=world.setup)
    assert r.code == 1 and r.stderr.endswith(f"lx: job {cancelled} CANCELLED\n")


def test_timeout_exits_124_naming_the_running_jobs(
    lx: Any, world: World, live: dict[str, str]
) -> None:
    job = live["COMPLETED"]
    assert timeline(job)[1] > 5
    running = status_at(job, 5)
    r = lx("jobs", "wait", job, "--timeout", "5s", state_setup=world.setup)
    assert r.code == 124
    assert world.sleeps == [2.0, 2.0, 1.0] and world.elapsed == 5
    assert r.stderr.splitlines()[-2:] == [
        f"{job} still {running} (timed out)",
        f"lx: timed out after 5s; still running: {job} ({running})",
    ]
    assert world.status(job) == running  # left alone


def test_timeout_zero_checks_once(lx: Any, world: World, live: dict[str, str]) -> None:
    r = lx("jobs", "wait", live["COMPLETED"], "--timeout", "0", state_setup=world.setup)
    assert (r.code, world.sleeps) == (124, [])


def test_a_failure_outranks_a_timeout(lx: Any, world: World, live: dict[str, str]) -> None:
    ids = world.app.live_job_ids()
    world.app.handle("POST", f"/api/v2/extract/{ids[1]}/cancel", [], AUTH)
    r = lx("jobs", "wait", *ids, "--timeout", "5s", state_setup=world.setup)
    assert r.code == 1 and "CANCELLED" in r.stderr.splitlines()[-1]


@pytest.mark.parametrize("value", ["soon", "10x", "-5s", "", "9800ms"])
def test_bad_timeout_is_a_usage_error(lx: Any, world: World, value: str) -> None:
    r = lx("jobs", "wait", "ext-1", "--timeout", value, state_setup=world.setup)
    assert r.code == 2 and r.stderr.startswith("lx: --timeout: ")
    assert world.sleeps == []


def test_unknown_ids_exit_4_at_once(lx: Any, world: World, live: dict[str, str]) -> None:
    r = lx("jobs", "wait", live["COMPLETED"], "ext-nope", state_setup=world.setup)
    assert r.code == 4 and world.sleeps == []
    assert r.stderr.splitlines()[-1] == "lx: job ext-nope not found"
    assert r.stdout == ""


def test_a_mix_of_found_and_unknown_prints_what_was_found(
    lx: Any, world: World, live: dict[str, str]
) -> None:
    job = live["COMPLETED"]
    r = lx("jobs", "wait", job, "ext-nope", "-o", "jsonl", state_setup=world.setup)
    assert r.code == 4 and world.sleeps == []
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == [job]
    lines = r.stderr.splitlines()
    assert f"{job} still PENDING (not waited for: an ID is unknown)" in lines
    assert lines[-1] == "lx: job ext-nope not found"


def test_a_job_deleted_while_waiting(
    lx: Any, world: World, live: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = live["COMPLETED"]

    def sleep_then_delete(seconds: float) -> None:
        world.sleep(seconds)
        world.app.handle("DELETE", f"/api/v2/extract/{job}", [("force", "true")], AUTH)

    monkeypatch.setattr(waiter, "SLEEP", sleep_then_delete)
    r = lx("jobs", "wait", job, state_setup=world.setup)
    assert r.code == 4
    assert r.stderr.splitlines()[-1] == f"lx: not found while waiting (deleted?): {job}"


def test_ids_from_stdin(lx: Any, world: World, live: dict[str, str]) -> None:
    ids = [i for i in world.app.live_job_ids() if i != live["FAILED"]]
    stdin = "".join(json.dumps({"id": i, "status": "PENDING"}) + "\n" for i in ids)
    r = lx("jobs", "wait", "-", stdin=stdin, state_setup=world.setup)
    assert r.code == 0
    summary = r.stderr.splitlines()[-len(ids) :]
    assert [line.split()[:2] for line in summary] == [[i, "COMPLETED"] for i in ids]


def test_ctrl_c_exits_130_and_leaves_the_jobs_alone(
    lx: Any, world: World, live: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(waiter, "SLEEP", interrupt)
    job = live["COMPLETED"]
    for tty in (False, True):
        r = lx("jobs", "wait", job, tty=tty, state_setup=world.setup)
        assert r.code == 130
        assert r.stderr.endswith(
            "lx: interrupted; stopped waiting, the jobs keep running "
            "(`jobs cancel JOB_ID` stops a job)\n"
        )
        assert world.status(job) == "PENDING"


# --- the terminal ------------------------------------------------------------------------


def test_live_display_on_a_terminal(lx: Any, world: World, live: dict[str, str]) -> None:
    ids = world.app.live_job_ids()
    r = lx("jobs", "wait", *ids, tty=True, state_setup=world.setup)
    assert r.code == 1 and r.stdout == ""
    tail = r.stderr.rsplit("\x1b[2K", 1)[-1]  # after the live table was cleared
    tail = tail.replace("\x1b[?25h", "")  # the cursor, shown again before the summary
    lines = tail.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [[i, world.status(i)] for i in ids]
    assert "waiting for" in r.stderr and "\x1b[?25h" in r.stderr  # cursor shown again


# --- polling politely ------------------------------------------------------------------------


def test_the_interval_backs_off_after_30_seconds() -> None:
    s = waiter.Schedule(2.0)
    assert [s.next(t) for t in (0, 10, 29)] == [2.0, 2.0, 2.0]
    grown = [s.next(30 + t) for t in range(8)]
    assert grown[:3] == [3.0, 4.5, 6.75] and grown[-1] == 30.0
    assert waiter.Schedule(45.0).next(100) == 45.0  # a longer --interval is kept


def test_the_interval_grows_after_a_429() -> None:
    s = waiter.Schedule(2.0)
    assert s.next(0, throttled=True) == 5.0
    assert s.next(1, throttled=True) == 10.0
    assert s.next(2) == 10.0


def test_transient_errors() -> None:
    assert waiter.transient(NetworkError("reset"))
    assert waiter.transient(ApiError("busy", status_code=429))
    assert waiter.transient(ApiError("down", status_code=503))
    assert not waiter.transient(ApiError("bad", status_code=400))
    assert not waiter.transient(NotFoundError("gone"))


def test_429s_slow_the_polls_down(
    lx: Any, monkeypatch: pytest.MonkeyPatch, live: dict[str, str]
) -> None:
    # The second poll meets 429 on every attempt the client makes (1 + 5 retries).
    world = make_world(monkeypatch, faults=FaultConfig(schedule=["ok"] + ["429"] * 6))
    r = lx("jobs", "wait", live["COMPLETED"], state_setup=world.setup)
    assert r.code == 0
    assert "lx: polling failed (the API answered 429 Too Many Requests" in r.stderr
    assert world.sleeps[:2] == [2.0, 5.0]  # the poll after the 429s waits longer


def test_persistent_failures_give_up(lx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(monkeypatch, faults=FaultConfig(error_rate=1.0))
    r = lx("jobs", "wait", "ext-any", state_setup=world.setup)
    assert r.code == 1
    assert r.stderr.count("lx: polling failed") == waiter.MAX_FAILED_POLLS
    assert r.stderr.splitlines()[-1].startswith("lx: the API answered 5")


def test_wait_for_with_a_scripted_fetch() -> None:
    clock = FakeClock(0)
    answers = iter(["PENDING", "RUNNING", "COMPLETED"])

    def fetch(ids: Any) -> list[Any]:
        from llamaextract_cli.jobs.batch import Outcome

        return [Outcome(i, value={"id": i, "status": next(answers)}) for i in ids]

    changes: list[tuple[str, float]] = []
    hooks = waiter.Hooks(on_change=lambda t, elapsed: changes.append((t.status or "", elapsed)))
    result = waiter.wait_for(
        ["a"], fetch, interval=3, timeout=None, clock=clock.now, sleep=clock.advance, hooks=hooks
    )
    assert result.all_completed and not result.timed_out and result.elapsed == 6
    assert changes == [("PENDING", 0), ("RUNNING", 3), ("COMPLETED", 6)]


# --- over a socket ------------------------------------------------------------------------


@pytest.mark.slow
def test_wait_over_a_real_socket(
    lx: Any, monkeypatch: pytest.MonkeyPatch, live: dict[str, str]
) -> None:
    world = make_world(monkeypatch)
    with SandboxServer(world.app) as server:
        r = lx(
            "--base-url",
            server.url,
            "jobs",
            "wait",
            live["COMPLETED"],
            "ext-nope",
            env={"LLAMA_CLOUD_API_KEY": "k"},
        )
        assert r.code == 4
        r = lx(
            "--base-url",
            server.url,
            "jobs",
            "wait",
            live["COMPLETED"],
            "-o",
            "json",
            env={"LLAMA_CLOUD_API_KEY": "k"},
        )
    assert r.code == 0 and json.loads(r.stdout)["status"] == "COMPLETED"
    assert world.elapsed == timeline(live["COMPLETED"])[1]


def test_a_retried_429_slows_the_polls_down_too(
    lx: Any, monkeypatch: pytest.MonkeyPatch, live: dict[str, str]
) -> None:
    # The second poll meets one 429; the client's retry gets the answer.
    world = make_world(monkeypatch, faults=FaultConfig(schedule=["ok", "429"]))
    r = lx("jobs", "wait", live["COMPLETED"], state_setup=world.setup)
    assert r.code == 0 and "polling failed" not in r.stderr
    assert world.sleeps[:2] == [2.0, 5.0]


# --- waiting on a selector, and --fail-fast (issue 16) -------------------------------------


def test_fail_fast_stops_at_the_first_failure(lx: Any, world: World, live: dict[str, str]) -> None:
    running = [i for i in world.app.live_job_ids() if i != live["FAILED"]]
    failed = world.finished("FAILED")  # terminal before the wait starts
    r = lx("jobs", "wait", *running, failed, "--fail-fast", state_setup=world.setup)
    assert r.code == 1
    last = r.stderr.splitlines()[-1]
    error = world.app.handle("GET", f"/api/v2/extract/{failed}", [], AUTH).json()["error_message"]
    assert last == (
        f"lx: {failed} FAILED ({error}); stopped waiting for the {len(running)} other jobs "
        "(--fail-fast)"
    )
    assert world.sleeps == []  # the first poll saw the failure: no waiting for the rest
    assert all(world.status(i) not in TERMINAL_STATUSES for i in running)
    assert r.stderr.count("not waited for (--fail-fast)") == len(running)
    # Without --fail-fast the same wait runs until every job has ended.
    r = lx("jobs", "wait", *running, failed, state_setup=world.setup)
    assert r.code == 1 and world.sleeps
    assert all(world.status(i) == "COMPLETED" for i in running)


def test_fail_fast_stops_when_a_live_job_fails(lx: Any, world: World, live: dict[str, str]) -> None:
    r = lx("jobs", "wait", *world.app.live_job_ids(), "--fail-fast", state_setup=world.setup)
    # Here the failing job is also the last to end: the outcome is the plain one.
    assert r.code == 1 and f"{live['FAILED']} FAILED (" in r.stderr.splitlines()[-1]


def test_fail_fast_with_every_job_completing_exits_0(
    lx: Any, world: World, live: dict[str, str]
) -> None:
    ids = [i for i in world.app.live_job_ids() if i != live["FAILED"]]
    r = lx("jobs", "wait", *ids, "--fail-fast", state_setup=world.setup)
    assert r.code == 0, r.stderr


def test_a_selector_waits_on_every_job_the_filters_match(lx: Any, world: World) -> None:
    running = [
        j["id"]
        for j in world.app.handle(
            "GET", "/api/v2/extract", [("status", "PENDING"), ("page_size", "100")], AUTH
        ).json()["items"]
    ]
    assert running
    r = lx("jobs", "wait", "--status", "PENDING", "--timeout", "1s", state_setup=world.setup)
    noun = "job" if len(running) == 1 else "jobs"
    assert (
        r.stderr.splitlines()[0] == f"lx: waiting on {len(running)} {noun} that match the filters"
    )
    waited = [line.split()[0] for line in r.stderr.splitlines() if line.startswith("ext-")]
    assert set(waited) == set(running)


def test_a_selector_with_no_match_is_a_note_and_exit_0(lx: Any, world: World) -> None:
    r = lx("jobs", "wait", "--config", "cfg-nothing", state_setup=world.setup)
    assert (r.code, r.stdout) == (0, "")
    assert r.stderr == "lx: no jobs match the filters; nothing to wait for\n"
    assert world.sleeps == []


def test_a_selector_bigger_than_max_is_refused(lx: Any, world: World) -> None:
    r = lx("jobs", "wait", "--status", "COMPLETED", "--max", "3", state_setup=world.setup)
    assert r.code == 2 and r.stdout == ""
    assert "more than 3 jobs match the filters" in r.stderr and "--max 6" in r.stderr
    assert world.sleeps == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "name the jobs to wait on"),
        (("ext-1", "--status", "FAILED"), "give job IDs or list filters, not both"),
        (("--project", "prj-1"), "name the jobs to wait on"),  # scope alone selects nothing
    ],
)
def test_wait_needs_ids_or_filters_not_both(lx: Any, args: tuple[str, ...], words: str) -> None:
    r = lx("--profile", "sandbox", "jobs", "wait", *args)
    assert r.code == 2 and words in r.stderr and r.stdout == ""


def test_a_half_started_live_view_still_gives_the_cursor_back() -> None:
    """Ctrl-C inside rich's Live.start(): its stop() fails; no internal error, cursor shown."""
    import io

    from llamaextract_cli.output.wait_view import LiveDisplay

    stream = io.StringIO()
    display = LiveDisplay(stream, ["ext-1"], color=False, clock=lambda: 0.0)
    display.__enter__()

    def broken_exit(*exc: object) -> None:
        raise IndexError("pop from empty list")

    display.live.__exit__ = broken_exit
    display.__exit__(None, None, None)
    assert stream.getvalue().endswith("\x1b[?25h")
