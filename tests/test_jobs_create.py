"""`lx jobs create` and `lx jobs rerun` on the in-process sandbox, on a fake clock.

The plan and its estimate, the refusals (no --yes off a terminal, over --max, a bad schema
file, --config with --schema), pacing under 429, the no-duplicate rule for a create the
server may have acted on, partial failure, duplicates in the input, and --wait.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.jobs import pace
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.transport import SandboxTransport

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
AUTH = {"authorization": "Bearer k"}
SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}}


@dataclass
class World:
    """A sandbox on a fake clock; the pacer's, the waiter's and the client's sleeps advance it."""

    clock: FakeClock
    app: SandboxApp
    probe: SandboxApp  # the same data set without faults: the test's own reads
    posts: list[float] = field(default_factory=list)  # when each POST reached the server
    requests: list[httpx.Request] = field(default_factory=list)

    def setup(self, state: State) -> None:
        world = self

        class Recording(SandboxTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                world.requests.append(request)
                if request.method == "POST":
                    world.posts.append(round(world.clock.now() - NOW_S, 3))
                return super().handle_request(request)

        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key="k",
            transport=Recording(self.app, sleep=self.clock.advance),
            sleep=self.clock.advance,
            clock=self.clock.now,
            rand=lambda: 0.0,
        )

    def jobs(self, status: str, n: int, **extra: str) -> list[dict[str, Any]]:
        """Jobs of the data set as the API lists them (read from the fault-free twin)."""
        query = [("status", status), ("page_size", str(n)), ("expand", "configuration")]
        path = "/api/v2/extract"
        return self.probe.handle("GET", path, query + list(extra.items()), AUTH).json()["items"]

    def saved_config(self) -> str:
        return next(
            j["configuration_id"] for j in self.jobs("FAILED", 20) if j.get("configuration_id")
        )

    def created(self) -> list[dict[str, Any]]:
        """The jobs lx created, with their configuration (once the faults are used up)."""
        query = [("expand", "configuration")]
        return [
            self.app.handle("GET", f"/api/v2/extract/{i}", query, AUTH).json()
            for i in self.app.created_job_ids()
        ]


def make_world(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> World:
    clock = FakeClock(NOW_S)
    app = SandboxApp(jobs=300, seed=7, now=NOW, clock=clock, **kwargs)
    world = World(clock, app, SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW_S)))
    for module in (pace, waiter):
        monkeypatch.setattr(module, "CLOCK", clock.now)
        monkeypatch.setattr(module, "SLEEP", clock.advance)
    return world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(monkeypatch)


@pytest.fixture
def run(lx: Callable[..., Any], world: World) -> Callable[..., Any]:
    def invoke(*args: str, **kw: Any) -> Any:
        return lx(*args, state_setup=world.setup, **kw)

    return invoke


def records(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def failed_ids(world: World, n: int) -> list[str]:
    return [j["id"] for j in world.jobs("FAILED", n)]


# --- the plan --------------------------------------------------------------------------------


def test_dry_run_prints_the_plan_with_pages_and_credits_and_creates_nothing(
    world: World, run: Callable[..., Any]
) -> None:
    originals = world.jobs("COMPLETED", 4)
    ids = [j["id"] for j in originals]
    r = run("jobs", "rerun", *ids, "--dry-run")
    assert r.code == 0, r.stderr
    assert world.app.created_job_ids() == [] and world.posts == []
    assert r.stderr.startswith("Rerun 4 jobs: a new job per original")
    # every original's configuration, tier and pages, as the API reports them
    rates = {"cost_effective": 5, "agentic": 15}
    groups: dict[tuple[str, str], list[int]] = {}
    for job in originals:
        label = job.get("configuration_id") or "inline"
        pages = job["metadata"]["usage"]["num_pages_extracted"]
        groups.setdefault((label, job["configuration"]["tier"]), []).append(pages)
    for (label, tier), pages in groups.items():
        credits = f"{sum(pages) * rates[tier]:,}" if tier in rates else "?"
        row = f"{label}  {tier}"
        line = next(
            line for line in r.stderr.splitlines() if line.startswith(label) and tier in line
        )
        assert row.split()[0] in line and f" {len(pages)} " in line, line
        assert line.rstrip().endswith(credits), line
    total = sum(
        j["metadata"]["usage"]["num_pages_extracted"] * rates.get(j["configuration"]["tier"], 0)
        for j in originals
    )
    assert f"credits for {sum(sum(p) for p in groups.values())} pages" in r.stderr
    assert f"{total:,} credits" in r.stderr
    assert r.stderr.rstrip().endswith("dry run: nothing rerun")
    got = records(r.stdout)
    assert [g["original_id"] for g in got] == ids
    assert {(g["status"], g["id"], g["dry_run"]) for g in got} == {("PLANNED", None, True)}
    assert [g["input"] for g in got] == [j["file_input"] for j in originals]


def test_failed_originals_without_pages_make_the_estimate_a_lower_bound(
    world: World, run: Callable[..., Any]
) -> None:
    originals = world.jobs("FAILED", 30)
    zero = [j for j in originals if not j["metadata"]["usage"]["num_pages_extracted"]]
    assert zero, "this seed has failures that stopped before extracting"
    r = run("jobs", "rerun", *[j["id"] for j in originals], "--max", "30", "--dry-run")
    assert r.code == 0, r.stderr
    assert "Estimate: at least" in r.stderr
    assert f"≥: {len(zero)} job{'s' if len(zero) > 1 else ''} report no pages" in r.stderr


def test_create_dry_run_prints_the_request_bodies(
    world: World, run: Callable[..., Any], tmp_path: Path
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    r = run(
        "jobs", "create", "--file-input", "dfl-a,dfl-b", "--schema", str(schema),
        "--tier", "AGENTIC", "--cite", "--dry-run", "-o", "jsonl",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    conf = {"data_schema": SCHEMA, "tier": "agentic", "cite_sources": True}
    assert records(r.stdout) == [
        {"file_input": "dfl-a", "configuration": conf},
        {"file_input": "dfl-b", "configuration": conf},
    ]
    assert "Create 2 jobs with inline configuration (tier agentic, 1 field):" in r.stderr
    assert world.requests == []


# --- the refusals ------------------------------------------------------------------------------


def test_no_yes_off_a_terminal_refuses_before_any_request(
    world: World, run: Callable[..., Any]
) -> None:
    [job] = failed_ids(world, 1)
    r = run("jobs", "rerun", job)
    assert (r.code, r.stdout) == (2, "")
    assert r.stderr == (
        "lx: refusing to rerun without confirmation: not a terminal "
        "(pass --yes to rerun anyway, or --dry-run to see what would happen)\n"
    )
    r = run("jobs", "create", "--file-input", "dfl-1", "--config", "cfg-1")
    assert r.code == 2 and "refusing to create without confirmation" in r.stderr
    r = run("jobs", "rerun", "-", stdin=job + "\n")
    assert r.code == 2 and "the job IDs come on stdin" in r.stderr
    assert world.requests == []


def test_on_a_terminal_it_asks_and_no_creates_nothing(
    world: World, run: Callable[..., Any]
) -> None:
    [job] = failed_ids(world, 1)
    r = run("jobs", "rerun", job, tty=True, stdin_tty=True, stdin="n\n")
    assert r.code == 1 and "Rerun 1 job? [y/N] " in r.stderr
    assert "not confirmed; nothing created" in r.stderr
    assert world.app.created_job_ids() == []
    r = run("jobs", "rerun", job, tty=True, stdin_tty=True, stdin="y\n", env={"COLUMNS": "160"})
    assert r.code == 0, r.stderr
    [new] = world.app.created_job_ids()
    assert new in r.stdout and job in r.stdout  # the table names both at 160 columns


def test_over_max_is_refused(world: World, run: Callable[..., Any]) -> None:
    ids = failed_ids(world, 4)
    r = run("jobs", "rerun", *ids, "--max", "3", "--yes")
    assert r.code == 2 and "refusing to rerun 4 jobs: more than --max 3" in r.stderr
    r = run("jobs", "rerun", "--status", "FAILED", "--yes")  # every failure ever: > 25
    assert r.code == 2
    assert "refusing to rerun: more than --max 25 jobs match" in r.stderr
    assert [q.method for q in world.requests] == ["GET"]  # one page of 26, no creates
    assert world.requests[0].url.params["page_size"] == "26"
    r = run("jobs", "create", "--file-input", "a,b,c", "--config", "cfg-1", "--max", "2", "--yes")
    assert r.code == 2 and "refusing to create 3 jobs: more than --max 2" in r.stderr
    assert world.app.created_job_ids() == []


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"type": "object",', "is not valid JSON: Expecting property name enclosed in double"),
        ("[1, 2]", "a JSON Schema is an object ({...}), not a list"),
        ("", "empty, not JSON"),
    ],
)
def test_a_bad_schema_file_is_a_usage_error_before_any_request(
    world: World, run: Callable[..., Any], tmp_path: Path, text: str, message: str
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(text)
    r = run("jobs", "create", "--file-input", "dfl-1", "--schema", str(schema), "--yes")
    assert r.code == 2 and message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and world.requests == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--config", "cfg-1", "--schema", "s.json"], "--config and --schema cannot be combined"),
        (["--schema", "s.json", "--configuration", "c.json"], "cannot be combined"),
        ([], "a job needs a configuration"),
        (["--config", "cfg-1", "--tier", "agentic"], "--tier set keys of an inline configuration"),
        (["--schema", "missing.json"], "--schema missing.json: no such file"),
        (["--config", "cfg-1", "--timeout", "5m"], "--timeout applies to --wait"),
    ],
)
def test_configuration_mistakes_are_usage_errors(
    world: World, run: Callable[..., Any], args: list[str], message: str
) -> None:
    r = run("jobs", "create", "--file-input", "dfl-1", *args, "--yes")
    assert r.code == 2 and message in r.stderr, r.stderr
    assert world.requests == []


def test_rerun_needs_ids_or_filters_but_not_both(world: World, run: Callable[..., Any]) -> None:
    r = run("jobs", "rerun", "--yes")
    assert r.code == 2 and "which jobs?" in r.stderr
    r = run("jobs", "rerun", "ext-1", "--status", "FAILED", "--yes")
    assert r.code == 2 and "job IDs or list filters, not both" in r.stderr
    r = run("jobs", "create", "--file-input", "ext-1", "--config", "cfg-1", "--yes")
    assert r.code == 2 and "lx jobs rerun ext-1" in r.stderr
    assert world.requests == []


# --- creating ----------------------------------------------------------------------------------


def test_rerun_gives_each_original_a_new_job_with_its_input_and_configuration(
    world: World, run: Callable[..., Any]
) -> None:
    originals = world.jobs("FAILED", 6)
    assert {bool(j.get("configuration_id")) for j in originals} == {True, False}
    r = run("jobs", "rerun", *[j["id"] for j in originals], "--yes")
    assert r.code == 0, r.stderr
    made = world.created()
    got = records(r.stdout)
    assert [g["id"] for g in got] == [m["id"] for m in made]
    for original, new, record in zip(originals, made, got, strict=True):
        assert record == {
            "original_id": original["id"],
            "id": new["id"],
            "status": "PENDING",
            "input": original["file_input"],
            "configuration_id": original.get("configuration_id"),
            "error": None,
        }
        assert new["file_input"] == original["file_input"]
        assert new["project_id"] == original["project_id"]
        assert new.get("configuration_id") == original.get("configuration_id")
        if not original.get("configuration_id"):  # the inline configuration, sent whole
            assert new["configuration"] == original["configuration"]
    assert r.stderr.rstrip().endswith("rerun 6 jobs")


def test_rerun_by_filters_and_from_stdin(world: World, run: Callable[..., Any]) -> None:
    config = world.saved_config()
    expected = [j["id"] for j in world.jobs("FAILED", 25, configuration_id=config)]
    r = run("jobs", "rerun", "--status", "FAILED", "--config", config, "--yes", "--max", "100")
    assert r.code == 0, r.stderr
    assert [g["original_id"] for g in records(r.stdout)] == expected
    listing = "\n".join(json.dumps({"id": i, "status": "FAILED"}) for i in expected[:2])
    r = run("jobs", "rerun", "-", "--yes", stdin=listing + "\n")
    assert r.code == 0, r.stderr
    assert [g["original_id"] for g in records(r.stdout)] == expected[:2]


def test_duplicates_in_the_input_are_dropped_and_said_so(
    world: World, run: Callable[..., Any]
) -> None:
    a, b = failed_ids(world, 2)
    r = run("jobs", "rerun", a, b, a, a, "--yes")
    assert r.code == 0, r.stderr
    assert f"lx: {a} given more than once; each is rerun once\n" in r.stderr
    assert [g["original_id"] for g in records(r.stdout)] == [a, b]
    assert len(world.posts) == 2
    r = run("jobs", "create", "--file-input", "dfl-x,dfl-y", "--file-input", "dfl-x",
            "--config", world.saved_config(), "--yes")  # fmt: skip
    assert r.code == 0, r.stderr
    assert "lx: dfl-x given more than once; one job is created for each" in r.stderr
    assert len(world.posts) == 4


def test_unfinished_and_unknown_originals_are_not_rerun(
    world: World, run: Callable[..., Any]
) -> None:
    [done] = failed_ids(world, 1)
    live = world.app.live_job_ids()[0]
    r = run("jobs", "rerun", done, live, "--yes")
    assert r.code == 1
    got = records(r.stdout)
    assert [(g["original_id"], g["status"]) for g in got] == [
        (done, "PENDING"),
        (live, "NOT_CREATED"),
    ]
    assert "only finished jobs" in got[1]["error"] and f"lx jobs wait {live}" in got[1]["error"]
    r = run("jobs", "rerun", done, "ext-00000000-0000-0000-0000-000000000000", "--yes")
    assert r.code == 4 and "not found" in r.stderr
    assert len(world.posts) == 2


def test_create_with_a_schema_makes_the_job_and_prints_it(
    world: World, run: Callable[..., Any], tmp_path: Path
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    r = run(
        "jobs", "create", "-i", "dfl-one", "--schema", str(schema), "--target", "per_page",
        "--system-prompt", "Be brief.", "--yes", "-o", "json",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    job = json.loads(r.stdout)  # one input: the object alone
    [made] = world.created()
    assert job["id"] == made["id"] and job["status"] == "PENDING"
    assert made["configuration"]["data_schema"] == SCHEMA
    assert made["configuration"]["extraction_target"] == "per_page"
    assert made["configuration"]["system_prompt"] == "Be brief."
    r = run("jobs", "create", "--file-input", "-", "--config", made.get("configuration_id") or
            world.saved_config(), "--yes", stdin="dfl-p\ndfl-q\n")  # fmt: skip
    assert r.code == 0, r.stderr
    assert [j["file_input"] for j in records(r.stdout)] == ["dfl-p", "dfl-q"]


# --- pacing under 429 --------------------------------------------------------------------------


def test_creates_are_paced_and_slow_down_after_a_429(
    monkeypatch: pytest.MonkeyPatch, lx: Callable[..., Any]
) -> None:
    world = make_world(monkeypatch, faults=FaultConfig(schedule=["ok"] * 7 + ["429"]))
    ids = failed_ids(world, 6)
    r = lx("jobs", "rerun", *ids, "--yes", state_setup=world.setup)
    assert r.code == 0, r.stderr
    # The 6 GETs of the originals and the 1st create take the "ok"s; creates go 5 a second
    # (0.2 s apart); the 2nd is refused with Retry-After: 1 and retried 1 s later; from
    # then on the pace is halved (0.4 s apart).
    assert world.posts == [0.0, 0.2, 1.2, 1.6, 2.0, 2.4, 2.8]
    assert len(world.app.created_job_ids()) == 6


def test_rate_flag_sets_the_pace(world: World, run: Callable[..., Any]) -> None:
    ids = failed_ids(world, 3)
    r = run("jobs", "rerun", *ids, "--yes", "--rate", "2")
    assert r.code == 0, r.stderr
    assert world.posts == [0.0, 0.5, 1.0]
    r = run("jobs", "rerun", *ids, "--yes", "--rate", "20")
    assert r.code == 2 and "--rate" in r.stderr


# --- partial failure and the no-duplicate rule -------------------------------------------------


def test_partial_failure_prints_what_was_created_and_names_the_failures(
    monkeypatch: pytest.MonkeyPatch, lx: Callable[..., Any]
) -> None:
    # after the 5 GETs: the 2nd create is dropped after the server made the job, the 4th
    # meets a 503 that says not to retry; the client cannot tell that the server did not
    # act on it: both are UNKNOWN, and neither is sent again
    world = make_world(
        monkeypatch, faults=FaultConfig(schedule=["ok"] * 5 + ["ok", "drop", "ok", "no-retry"])
    )
    originals = failed_ids(world, 5)
    r = lx("jobs", "rerun", *originals, "--yes", state_setup=world.setup)
    assert r.code == 1
    got = records(r.stdout)
    assert [g["status"] for g in got] == ["PENDING", "UNKNOWN", "PENDING", "UNKNOWN", "PENDING"]
    assert len(world.posts) == 5  # nothing was sent twice
    made = world.app.created_job_ids()
    assert len(made) == 4  # the dropped one was made; the 503 one was not
    assert [g["id"] for g in got if g["id"]] == [made[0], made[2], made[3]]
    lines = r.stderr.splitlines()
    assert f"lx: {originals[1]}: unknown whether a job was created" in r.stderr
    unknown_line = next(line for line in lines if originals[1] in line and "unknown" in line)
    assert f"lx jobs list --input {got[1]['input']} --since 1h" in unknown_line
    assert lines[-1] == "lx: rerun 3 of 5 jobs; 2 unknown (check before trying again)"


def test_a_4xx_create_is_not_created_and_the_others_go_on(
    world: World, run: Callable[..., Any]
) -> None:
    r = run(
        "jobs", "create", "--file-input", "dfl-1,not-a-file,dfl-2", "--config",
        world.saved_config(), "--yes",
    )  # fmt: skip
    created = world.app.created_job_ids()
    if len(created) == 3:
        pytest.skip("the sandbox accepts any file input")
    assert r.code == 1
    assert [j["file_input"] for j in records(r.stdout)] == ["dfl-1", "dfl-2"]
    assert "lx: not-a-file: not created:" in r.stderr
    assert r.stderr.rstrip().endswith("created 2 of 3 jobs; 1 not created")


# --- --wait --------------------------------------------------------------------------------------


def test_wait_follows_the_new_jobs_to_the_end(world: World, run: Callable[..., Any]) -> None:
    ids = failed_ids(world, 3)
    r = run("jobs", "rerun", *ids, "--yes", "--wait")
    made = world.app.created_job_ids()
    ends = {i: world.app.job_state(i)[0] for i in made}  # type: ignore[index]
    assert set(ends.values()) <= {"COMPLETED", "FAILED"}
    assert r.code == (1 if "FAILED" in ends.values() else 0), r.stderr
    for job_id, status in ends.items():
        assert f"{job_id} {status} in " in r.stderr
    assert [g["id"] for g in records(r.stdout)] == made
    assert world.clock.now() - NOW_S < 30  # the sandbox ends a job within about 10 s


def test_wait_timeout_exits_124(world: World, run: Callable[..., Any], tmp_path: Path) -> None:
    config = world.saved_config()
    r = run("jobs", "create", "-i", "dfl-w", "--config", config, "--yes", "--wait", "-t", "1s")
    assert r.code == 124 and "timed out after 1s; still running" in r.stderr
    [made] = world.app.created_job_ids()
    assert json.loads(r.stdout)["id"] == made


def test_ctrl_c_while_creating_prints_what_was_made_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, world: World, run: Callable[..., Any]
) -> None:
    ids = failed_ids(world, 3)
    original = ApiClient.create_job
    calls = []

    def interrupted_second(self: ApiClient, body: Any, params: Any = ()) -> Any:
        calls.append(body)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, body, params)

    monkeypatch.setattr(ApiClient, "create_job", interrupted_second)
    r = run("jobs", "rerun", *ids, "--yes")
    assert r.code == 130
    got = records(r.stdout)
    assert [g["status"] for g in got] == ["PENDING", "UNKNOWN", "NOT_CREATED"]
    assert got[0]["id"] == world.app.created_job_ids()[0] and len(calls) == 2
    assert r.stderr.rstrip().endswith(
        "lx: interrupted; rerun 1 of 3 jobs; 1 not created, 1 unknown (check before trying "
        "again) (the jobs created keep running)"
    )


def test_wait_fail_fast_stops_at_the_first_failed_new_job(
    world: World, run: Callable[..., Any]
) -> None:
    ids = failed_ids(world, 6)
    r = run("jobs", "rerun", *ids, "--yes", "--wait", "--fail-fast")
    made = world.app.created_job_ids()
    states = [world.app.job_state(i)[0] for i in made]  # type: ignore[index]
    assert "FAILED" in states  # this seed's reruns include failures
    assert r.code == 1
    assert "(--fail-fast)" in r.stderr.splitlines()[-1] and "FAILED" in r.stderr.splitlines()[-1]
    r = run("jobs", "rerun", *ids, "--yes", "--fail-fast")
    assert r.code == 2 and "--fail-fast applies to --wait" in r.stderr
