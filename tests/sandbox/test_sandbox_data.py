"""The data set: deterministic, realistic, complete, and cheap at 100,000 jobs."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sandbox_support import NOW_S, Api

from llamaextract_cli.sandbox.app import SandboxApp, dumps
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.data import Dataset

FIELDS_CURRENT = {
    "data_schema", "cite_sources", "confidence_scores", "extraction_target", "max_pages",
    "parse_config_id", "parse_tier", "system_prompt", "target_pages", "tier", "version",
}  # fmt: skip
FIELDS_SEED = (FIELDS_CURRENT - {"version"}) | {"extract_version", "lang"}
ERROR_FAMILIES = {
    "page_limit": r"Document \S+ exceeds the maximum page limit: \d+ pages > \d+ allowed",
    "timeout": r"Extraction timed out after \d+ seconds \(page \d+ of \d+\)",
    "unsupported": r"Unsupported file type '\.\w+' for file '.+'",
    "schema": r"Schema validation failed: field '\S+' expected .+, got \w+",
    "parse": r"Parse job [0-9a-f-]{36} failed: .+",
    "upstream": r"Upstream model error: \d{3} from provider after \d attempts \(request req_\w+\)",
}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def full(app: SandboxApp) -> list[dict[str, Any]]:
    return Api(app).list_all([("expand", "configuration"), ("expand", "extract_metadata")])


@pytest.fixture(scope="module")
def jobs5k() -> list[dict[str, Any]]:
    app = SandboxApp(jobs=5000, seed=11, now="2026-01-01T00:00:00Z", clock=FakeClock(NOW_S))
    return full(app)


def test_same_seed_same_bytes_other_seed_other_jobs(make_app: Any) -> None:
    a, b, c = (make_app(jobs=200, seed=s) for s in (5, 5, 6))
    pages = [Api(x).call("GET", "/api/v2/extract", [("page_size", "100")]).body for x in (a, b, c)]
    assert pages[0] == pages[1]
    assert pages[0] != pages[2]
    ids_a = [j["id"] for j in full(a)]
    assert ids_a == [j["id"] for j in full(b)]
    assert not set(ids_a) & {j["id"] for j in full(c)}


def test_json_encoders_agree() -> None:
    import json

    app = SandboxApp(jobs=50, seed=1, now="2026-01-01T00:00:00Z", clock=FakeClock(NOW_S))
    for job in full(app):
        assert dumps(job) == json.dumps(job, separators=(",", ":")).encode()


def test_the_anchor_defaults_to_the_clock() -> None:
    app = SandboxApp(jobs=20, clock=FakeClock(1_800_000_000.5))
    assert app.anchor_ms == 1_800_000_000_500
    newest = Api(app).page([("page_size", "1")])["items"][0]
    assert newest["created_at"] == "2027-01-15T08:00:00.500Z"


def test_status_mix_is_plausible(jobs5k: list[dict[str, Any]]) -> None:
    counts = Counter(j["status"] for j in jobs5k)
    share = {s: counts[s] / len(jobs5k) for s in counts}
    assert 0.66 < share["COMPLETED"] < 0.78
    assert 0.11 < share["FAILED"] < 0.19
    for status in ("CANCELLED", "RUNNING", "PENDING", "THROTTLED"):
        assert 0.015 < share[status] < 0.06, status


def test_non_terminal_jobs_are_mostly_recent(jobs5k: list[dict[str, Any]]) -> None:
    for status in ("PENDING", "RUNNING", "THROTTLED"):
        ages = [NOW_S - ts(j["created_at"]) for j in jobs5k if j["status"] == status]
        assert sum(a < 3600 for a in ages) / len(ages) > 0.7


def test_created_at_spans_30_days_with_bursts(jobs5k: list[dict[str, Any]]) -> None:
    created = [ts(j["created_at"]) for j in jobs5k]
    assert max(created) <= NOW_S and min(created) >= NOW_S - 30 * 86400
    assert NOW_S - min(created) > 28 * 86400
    by_hour = Counter(int((NOW_S - t) // 3600) for t in created)
    mean = len(created) / (30 * 24)
    assert max(by_hour.values()) > 5 * mean  # busy hours
    by_day = Counter(int((NOW_S - t) // 86400) for t in created)
    assert max(by_day.values()) > 1.8 * len(created) / 30  # busy days
    for j in jobs5k:
        assert ts(j["created_at"]) <= ts(j["updated_at"]) <= NOW_S


def test_ids_projects_organization_and_inputs(jobs5k: list[dict[str, Any]], make_app: Any) -> None:
    assert all(re.fullmatch("ext-" + UUID, j["id"]) for j in jobs5k)
    assert len({j["id"] for j in jobs5k}) == len(jobs5k)
    projects = Counter(j["project_id"] for j in jobs5k)
    assert len(projects) == 2 and all(p.startswith("prj-") for p in projects)
    assert 0.8 < projects.most_common(1)[0][1] / len(jobs5k) < 0.9
    inputs = [j["file_input"] for j in jobs5k]
    files = [v for v in inputs if v.startswith("dfl-")]
    parses = [v for v in inputs if not v.startswith("dfl-")]
    assert all(re.fullmatch("dfl-" + UUID, v) for v in files)
    assert all(re.fullmatch(UUID, v) for v in parses)
    assert 0.6 < len(files) / len(inputs) < 0.9
    assert len(set(inputs)) < len(inputs)  # documents extracted more than once
    assert make_app(jobs=10, seed=11).data.organization_id.startswith("org-")
    same_ms = Counter(j["created_at"] for j in jobs5k)
    assert max(same_ms.values()) > 1  # batch submissions share a timestamp


def test_configurations_cover_every_field(jobs5k: list[dict[str, Any]], make_app: Any) -> None:
    configs = [j["configuration"] for j in jobs5k]
    seen = set().union(*configs)
    assert seen >= FIELDS_CURRENT
    assert not seen & {"extract_version", "lang"}
    assert {c["tier"] for c in configs} == {"cost_effective", "agentic", "agentic_plus", "turbo"}
    assert {c["extraction_target"] for c in configs} == {"per_doc", "per_page", "per_table_row"}
    assert {c.get("parse_tier") for c in configs} >= {"fast", "cost_effective", "agentic"}
    titles = {c["data_schema"]["title"] for c in configs}
    assert titles == {"Invoice", "Receipt", "Contract", "Resume"}
    assert "1,3,5-7" in {c.get("target_pages") for c in configs}
    saved = {j["configuration_id"] for j in jobs5k if "configuration_id" in j}
    assert len(saved) >= 6 and all(re.fullmatch("cfg-" + UUID, c) for c in saved)
    assert any("configuration_id" not in j for j in jobs5k)  # inline configurations
    seed_app = make_app(jobs=2000, seed=11, api_shape="seed")
    seed_configs = [j["configuration"] for j in full(seed_app)]
    seed_seen = set().union(*seed_configs)
    assert seed_seen >= FIELDS_SEED and "version" not in seed_seen
    assert {c["tier"] for c in seed_configs} == {"cost_effective", "agentic"}


def test_results_metadata_and_usage(jobs5k: list[dict[str, Any]]) -> None:
    targets: Counter[str] = Counter()
    for j in jobs5k:
        target = j["configuration"]["extraction_target"]
        usage = j["usage"]
        if j["status"] == "COMPLETED":
            result = j["extract_result"]
            assert isinstance(result, dict if target == "per_doc" else list)
            targets[target] += 1
            meta = j["extract_metadata"]
            assert set(meta) == {"field_metadata", "parse_job_id", "parse_tier"}
            fm = meta["field_metadata"]
            if fm is not None:
                key = {"per_doc": "document_metadata", "per_page": "page_metadata",
                       "per_table_row": "row_metadata"}[target]  # fmt: skip
                assert list(fm) == [key]
                if target != "per_doc":
                    assert len(fm[key]) == len(result)
            u = j["metadata"]["usage"]
            assert set(u) == {"num_document_tokens", "num_output_tokens", "num_pages_extracted",
                              "num_pages_billed"}  # fmt: skip
            assert u["num_pages_extracted"] >= 1
        else:
            assert "extract_result" not in j
        if j["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
            assert None not in usage.values()
            assert usage["credits"] == usage["extract_credits"] + usage["parse_credits"]
            assert all(isinstance(v, float) for v in usage.values())
        else:
            assert usage == {"credits": None, "extract_credits": None, "parse_credits": None}
        if j["status"] == "FAILED":
            assert j["error_message"]
        else:
            assert "error_message" not in j
    assert min(targets.values()) > 50


def test_error_messages_come_in_families_with_varying_details(
    jobs5k: list[dict[str, Any]],
) -> None:
    messages = [j["error_message"] for j in jobs5k if j["status"] == "FAILED"]
    families: Counter[str] = Counter()
    for m in messages:
        matched = [name for name, rx in ERROR_FAMILIES.items() if re.fullmatch(rx, m)]
        assert len(matched) == 1, m
        families[matched[0]] += 1
    assert set(families) == set(ERROR_FAMILIES)
    assert len(set(messages)) > 0.6 * len(messages)


def test_seed_shape(make_app: Any) -> None:
    jobs = full(make_app(jobs=300, seed=2, api_shape="seed"))
    for j in jobs:
        assert "document_input_value" in j and "file_input" not in j
        assert "usage" not in j
        if "metadata" in j:
            assert "num_pages_billed" not in j["metadata"]["usage"]
    assert list(jobs[-1])[:6] == ["id", "created_at", "document_input_value", "project_id",
                                  "status", "updated_at"]  # fmt: skip


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        SandboxApp(jobs=1, api_shape="future")
    with pytest.raises(ValueError):
        SandboxApp(jobs=-1)
    with pytest.raises(ValueError):
        SandboxApp(jobs=1, now="yesterday")


def test_100k_jobs_generate() -> None:
    # How fast is benchmarks/sandbox_bench.py's business: no wall-clock limit in a test.
    data = Dataset(seed=1, jobs=100_000, anchor_ms=int(NOW_S * 1000))
    assert data.n == 100_004
    job = data.materialize(99_999, data.status[99_999], data.created_ms[99_999], 7, "current")
    assert job["id"] == data.ids[99_999]


def test_memory_grows_by_a_few_hundred_bytes_per_job() -> None:
    import tracemalloc

    tracemalloc.start()
    data = Dataset(seed=1, jobs=10_000, anchor_ms=int(NOW_S * 1000))
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert data.n == 10_004
    assert current / 10_000 < 600  # bytes per job: 100,000 jobs stay under 60 MB


def test_ids_and_contents_do_not_depend_on_the_anchor(make_app: Any) -> None:
    """The built-in profile anchors at 'now': an ID seen in one run must exist in the next."""
    a = {j["id"]: j for j in full(make_app(jobs=500, seed=9, now="2026-01-01T00:00:00Z"))}
    b = {j["id"]: j for j in full(make_app(jobs=500, seed=9, now="2026-03-04T17:23:45.678Z"))}
    assert a.keys() == b.keys()
    for job_id, job in a.items():
        other = b[job_id]
        for key in ("status", "file_input", "configuration_id", "error_message", "project_id"):
            assert job.get(key) == other.get(key), key


@pytest.mark.parametrize("cache_bytes", [0, 20_000])
def test_the_job_cache_changes_no_byte(make_app: Any, cache_bytes: int) -> None:
    reference = make_app(jobs=300, seed=4)
    small = make_app(jobs=300, seed=4, cache_bytes=cache_bytes)
    for _ in range(2):
        for query in ([], [("expand", "configuration")], [("status", "FAILED")]):
            want = Api(reference).list_all(query, page_size=30)
            assert Api(small).list_all(query, page_size=30) == want
    assert small._cache_used <= cache_bytes
    assert sum(len(v) for v in small._cache.values()) == small._cache_used


def test_same_bytes_across_processes_and_hash_seeds() -> None:
    import os
    import subprocess
    import sys

    probe = """
import hashlib, json
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
app = SandboxApp(jobs=300, seed=7, now="2026-01-01T00:00:00Z", clock=FakeClock(0))
digest, token = hashlib.sha256(), None
while True:
    query = [("page_size", "100"), ("expand", "configuration"), ("expand", "extract_metadata")]
    query += [("page_token", token)] if token else []
    body = app.handle("GET", "/api/v2/extract", query, {"authorization": "Bearer k"}, b"").body
    digest.update(body)
    token = json.loads(body).get("next_page_token")
    if not token:
        break
print(digest.hexdigest())
"""
    digests = {
        subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
