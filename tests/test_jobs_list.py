"""`lx jobs list` end to end against the in-process sandbox: flags, paging, formats, exits."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from lxtest import Runner, wire

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
URL = "sandbox://?jobs=300&seed=7"


@pytest.fixture
def app() -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW_S), live=0)


def all_jobs(app: SandboxApp, **q: str) -> list[dict]:
    """Every job of the app via the raw API (the independent view)."""
    out: list[dict] = []
    token = None
    headers = {"authorization": "Bearer k"}
    while True:
        query = [("page_size", "100"), *q.items()]
        if token:
            query.append(("page_token", token))
        page = json.loads(app.handle("GET", "/api/v2/extract", query, headers, b"").body)
        out.extend(page["items"])
        token = page.get("next_page_token")
        if not token:
            return out


def ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.splitlines()]


def test_main_job_works_with_the_builtin_sandbox_profile(lx: Runner) -> None:
    r = lx("--profile", "sandbox", "jobs", "list", "--status", "FAILED")
    assert r.code == 0, r.stderr
    jobs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(jobs) == 30
    assert {j["status"] for j in jobs} == {"FAILED"}
    assert all(j["error_message"] for j in jobs)
    assert r.stderr == ""


def test_flags_become_the_api_parameters(lx: Runner, app: SandboxApp) -> None:
    setup, rec = wire(app)
    r = lx(
        "jobs",
        "list",
        "--status",
        "failed",
        "--since",
        "2025-12-01",
        "--until",
        "2025-12-30",
        "--config",
        "cfg-1",
        "--input",
        "dfl-1",
        "--input-type",
        "file_id",
        "--id",
        "a",
        "--id",
        "b,c",
        "--expand",
        "configuration,extract_metadata",
        "--project",
        "prj-1",
        "--org",
        "org-1",
        "--page-size",
        "7",
        "--page-token",
        "TOKEN",
        "-L",
        "5",
        state_setup=setup,
    )
    # The sandbox refuses the made-up token (422, exit 2): the request is what matters.
    assert r.code == 2 and "page_token" in r.stderr
    assert rec is not None
    assert rec.params() == [
        ("status", "FAILED"),
        ("configuration_id", "cfg-1"),
        ("created_at_on_or_after", "2025-12-01T00:00:00Z"),
        ("created_at_on_or_before", "2025-12-30T23:59:59.999999Z"),
        ("document_input_type", "file_id"),
        ("document_input_value", "dfl-1"),
        ("job_ids", "a"),
        ("job_ids", "b"),
        ("job_ids", "c"),
        ("expand", "configuration"),
        ("expand", "extract_metadata"),
        ("project_id", "prj-1"),
        ("organization_id", "org-1"),
        ("page_size", "7"),  # an explicit --page-size is sent as given
        ("page_token", "TOKEN"),
    ]


def test_explicit_page_size_with_a_smaller_limit(lx: Runner, app: SandboxApp) -> None:
    setup, rec = wire(app)
    r = lx("jobs", "list", "-L", "5", "--page-size", "7", tty=True, state_setup=setup)
    assert len(r.stdout.splitlines()) == 6  # header + 5 rows
    assert ("page_size", "7") in rec.params()  # type: ignore[union-attr]
    assert "more match (use --limit N or --all)" in r.stderr  # no exact token mid-page


def test_relative_since_is_sent_as_utc_iso(lx: Runner, app: SandboxApp) -> None:
    setup, rec = wire(app)
    before = datetime.now(timezone.utc)
    assert lx("jobs", "list", "--since", "2h", state_setup=setup).code == 0
    sent = dict(rec.params())["created_at_on_or_after"]  # type: ignore[union-attr]
    assert sent.endswith("Z")
    when = datetime.fromisoformat(sent.replace("Z", "+00:00"))
    assert abs((before - timedelta(hours=2)) - when) < timedelta(seconds=5)


@pytest.mark.parametrize("page_size", ["1", "7", "50", "100"])
def test_all_returns_every_job_once_in_order(lx: Runner, app: SandboxApp, page_size: str) -> None:
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", "--all", "--page-size", page_size, state_setup=setup)
    assert r.code == 0, r.stderr
    assert ids(r.stdout) == [j["id"] for j in all_jobs(app)]


def test_several_statuses_are_merged_newest_first(lx: Runner, app: SandboxApp) -> None:
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", "-A", "-s", "FAILED", "-s", "cancelled", state_setup=setup)
    assert r.code == 0, r.stderr
    expected = [j["id"] for j in all_jobs(app) if j["status"] in ("FAILED", "CANCELLED")]
    assert ids(r.stdout) == expected


def test_limit_stops_on_a_page_boundary_and_the_token_resumes(lx: Runner, app: SandboxApp) -> None:
    setup, rec = wire(app)
    first = lx("jobs", "list", "-L", "5", tty=False, state_setup=setup)
    assert len(ids(first.stdout)) == 5
    assert ("page_size", "5") in rec.params()  # type: ignore[union-attr]
    # On a terminal the next token is printed to stderr.
    setup, _ = wire(app, record=False)
    shown = lx("jobs", "list", "-L", "5", "-o", "jsonl", tty=True, state_setup=setup)
    assert "--page-token" in shown.stderr
    token = shown.stderr.split("--page-token ")[1].split()[0]
    setup, _ = wire(app, record=False)
    nxt = lx("jobs", "list", "-L", "5", "--page-token", token, state_setup=setup)
    everything = [j["id"] for j in all_jobs(app)]
    assert ids(first.stdout) + ids(nxt.stdout) == everything[:10]


def test_default_limit_is_30(lx: Runner, app: SandboxApp) -> None:
    setup, _ = wire(app, record=False)
    assert len(ids(lx("jobs", "list", state_setup=setup).stdout)) == 30


def test_json_is_one_array_and_carries_jobs_as_received(lx: Runner, app: SandboxApp) -> None:
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", "-L", "3", "-o", "json", state_setup=setup)
    assert json.loads(r.stdout) == all_jobs(app)[:3]


def test_zero_jobs_is_valid_in_every_format(lx: Runner, app: SandboxApp) -> None:
    for fmt, expected in [("json", "[]\n"), ("jsonl", ""), ("table", "")]:
        setup, _ = wire(app, record=False)
        r = lx("jobs", "list", "--id", "ext-nope", "-o", fmt, state_setup=setup)
        assert (r.code, r.stdout) == (0, expected), fmt
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", "--id", "ext-nope", "-o", "csv", "-f", "id,status", state_setup=setup)
    assert r.stdout == "id,status\n"
    setup, _ = wire(app, record=False)
    assert "no jobs match" in lx("jobs", "list", "--id", "x", tty=True, state_setup=setup).stderr


def test_fields_pick_and_order_in_every_format(lx: Runner, app: SandboxApp) -> None:
    first = all_jobs(app)[0]
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", "-L", "1", "-f", "status,id", "-o", "jsonl", state_setup=setup)
    assert (
        r.stdout
        == json.dumps({"status": first["status"], "id": first["id"]}, separators=(",", ":")) + "\n"
    )
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", "-L", "2", "-f", "id,usage.credits", "-o", "csv", state_setup=setup)
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["id", "usage.credits"]
    assert rows[1][0] == first["id"]


def test_unknown_field_is_a_usage_error_listing_valid_ones(lx: Runner) -> None:
    r = lx("--profile", "sandbox", "jobs", "list", "-f", "id,nope")
    assert r.code == 2
    assert "nope" in r.stderr and "status" in r.stderr
    assert r.stderr.count("\n") == 1


def test_fields_help_lists_fields(lx: Runner) -> None:
    r = lx("jobs", "list", "--fields", "help")
    assert r.code == 0
    assert "error_message" in r.stdout and "usage.credits" in r.stdout


def test_fail_if_any(lx: Runner) -> None:
    base = ("--profile", "sandbox", "jobs", "list", "--fail-if-any")
    assert lx(*base, "-s", "FAILED").code == 1
    assert lx(*base, "--id", "ext-does-not-exist").code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["-L", "0"],
        ["-L", "-3"],
        ["-L", "abc"],
        ["-L", "5", "--all"],
        ["--status", "DONE"],
        ["--since", "yesterday"],
        ["--since", ""],
        ["--until", "2026-13-45"],
        ["--since", "2026-02-01", "--until", "2026-01-01"],
        ["--page-size", "0"],
        ["--page-size", "100000"],
        ["--expand", "usage"],
        ["--input-type", "url"],
        ["-o", "xml"],
        ["--config", ""],
        ["--nope"],
    ],
)
def test_bad_values_exit_2_with_one_line(lx: Runner, args: list[str]) -> None:
    r = lx("--profile", "sandbox", "jobs", "list", *args)
    assert r.code == 2, (args, r.stderr)
    assert r.stdout == ""
    assert r.stderr.startswith("lx: ") and r.stderr.count("\n") == 1, r.stderr


def test_no_key_exits_3_and_says_how_to_log_in(lx: Runner) -> None:
    r = lx("jobs", "list")
    assert r.code == 3
    assert "lx auth login" in r.stderr and "sandbox" in r.stderr


def test_a_refused_key_exits_3(lx: Runner) -> None:
    app = SandboxApp(jobs=10, seed=1, api_key="llx-the-right-one")
    setup, _ = wire(app, record=False)
    r = lx("jobs", "list", state_setup=setup)
    assert r.code == 3 and "401" in r.stderr


def test_plain_http_to_a_remote_host_is_refused(lx: Runner) -> None:
    r = lx(
        "--base-url",
        "http://api.example.com",
        "jobs",
        "list",
        env={"LLAMA_CLOUD_API_KEY": "llx-abc"},
    )
    assert r.code == 2
    assert "clear text" in r.stderr and "llx-abc" not in r.stderr


def test_table_on_a_terminal(lx: Runner, app: SandboxApp) -> None:
    setup, _ = wire(app, record=False)
    r = lx("--no-color", "jobs", "list", "-L", "3", tty=True, state_setup=setup)
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "STATUS"]
    assert len(lines) == 4
    assert "\x1b[" not in r.stdout


@pytest.mark.parametrize(("no_color", "coloured"), [("1", False), ("", True)])
def test_no_color_is_obeyed_unless_empty(
    lx: Runner, app: SandboxApp, no_color: str, coloured: bool
) -> None:
    setup, _ = wire(app, record=False)
    r = lx(
        "jobs",
        "list",
        "-L",
        "3",
        tty=True,
        state_setup=setup,
        env={"NO_COLOR": no_color, "TERM": "xterm"},
    )
    assert r.code == 0
    assert ("\x1b[" in r.stdout) is coloured


def test_seed_shape_input_is_shown(lx: Runner) -> None:
    r = lx(
        "--base-url",
        "sandbox://?jobs=50&seed=3&shape=seed",
        "jobs",
        "list",
        "-L",
        "2",
        "-f",
        "id,input",
        "-o",
        "csv",
    )
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["id", "input"] and all(row[1] for row in rows[1:])


def test_broken_pipe_ends_quietly(tmp_path: object) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m llamaextract_cli --profile sandbox jobs list --all | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""
    json.loads(proc.stdout)


def test_file_input_is_the_filter_under_the_apis_current_name(lx: Runner, app: SandboxApp) -> None:
    job = all_jobs(app)[3]
    value = job.get("file_input") or job["document_input_value"]
    setup, rec = wire(app)
    r = lx("jobs", "list", "--file-input", value, "--all", state_setup=setup)
    assert r.code == 0, r.stderr
    assert ("file_input", value) in rec.params()  # type: ignore[union-attr]
    assert not any(k == "document_input_value" for k, _ in rec.params())  # type: ignore[union-attr]
    want = [
        j["id"]
        for j in all_jobs(app)
        if (j.get("file_input") or j.get("document_input_value")) == value
    ]
    assert ids(r.stdout) == want and job["id"] in want


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--file-input", " "), "lx: --file-input: must not be empty"),
        (("--input", "dfl-1", "--file-input", "dfl-1"), "same filter under two names"),
    ],
)
def test_file_input_refuses_empty_and_both_names(
    lx: Runner, args: tuple[str, ...], message: str
) -> None:
    r = lx("jobs", "list", *args)
    assert r.code == 2 and message in r.stderr and r.stdout == ""
