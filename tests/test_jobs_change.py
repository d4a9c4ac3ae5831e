"""`lx jobs cancel` / `lx jobs delete`: confirmation, refusal off a terminal, dry runs, results."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.transport import SandboxTransport

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
AUTH = {"authorization": "Bearer k"}
REFUSED = "only PENDING, THROTTLED or RUNNING jobs can be cancelled"


def make_app(**kwargs: Any) -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW_S), **kwargs)


def inject(app: SandboxApp) -> Callable[[State], None]:
    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid", api_key="k", transport=SandboxTransport(app)
        )

    return setup


def status(app: SandboxApp, job_id: str) -> str | None:
    state = app.job_state(job_id)
    return state[0] if state else None


def finished(app: SandboxApp, wanted: str, n: int = 1) -> list[str]:
    query = [("status", wanted), ("page_size", str(n))]
    return [j["id"] for j in app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"]]


@pytest.fixture
def app() -> SandboxApp:
    return make_app()


@pytest.fixture
def pending(app: SandboxApp) -> list[str]:
    ids = app.live_job_ids()
    assert {status(app, i) for i in ids} == {"PENDING"}
    return ids


# --- refusing without confirmation ----------------------------------------------------------


@pytest.mark.parametrize("verb", ["cancel", "delete"])
def test_no_terminal_and_no_yes_refuses(lx: Any, app: SandboxApp, verb: str) -> None:
    done = finished(app, "COMPLETED")[0]
    job = app.live_job_ids()[0] if verb == "cancel" else done
    r = lx("jobs", verb, job, state_setup=inject(app))
    assert (r.code, r.stdout) == (2, "")
    assert r.stderr == (
        f"lx: refusing to {verb} without confirmation: not a terminal "
        f"(pass --yes to {verb} anyway, or --dry-run to see what would happen)\n"
    )
    assert status(app, job) in ("PENDING", "COMPLETED")


def test_ids_on_stdin_need_yes(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx("jobs", "cancel", "-", stdin=pending[0] + "\n", state_setup=inject(app))
    assert r.code == 2 and "the job IDs come on stdin" in r.stderr and "--yes" in r.stderr
    assert status(app, pending[0]) == "PENDING"
    r = lx("jobs", "cancel", "-", "--yes", stdin=pending[0] + "\n", state_setup=inject(app))
    assert (r.code, r.stderr) == (0, f"cancelled {pending[0]}\n")
    assert status(app, pending[0]) == "CANCELLED"


def test_a_terminal_on_stdout_only_is_not_enough(
    lx: Any, app: SandboxApp, pending: list[str]
) -> None:
    r = lx("jobs", "cancel", pending[0], tty=True, stdin_tty=False, state_setup=inject(app))
    assert r.code == 2 and status(app, pending[0]) == "PENDING"


# --- confirming on a terminal ----------------------------------------------------------------


def test_confirm_yes_cancels(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx(
        "--no-color",
        "jobs",
        "cancel",
        *pending[:2],
        tty=True,
        stdin_tty=True,
        stdin="y\n",
        state_setup=inject(app),
    )
    assert r.code == 0
    table, rest = r.stderr.split("Cancel 2 jobs? [y/N] ")
    assert table.splitlines()[0].split() == ["ID", "STATUS", "CREATED"]
    assert [line.split()[:2] for line in table.splitlines()[1:]] == [
        [i, "PENDING"] for i in pending[:2]
    ]
    assert rest == f"cancelled {pending[0]}\ncancelled {pending[1]}\n"
    assert [status(app, i) for i in pending[:2]] == ["CANCELLED", "CANCELLED"]


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "nope\n"])
def test_confirm_no_changes_nothing(
    lx: Any, app: SandboxApp, pending: list[str], answer: str
) -> None:
    r = lx(
        "jobs",
        "delete",
        pending[0],
        "--force",
        tty=True,
        stdin_tty=True,
        stdin=answer,
        state_setup=inject(app),
    )
    assert r.code == 1
    assert r.stderr.endswith("Delete 1 job? [y/N] lx: not confirmed; nothing changed\n")
    assert status(app, pending[0]) == "PENDING"


def test_confirm_names_what_cannot_be_done_first(
    lx: Any, app: SandboxApp, pending: list[str]
) -> None:
    done = finished(app, "COMPLETED")[0]
    r = lx(
        "--no-color",
        "jobs",
        "cancel",
        done,
        "ext-nope",
        pending[0],
        tty=True,
        stdin_tty=True,
        stdin="yes\n",
        state_setup=inject(app),
    )
    assert r.code == 1
    head, tail = r.stderr.split("Cancel 1 job (2 others cannot be)? [y/N] ")
    assert head.startswith(f"lx: {done} is COMPLETED; {REFUSED}\nlx: job ext-nope not found\nID")
    assert tail == f"cancelled {pending[0]}\n"


def test_nothing_to_confirm_when_nothing_can_be_done(lx: Any, app: SandboxApp) -> None:
    done = finished(app, "FAILED")[0]
    r = lx("jobs", "cancel", done, tty=True, stdin_tty=True, stdin="y\n", state_setup=inject(app))
    assert (r.code, r.stderr) == (1, f"lx: {done} is FAILED; {REFUSED}\n")


# --- --yes: results and exit statuses -----------------------------------------------------------


def test_cancel_results_as_jsonl(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    done = finished(app, "COMPLETED")[0]
    r = lx(
        "jobs",
        "cancel",
        pending[0],
        done,
        pending[1],
        "--yes",
        "-o",
        "jsonl",
        state_setup=inject(app),
    )
    assert r.code == 1
    assert [json.loads(line) for line in r.stdout.splitlines()] == [
        {"id": pending[0], "ok": True, "status": "CANCELLED"},
        {"id": done, "ok": False, "error": f"{done} is COMPLETED; {REFUSED}"},
        {"id": pending[1], "ok": True, "status": "CANCELLED"},
    ]
    assert r.stderr == (
        f"cancelled {pending[0]}\nlx: {done} is COMPLETED; {REFUSED}\ncancelled {pending[1]}\n"
    )


def test_json_of_one_id_is_one_object(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx("jobs", "cancel", pending[0], "-y", "-o", "json", state_setup=inject(app))
    assert (r.code, json.loads(r.stdout)) == (
        0,
        {"id": pending[0], "ok": True, "status": "CANCELLED"},
    )
    r = lx("jobs", "cancel", *pending[1:3], "-y", "-o", "json", state_setup=inject(app))
    assert [x["id"] for x in json.loads(r.stdout)] == pending[1:3]


def test_unknown_ids_exit_4(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx(
        "jobs", "cancel", "ext-nope", pending[0], "--yes", "-o", "jsonl", state_setup=inject(app)
    )
    assert r.code == 4
    assert r.stderr == f"lx: job ext-nope not found\ncancelled {pending[0]}\n"
    assert json.loads(r.stdout.splitlines()[0]) == {
        "id": "ext-nope",
        "ok": False,
        "error": "not found",
    }


def test_results_as_csv(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx("jobs", "cancel", pending[0], "ext-nope", "--yes", "-o", "csv", state_setup=inject(app))
    assert (
        r.stdout == f"id,ok,status,error\n{pending[0]},true,CANCELLED,\next-nope,false,,not found\n"
    )


def test_delete(lx: Any, app: SandboxApp) -> None:
    done = finished(app, "COMPLETED", 2)
    r = lx("jobs", "delete", *done, "--yes", state_setup=inject(app))
    assert (r.code, r.stdout) == (0, "")
    assert r.stderr == "".join(f"deleted {i}\n" for i in done)
    assert [status(app, i) for i in done] == [None, None]
    r = lx("jobs", "delete", done[0], "--yes", state_setup=inject(app))
    assert (r.code, r.stderr) == (4, f"lx: job {done[0]} not found\n")


def test_delete_an_unfinished_job_needs_force(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx("jobs", "delete", pending[0], "--yes", "-o", "jsonl", state_setup=inject(app))
    assert r.code == 1
    assert r.stderr == (
        f"lx: {pending[0]} is PENDING; cancel it first (the command below), "
        "or pass --force to delete a job that has not finished\n"
        f"  lx jobs cancel {pending[0]}\n"
    )
    assert json.loads(r.stdout)["ok"] is False and status(app, pending[0]) == "PENDING"
    r = lx("jobs", "delete", pending[0], "--yes", "--force", "-o", "jsonl", state_setup=inject(app))
    assert r.code == 0 and status(app, pending[0]) is None
    assert json.loads(r.stdout) == {"id": pending[0], "ok": True, "status": "PENDING"}


def test_server_refusal_after_a_race(lx: Any, app: SandboxApp) -> None:
    """The job finished between the look and the cancel: the API's answer is reported."""
    live = app.live_job_ids()[0]
    clock = app.clock
    assert isinstance(clock, FakeClock)

    def setup(state: State) -> None:
        inject(app)(state)
        client = state._client
        assert client is not None
        real_get = client.get_job

        def get_then_finish(job_id: str, params: Any = ()) -> dict[str, Any]:
            job = real_get(job_id, params)
            clock.advance(60)
            return job

        client.get_job = get_then_finish  # type: ignore[method-assign]

    r = lx("jobs", "cancel", live, "--yes", state_setup=setup)
    assert r.code == 1
    assert r.stderr.startswith(f"lx: {live}: the API answered 400 Bad Request: Job {live} is ")


# --- dry runs ----------------------------------------------------------------------------------


def test_dry_run_changes_nothing(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    done = finished(app, "COMPLETED")[0]
    r = lx("jobs", "cancel", pending[0], done, "--dry-run", "-o", "jsonl", state_setup=inject(app))
    assert r.code == 0
    assert r.stderr == f"would cancel {pending[0]} (PENDING)\nlx: {done} is COMPLETED; {REFUSED}\n"
    assert [json.loads(line) for line in r.stdout.splitlines()] == [
        {"id": pending[0], "ok": True, "status": "PENDING", "dry_run": True},
        {"id": done, "ok": False, "error": f"{done} is COMPLETED; {REFUSED}", "dry_run": True},
    ]
    assert status(app, pending[0]) == "PENDING"
    r = lx("jobs", "delete", done, "--dry-run", state_setup=inject(app))
    assert (r.code, r.stderr) == (0, f"would delete {done} (COMPLETED)\n")
    assert status(app, done) == "COMPLETED"


def test_dry_run_with_an_unknown_id_exits_4(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "delete", "ext-nope", "--dry-run", state_setup=inject(app))
    assert (r.code, r.stderr) == (4, "lx: job ext-nope not found\n")


def test_dry_run_reads_stdin_without_yes(lx: Any, app: SandboxApp, pending: list[str]) -> None:
    r = lx("jobs", "cancel", "-", "--dry-run", stdin="\n".join(pending), state_setup=inject(app))
    assert r.code == 0 and r.stderr.count("would cancel") == len(pending)


# --- shapes and the built-in sandbox -------------------------------------------------------------


def test_seed_shape(lx: Any) -> None:
    app = make_app(api_shape="seed")
    job = app.live_job_ids()[0]
    r = lx("jobs", "cancel", job, "--yes", "-o", "json", state_setup=inject(app))
    assert json.loads(r.stdout) == {"id": job, "ok": True, "status": "CANCELLED"}


def test_through_the_sandbox_url(lx: Any, sandbox_url: str) -> None:
    listing = lx("--base-url", sandbox_url, "jobs", "list", "-s", "FAILED", "-L", "2", "-f", "id")
    r = lx("--base-url", sandbox_url, "jobs", "delete", "-", "--yes", stdin=listing.stdout)
    ids = [json.loads(line)["id"] for line in listing.stdout.splitlines()]
    assert (r.code, r.stderr) == (0, "".join(f"deleted {i}\n" for i in ids))
