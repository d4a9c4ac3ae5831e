"""`lx jobs result`: per_doc objects, per_page / per_table_row rows, jobs without a result."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.output.delimited import flatten
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.transport import SandboxTransport

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
AUTH = {"authorization": "Bearer k"}


def make_app(**kwargs: Any) -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW_S), **kwargs)


def inject(app: SandboxApp) -> Callable[[State], None]:
    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid", api_key="k", transport=SandboxTransport(app)
        )

    return setup


def serve(job: dict[str, Any]) -> Callable[[State], None]:
    """A server that answers every GET with `job` (the newer shape, odd cases)."""

    def setup(state: State) -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=job))
        state._client = ApiClient(base_url="http://x.invalid", api_key="k", transport=transport)

    return setup


def find(app: SandboxApp, status: str, target: str | None = None) -> dict[str, Any]:
    query = [("status", status), ("page_size", "100"), ("expand", "configuration")]
    for job in app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"]:
        if target is None or job["configuration"]["extraction_target"] == target:
            return job
    raise AssertionError(f"no {status} {target} job")


@pytest.fixture
def app() -> SandboxApp:
    return make_app()


# --- per_doc: one object ------------------------------------------------------------------


def test_per_doc_is_compact_json_off_a_terminal(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_doc")
    r = lx("jobs", "result", job["id"], state_setup=inject(app))
    assert (r.code, r.stderr) == (0, "")
    assert r.stdout.count("\n") == 1
    assert json.loads(r.stdout) == job["extract_result"]


def test_per_doc_is_pretty_json_on_a_terminal(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_doc")
    r = lx("jobs", "result", job["id"], tty=True, state_setup=inject(app))
    assert r.stdout == json.dumps(job["extract_result"], indent=2, ensure_ascii=False) + "\n"


def test_per_doc_as_one_row(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_doc")
    result = job["extract_result"]
    r = lx("jobs", "result", job["id"], "-o", "csv", state_setup=inject(app))
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows == [list(result), [flatten(v) for v in result.values()]]
    first, second = list(result)[:2]
    r = lx(
        "jobs", "result", job["id"], "-o", "tsv", "-f", f"{second},{first}", state_setup=inject(app)
    )
    assert r.stdout == f"{second}\t{first}\n{flatten(result[second])}\t{flatten(result[first])}\n"
    r = lx("jobs", "result", job["id"], "-o", "table", state_setup=inject(app))
    assert len(r.stdout.splitlines()) == 2


def test_per_doc_with_fields_as_json(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_doc")
    result = job["extract_result"]
    first = next(iter(result))
    r = lx(
        "jobs", "result", job["id"], "-o", "jsonl", "-f", f"{first},nope", state_setup=inject(app)
    )
    assert json.loads(r.stdout) == {first: result[first], "nope": None}


# --- per_page / per_table_row: rows ----------------------------------------------------------


def test_rows_are_jsonl_off_a_terminal(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_page")
    r = lx("jobs", "result", job["id"], state_setup=inject(app))
    assert r.code == 0
    assert [json.loads(line) for line in r.stdout.splitlines()] == job["extract_result"]


def test_rows_are_a_table_on_a_terminal(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_table_row")
    rows = job["extract_result"]
    r = lx("jobs", "result", job["id"], tty=True, state_setup=inject(app))
    lines = r.stdout.splitlines()
    assert lines[0].startswith(next(iter(rows[0])).upper()[:4])
    assert len(lines) == len(rows) + 1


def test_rows_as_csv_with_fields(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_table_row")
    rows = job["extract_result"]
    first, second = list(rows[0])[:2]
    r = lx(
        "jobs", "result", job["id"], "-o", "csv", "-f", f"{second},{first}", state_setup=inject(app)
    )
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow([second, first])
    writer.writerows([flatten(row.get(second)), flatten(row.get(first))] for row in rows)
    assert r.stdout == expected.getvalue()


def test_rows_fields_are_dot_paths(lx: Any) -> None:
    rows = [
        {"page": 1, "parties": [{"name": "Acme", "role": "x"}], "total": 3.5},
        {"page": 2, "parties": [], "total": None, "extra": {"a": [1, 2]}},
    ]
    job = {"id": "ext-p", "status": "COMPLETED", "extract_result": rows}
    r = lx(
        "jobs",
        "result",
        "ext-p",
        "-o",
        "tsv",
        "-f",
        "page,parties.0.name,extra.a.1",
        state_setup=serve(job),
    )
    assert r.stdout == "page\tparties.0.name\textra.a.1\n1\tAcme\t\n2\t\t2\n"
    r = lx("jobs", "result", "ext-p", "-o", "csv", state_setup=serve(job))
    assert r.stdout == (
        'page,parties,total,extra\n1,"[{""name"":""Acme"",""role"":""x""}]",3.5,\n'
        '2,[],,"{""a"":[1,2]}"\n'
    )


def test_json_is_always_the_raw_value(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_page")
    r = lx("jobs", "result", job["id"], "-o", "json", state_setup=inject(app))
    assert json.loads(r.stdout) == job["extract_result"]
    r = lx("jobs", "result", job["id"], "-o", "json", tty=True, state_setup=inject(app))
    assert r.stdout == json.dumps(job["extract_result"], indent=2, ensure_ascii=False) + "\n"


def test_seed_shape(lx: Any) -> None:
    app = make_app(api_shape="seed")
    job = find(app, "COMPLETED", "per_table_row")
    r = lx("jobs", "result", job["id"], "-o", "jsonl", state_setup=inject(app))
    assert [json.loads(line) for line in r.stdout.splitlines()] == job["extract_result"]


def test_empty_rows(lx: Any) -> None:
    job = {"id": "ext-e", "status": "COMPLETED", "extract_result": []}
    for fmt, out in (("json", "[]\n"), ("jsonl", ""), ("csv", ""), ("table", "")):
        r = lx("jobs", "result", "ext-e", "-o", fmt, state_setup=serve(job))
        assert (r.code, r.stdout) == (0, out), fmt


def test_scalar_elements_become_value_rows(lx: Any) -> None:
    job = {"id": "ext-s", "status": "COMPLETED", "extract_result": [1, {"a": 2}]}
    r = lx("jobs", "result", "ext-s", "-o", "csv", state_setup=serve(job))
    assert r.stdout == "value,a\n1,\n,2\n"


# --- no result -----------------------------------------------------------------------------


def test_failed_job_names_its_error(lx: Any, app: SandboxApp) -> None:
    job = find(app, "FAILED")
    r = lx("jobs", "result", job["id"], state_setup=inject(app))
    assert (r.code, r.stdout) == (1, "")
    assert r.stderr == (
        f"lx: job {job['id']} is FAILED, so it has no result: {job['error_message']}\n"
    )


def test_unfinished_and_cancelled_jobs(lx: Any, app: SandboxApp) -> None:
    live = app.live_job_ids()[0]
    r = lx("jobs", "result", live, state_setup=inject(app))
    assert r.code == 1
    assert r.stderr == (
        f"lx: job {live} is PENDING, so it has no result yet (wait for it, then read it)\n"
        f"  lx jobs wait {live} && lx jobs result {live}\n"
    )
    job = find(app, "CANCELLED")
    r = lx("jobs", "result", job["id"], state_setup=inject(app))
    assert (r.code, r.stderr) == (1, f"lx: job {job['id']} is CANCELLED, so it has no result\n")


def test_completed_without_a_result(lx: Any) -> None:
    job = {"id": "ext-n", "status": "COMPLETED", "file_input": "dfl-1", "usage": {"credits": 1}}
    r = lx("jobs", "result", "ext-n", state_setup=serve(job))
    assert (r.code, r.stdout) == (1, "")
    assert r.stderr == "lx: job ext-n is COMPLETED but carries no extract_result\n"


def test_unknown_job(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "result", "ext-nope", state_setup=inject(app))
    assert (r.code, r.stdout, r.stderr) == (4, "", "lx: job ext-nope not found\n")


def test_bad_fields(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "result", "ext-1", "-f", "a,,b", state_setup=inject(app))
    assert r.code == 2 and "empty name" in r.stderr


def test_through_the_sandbox_url(lx: Any, sandbox_url: str) -> None:
    listing = lx(
        "--base-url", sandbox_url, "jobs", "list", "-s", "COMPLETED", "-L", "1", "-f", "id"
    )
    job_id = json.loads(listing.stdout)["id"]
    r = lx("--base-url", sandbox_url, "jobs", "result", job_id, "-o", "json")
    assert r.code == 0 and json.loads(r.stdout)


def test_the_job_id_from_stdin(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_doc")
    line = json.dumps({"id": job["id"], "status": "COMPLETED"}) + "\n"
    r = lx("jobs", "result", "-", stdin=line, state_setup=inject(app))
    assert (r.code, json.loads(r.stdout)) == (0, job["extract_result"])
    other = find(app, "COMPLETED", "per_table_row")
    r = lx("jobs", "result", "-", stdin=line + other["id"] + "\n", state_setup=inject(app))
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert (r.code, r.stderr) == (0, "")
    assert [(x["job_id"], x["row"]) for x in rows] == [(job["id"], None)] + [
        (other["id"], i) for i in range(len(other["extract_result"]))
    ]
    r = lx("jobs", "result", "-", stdin="", state_setup=inject(app))
    assert (r.code, r.stdout, r.stderr) == (0, "", "lx: no job IDs on stdin; nothing to do\n")


# --- several IDs: rows ---------------------------------------------------------------------


def completed(app: SandboxApp, n: int, expand: str = "configuration") -> list[dict[str, Any]]:
    query = [("status", "COMPLETED"), ("page_size", str(n)), ("expand", expand)]
    return app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"]


def expected_rows(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one job, built here independently of the package."""
    result = job["extract_result"]
    if isinstance(result, list):
        return [{"job_id": job["id"], "row": i, **item} for i, item in enumerate(result)]
    return [{"job_id": job["id"], "row": None, **result}]


def test_several_ids_are_rows_in_the_order_given(lx: Any, app: SandboxApp) -> None:
    jobs = completed(app, 8)[::-1]
    targets = {j["configuration"]["extraction_target"] for j in jobs}
    assert len(targets) > 1  # per_doc and array results together
    r = lx("jobs", "result", *[j["id"] for j in jobs], state_setup=inject(app))
    assert (r.code, r.stderr) == (0, "")
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        row for j in jobs for row in expected_rows(j)
    ]
    r = lx("jobs", "result", *[j["id"] for j in jobs], "-o", "json", state_setup=inject(app))
    assert json.loads(r.stdout) == [row for j in jobs for row in expected_rows(j)]


def test_several_ids_as_csv_flatten_nested_objects(lx: Any) -> None:
    jobs = {
        "ext-a": {
            "id": "ext-a",
            "status": "COMPLETED",
            "extract_result": {"v": {"n": "x"}, "t": 1},
        },
        "ext-b": {"id": "ext-b", "status": "COMPLETED", "extract_result": [{"t": 2, "l": [1]}]},
    }

    def setup(state: State) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=jobs[request.url.path.rsplit("/", 1)[1]])

        transport = httpx.MockTransport(answer)
        state._client = ApiClient(base_url="http://x.invalid", api_key="k", transport=transport)

    r = lx("jobs", "result", "ext-b", "ext-a", "-o", "csv", state_setup=setup)
    assert (r.code, r.stdout) == (0, "job_id,row,t,l,v.n\next-b,0,2,[1],\next-a,,1,,x\n")
    r = lx("jobs", "result", "ext-b", "ext-a", "-o", "table", state_setup=setup)
    assert r.stdout.splitlines()[0].split() == ["JOB_ID", "ROW", "T", "L", "V.N"]
    r = lx("jobs", "result", "ext-a", "ext-b", "-f", "job_id,v.n", "-o", "tsv", state_setup=setup)
    assert r.stdout == "job_id\tv.n\next-a\tx\next-b\t\n"


def test_one_id_is_unchanged_by_rows(lx: Any, app: SandboxApp) -> None:
    job = find(app, "COMPLETED", "per_doc")
    for fmt in ("json", "jsonl", "csv"):
        r = lx("jobs", "result", job["id"], "-o", fmt, state_setup=inject(app))
        assert "job_id" not in r.stdout, fmt


def test_jobs_without_a_result_are_named_and_skipped(lx: Any, app: SandboxApp) -> None:
    done = find(app, "COMPLETED", "per_doc")
    failed = find(app, "FAILED")
    live = app.live_job_ids()[0]
    r = lx("jobs", "result", failed["id"], done["id"], live, state_setup=inject(app))
    assert r.code == 1
    assert [json.loads(x) for x in r.stdout.splitlines()] == expected_rows(done)
    assert r.stderr == (
        f"lx: job {failed['id']} is FAILED, so it has no result: {failed['error_message']}; "
        f"skipped\nlx: job {live} is PENDING, so it has no result yet; skipped\n"
    )


def test_unknown_ids_are_exit_4_even_with_skipped_jobs(lx: Any, app: SandboxApp) -> None:
    done = find(app, "COMPLETED", "per_doc")
    failed = find(app, "FAILED")
    r = lx("jobs", "result", done["id"], "ext-nope", state_setup=inject(app))
    assert (r.code, r.stderr) == (4, "lx: job ext-nope not found\n")
    assert [json.loads(x) for x in r.stdout.splitlines()] == expected_rows(done)
    r = lx("jobs", "result", failed["id"], "ext-nope", state_setup=inject(app))
    assert (r.code, r.stdout) == (4, "")
    assert "ext-nope not found" in r.stderr and "skipped" in r.stderr


def test_metadata_rows_of_one_and_several(lx: Any, app: SandboxApp) -> None:
    from lxtest import wire

    from llamaextract_cli.jobs.metadata import leaves

    jobs = completed(app, 4, "extract_metadata")
    setup, recorder = wire(app)
    r = lx("jobs", "result", jobs[0]["id"], "--metadata", "-o", "jsonl", state_setup=setup)
    assert r.code == 0
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert recorder is not None and ("expand", "extract_metadata") in recorder.params(0)
    assert [(x["field"], x["value"]) for x in rows] == [
        (leaf.field, leaf.value) for leaf in leaves(jobs[0])
    ]
    assert list(rows[0]) == [
        "job_id", "row", "field", "value", "confidence", "extraction_confidence",
        "parsing_confidence", "page", "citation", "reasoning", "citations",
    ]  # fmt: skip
    r = lx("jobs", "result", *[j["id"] for j in jobs], "--metadata", "-o", "csv", state_setup=setup)
    table = list(csv.reader(io.StringIO(r.stdout)))
    assert table[0] == [
        "job_id", "row", "field", "value", "confidence", "extraction_confidence",
        "parsing_confidence", "page", "citation", "reasoning",
    ]  # fmt: skip
    assert len(table) - 1 == sum(len(list(leaves(j))) for j in jobs)
    assert [row[0] for row in table[1:]] == [j["id"] for j in jobs for _ in leaves(j)]
