"""`lx jobs export`: result rows of every job the filters match, in-process and over HTTP."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from lxtest import wire

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.server import SandboxServer

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
AUTH = {"authorization": "Bearer k"}


@pytest.fixture
def app() -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW_S))


def listing(app: SandboxApp, *query: tuple[str, str]) -> list[dict[str, Any]]:
    """Every job of a query, read straight from the emulator."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        q = [*query, ("page_size", "100"), *([("page_token", token)] if token else [])]
        page = app.handle("GET", "/api/v2/extract", q, AUTH).json()
        out += page["items"]
        token = page.get("next_page_token")
        if not token:
            return out


def rows_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Export rows built here, independently of the package."""
    head = {"job_id": job["id"], "input": job.get("file_input", job.get("document_input_value"))}
    result = job["extract_result"]
    if isinstance(result, list):
        return [{**head, "row": i, **item} for i, item in enumerate(result)]
    return [{**head, "row": None, **result}]


def scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, dict) and value:
        for v in value.values():
            yield from scalars(v)
    elif isinstance(value, list) and value:
        for v in value:
            yield from scalars(v)
    else:
        yield value


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_default_is_completed_jobs_limit_30(lx: Any, app: SandboxApp) -> None:
    setup, recorder = wire(app)
    r = lx("jobs", "export", state_setup=setup)
    assert (r.code, r.stderr) == (0, "")
    jobs = listing(app, ("status", "COMPLETED"))[:30]
    assert jsonl(r.stdout) == [row for j in jobs for row in rows_of(j)]
    assert recorder is not None
    params = recorder.params(0)
    assert ("status", "COMPLETED") in params
    assert not any(k == "expand" for k, _ in params)  # jsonl needs no schema


def test_all_jobs_match_an_independent_build(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "export", "--all", "--since", "2025-01-01", state_setup=wire(app)[0])
    jobs = listing(app, ("status", "COMPLETED"))
    assert len(jobs) > 100  # several pages
    assert jsonl(r.stdout) == [row for j in jobs for row in rows_of(j)]


def test_csv_of_one_config_is_in_schema_order(lx: Any, app: SandboxApp) -> None:
    jobs = listing(app, ("status", "COMPLETED"), ("expand", "configuration"))
    config = next(j for j in jobs if j.get("configuration_id"))
    cid = config["configuration_id"]
    mine = [j for j in jobs if j.get("configuration_id") == cid]
    setup, recorder = wire(app)
    r = lx("jobs", "export", "--config", cid, "--all", "-o", "csv", state_setup=setup)
    assert r.code == 0 and r.stderr == ""
    assert recorder is not None
    # the listing carries no configuration: one GET by ID fetches the schema
    assert not any(k == "expand" for k, _ in recorder.params(0))
    gets = [q for q in recorder.requests if q.url.path != "/api/v2/extract"]
    assert len(gets) == 1 and ("expand", "configuration") in gets[0].url.params.multi_items()
    table = list(csv.reader(io.StringIO(r.stdout)))
    schema = config["configuration"]["data_schema"]
    target = config["configuration"]["extraction_target"]
    props = list(schema["properties"])
    if target == "per_table_row":  # rows are the items of the schema's one array of objects
        [array] = [p for p in props if schema["properties"][p].get("type") == "array"
                   and "properties" in schema["properties"][p].get("items", {})]  # fmt: skip
        props = list(schema["properties"][array]["items"]["properties"])
    assert table[0][:3] == ["job_id", "input", "row"]
    assert [c.split(".")[0] for c in table[0][3:]] == [
        p for p in props for _ in range(max(1, sum(c.split(".")[0] == p for c in table[0][3:])))
    ]
    assert len(table) - 1 == sum(len(rows_of(j)) for j in mine)
    assert [row[0] for row in table[1:]] == [j["id"] for j in mine for _ in rows_of(j)]


def test_jobs_of_one_config_found_otherwise_are_in_schema_order(lx: Any, app: SandboxApp) -> None:
    jobs = listing(app, ("status", "COMPLETED"), ("expand", "configuration"))
    config = next(j for j in jobs if j.get("configuration_id"))
    ids = [j["id"] for j in jobs if j.get("configuration_id") == config["configuration_id"]][:5]
    by_config = lx("jobs", "export", "-c", config["configuration_id"], "-o", "csv",
                   state_setup=wire(app)[0])  # fmt: skip
    by_ids = lx("jobs", "export", "--id", ",".join(ids), "-o", "csv", state_setup=wire(app)[0])
    header = by_ids.stdout.splitlines()[0]
    assert header == by_config.stdout.splitlines()[0]
    assert by_ids.stdout.splitlines()[1:] == [
        line for line in by_config.stdout.splitlines()[1:] if line.split(",")[0] in ids
    ]


def test_csv_of_mixed_configs_has_every_field(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "export", "-L", "60", "-o", "csv", state_setup=wire(app)[0])
    table = list(csv.reader(io.StringIO(r.stdout)))
    jobs = listing(app, ("status", "COMPLETED"))[:60]
    keys: dict[str, None] = {}
    for j in jobs:
        for row in rows_of(j):
            for k, v in row.items():
                if isinstance(v, dict) and v:
                    keys.update((f"{k}.{sub}", None) for sub in v)
                elif not isinstance(v, dict):
                    keys[k] = None
    assert set(table[0]) == set(keys)
    assert len(table) - 1 == sum(len(rows_of(j)) for j in jobs)


def test_metadata_rows_count_every_leaf(lx: Any, app: SandboxApp) -> None:
    setup, recorder = wire(app)
    r = lx("jobs", "export", "-L", "40", "--metadata", state_setup=setup)
    rows = jsonl(r.stdout)
    jobs = listing(app, ("status", "COMPLETED"), ("expand", "extract_metadata"))[:40]
    assert recorder is not None and ("expand", "extract_metadata") in recorder.params(0)
    assert [(x["job_id"], x["value"]) for x in rows] == [
        (j["id"], v) for j in jobs for item in
        (j["extract_result"] if isinstance(j["extract_result"], list) else [j["extract_result"]])
        for v in scalars(item)
    ]  # fmt: skip
    assert list(rows[0])[:4] == ["job_id", "input", "row", "field"]
    with_confidence = [x for x in rows if x["confidence"] is not None]
    assert with_confidence and all(0 <= x["confidence"] <= 1 for x in with_confidence)
    assert any(x["page"] is not None and x["citation"] for x in rows)
    r = lx("jobs", "export", "-L", "40", "--metadata", "-o", "tsv", state_setup=setup)
    lines = r.stdout.splitlines()
    assert lines[0].split("\t") == [
        "job_id", "input", "row", "field", "value", "confidence", "extraction_confidence",
        "parsing_confidence", "page", "citation", "reasoning",
    ]  # fmt: skip
    assert len(lines) - 1 == len(rows)


def test_other_statuses_are_left_out_and_counted(lx: Any, app: SandboxApp) -> None:
    r = lx(
        "jobs", "export", "-s", "FAILED", "-s", "COMPLETED", "-L", "50", state_setup=wire(app)[0]
    )
    assert r.code == 0
    merged = [j for j in listing(app) if j["status"] in ("FAILED", "COMPLETED")][:50]
    failed = sum(1 for j in merged if j["status"] == "FAILED")
    assert (
        failed and r.stderr == f"lx: left out {failed} FAILED (only COMPLETED jobs have a result)\n"
    )


def items_without_results(app: SandboxApp) -> Callable[[State], None]:
    """A server whose list items lack extract_result (GET by ID still has it)."""
    gets: list[str] = []
    queries: list[list[tuple[str, str]]] = []

    def setup(state: State) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            query = list(request.url.params.multi_items())
            got = app.handle("GET", request.url.path, query, AUTH)
            body = got.json()
            if request.url.path == "/api/v2/extract":
                for item in body["items"]:
                    item.pop("extract_result", None)
            else:
                gets.append(request.url.path.rsplit("/", 1)[1])
                queries.append(query)
            return httpx.Response(got.status, json=body)

        state._client = ApiClient(
            base_url="http://x.invalid", api_key="k", transport=httpx.MockTransport(answer)
        )

    setup.gets = gets  # type: ignore[attr-defined]
    setup.queries = queries  # type: ignore[attr-defined]
    return setup


def test_items_without_a_result_are_fetched_by_id(lx: Any, app: SandboxApp) -> None:
    setup = items_without_results(app)
    r = lx("jobs", "export", "-L", "12", state_setup=setup)
    jobs = listing(app, ("status", "COMPLETED"))[:12]
    assert (r.code, r.stderr) == (0, ""), r.stderr
    assert jsonl(r.stdout) == [row for j in jobs for row in rows_of(j)]
    # fetched concurrently: each once, in any order
    assert sorted(setup.gets) == sorted(j["id"] for j in jobs)  # type: ignore[attr-defined]
    # a GET by ID carries the scope and expand, never the list filters
    since = lx("jobs", "export", "-L", "3", "--since", "2020-01-01", "--metadata",
               state_setup=setup)  # fmt: skip
    assert since.code == 0
    assert setup.queries[-1] == [("expand", "extract_metadata")]  # type: ignore[attr-defined]


def test_usage_errors(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "export", "-L", "3", "--all", state_setup=wire(app)[0])
    assert (r.code, r.stderr) == (
        2,
        "lx: --limit and --all contradict each other (use one of them)\n",
    )
    r = lx("jobs", "export", "-f", "a,,b", state_setup=wire(app)[0])
    assert r.code == 2 and "empty name" in r.stderr
    r = lx("jobs", "export", "--since", "yesterdayish", state_setup=wire(app)[0])
    assert r.code == 2 and r.stderr.startswith("lx: ")


def test_no_match(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "export", "--id", "ext-nope", "-o", "csv", state_setup=wire(app)[0])
    assert (r.code, r.stdout) == (0, "job_id,input,row\n")
    r = lx("jobs", "export", "--id", "ext-nope", tty=True, state_setup=wire(app)[0])
    assert r.code == 0 and "no jobs match" in r.stderr


def test_more_hint_on_a_terminal(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "export", "-L", "2", "-o", "jsonl", tty=True, state_setup=wire(app)[0])
    assert len(jsonl(r.stdout)) >= 2
    assert "showing the first 2 jobs; more match" in r.stderr and "--page-token" in r.stderr


def test_over_http(lx: Any, app: SandboxApp) -> None:
    with SandboxServer(app) as srv:
        setup, _ = wire(app, url=srv.url, record=False)
        r = lx("jobs", "export", "-L", "25", "-o", "csv", state_setup=setup)
        m = lx("jobs", "export", "-L", "25", "--metadata", state_setup=setup)
    assert r.code == 0 and m.code == 0
    jobs = listing(app, ("status", "COMPLETED"))[:25]
    assert len(list(csv.reader(io.StringIO(r.stdout)))) - 1 == sum(len(rows_of(j)) for j in jobs)
    assert {x["job_id"] for x in jsonl(m.stdout)} == {j["id"] for j in jobs}


def test_through_the_sandbox_url(lx: Any, sandbox_url: str) -> None:
    r = lx("--base-url", sandbox_url, "jobs", "export", "-L", "5", "-o", "json")
    assert r.code == 0 and {"job_id", "input", "row"} <= set(json.loads(r.stdout)[0])


def test_what_is_fetched_again() -> None:
    from llamaextract_cli.jobs.export import needs_fetch

    assert needs_fetch({"id": "a"}, False)
    assert needs_fetch({"id": "a", "extract_result": None}, False)
    assert not needs_fetch({"id": "a", "extract_result": {}}, False)
    assert needs_fetch({"id": "a", "extract_result": {}}, True)  # metadata asked, key absent
    assert not needs_fetch({"id": "a", "extract_result": {}, "extract_metadata": None}, True)
