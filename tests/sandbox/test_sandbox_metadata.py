"""Per-field metadata (`expand=extract_metadata`): shapes, keys, pages, boxes and the spread.

The map under `extract_metadata.field_metadata` mirrors `extract_result`: `document_metadata`
(per_doc) keyed like the result, `page_metadata` / `row_metadata` one entry per item,
arrays with one entry per item and the entries at the leaves. The seed shape is the older
answer: the per_doc map right under `field_metadata`, citations under `citations`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_support import NOW, NOW_S, Api

from llamaextract_cli.sandbox import metadata
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.data import input_pages

EXPAND = [("expand", "configuration"), ("expand", "extract_metadata")]
LEAF_KEYS = {
    "citation", "citations", "confidence", "extraction_confidence", "parsing_confidence",
    "reasoning",
}  # fmt: skip
WRAPPER = {"per_doc": "document_metadata", "per_page": "page_metadata",
           "per_table_row": "row_metadata"}  # fmt: skip
Job = dict[str, Any]


def make(shape: str = "current", jobs: int = 300, seed: int = 0) -> SandboxApp:
    return SandboxApp(jobs=jobs, seed=seed, now=NOW, clock=FakeClock(NOW_S), api_shape=shape)


@pytest.fixture(scope="module")
def default_jobs() -> list[Job]:
    """The default data set (300 jobs, seed 0) with configuration and metadata."""
    return Api(make()).list_all(EXPAND)


@pytest.fixture(scope="module")
def seed_shape_jobs() -> list[Job]:
    return Api(make("seed")).list_all(EXPAND)


def completed(jobs: list[Job]) -> list[Job]:
    return [j for j in jobs if j["status"] == "COMPLETED"]


def maps(job: Job, shape: str = "current") -> list[tuple[Any, Any]]:
    """(result object, its metadata map) pairs of a completed job with field metadata."""
    target = job["configuration"]["extraction_target"]
    fm = job["extract_metadata"]["field_metadata"]
    result = job["extract_result"]
    if target == "per_doc":
        return [(result, fm if shape == "seed" else fm["document_metadata"])]
    return list(zip(result, fm[WRAPPER[target]], strict=True))


def walk(result: Any, meta: Any, path: str = "", depth: int = 0) -> Iterator[tuple]:
    """(path, value, entry, depth) of every leaf, asserting the map mirrors the result."""
    if isinstance(result, dict):
        assert isinstance(meta, dict) and list(meta) == list(result), path
        for k, v in result.items():
            yield from walk(v, meta[k], f"{path}.{k}" if path else k, depth + 1)
    elif isinstance(result, list):
        assert isinstance(meta, list) and len(meta) == len(result), path
        for i, v in enumerate(result):
            yield from walk(v, meta[i], f"{path}[{i}]", depth + 1)
    else:
        assert isinstance(meta, dict) and meta and set(meta) <= LEAF_KEYS, (path, meta)
        yield path, result, meta, depth


def leaves(job: Job, shape: str = "current") -> Iterator[tuple]:
    for result, meta in maps(job, shape):
        yield from walk(result, meta)


def field(path: str) -> str:
    """`line_items[3].amount` -> `line_items[].amount`."""
    return re.sub(r"\[\d+\]", "[]", path)


def target_pages(cfg: Job, doc_pages: int) -> list[int]:
    """The pages a job may cite, computed apart from the sandbox's own helper."""
    pages = list(range(1, doc_pages + 1))
    if cfg.get("target_pages"):
        wanted = set()
        for part in cfg["target_pages"].split(","):
            lo, _, hi = part.partition("-")
            wanted |= set(range(int(lo), int(hi or lo) + 1))
        pages = [p for p in pages if p in wanted]
    if cfg.get("max_pages") is not None:
        pages = pages[: cfg["max_pages"]]
    return pages or [1]


# ---------------------------------------------------------------- shapes


def test_list_items_carry_result_and_metadata(default_jobs: list[Job]) -> None:
    targets = Counter()
    for j in completed(default_jobs):
        target = j["configuration"]["extraction_target"]
        assert isinstance(j["extract_result"], dict if target == "per_doc" else list)
        assert "field_metadata" in j["extract_metadata"]
        fm = j["extract_metadata"]["field_metadata"]
        if fm is not None:
            assert list(fm) == [WRAPPER[target]]
            targets[target] += 1
    assert set(targets) == set(WRAPPER) and min(targets.values()) >= 10


def test_the_map_mirrors_the_result_down_to_the_leaves(default_jobs: list[Job]) -> None:
    arrays = 0
    for j in completed(default_jobs):
        if j["extract_metadata"]["field_metadata"] is None:
            continue
        target = j["configuration"]["extraction_target"]
        if target != "per_doc":  # one entry per page / row, as many as the result's items
            fm = j["extract_metadata"]["field_metadata"][WRAPPER[target]]
            assert isinstance(fm, list) and len(fm) == len(j["extract_result"])
        for path, _, _, depth in leaves(j):  # walk() asserts keys and lengths
            if "[" in path:
                arrays += 1
                assert depth >= 2
    assert arrays > 1000


def test_array_fields_carry_metadata_at_their_leaf_sub_fields(default_jobs: list[Job]) -> None:
    job = next(
        j
        for j in completed(default_jobs)
        if j["configuration"]["data_schema"]["title"] == "Invoice"
        and j["configuration"]["extraction_target"] == "per_doc"
        and j["configuration"].get("confidence_scores")
        and j["extract_result"]["line_items"]
    )
    doc = job["extract_metadata"]["field_metadata"]["document_metadata"]
    items = job["extract_result"]["line_items"]
    assert len(doc["line_items"]) == len(items)
    entry = doc["line_items"][0]["amount"]
    assert 0 <= entry["confidence"] <= 1
    assert set(doc["line_items"][0]) == set(items[0])  # no entry for the item itself
    assert "confidence" not in doc["line_items"][0]


def test_metadata_only_for_what_the_configuration_asks(default_jobs: list[Job]) -> None:
    seen: Counter[tuple[bool, bool]] = Counter()
    conf_on, conf_off = set(), set()
    for j in completed(default_jobs):
        cfg = j["configuration"]
        cite, conf = bool(cfg.get("cite_sources")), bool(cfg.get("confidence_scores"))
        fm = j["extract_metadata"]["field_metadata"]
        if "configuration_id" in j:
            (conf_on if conf else conf_off).add(j["configuration_id"])
        if not (cite or conf):
            assert fm is None
            seen[cite, conf] += 1
            continue
        n = 0
        for _, _, e, _ in leaves(j):
            assert ("citation" in e) == cite and ("confidence" in e) == conf
            n += 1
        seen[cite, conf] += n > 0
    assert set(seen) == {(True, True), (True, False), (False, True), (False, False)}
    assert len(conf_on) >= 4 and len(conf_off) >= 1  # saved configurations, both ways


def test_leaf_entries(default_jobs: list[Job]) -> None:
    keys: Counter[frozenset[str]] = Counter()
    boxes = reasons = 0
    for j in completed(default_jobs):
        if j["extract_metadata"]["field_metadata"] is None:
            continue
        cfg = j["configuration"]
        allowed = set(target_pages(cfg, input_pages(j["file_input"])))
        assert max(allowed) <= input_pages(j["file_input"])
        for path, value, e, depth in leaves(j):
            keys[frozenset(e)] += 1
            for k in ("confidence", "extraction_confidence", "parsing_confidence"):
                if k in e:
                    assert isinstance(e[k], float) and 0.0 <= e[k] <= 1.0, (path, e)
            if "parsing_confidence" in e:
                assert e["confidence"] == min(e["extraction_confidence"], e["parsing_confidence"])
            if "reasoning" in e:
                reasons += 1
                assert depth == 1 and isinstance(e["reasoning"], str) and e["reasoning"]
                assert cfg["tier"] in ("agentic", "agentic_plus")
            for c in e.get("citation", []):
                assert c["page"] in allowed, (path, c["page"], allowed)
                assert isinstance(c["matching_text"], str) and c["matching_text"]
                if isinstance(value, str) and "date" not in path and path != "payment_method":
                    assert c["matching_text"] == value
                if isinstance(value, float) and cfg.get("lang", "en") == "en":
                    assert float(c["matching_text"].replace(",", "")) == value
                dims = c.get("page_dimensions")
                assert ("bounding_boxes" in c) == (dims is not None) == (cfg["tier"] != "turbo")
                for b in c.get("bounding_boxes", []):
                    boxes += 1
                    assert b["x"] >= 0 and b["y"] >= 0 and b["w"] > 0 and b["h"] > 0
                    assert b["x"] + b["w"] <= dims["width"] and b["y"] + b["h"] <= dims["height"]
            if value is None and "citation" in e:
                assert e["citation"] == []
    assert boxes > 1000 and reasons > 100
    # some entries have only some of the keys
    assert frozenset({"citation"}) in keys and frozenset({"confidence"}) in keys
    assert frozenset({"confidence", "extraction_confidence", "parsing_confidence"}) in keys
    assert any("reasoning" in k for k in keys)


def test_per_page_cites_its_own_page_and_rows_go_down_the_pages() -> None:
    jobs = completed(Api(make(jobs=3000, seed=3)).list_all(EXPAND))
    per_page = rows = 0
    for j in jobs:
        fm = j["extract_metadata"]["field_metadata"]
        target = j["configuration"]["extraction_target"]
        if fm is None or not j["configuration"].get("cite_sources") or target == "per_doc":
            continue
        pages = []
        for result, meta in maps(j):
            cited = {c["page"] for _, _, e, _ in walk(result, meta) for c in e["citation"]}
            if cited:
                pages.append(min(cited))
                if target == "per_page":
                    assert len(cited) == 1
        if target == "per_page":
            per_page += 1
            assert pages == sorted(set(pages))  # one page each, ascending
        else:
            rows += 1
            assert pages == sorted(pages)
    assert per_page >= 10 and rows >= 10


# ---------------------------------------------------------------- the spread


def test_most_confidences_are_high_with_a_worse_tail_for_some_fields(
    default_jobs: list[Job],
) -> None:
    everything: list[float] = []
    by_pair: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_kind_field: dict[tuple[str, str], list[float]] = defaultdict(list)
    for j in completed(default_jobs):
        cfg = j["configuration"]
        if not cfg.get("confidence_scores"):
            continue
        kind = cfg["data_schema"]["title"]
        key = j.get("configuration_id", "inline")
        for path, _, e, _ in leaves(j):
            everything.append(e["confidence"])
            by_pair[key, field(path)].append(e["confidence"])
            by_kind_field[kind, field(path).rsplit(".", 1)[-1]].append(e["confidence"])

    def low(values: list[float]) -> float:
        return sum(v < 0.9 for v in values) / len(values)

    assert len(everything) > 3000
    overall = low(everything)
    assert overall < 0.2  # more than 80% at 0.9 or above
    assert any(v < 0.5 for v in everything)
    # the saved per_doc receipts configuration: totals and dates often low, merchants not
    receipts = next(
        j["configuration_id"]
        for j in default_jobs
        if "configuration_id" in j
        and j["configuration"]["data_schema"]["title"] == "Receipt"
        and j["configuration"]["extraction_target"] == "per_doc"
    )
    for name in ("total", "date"):
        assert low(by_pair[receipts, name]) >= max(0.4, 3 * overall), name
    assert low(by_pair[receipts, "merchant"]) < 0.2
    # line item amounts worse than their descriptions, receipt prices worse than names
    assert low(by_kind_field["Invoice", "amount"]) > 2 * low(
        by_kind_field["Invoice", "description"]
    )
    assert low(by_kind_field["Receipt", "price"]) > 2 * low(by_kind_field["Receipt", "name"])
    # a per-field review has a story: some pairs are markedly worse, most are fine
    pairs = {k: low(v) for k, v in by_pair.items() if len(v) >= 15}
    assert sum(s >= 0.25 for s in pairs.values()) >= 3
    assert sum(s < 0.1 for s in pairs.values()) > len(pairs) / 2


# ---------------------------------------------------------------- the seed shape


def test_the_seed_shape_is_the_older_answer(seed_shape_jobs: list[Job]) -> None:
    flat = listed = 0
    for j in completed(seed_shape_jobs):
        fm = j["extract_metadata"]["field_metadata"]
        if fm is None:
            continue
        target = j["configuration"]["extraction_target"]
        if target == "per_doc":
            assert list(fm) == list(j["extract_result"])  # the field map itself
            flat += 1
        else:
            assert list(fm) == [WRAPPER[target]]
            listed += 1
        for _, _, e, _ in leaves(j, "seed"):
            assert "citation" not in e
            if j["configuration"].get("cite_sources"):
                assert isinstance(e["citations"], list)
    assert flat >= 20 and listed >= 10


# ---------------------------------------------------------------- determinism and cost


def test_metadata_is_deterministic_and_changes_no_other_byte() -> None:
    a, b, c = Api(make(seed=5)), Api(make(seed=5)), Api(make(seed=6))
    query = [*EXPAND, ("page_size", "100")]
    assert (
        a.call("GET", "/api/v2/extract", query).body == b.call("GET", "/api/v2/extract", query).body
    )
    assert (
        a.call("GET", "/api/v2/extract", query).body != c.call("GET", "/api/v2/extract", query).body
    )
    with_meta = a.list_all([("expand", "extract_metadata")])
    without = a.list_all()
    assert len(with_meta) == len(without) == 304
    for full, plain in zip(with_meta, without, strict=True):
        assert {k: v for k, v in full.items() if k != "extract_metadata"} == plain
    got = a.get(with_meta[0]["id"], [("expand", "extract_metadata")])
    assert got["extract_metadata"] == with_meta[0]["extract_metadata"]
    done = next(j for j in with_meta if j["status"] == "COMPLETED")
    assert a.get(done["id"], [("expand", "extract_metadata"), ("expand", "usage")]) == done


def test_metadata_is_built_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = metadata.field_metadata

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(metadata, "field_metadata", counting)
    api = Api(make(jobs=200, seed=9))
    api.list_all([("expand", "configuration")])
    api.list_all()
    assert calls == []
    jobs = api.list_all([("expand", "extract_metadata")])
    assert len(calls) == len(completed(jobs)) > 100
