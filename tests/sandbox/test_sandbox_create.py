"""POST /api/v2/extract: validation, the new job's life on the clock, its visibility to
list/get/cancel/delete, determinism, concurrency, both shapes, and faults on POST."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sandbox_support import KEY, LIST, NOW, NOW_S, Api

from llamaextract_cli.sandbox import documents
from llamaextract_cli.sandbox.app import SandboxApp, SandboxResponse
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import MALFORMED_BODY, FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

MakeApp = Callable[..., SandboxApp]
HEADERS = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
FILE = "dfl-0b7e4c52-6a55-4d1b-9f0e-5f3e2f7d9a10"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "issued": {"type": "string", "format": "date"},
        "pages": {"type": "integer"},
        "signed": {"type": "boolean"},
        "kind": {"enum": ["memo", "letter"]},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "amount": {"type": "number"}},
            },
        },
        "note": {"type": ["string", "null"]},
    },
}


def post(
    app: SandboxApp,
    body: Any,
    query: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> SandboxResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return app.handle("POST", LIST, query or [], HEADERS if headers is None else headers, raw)


def created(app: SandboxApp, body: Any, query: list[tuple[str, str]] | None = None) -> Any:
    resp = post(app, body, query)
    assert resp.status == 200, resp.body
    return resp.json()


def saved(app: SandboxApp, i: int = 0) -> str:
    cfg_id = app.data.configs[i].id
    assert cfg_id
    return cfg_id


def inline(**extra: Any) -> dict[str, Any]:
    return {"file_input": FILE, "configuration": {"data_schema": SCHEMA, **extra}}


def detail(resp: SandboxResponse) -> Any:
    return resp.json()["detail"]


# ---------------------------------------------------------------- 422 and 404


def test_the_answer_is_a_pending_job(app: SandboxApp) -> None:
    job = created(app, {"file_input": FILE, "configuration_id": saved(app, 2)})
    assert job["status"] == "PENDING" and job["id"].startswith("ext-")
    assert job["file_input"] == FILE and job["configuration_id"] == saved(app, 2)
    assert job["created_at"] == job["updated_at"] == "2026-01-01T00:00:00.001Z"
    assert job["project_id"] == app.data.project_ids[0]
    assert "extract_result" not in job and "error_message" not in job


def test_missing_file_input(app: SandboxApp) -> None:
    body = {"configuration_id": saved(app)}
    resp = post(app, body)
    assert resp.status == 422
    assert detail(resp) == [
        {"type": "missing", "loc": ["body", "file_input"], "msg": "Field required", "input": body}
    ]


@pytest.mark.parametrize(
    "extra",
    [{}, {"configuration": {"data_schema": SCHEMA}, "configuration_id": "cfg-x"}],
    ids=["neither", "both"],
)
def test_exactly_one_of_configuration_and_configuration_id(
    app: SandboxApp, extra: dict[str, Any]
) -> None:
    resp = post(app, {"file_input": FILE, **extra})
    assert resp.status == 422
    [err] = detail(resp)
    assert err["loc"] == ["body"] and err["type"] == "value_error"
    assert err["msg"] == "Value error, Provide exactly one of configuration or configuration_id"
    # null is absent, as for an Optional field
    resp = post(app, {"file_input": FILE, "configuration": None, "configuration_id": None})
    assert resp.status == 422 and detail(resp)[0]["loc"] == ["body"]
    assert (
        post(
            app, {"file_input": FILE, "configuration": None, "configuration_id": saved(app)}
        ).status
        == 200
    )


@pytest.mark.parametrize(
    "body,where,kind",
    [
        (b"{not json", ["body", 1], "json_invalid"),
        (b"", ["body"], "missing"),
        (b"[1, 2]", ["body"], "model_attributes_type"),
        (b'"dfl-1"', ["body"], "model_attributes_type"),
        (inline(tier="premium"), ["body", "configuration", "tier"], "enum"),
        (
            inline(extraction_target="per_word"),
            ["body", "configuration", "extraction_target"],
            "enum",
        ),
        (inline(parse_tier="slow"), ["body", "configuration", "parse_tier"], "enum"),
        (inline(max_pages=0), ["body", "configuration", "max_pages"], "greater_than_equal"),
        (inline(max_pages="many"), ["body", "configuration", "max_pages"], "int_parsing"),
        (inline(cite_sources="maybe"), ["body", "configuration", "cite_sources"], "bool_parsing"),
        (inline(system_prompt=42), ["body", "configuration", "system_prompt"], "string_type"),
        (inline(target_pages="1-"), ["body", "configuration", "target_pages"], "value_error"),
        (inline(target_pages="5-2"), ["body", "configuration", "target_pages"], "value_error"),
        (
            {"file_input": FILE, "configuration": {"data_schema": [1]}},
            ["body", "configuration", "data_schema"],
            "dict_type",
        ),
        (
            {"file_input": FILE, "configuration": {"data_schema": "invoice"}},
            ["body", "configuration", "data_schema"],
            "dict_type",
        ),
        (
            {"file_input": FILE, "configuration": {"data_schema": {"type": "string"}}},
            ["body", "configuration", "data_schema"],
            "value_error",
        ),
        (
            {"file_input": FILE, "configuration": {"tier": "agentic"}},
            ["body", "configuration", "data_schema"],
            "missing",
        ),
        (
            {"file_input": FILE, "configuration": "cfg-1"},
            ["body", "configuration"],
            "model_attributes_type",
        ),
        (
            inline(tier="agentic_plus", extraction_target="per_page"),
            ["body", "configuration"],
            "value_error",
        ),
        (inline(tier="turbo", parse_tier="fast"), ["body", "configuration"], "value_error"),
        ({"file_input": 7, "configuration_id": "cfg-1"}, ["body", "file_input"], "string_type"),
        (
            {"file_input": "report.pdf", "configuration_id": "cfg-1"},
            ["body", "file_input"],
            "value_error",
        ),
        (
            {**inline(), "webhook_configurations": [{"webhook_events": ["extract.done"]}]},
            ["body", "webhook_configurations", 0, "webhook_events", 0],
            "enum",
        ),
        (
            {**inline(), "webhook_configurations": {"webhook_url": "x"}},
            ["body", "webhook_configurations"],
            "list_type",
        ),
    ],
)
def test_bad_bodies_are_422(app: SandboxApp, body: Any, where: list[Any], kind: str) -> None:
    resp = post(app, body)
    assert resp.status == 422, resp.body
    errors = detail(resp)
    assert [(e["loc"], e["type"]) for e in errors] == [(where, kind)]
    assert all(isinstance(e["msg"], str) and e["msg"] for e in errors)
    assert app.created_job_ids() == []


def test_the_exact_shapes_of_some_422s(app: SandboxApp) -> None:
    assert detail(post(app, b"{not json")) == [
        {
            "type": "json_invalid",
            "loc": ["body", 1],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": "Expecting property name enclosed in double quotes"},
        }
    ]
    assert detail(post(app, inline(tier="premium"))) == [
        {
            "type": "enum",
            "loc": ["body", "configuration", "tier"],
            "msg": "Input should be 'cost_effective', 'agentic', 'agentic_plus' or 'turbo'",
            "input": "premium",
            "ctx": {"expected": "'cost_effective', 'agentic', 'agentic_plus' or 'turbo'"},
        }
    ]


def test_every_field_problem_is_reported_at_once(app: SandboxApp) -> None:
    body = {"configuration": {"data_schema": 3, "tier": "x", "extraction_target": "y"}}
    locs = [e["loc"] for e in detail(post(app, body))]
    assert locs == [
        ["body", "file_input"],
        ["body", "configuration", "data_schema"],
        ["body", "configuration", "tier"],
        ["body", "configuration", "extraction_target"],
    ]


def test_a_body_that_is_not_json_by_its_content_type(app: SandboxApp) -> None:
    resp = post(app, inline(), headers={**HEADERS, "content-type": "text/plain"})
    assert resp.status == 422 and detail(resp)[0]["type"] == "model_attributes_type"
    no_type = {"authorization": HEADERS["authorization"]}  # FastAPI reads it as JSON
    assert post(app, inline(), headers=no_type).status == 200
    ld = {**HEADERS, "content-type": "application/ld+json; charset=utf-8"}
    assert post(app, inline(), headers=ld).status == 200


def test_unknown_references_are_404(app: SandboxApp) -> None:
    resp = post(app, {"file_input": FILE, "configuration_id": "cfg-nope"})
    assert (resp.status, resp.json()) == (
        404,
        {"detail": "Extract configuration cfg-nope not found"},
    )
    resp = post(app, inline(), [("project_id", "prj-nope")])
    assert (resp.status, resp.json()) == (404, {"detail": "Project not found"})
    resp = post(app, inline(), [("organization_id", "org-nope")])
    assert (resp.status, resp.json()) == (404, {"detail": "Organization not found"})
    assert app.created_job_ids() == []


def test_validation_comes_before_lookups_and_auth_before_both(app: SandboxApp) -> None:
    resp = post(app, {"configuration_id": "cfg-nope"}, [("project_id", "prj-nope")])
    assert resp.status == 422
    resp = post(app, inline(), headers={"content-type": "application/json"})
    assert resp.status == 401


def test_the_scope_query_places_the_job(app: SandboxApp) -> None:
    other = app.data.project_ids[1]
    q = [("project_id", other), ("organization_id", app.data.organization_id)]
    job = created(app, inline(), q)
    assert job["project_id"] == other
    api = Api(app)
    assert api.get(job["id"], [("project_id", other)])["id"] == job["id"]
    assert (
        api.call("GET", f"{LIST}/{job['id']}", [("project_id", app.data.project_ids[0])]).status
        == 404
    )
    ids = [j["id"] for j in api.list_all([("project_id", other)])]
    assert ids[0] == job["id"]
    assert job["id"] not in [
        j["id"] for j in api.list_all([("project_id", app.data.project_ids[0])])
    ]


# ---------------------------------------------------------------- life on the clock


def run_to_end(app: SandboxApp, clock: FakeClock, job_id: str) -> list[tuple[str, str, float]]:
    """(status, updated_at, t) at every change, polling every 0.1 s for 15 s."""
    api = Api(app)
    seen: list[tuple[str, str, float]] = []
    start = clock.now()
    for _ in range(150):
        job = api.get(job_id)
        if not seen or seen[-1][0] != job["status"]:
            seen.append((job["status"], job["updated_at"], round(clock.now() - start, 1)))
        clock.advance(0.1)
    return seen


def test_pending_running_then_an_end_within_ten_seconds(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app(jobs=300, seed=7)
    clock.advance(30)  # created well after the app started
    ends = Counter()
    for i in range(12):
        job = created(app, {"file_input": FILE, "configuration_id": saved(app, i % 8)})
        changes = run_to_end(app, clock, job["id"])
        assert [s for s, _, _ in changes][:2] == ["PENDING", "RUNNING"]
        assert len(changes) == 3 and changes[2][0] in ("COMPLETED", "FAILED")
        assert 0.5 <= changes[1][2] <= 2.6 and changes[2][2] <= 10.0
        stamps = [u for _, u, _ in changes]
        assert stamps == sorted(stamps) and len(set(stamps)) == 3
        assert job["created_at"] == stamps[0]
        ends[changes[2][0]] += 1
        clock.advance(3600)
        assert Api(app).get(job["id"])["status"] == changes[2][0]  # terminal stays
    assert ends["COMPLETED"] and ends["FAILED"]


def finished(app: SandboxApp, clock: FakeClock, bodies: list[Any]) -> list[dict[str, Any]]:
    ids = [created(app, b)["id"] for b in bodies]
    clock.advance(10.0)
    q = [("expand", "configuration"), ("expand", "extract_metadata"), ("expand", "usage")]
    return [Api(app).get(i, q) for i in ids]


def test_completed_and_failed_jobs_carry_what_the_data_set_does(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app(jobs=300, seed=7)
    bodies: list[Any] = []
    for i in range(8):
        bodies += [{"file_input": FILE, "configuration_id": saved(app, i)}] * 3
    for target in ("per_doc", "per_page", "per_table_row"):
        bodies += [inline(extraction_target=target, cite_sources=True, confidence_scores=True)] * 4
    jobs = finished(app, clock, bodies)
    statuses = Counter(j["status"] for j in jobs)
    assert set(statuses) == {"COMPLETED", "FAILED"}
    for job in jobs:
        usage = job["metadata"]["usage"]
        assert set(usage) == {
            "num_document_tokens",
            "num_output_tokens",
            "num_pages_extracted",
            "num_pages_billed",
        }
        assert set(job["usage"]) == {"credits", "extract_credits", "parse_credits"}
        cfg = job["configuration"]
        if job["status"] == "COMPLETED":
            assert "error_message" not in job and usage["num_pages_extracted"] >= 1
            result = job["extract_result"]
            target = cfg["extraction_target"]
            assert isinstance(result, dict if target == "per_doc" else list)
            meta = job["extract_metadata"]
            assert meta is not None and "parse_tier" in meta
            fm = meta["field_metadata"]
            if cfg.get("cite_sources") or cfg.get("confidence_scores"):
                key = {"per_doc": "document_metadata", "per_page": "page_metadata"}.get(
                    target, "row_metadata"
                )
                assert set(fm) == {key}
            else:
                assert fm is None
        else:
            assert job["error_message"] and "extract_result" not in job


def test_results_follow_an_inline_schema(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(jobs=50, seed=1)
    jobs = finished(app, clock, [inline(extraction_target="per_doc")] * 20)
    done = [j["extract_result"] for j in jobs if j["status"] == "COMPLETED"]
    assert done
    for result in done:
        assert set(result) == set(SCHEMA["properties"])
        assert isinstance(result["title"], str) and isinstance(result["pages"], int)
        assert isinstance(result["signed"], bool) and result["kind"] in ("memo", "letter")
        assert len(result["issued"]) == 10 and result["issued"][4] == "-"
        assert all(set(line) == {"text", "amount"} for line in result["lines"])
        assert result["note"] is None or isinstance(result["note"], str)
    rows = finished(app, clock, [inline(extraction_target="per_table_row")] * 10)
    for job in rows:
        if job["status"] == "COMPLETED":
            assert all(set(r) == {"text", "amount"} for r in job["extract_result"])


def test_a_known_schema_gets_the_data_sets_results(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(jobs=50, seed=1)
    body = {"file_input": FILE, "configuration": {"data_schema": documents.SCHEMAS["invoice"]}}
    jobs = finished(app, clock, [body] * 10)
    done = [j for j in jobs if j["status"] == "COMPLETED"]
    assert done and all(j["extract_result"]["invoice_number"].startswith("INV-") for j in done)


def test_failure_messages_look_like_the_data_sets(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(jobs=300, seed=7)
    bodies = [{"file_input": FILE, "configuration_id": saved(app, i % 8)} for i in range(60)]
    bodies += [inline()] * 60
    failed = [j for j in finished(app, clock, bodies) if j["status"] == "FAILED"]
    assert len(failed) >= 10
    known = (
        "exceeds the maximum page limit",
        "Extraction timed out after",
        "Unsupported file type",
        "Schema validation failed: field '",
        "Parse job ",
        "Upstream model error:",
    )
    for job in failed:
        assert any(k in job["error_message"] for k in known), job["error_message"]


def test_configurations_that_failed_more_fail_more(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(jobs=3000, seed=5)
    creator = app._creator
    rates = {i: creator.failure_odds(i, app.data.configs[i].tier)[0] for i in range(8)}
    worst, best = max(rates, key=rates.__getitem__), min(rates, key=rates.__getitem__)
    history = creator.history()
    f_w, n_w = history.by_config[worst]
    f_b, n_b = history.by_config[best]
    assert f_w / n_w > f_b / n_b
    outcomes: dict[int, Counter[str]] = {worst: Counter(), best: Counter()}
    for i in (worst, best):
        jobs = finished(app, clock, [{"file_input": FILE, "configuration_id": saved(app, i)}] * 300)
        outcomes[i].update(j["status"] for j in jobs)
    assert outcomes[worst]["FAILED"] > outcomes[best]["FAILED"]
    for i in (worst, best):  # close to the configuration's (smoothed) historical rate
        assert abs(outcomes[i]["FAILED"] / 300 - rates[i]) < 0.08


def test_cancel_and_delete_a_created_job(app: SandboxApp, clock: FakeClock) -> None:
    api = Api(app)
    job = created(app, inline())
    clock.advance(1.0)
    cancelled = api.ok("POST", f"{LIST}/{job['id']}/cancel")
    assert (
        cancelled["status"] == "CANCELLED" and cancelled["updated_at"] == "2026-01-01T00:00:01.000Z"
    )
    clock.advance(30)
    assert api.get(job["id"])["status"] == "CANCELLED"
    assert api.call("POST", f"{LIST}/{job['id']}/cancel").status == 400
    assert api.list_all([("status", "CANCELLED")])[0]["id"] == job["id"]
    assert api.ok("DELETE", f"{LIST}/{job['id']}") == {}
    assert api.call("GET", f"{LIST}/{job['id']}").status == 404
    assert job["id"] not in [j["id"] for j in api.list_all()]
    # a running created job needs force to be deleted
    other = created(app, inline())
    clock.advance(2.6)
    assert api.get(other["id"])["status"] == "RUNNING"
    assert api.call("DELETE", f"{LIST}/{other['id']}").status == 400
    assert api.ok("DELETE", f"{LIST}/{other['id']}", [("force", "true")]) == {}
    assert app.created_job_ids() == [] and app.job_state(other["id"]) is None


# ---------------------------------------------------------------- list and get


def test_created_jobs_are_the_newest_and_every_filter_sees_them(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app(jobs=300, seed=7)
    api = Api(app)
    before = api.list_all()
    cfg = saved(app, 1)
    pjb = "pjb-2f1d4b7a-0c3e-4e59-a8b1-7d6e5c4b3a21"
    a = created(app, {"file_input": FILE, "configuration_id": cfg})
    clock.advance(0.5)
    b = created(app, {"file_input": pjb, "configuration": {"data_schema": SCHEMA}})
    clock.advance(0.5)
    c = created(app, {"file_input": FILE, "configuration": {"data_schema": SCHEMA}})
    after = api.list_all(page_size=2)  # pages that straddle created and data set jobs
    assert [j["id"] for j in after] == [c["id"], b["id"], a["id"]] + [j["id"] for j in before]
    assert api.page()["total_size"] == len(before) + 3

    def listed(*q: tuple[str, str]) -> list[str]:
        return [j["id"] for j in api.list_all(list(q), page_size=3)]

    assert listed(("configuration_id", cfg))[:1] == [a["id"]]
    assert listed(("file_input", pjb)) == [b["id"]]
    assert listed(("document_input_value", FILE))[:2] == [c["id"], a["id"]]
    assert listed(("document_input_type", "parse_job_id"))[0] == b["id"]
    assert listed(("document_input_type", "file_id"))[:2] == [c["id"], a["id"]]
    assert listed(("job_ids", a["id"]), ("job_ids", c["id"]), ("job_ids", before[0]["id"])) == [
        c["id"],
        a["id"],
        before[0]["id"],
    ]
    assert listed(("created_at_on_or_after", b["created_at"])) == [c["id"], b["id"]]
    assert listed(("created_at_on_or_before", b["created_at"]))[:2] == [b["id"], a["id"]]
    assert listed(("created_at_on_or_after", NOW), ("created_at_on_or_before", NOW)) == [
        j["id"] for j in before if j["created_at"] == "2026-01-01T00:00:00.000Z"
    ]
    assert set(listed(("status", "PENDING"))) >= {a["id"], b["id"], c["id"]}
    clock.advance(2.6)
    assert a["id"] in listed(("status", "RUNNING")) and a["id"] not in listed(("status", "PENDING"))
    clock.advance(10)
    done = set(listed(("status", "COMPLETED"))) | set(listed(("status", "FAILED")))
    assert {a["id"], b["id"], c["id"]} <= done
    assert not {a["id"], b["id"], c["id"]} & set(listed(("status", "RUNNING")))


def test_a_cursor_survives_creations_between_pages(app: SandboxApp, clock: FakeClock) -> None:
    api = Api(app)
    reference = [j["id"] for j in api.list_all()]
    first = created(app, inline())["id"]

    def create_one() -> None:
        clock.advance(0.01)
        created(app, inline())

    got = [j["id"] for j in api.list_all(page_size=25, between=create_one)]
    assert got == [first, *reference]  # new jobs are newer than any cursor: never listed twice


def test_get_with_expand_configuration_gives_what_was_sent(
    app: SandboxApp, clock: FakeClock
) -> None:
    api = Api(app)
    sent = {
        "data_schema": SCHEMA,
        "tier": "agentic",
        "extraction_target": "per_page",
        "cite_sources": True,
        "max_pages": 3,
        "target_pages": "1-2",
        "system_prompt": "Be brief.",
        "parse_tier": "fast",
        "version": "2.5",
        "unknown_key": "dropped",
    }
    job = created(app, {"file_input": FILE, "configuration": sent})
    got = api.get(job["id"], [("expand", "configuration")])
    want = {k: v for k, v in sent.items() if k != "unknown_key"}
    assert got["configuration"] == want and "configuration_id" not in got
    assert list(got["configuration"]) == [
        "data_schema",
        *sorted(k for k in want if k != "data_schema"),
    ]
    clock.advance(0.01)
    minimal = created(app, {"file_input": FILE, "configuration": {"data_schema": SCHEMA}})
    got = api.get(minimal["id"], [("expand", "configuration")])["configuration"]
    assert got == {
        "data_schema": SCHEMA,
        "extraction_target": "per_doc",
        "tier": "cost_effective",
        "version": "latest",
    }
    clock.advance(0.01)
    by_id = created(app, {"file_input": FILE, "configuration_id": saved(app, 3)})
    got = api.get(by_id["id"], [("expand", "configuration")])
    assert got["configuration"] == app.data.configs[3].as_json("current")
    assert got["configuration_id"] == saved(app, 3)
    listed = api.page([("expand", "configuration"), ("page_size", "3")])["items"]
    assert [j["configuration"] for j in listed[:2]] == [
        app.data.configs[3].as_json("current"),
        {
            "data_schema": SCHEMA,
            "extraction_target": "per_doc",
            "tier": "cost_effective",
            "version": "latest",
        },
    ]


def test_the_seed_shape(make_app: MakeApp, clock: FakeClock) -> None:
    app = make_app(jobs=100, seed=2, api_shape="seed")
    api = Api(app)
    job = created(app, inline(tier="agentic_plus", parse_tier="agentic_plus", version="2.5"))
    assert job["document_input_value"] == FILE and "file_input" not in job
    got = api.get(job["id"], [("expand", "configuration"), ("expand", "usage")])
    assert got["configuration"] == {
        "data_schema": SCHEMA,
        "extract_version": "2.5",
        "extraction_target": "per_doc",
        "lang": "en",
        "parse_tier": "agentic",
        "tier": "agentic",
    }
    assert "usage" not in got
    clock.advance(10)
    done = api.get(job["id"])
    assert done["status"] in ("COMPLETED", "FAILED")
    assert "num_pages_billed" not in done["metadata"]["usage"]
    assert api.page([("page_size", "1")])["items"][0]["id"] == job["id"]


# ---------------------------------------------------------------- determinism, concurrency


def script(app: SandboxApp, clock: FakeClock) -> list[bytes]:
    out = []
    for i in range(20):
        body = inline() if i % 3 else {"file_input": FILE, "configuration_id": saved(app, i % 8)}
        out.append(post(app, body).body)
        clock.advance(0.25)
    clock.advance(10)
    out.append(
        app.handle("GET", LIST, [("page_size", "30"), ("expand", "extract_metadata")], HEADERS).body
    )
    return out


def test_the_same_creations_give_the_same_jobs() -> None:
    def run(seed: int) -> list[bytes]:
        clock = FakeClock(NOW_S)
        return script(SandboxApp(jobs=200, seed=seed, now=NOW, clock=clock), clock)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_creating_does_not_disturb_the_data_set(make_app: MakeApp, clock: FakeClock) -> None:
    untouched = make_app(jobs=400, seed=9)
    touched = make_app(jobs=400, seed=9)
    q = [("expand", "configuration"), ("expand", "extract_metadata")]
    reference = Api(untouched).list_all(q)
    for _ in range(30):
        created(touched, inline())
    got = Api(touched).list_all(q)
    assert got[30:] == reference
    for status in ("COMPLETED", "FAILED", "PENDING"):
        want = [j for j in reference if j["status"] == status]
        assert [j for j in Api(touched).list_all([("status", status), *q])][-len(want) :] == want


def test_concurrent_creations_over_http(make_app: MakeApp) -> None:
    app = make_app(jobs=200, seed=3)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            with httpx.Client(base_url=srv.url, headers={"authorization": f"Bearer {KEY}"}) as c:
                for _ in range(n):
                    resp = c.post(LIST, json=inline())
                    assert resp.status_code == 200, resp.text
                    with lock:
                        results.append(resp.json()["id"])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    with SandboxServer(app) as srv:
        threads = [threading.Thread(target=worker, args=(25,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(results) == len(set(results)) == 200
        listed = [j["id"] for j in Api(app).list_all()]
    assert len(listed) == 404 and set(listed[:200]) == set(results)
    assert sorted(app.created_job_ids()) == sorted(results)


def test_concurrent_creations_and_listings_in_process(make_app: MakeApp) -> None:
    app = make_app(jobs=300, seed=4)
    api = Api(app)
    reference = [j["id"] for j in api.list_all()]
    stop = threading.Event()
    problems: list[str] = []

    def lister() -> None:
        while not stop.is_set():
            ids = [j["id"] for j in api.list_all(page_size=37)]
            if ids[len(ids) - len(reference) :] != reference or len(set(ids)) != len(ids):
                problems.append("a listing lost or repeated jobs")

    def creator() -> None:
        for _ in range(40):
            created(app, inline())

    threads = [threading.Thread(target=lister) for _ in range(2)]
    threads += [threading.Thread(target=creator) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads[2:]:
        t.join()
    stop.set()
    for t in threads[:2]:
        t.join()
    assert problems == []
    assert len(api.list_all()) == 304 + 160


# ---------------------------------------------------------------- faults on POST


def faulty(make_app: MakeApp, **faults: Any) -> SandboxApp:
    return make_app(jobs=50, seed=1, faults=FaultConfig(**faults))


@pytest.mark.parametrize(
    "entry,status", [("429", 429), ("503", 503), ("html", 502), ("no-retry", 503)]
)
def test_refusing_faults_create_nothing(make_app: MakeApp, entry: str, status: int) -> None:
    app = faulty(make_app, schedule=[entry])
    assert post(app, inline()).status == status
    assert app.created_job_ids() == []
    assert post(app, inline()).status == 200  # the retry creates it, once
    assert len(app.created_job_ids()) == 1


def test_rate_limit_applies_to_post(make_app: MakeApp, clock: FakeClock) -> None:
    app = faulty(make_app, rate_limit=2, retry_after="ms")
    codes = [post(app, inline()).status for _ in range(4)]
    assert codes == [200, 200, 429, 429] and len(app.created_job_ids()) == 2
    clock.advance(1.0)
    assert post(app, inline()).status == 200


def test_error_rate_applies_to_post(make_app: MakeApp) -> None:
    app = faulty(make_app, error_rate=0.5, fault_seed=3)
    codes = Counter(post(app, inline()).status for _ in range(100))
    assert codes[200] == len(app.created_job_ids()) and 25 < codes[200] < 75
    assert set(codes) <= {200, 500, 502, 503}


@pytest.mark.parametrize("entry", ["drop", "truncate", "malformed", "stall"])
def test_answer_faults_create_the_job_then_spoil_the_answer(make_app: MakeApp, entry: str) -> None:
    app = faulty(make_app, schedule=[entry], stall=0.0)
    resp = post(app, inline())
    assert resp.fault == entry and resp.status == 200
    [job_id] = app.created_job_ids()
    if entry == "malformed":
        assert resp.body == MALFORMED_BODY
    elif entry == "truncate":
        assert job_id.encode() not in resp.body or not resp.body.endswith(b"}")
    assert Api(app).page([("page_size", "1")])["items"][0]["id"] == job_id


def test_a_malformed_refusal_stays_a_refusal(make_app: MakeApp) -> None:
    app = faulty(make_app, schedule=["malformed"])
    resp = post(app, {"file_input": FILE})
    assert resp.status == 422 and app.created_job_ids() == []


def test_a_dropped_post_in_process_created_the_job(make_app: MakeApp) -> None:
    app = faulty(make_app, schedule=["drop"])
    c = httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox.invalid")
    with c, pytest.raises(httpx.RemoteProtocolError):
        c.post(LIST, json=inline(), headers={"authorization": f"Bearer {KEY}"})
    assert len(app.created_job_ids()) == 1


def test_a_dropped_post_over_a_socket_created_the_job(make_app: MakeApp, clock: FakeClock) -> None:
    """The ambiguous case: the server read the body and made the job, then hung up."""
    app = faulty(make_app, schedule=["ok", "drop"])
    auth = {"authorization": f"Bearer {KEY}"}
    with SandboxServer(app) as srv, httpx.Client(base_url=srv.url, headers=auth) as c:
        first = c.post(LIST, json=inline())
        assert first.status_code == 200
        clock.advance(0.01)
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(LIST, json=inline(tier="agentic"))
        ids = app.created_job_ids()
        assert len(ids) == 2 and ids[0] == first.json()["id"]
        newest = c.get(LIST, params={"page_size": 1, "expand": "configuration"}).json()
        assert newest["items"][0]["id"] == ids[1]
        assert newest["items"][0]["configuration"]["tier"] == "agentic"


def test_a_stalled_post_times_out_after_creating_the_job(make_app: MakeApp) -> None:
    app = faulty(make_app, schedule=["stall"], stall=5.0)
    slept: list[float] = []
    transport = SandboxTransport(app, sleep=slept.append)
    c = httpx.Client(transport=transport, base_url="http://sandbox.invalid", timeout=1.0)
    with c, pytest.raises(httpx.ReadTimeout):
        c.post(LIST, json=inline(), headers={"authorization": f"Bearer {KEY}"})
    assert slept == [1.0] and len(app.created_job_ids()) == 1


# ---------------------------------------------------------------- the CLI sees them


def test_lx_jobs_get_list_and_errors_see_created_jobs(
    lx: Callable[..., Any], make_app: MakeApp, clock: FakeClock
) -> None:
    from lxtest import runner_on

    app = make_app(jobs=100, seed=7)
    ids = []
    for _ in range(6):
        ids.append(created(app, {"file_input": FILE, "configuration_id": saved(app, 1)})["id"])
        clock.advance(0.01)
    run = runner_on(lx, app, "http://sandbox.invalid")
    r = run("jobs", "get", ids[0], "-o", "json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["id"] == ids[0]
    clock.advance(10)
    r = run("jobs", "list", "--limit", "6", "-o", "jsonl")
    assert r.code == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ids[::-1]
    failed = [i for i in ids if app.job_state(i)[0] == "FAILED"]  # type: ignore[index]
    assert failed  # this seed's six jobs include failures
    r = run("jobs", "errors", "--id", ",".join(ids), "-o", "json")
    assert r.code == 0, r.stderr
    assert sorted(i for g in json.loads(r.stdout) for i in g["job_ids"]) == sorted(failed)
    r = run("jobs", "stats", "--id", ",".join(ids), "-o", "json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["total"] == 6


def test_lx_jobs_wait_follows_created_jobs_on_the_fake_clock(
    lx: Callable[..., Any], make_app: MakeApp, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.jobs import wait as waiter

    app = make_app(jobs=100, seed=7)
    clock.advance(5)
    ids = [created(app, inline())["id"] for _ in range(4)]
    monkeypatch.setattr(waiter, "CLOCK", clock.now)
    monkeypatch.setattr(waiter, "SLEEP", clock.advance)

    def setup(state: Any) -> None:
        state._client = ApiClient(
            base_url="http://sandbox.invalid",
            api_key="k",
            transport=SandboxTransport(app, sleep=clock.advance),
            sleep=clock.advance,
            clock=clock.now,
        )

    r = lx("jobs", "wait", *ids, state_setup=setup)
    ends = {i: app.job_state(i)[0] for i in ids}  # type: ignore[index]
    assert set(ends.values()) <= {"COMPLETED", "FAILED"}
    assert r.code == (1 if "FAILED" in ends.values() else 0), r.stderr
    assert 5 < clock.now() - NOW_S <= 5 + 12  # they ended within about ten seconds
    for job_id, status in ends.items():
        assert f"{job_id} {status}" in r.stderr
