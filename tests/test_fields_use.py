"""`--fields` that say when a path matched nothing, and ask for the expansion a path needs.

Issue 12, point 5: a nested path no job of the output had gets one warning on stderr
at the end with the closest known path; `configuration.*`, `extract_metadata.*` (and
`usage.*` on `get`) make `lx` add the expansion to the request; `jobs get -f` and
`jobs list --id -f` give the same values; `jobs result -f` warns the same way for rows.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxtest import Runner, wire

from llamaextract_cli.jobs.fields import KNOWN_FIELDS as KNOWN
from llamaextract_cli.jobs.fields import FieldUse, expansions_for, has_path, unmatched_warnings
from llamaextract_cli.sandbox.app import SandboxApp

NOW = "2026-01-01T00:00:00Z"
AUTH = {"authorization": "Bearer k"}


@pytest.fixture
def app() -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW)


def first(app: SandboxApp, status: str, **extra: str) -> dict[str, Any]:
    query = [("status", status), ("page_size", "1"), *extra.items()]
    return app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"][0]


# --- the domain ----------------------------------------------------------------------


def test_has_path_tells_missing_from_null() -> None:
    job = {"usage": {"credits": None}, "rows": [{"a": 1}]}
    assert has_path(job, "usage.credits")
    assert not has_path(job, "usage.credit")
    assert has_path(job, "rows.0.a") and not has_path(job, "rows.1.a")
    assert not has_path(job, "usage.credits.x")


def test_expansions_follow_the_first_segment_and_the_command() -> None:
    list_expand = ("configuration", "extract_metadata")
    get_expand = (*list_expand, "usage")
    paths = ["id", "configuration.tier", "extract_metadata.parse_tier", "usage.credits"]
    assert expansions_for(paths, list_expand) == ("configuration", "extract_metadata")
    assert expansions_for(paths, get_expand) == ("configuration", "extract_metadata", "usage")
    assert expansions_for(["configuration_id", "status"], get_expand) == ()


def test_field_use_names_each_unmatched_path_once_with_the_closest() -> None:
    use = FieldUse(["id", "usage.credit", "usage.credits", "metadata.usage.pages"], known=KNOWN)
    for n in range(3):
        use.see({"id": f"ext-{n}", "usage": {"credits": 1.0, "parse_credits": 0.5}})
    assert unmatched_warnings(use) == [
        "--fields usage.credit matched nothing in the 3 jobs shown (did you mean usage.credits?)",
        "--fields metadata.usage.pages matched nothing in the 3 jobs shown "
        "(did you mean metadata.usage?)",
    ]


def test_a_path_one_job_had_is_not_warned_about() -> None:
    use = FieldUse(["usage.credits"])
    use.see({"id": "a"})
    use.see({"id": "b", "usage": {"credits": None}})
    assert unmatched_warnings(use) == []


def test_no_item_no_warning() -> None:
    assert unmatched_warnings(FieldUse(["usage.credit"])) == []


# --- the commands ----------------------------------------------------------------------


def test_list_warns_once_at_the_end_on_stderr(lx: Runner, app: SandboxApp) -> None:
    setup, _ = wire(app)
    r = lx("jobs", "list", "-L", "5", "-f", "id,usage.credit", "-o", "jsonl", state_setup=setup)
    assert r.code == 0
    assert [json.loads(line)["usage.credit"] for line in r.stdout.splitlines()] == [None] * 5
    assert r.stderr == (
        "lx: warning: --fields usage.credit matched nothing in the 5 jobs shown "
        "(did you mean usage.credits?)\n"
    )


def test_list_asks_for_the_expansions_the_fields_need(lx: Runner, app: SandboxApp) -> None:
    setup, recorder = wire(app)
    fields = "id,configuration.tier,extract_metadata.parse_tier"
    r = lx(
        "jobs", "list", "-s", "COMPLETED", "-L", "3", "-f", fields, "-o", "jsonl", state_setup=setup
    )
    assert r.code == 0 and r.stderr == ""
    assert recorder is not None
    expand = [v for k, v in recorder.params() if k == "expand"]
    assert expand == ["configuration", "extract_metadata"]
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert all(row["configuration.tier"] and row["extract_metadata.parse_tier"] for row in rows)


def test_get_and_list_give_the_same_usage_credits(lx: Runner, app: SandboxApp) -> None:
    job = first(app, "COMPLETED")
    setup, recorder = wire(app)
    got = lx("jobs", "get", job["id"], "-f", "id,usage.credits", "-o", "json", state_setup=setup)
    listed = lx(
        "jobs",
        "list",
        "--id",
        job["id"],
        "-f",
        "id,usage.credits",
        "-o",
        "json",
        state_setup=setup,
    )
    assert got.code == listed.code == 0, (got.stderr, listed.stderr)
    assert json.loads(got.stdout)["usage.credits"] is not None
    assert [json.loads(got.stdout)] == json.loads(listed.stdout)
    assert recorder is not None
    assert ("expand", "usage") in recorder.params(0)  # get asked for it itself


def test_get_asks_for_configuration_for_configuration_fields(lx: Runner, app: SandboxApp) -> None:
    job = first(app, "COMPLETED")
    setup, _ = wire(app)
    r = lx("jobs", "get", job["id"], "-f", "configuration.tier", "-o", "jsonl", state_setup=setup)
    assert r.code == 0 and r.stderr == ""
    assert json.loads(r.stdout)["configuration.tier"]


def test_get_warns_about_a_typo(lx: Runner, app: SandboxApp) -> None:
    job = first(app, "COMPLETED")
    setup, _ = wire(app)
    r = lx("jobs", "get", job["id"], "-f", "usage.credit", "-o", "jsonl", state_setup=setup)
    assert r.code == 0
    assert r.stderr == (
        "lx: warning: --fields usage.credit matched nothing in the job shown "
        "(did you mean usage.credits?)\n"
    )


def test_result_warns_about_a_row_field_no_row_had(lx: Runner, app: SandboxApp) -> None:
    job = first(app, "COMPLETED")
    setup, _ = wire(app)
    rows = lx("jobs", "result", job["id"], "-o", "jsonl", state_setup=setup)
    key = next(iter(json.loads(rows.stdout.splitlines()[0])))
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    r = lx("jobs", "result", job["id"], "-f", f"{key},{typo}", "-o", "jsonl", state_setup=setup)
    assert r.code == 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"lx: warning: --fields {typo} matched nothing")
    assert lines[0].endswith(f"(did you mean {key}?)")
