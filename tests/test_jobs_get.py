"""`lx jobs get`: formats, the terminal panel, unknown IDs, stdin, both API shapes, a socket."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.jobs.ids import parse_lines
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

URL = "sandbox://?jobs=300&seed=7"
NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
AUTH = {"authorization": "Bearer k"}


def make_app(**kwargs: Any) -> SandboxApp:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("clock", FakeClock(NOW_S))
    return SandboxApp(jobs=300, seed=7, **kwargs)


def inject(app: SandboxApp) -> Callable[[State], None]:
    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key="k",
            transport=SandboxTransport(app, sleep=lambda s: None),
            sleep=lambda s: None,
        )

    return setup


def api_get(app: SandboxApp, job_id: str, expand: tuple[str, ...] = ()) -> dict[str, Any]:
    query = [("expand", e) for e in expand]
    return app.handle("GET", f"/api/v2/extract/{job_id}", query, AUTH).json()


def find(app: SandboxApp, status: str, target: str | None = None, n: int = 1) -> list[str]:
    query = [("status", status), ("page_size", "100"), ("expand", "configuration")]
    items = app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"]
    if target:
        items = [
            j for j in items if (j.get("configuration") or {}).get("extraction_target") == target
        ]
    assert len(items) >= n
    return [j["id"] for j in items[:n]]


@pytest.fixture
def app() -> SandboxApp:
    return make_app()


# --- formats -------------------------------------------------------------------------


def test_json_of_one_id_is_the_job_object(lx: Any, app: SandboxApp) -> None:
    [job_id] = find(app, "COMPLETED")
    r = lx("jobs", "get", job_id, "-o", "json", state_setup=inject(app))
    assert (r.code, r.stderr) == (0, "")
    assert json.loads(r.stdout) == api_get(app, job_id)
    assert r.stdout.count("\n") == 1  # compact off a terminal


def test_json_of_several_ids_is_an_array_in_the_order_given(lx: Any, app: SandboxApp) -> None:
    ids = find(app, "FAILED", n=3)[::-1] + find(app, "COMPLETED", n=2)
    r = lx("jobs", "get", *ids, "-o", "json", state_setup=inject(app))
    assert r.code == 0
    assert json.loads(r.stdout) == [api_get(app, i) for i in ids]


def test_many_ids_concurrently_keep_their_order(lx: Any, app: SandboxApp) -> None:
    ids = find(app, "COMPLETED", n=25)[::-1]
    r = lx("jobs", "get", *ids, "-o", "jsonl", "-f", "id", state_setup=inject(app))
    assert r.code == 0
    assert r.stdout == "".join(f'{{"id":"{i}"}}\n' for i in ids)


def test_jsonl_is_one_job_a_line_untouched(lx: Any, app: SandboxApp) -> None:
    ids = find(app, "COMPLETED", n=2)
    r = lx("jobs", "get", *ids, "-o", "jsonl", state_setup=inject(app))
    assert [json.loads(line) for line in r.stdout.splitlines()] == [api_get(app, i) for i in ids]


def test_jsonl_is_the_default_off_a_terminal(lx: Any, app: SandboxApp) -> None:
    [job_id] = find(app, "FAILED")
    r = lx("jobs", "get", job_id, state_setup=inject(app))
    assert json.loads(r.stdout) == api_get(app, job_id)


def test_csv_and_tsv_with_fields(lx: Any, app: SandboxApp) -> None:
    ids = find(app, "FAILED", n=2)
    jobs = [api_get(app, i, ("usage",)) for i in ids]
    r = lx(
        "jobs",
        "get",
        *ids,
        "-o",
        "csv",
        "-f",
        "id,status,usage.credits",
        "--expand",
        "usage",
        state_setup=inject(app),
    )
    assert r.stdout == "id,status,usage.credits\n" + "".join(
        f"{j['id']},FAILED,{j['usage']['credits']!r}\n" for j in jobs
    )
    r = lx("jobs", "get", *ids, "-o", "tsv", "-f", "status,id", state_setup=inject(app))
    assert r.stdout == "status\tid\n" + "".join(f"FAILED\t{j['id']}\n" for j in jobs)


def test_json_of_one_id_with_fields_is_a_projected_object(lx: Any, app: SandboxApp) -> None:
    [job_id] = find(app, "COMPLETED")
    r = lx("jobs", "get", job_id, "-o", "json", "-f", "status,id", state_setup=inject(app))
    assert r.stdout == f'{{"status":"COMPLETED","id":"{job_id}"}}\n'


def test_explicit_table_is_rows_not_panels(lx: Any, app: SandboxApp) -> None:
    ids = find(app, "FAILED", n=2)
    r = lx("jobs", "get", *ids, "-o", "table", tty=True, state_setup=inject(app))
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "STATUS"]
    assert [line.split()[0] for line in lines[1:]] == ids


def test_expand(lx: Any, app: SandboxApp) -> None:
    [job_id] = find(app, "COMPLETED")
    plain = json.loads(lx("jobs", "get", job_id, "-o", "json", state_setup=inject(app)).stdout)
    assert "configuration" not in plain and "extract_metadata" not in plain
    r = lx(
        "jobs",
        "get",
        job_id,
        "-o",
        "json",
        "--expand",
        "configuration,extract_metadata",
        state_setup=inject(app),
    )
    job = json.loads(r.stdout)
    assert job == api_get(app, job_id, ("configuration", "extract_metadata"))
    assert "configuration" in job and "extract_metadata" in job


def test_bad_expand_and_bad_fields_are_usage_errors(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "get", "ext-1", "--expand", "nope", state_setup=inject(app))
    assert r.code == 2
    assert r.stderr.startswith("lx: --expand: 'nope' is not one of configuration, extract_metadata")
    r = lx("jobs", "get", "ext-1", "-f", "stauts", state_setup=inject(app))
    assert r.code == 2 and "did you mean 'status'" in r.stderr


def test_fields_help(lx: Any) -> None:
    r = lx("jobs", "get", "ext-1", "-f", "help")
    assert r.code == 0 and "usage.credits" in r.stdout


# --- the panel -----------------------------------------------------------------------


def test_panel_on_a_terminal(lx: Any, app: SandboxApp) -> None:
    [long_id] = find(app, "COMPLETED", "per_page")
    [failed] = find(app, "FAILED")
    r = lx("jobs", "get", long_id, failed, tty=True, env={"TERM": "xterm"}, state_setup=inject(app))
    assert r.code == 0
    assert "\x1b[" in r.stdout  # status in colour
    out = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)
    assert out.index(long_id) < out.index(failed)
    for label in (
        "Status",
        "Created",
        "Updated",
        "Took",
        "Input",
        "Config",
        "Schema",
        "Usage",
        "Credits",
        "Result",
    ):
        assert f"│ {label}" in out, label
    job = api_get(app, long_id, ("configuration", "usage"))
    assert job["configuration"]["tier"] in out  # configuration fetched without --expand
    assert job["file_input"] in out
    meta = api_get(app, long_id, ("extract_metadata",)).get("extract_metadata") or {}
    if meta.get("field_metadata"):  # the panel shows values with their confidence
        from llamaextract_cli.jobs.metadata import leaves

        values = len(list(leaves({**job, "extract_metadata": meta})))
        long, cut, flags = values > 20, "more values (see below)", " --metadata"
    else:
        long = len(json.dumps(job["extract_result"], indent=2).splitlines()) > 20
        cut, flags = "more lines (see below)", ""
    # A long result is cut; the command printing it whole follows on stderr, alone on a line.
    assert (cut in out) == long
    hint = f"the whole result of {long_id}:\n  lx jobs result {long_id}{flags}\n"
    assert r.stderr == (hint if long else "")
    error = api_get(app, failed)["error_message"]
    assert error[:30] in out


def test_panel_obeys_no_color(lx: Any, app: SandboxApp) -> None:
    [job_id] = find(app, "COMPLETED")
    r = lx("--no-color", "jobs", "get", job_id, tty=True, state_setup=inject(app))
    assert r.code == 0 and "COMPLETED" in r.stdout and "\x1b[" not in r.stdout


def test_panel_keeps_brackets_in_data(lx: Any) -> None:
    job = {
        "id": "ext-x",
        "status": "FAILED",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:05Z",
        "project_id": "p",
        "file_input": "[bold]f[/]",
        "error_message": "bad [red]thing[/red]",
    }

    def setup(state: State) -> None:
        transport = httpx.MockTransport(lambda req: httpx.Response(200, json=job))
        state._client = ApiClient(base_url="http://x.invalid", api_key="k", transport=transport)

    r = lx("jobs", "get", "ext-x", tty=True, state_setup=setup)
    assert "[bold]f[/]" in r.stdout and "bad [red]thing[/red]" in r.stdout


def test_panel_shows_values_of_an_unexpected_type_instead_of_crashing(lx: Any) -> None:
    job = {
        "id": "ext-x",
        "status": "QUEUED",
        "created_at": 1767225600,
        "updated_at": None,
        "project_id": {"name": "p"},
        "file_input": {"file_id": "dfl-1", "pages": [1, 2]},
        "error_message": ["a", 1],
    }

    def setup(state: State) -> None:
        transport = httpx.MockTransport(lambda req: httpx.Response(200, json=job))
        state._client = ApiClient(base_url="http://x.invalid", api_key="k", transport=transport)

    r = lx("--no-color", "jobs", "get", "ext-x", tty=True, state_setup=setup)
    assert (r.code, r.stderr) == (0, "")
    assert '{"file_id": "dfl-1", "pages": [1, 2]}' in r.stdout
    assert '{"name": "p"}' in r.stdout and "QUEUED" in r.stdout


# --- unknown IDs and failures ------------------------------------------------------------


def test_unknown_ids_mixed_with_known(lx: Any, app: SandboxApp) -> None:
    ids = find(app, "COMPLETED", n=2)
    r = lx(
        "jobs",
        "get",
        "ext-nope-1",
        ids[0],
        "ext-nope-2",
        ids[1],
        "-o",
        "jsonl",
        "-f",
        "id",
        state_setup=inject(app),
    )
    assert r.code == 4
    assert r.stdout == "".join(f'{{"id":"{i}"}}\n' for i in ids)
    assert r.stderr == "lx: job ext-nope-1 not found\nlx: job ext-nope-2 not found\n"


def test_one_unknown_id(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "get", "ext-nope", "-o", "json", state_setup=inject(app))
    assert (r.code, r.stdout, r.stderr) == (4, "", "lx: job ext-nope not found\n")


def test_unknown_id_with_the_built_in_sandbox_url(lx: Any) -> None:
    r = lx("--base-url", URL, "jobs", "get", "ext-nope")
    assert (r.code, r.stdout, r.stderr) == (4, "", "lx: job ext-nope not found\n")


def test_a_server_error_on_one_id_is_exit_1(lx: Any) -> None:
    app = make_app(faults=FaultConfig(schedule=["no-retry"]))
    [job_id] = find(make_app(), "COMPLETED")
    r = lx("jobs", "get", job_id, state_setup=inject(app))
    assert r.code == 1 and r.stdout == ""
    assert r.stderr.startswith(f"lx: job {job_id}: the API answered 503 Service Unavailable")


def test_a_refused_key_is_exit_3(lx: Any) -> None:
    app = make_app(api_key="the-right-key")
    ids = find(make_app(), "COMPLETED", n=3)
    r = lx("jobs", "get", *ids, state_setup=inject(app))
    assert r.code == 3 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "refused the API key" in r.stderr


# --- stdin ---------------------------------------------------------------------------


def test_list_jsonl_piped_into_get(lx: Any, app: SandboxApp) -> None:
    listing = lx("jobs", "list", "-s", "FAILED", "-L", "4", "-o", "jsonl", state_setup=inject(app))
    ids = [json.loads(line)["id"] for line in listing.stdout.splitlines()]
    assert len(ids) == 4
    r = lx(
        "jobs",
        "get",
        "-",
        "-o",
        "jsonl",
        "-f",
        "id,status",
        stdin=listing.stdout,
        state_setup=inject(app),
    )
    assert r.code == 0
    assert r.stdout == "".join(f'{{"id":"{i}","status":"FAILED"}}\n' for i in ids)


def test_list_json_and_plain_ids_piped_into_get(lx: Any, app: SandboxApp) -> None:
    listing = lx(
        "jobs", "list", "-s", "FAILED", "-L", "3", "-o", "json", "-f", "id", state_setup=inject(app)
    )
    ids = [j["id"] for j in json.loads(listing.stdout)]
    r = lx(
        "jobs", "get", "-", "-o", "json", "-f", "id", stdin=listing.stdout, state_setup=inject(app)
    )
    assert [j["id"] for j in json.loads(r.stdout)] == ids
    plain = f'\n{ids[0]}\n\n  {ids[1]}  \n"{ids[2]}"\n'
    r = lx("jobs", "get", "-", "-o", "json", "-f", "id", stdin=plain, state_setup=inject(app))
    assert [j["id"] for j in json.loads(r.stdout)] == ids


def test_empty_stdin_is_nothing_to_do(lx: Any, app: SandboxApp) -> None:
    r = lx("jobs", "get", "-", "-o", "json", stdin="\n\n", state_setup=inject(app))
    assert (r.code, r.stdout, r.stderr) == (0, "[]\n", "lx: no job IDs on stdin; nothing to do\n")


def test_dash_with_other_ids_or_from_a_terminal_is_a_usage_error(lx: Any) -> None:
    r = lx("jobs", "get", "-", "ext-1")
    assert r.code == 2 and "must be the only JOB_ID" in r.stderr
    r = lx("jobs", "get", "-", stdin_tty=True)
    assert r.code == 2 and "stdin is a terminal" in r.stderr


def test_stdin_json_without_an_id_is_a_usage_error(lx: Any) -> None:
    r = lx("jobs", "get", "-", stdin='{"status": "FAILED"}\n')
    assert r.code == 2 and 'stdin line 1 is a JSON object without a string "id"' in r.stderr


def test_parse_lines() -> None:
    assert parse_lines(["id\n", "ext-1\n", "\n", "ext-2 ext-3\n"]) == ["ext-1", "ext-2", "ext-3"]
    assert parse_lines(["[\n", '{"id":"a","x":1},\n', '{"id":"b"}\n', "]\n"]) == ["a", "b"]
    assert parse_lines(['"c"\n', "[]\n"]) == ["c"]


# --- API shapes and the socket ---------------------------------------------------------


def test_seed_shape(lx: Any) -> None:
    app = make_app(api_shape="seed")
    [job_id] = find(app, "COMPLETED", "per_doc")
    r = lx("jobs", "get", job_id, "-o", "csv", state_setup=inject(app))
    job = api_get(app, job_id)
    assert "file_input" not in job and "usage" not in job
    header, row = r.stdout.splitlines()
    assert header.split(",")[:5] == ["id", "status", "created_at", "updated_at", "input"]
    assert row.split(",")[4] == job["document_input_value"]
    panel = lx("jobs", "get", job_id, tty=True, state_setup=inject(app)).stdout
    assert job["document_input_value"] in panel and "Credits" not in panel


def test_seed_shape_through_the_sandbox_url(lx: Any) -> None:
    r = lx("--base-url", URL + "&shape=seed", "jobs", "list", "-L", "2", "-f", "id")
    ids = [json.loads(line)["id"] for line in r.stdout.splitlines()]
    r = lx("--base-url", URL + "&shape=seed", "jobs", "get", *ids, "-o", "json")
    jobs = json.loads(r.stdout)
    assert [j["id"] for j in jobs] == ids and all("document_input_value" in j for j in jobs)


@pytest.mark.slow
def test_get_over_a_real_socket(lx: Any) -> None:
    app = make_app(api_key="llx-socket")
    ids = find(make_app(), "FAILED", n=2)
    with SandboxServer(app) as server:
        r = lx(
            "--base-url",
            server.url,
            "jobs",
            "get",
            *ids,
            "ext-nope",
            "-o",
            "json",
            env={"LLAMA_CLOUD_API_KEY": "llx-socket"},
        )
    assert r.code == 4
    assert json.loads(r.stdout) == [api_get(make_app(), i) for i in ids]
    assert r.stderr == "lx: job ext-nope not found\n"


def test_the_same_failure_for_every_id_is_one_line(lx: Any) -> None:
    app = make_app(faults=FaultConfig(no_retry_rate=1.0))
    ids = find(make_app(), "COMPLETED", n=3)
    r = lx("jobs", "get", *ids, state_setup=inject(app))
    assert r.code == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("lx: the API answered 503 Service Unavailable")


def test_a_422_on_the_job_id_counts_as_not_found(lx: Any, app: SandboxApp) -> None:
    [job_id] = find(app, "COMPLETED")
    detail = {"detail": [{"loc": ["path", "job_id"], "msg": "not a valid id", "type": "x"}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/bad"):
            return httpx.Response(422, json=detail)
        return httpx.Response(200, json=api_get(app, job_id))

    def setup(state: State) -> None:
        transport = httpx.MockTransport(handler)
        state._client = ApiClient(base_url="http://x.invalid", api_key="k", transport=transport)

    r = lx("jobs", "get", job_id, "bad", "-f", "id", state_setup=setup)
    assert (r.code, r.stdout, r.stderr) == (4, f'{{"id":"{job_id}"}}\n', "lx: job bad not found\n")
    r = lx("jobs", "result", "bad", state_setup=setup)
    assert (r.code, r.stderr) == (4, "lx: job bad not found\n")


# --- the panel with field metadata ---------------------------------------------------------


def scored_job(app: SandboxApp, target: str) -> dict[str, Any]:
    """A COMPLETED job of `target` whose values carry confidences."""
    query = [("status", "COMPLETED"), ("page_size", "100")]
    query += [("expand", "configuration"), ("expand", "extract_metadata")]
    found = []
    for job in app.handle("GET", "/api/v2/extract", query, AUTH).json()["items"]:
        config = job["configuration"]
        if config["extraction_target"] == target and config.get("confidence_scores"):
            found.append(job)
    cited = [j for j in found if j["configuration"].get("cite_sources")]
    if cited or found:
        return (cited or found)[0]
    raise AssertionError(f"no scored {target} job")


@pytest.mark.parametrize("width", [80, 160])
@pytest.mark.parametrize("target", ["per_doc", "per_page"])
def test_panel_shows_confidence_and_page_of_each_value(
    lx: Any, app: SandboxApp, monkeypatch: pytest.MonkeyPatch, width: int, target: str
) -> None:
    from llamaextract_cli.jobs.metadata import leaves

    monkeypatch.setenv("COLUMNS", str(width))
    job = scored_job(app, target)
    r = lx("--no-color", "jobs", "get", job["id"], tty=True, state_setup=inject(app))
    assert r.code == 0
    lines = r.stdout.splitlines()
    assert all(len(line) <= width for line in lines)
    assert job["id"] in lines[0]
    values = list(leaves(job))
    shown = values[:20]
    start = next(i for i, line in enumerate(lines) if line.startswith("│ Result "))
    for value, line in zip(shown, lines[start + 1 :], strict=False):
        name = value.field if value.row is None else f"[{value.row}] {value.field}"
        assert f" {name} " in line, line
        mark = "▼" if value.confidence < 0.8 else " "
        page = f" p.{value.page}" if value.page is not None else ""
        assert f"{value.confidence:.3f} {mark}{page}" in line, line
    assert any(v.page is not None for v in shown) or target == "per_page"
    assert ("▼ confidence below 0.8" in r.stdout) == any(v.confidence < 0.8 for v in shown)
    if len(values) > 20:  # the command printing every value follows, alone on its line
        assert f"… {len(values) - 20} more values (see below)" in r.stdout
        hint = f"the whole result of {job['id']}:\n  lx jobs result {job['id']} --metadata\n"
        assert r.stderr == hint
    else:
        assert r.stderr == ""


def test_panel_asks_for_the_metadata(lx: Any, app: SandboxApp) -> None:
    seen: list[httpx.Request] = []
    inner = SandboxTransport(app, sleep=lambda s: None)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return inner.handle_request(request)

    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid", api_key="k", transport=httpx.MockTransport(handle)
        )

    [job_id] = find(app, "COMPLETED")
    assert lx("jobs", "get", job_id, tty=True, state_setup=setup).code == 0
    assert "extract_metadata" in seen[0].url.params.get_list("expand")
    assert lx("jobs", "get", job_id, "-o", "json", state_setup=setup).code == 0
    assert seen[1].url.params.get_list("expand") == []  # only the panel asks


def test_panel_with_odd_metadata_still_shows_every_value(lx: Any) -> None:
    job = {
        "id": "ext-m",
        "status": "COMPLETED",
        "created_at": "2026-01-01T00:00:00Z",
        "extract_result": {"a": "[b]x[/b]", "n": None, "deep": {"k": 2}},
        "extract_metadata": {
            "field_metadata": {
                "document_metadata": {"a": {"confidence": "0.5"}, "n": "??", "deep": 7}
            }
        },
    }

    def setup(state: State) -> None:
        transport = httpx.MockTransport(lambda req: httpx.Response(200, json=job))
        state._client = ApiClient(base_url="http://x.invalid", api_key="k", transport=transport)

    r = lx("--no-color", "jobs", "get", "ext-m", tty=True, state_setup=setup)
    assert (r.code, r.stderr) == (0, "")
    assert re.search(r"a +\[b\]x\[/b\] +0\.500 ▼", r.stdout)
    assert re.search(r"n +null", r.stdout) and re.search(r"deep\.k +2 ", r.stdout)
    assert "▼ confidence below 0.8" in r.stdout
