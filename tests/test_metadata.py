"""jobs/metadata.py: a result's leaf values with their field metadata, over every shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llamaextract_cli.jobs.metadata import Leaf, collapse, leaves, result_leaves

CITE = [
    {
        "page": 2,
        "matching_text": "Total: 120.00",
        "bounding_boxes": [{"x": 1, "y": 2, "w": 3, "h": 4}],
        "page_dimensions": {"width": 612, "height": 792},
    }
]


def job(result: Any, field_metadata: Any = None, target: str | None = None) -> dict[str, Any]:
    j: dict[str, Any] = {"id": "ext-1", "status": "COMPLETED", "extract_result": result}
    if field_metadata is not None:
        j["extract_metadata"] = {"field_metadata": field_metadata}
    if target:
        j["configuration"] = {"extraction_target": target}
    return j


def flat(j: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(row, field, value, confidence, page, citation) of every leaf."""
    return [(x.row, x.field, x.value, x.confidence, x.page, x.citation) for x in leaves(j)]


def test_document_metadata_per_doc() -> None:
    j = job(
        {"total": 120.0, "vendor": "ACME"},
        {
            "document_metadata": {
                "total": {
                    "citation": CITE,
                    "extraction_confidence": 0.97,
                    "parsing_confidence": 0.91,
                    "reasoning": "printed on page 2",
                },
                "vendor": {"confidence": 0.5},
            }
        },
    )
    total, vendor = leaves(j)
    assert total == Leaf(
        row=None,
        field="total",
        value=120.0,
        confidence=0.91,
        extraction_confidence=0.97,
        parsing_confidence=0.91,
        page=2,
        citation="Total: 120.00",
        reasoning="printed on page 2",
        citations=CITE,
    )
    assert (vendor.field, vendor.confidence, vendor.page, vendor.citations) == (
        "vendor",
        0.5,
        None,
        None,
    )


# (name, result, field_metadata, target, expected (row, field, value, confidence, page, citation))
CASES: list[tuple[str, Any, Any, str | None, list[tuple[Any, ...]]]] = [
    (
        "older map directly under field_metadata",
        {"a": 1},
        {"a": {"confidence": 0.8, "citations": CITE}},
        None,
        [(None, "a", 1, 0.8, 2, "Total: 120.00")],
    ),
    (
        "result field named document_metadata: the older form",
        {"document_metadata": "x"},
        {"document_metadata": {"confidence": 0.4}},
        None,
        [(None, "document_metadata", "x", 0.4, None, None)],
    ),
    (
        "nested objects nest",
        {"vendor": {"name": "ACME", "address": {"city": "Oslo"}}},
        {"document_metadata": {"vendor": {"name": {"confidence": 0.9}, "address": {"city": 0.7}}}},
        None,
        [
            (None, "vendor.name", "ACME", 0.9, None, None),
            (None, "vendor.address.city", "Oslo", 0.7, None, None),
        ],
    ),
    (
        "arrays with metadata at the leaf sub-fields",
        {"line_items": [{"amount": 1}, {"amount": 2}]},
        {
            "document_metadata": {
                "line_items": [
                    {"amount": {"confidence": 0.6}},
                    {"amount": {"citation": [{"page": 3}]}},
                ]
            }
        },
        None,
        [
            (None, "line_items.0.amount", 1, 0.6, None, None),
            (None, "line_items.1.amount", 2, None, 3, None),
        ],
    ),
    (
        "array metadata as a map keyed by index",
        {"tags": ["a", "b"]},
        {"document_metadata": {"tags": {"1": {"confidence": 0.3}}}},
        None,
        [(None, "tags.0", "a", None, None, None), (None, "tags.1", "b", 0.3, None, None)],
    ),
    (
        "an entry at the array field applies to the elements",
        {"tags": ["a", "b"]},
        {"document_metadata": {"tags": {"confidence": 0.75}}},
        None,
        [(None, "tags.0", "a", 0.75, None, None), (None, "tags.1", "b", 0.75, None, None)],
    ),
    (
        "a leaf's own entry wins over the inherited one",
        {"v": {"x": 1, "y": 2}},
        {"v": {"confidence": 0.5, "x": {"confidence": 0.9}}},
        None,
        [(None, "v.x", 1, 0.9, None, None), (None, "v.y", 2, 0.5, None, None)],
    ),
    (
        "row_metadata per item",
        [{"n": 1}, {"n": 2}, {"n": 3}],
        {"row_metadata": [{"n": {"confidence": 0.1}}, None]},
        "per_table_row",
        [
            (0, "n", 1, 0.1, None, None),
            (1, "n", 2, None, None, None),
            (2, "n", 3, None, None, None),
        ],
    ),
    (
        "page_metadata for per_page, even beside row_metadata",
        [{"n": 1}],
        {
            "page_metadata": [{"n": {"confidence": 0.2}}],
            "row_metadata": [{"n": {"confidence": 0.9}}],
        },
        "per_page",
        [(0, "n", 1, 0.2, None, None)],
    ),
    (
        "page_metadata when no target is known",
        [{"n": 1}],
        {"page_metadata": [{"n": {"confidence": 0.2}}]},
        None,
        [(0, "n", 1, 0.2, None, None)],
    ),
    (
        "a string confidence is read, a word is not",
        {"a": 1, "b": 2},
        {"a": {"confidence": "0.93"}, "b": {"confidence": "high", "extraction_confidence": 0.4}},
        None,
        [(None, "a", 1, 0.93, None, None), (None, "b", 2, 0.4, None, None)],
    ),
    (
        "lower of extraction and parsing; one alone is itself",
        {"a": 1, "b": 2},
        {
            "a": {"extraction_confidence": 0.9, "parsing_confidence": 0.7},
            "b": {"parsing_confidence": 0.6},
        },
        None,
        [(None, "a", 1, 0.7, None, None), (None, "b", 2, 0.6, None, None)],
    ),
    (
        "booleans, NaN and infinity are not confidences",
        {"a": 1, "b": 2, "c": 3},
        {
            "a": {"confidence": True},
            "b": {"confidence": float("nan")},
            "c": {"confidence": float("inf")},
        },
        None,
        [
            (None, "a", 1, None, None, None),
            (None, "b", 2, None, None, None),
            (None, "c", 3, None, None, None),
        ],
    ),
    (
        "a list where an object was expected",
        {"a": {"x": 1}},
        {"document_metadata": [1, 2]},
        None,
        [(None, "a.x", 1, None, None, None)],
    ),
    (
        "a bare list of citations as the entry",
        {"a": 1},
        {"a": [{"page": 5, "matching_text": "one"}]},
        None,
        [(None, "a", 1, None, 5, "one")],
    ),
    (
        "a citation object instead of a list",
        {"a": 1},
        {"a": {"citation": {"page": "4", "matching_text": "t"}}},
        None,
        [(None, "a", 1, None, 4, "t")],
    ),
    (
        "citations with odd items: first usable page and text",
        {"a": 1},
        {
            "a": {
                "citations": [
                    "junk",
                    {"page": None},
                    {"page": 2.5},
                    {"page": 7, "matching_text": 12},
                    {"matching_text": "late"},
                ]
            }
        },
        None,
        [(None, "a", 1, None, 7, "12")],
    ),
    (
        "entry keys of the wrong kind",
        {"a": 1},
        {"a": {"confidence": [0.9], "citation": "page 3", "reasoning": None}},
        None,
        [(None, "a", 1, None, None, None)],
    ),
    (
        "field_metadata of an odd kind",
        {"a": 1},
        "nothing",
        None,
        [(None, "a", 1, None, None, None)],
    ),
    (
        "null, empty object and empty array are leaves",
        {"a": None, "b": {}, "c": []},
        {"a": {"confidence": 0.2}, "b": {"confidence": 0.3}, "c": {"confidence": 0.4}},
        None,
        [
            (None, "a", None, 0.2, None, None),
            (None, "b", {}, 0.3, None, None),
            (None, "c", [], 0.4, None, None),
        ],
    ),
    (
        "metadata keys the result lacks are ignored",
        {"a": 1},
        {"a": {"confidence": 0.9}, "ghost": {"confidence": 0.1}},
        None,
        [(None, "a", 1, 0.9, None, None)],
    ),
    (
        "an array item that is not an object",
        [{"n": 1}, "loose", None],
        {"row_metadata": [{"n": 0.5}, {"confidence": 0.4}, "odd"]},
        None,
        [
            (0, "n", 1, 0.5, None, None),
            (1, "", "loose", 0.4, None, None),
            (2, "", None, None, None, None),
        ],
    ),
    (
        "a scalar result",
        "just text",
        None,
        None,
        [(None, "", "just text", None, None, None)],
    ),
    (
        "an empty array result has no leaves",
        [],
        {"row_metadata": []},
        None,
        [],
    ),
    (
        "document-level confidence is not spread over the fields",
        {"a": 1},
        {"document_metadata": {"confidence": 0.1, "a": {}}},
        None,
        [(None, "a", 1, None, None, None)],
    ),
    (
        "a result key that is also an entry key",
        {"confidence": "high", "x": 1},
        {"document_metadata": {"confidence": {"confidence": 0.8}, "x": {"confidence": 0.6}}},
        None,
        [(None, "confidence", "high", 0.8, None, None), (None, "x", 1, 0.6, None, None)],
    ),
]


@pytest.mark.parametrize(
    ("result", "meta", "target", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_shapes(
    result: Any, meta: Any, target: str | None, expected: list[tuple[Any, ...]]
) -> None:
    assert flat(job(result, meta, target)) == expected


def test_reasoning_and_citations_as_received() -> None:
    raw = [{"page": 1, "matching_text": "A", "extra": {"k": 1}}, "junk"]
    [leaf] = leaves(job({"a": "A"}, {"a": {"citations": raw, "reasoning": ["two", "parts"]}}))
    assert leaf.citations is raw
    assert leaf.reasoning == '["two","parts"]'
    assert leaf.has_metadata


def test_no_metadata_still_every_leaf() -> None:
    [leaf] = leaves(job({"a": 1}))
    assert leaf == Leaf(None, "a", 1, None, None, None, None, None, None, None)
    assert not leaf.has_metadata


def test_job_without_result_or_not_a_mapping() -> None:
    assert list(leaves({"id": "ext-1", "status": "FAILED"})) == []
    assert list(leaves("nope")) == []  # type: ignore[arg-type]
    assert list(leaves({"extract_result": {"a": 1}, "extract_metadata": "x"})) == [
        Leaf(None, "a", 1, None, None, None, None, None, None, None)
    ]


def test_result_leaves_bare() -> None:
    got = list(result_leaves([{"a": 1}], {"row_metadata": [{"a": {"confidence": 0.5}}]}))
    assert [(x.row, x.field, x.confidence) for x in got] == [(0, "a", 0.5)]


@pytest.mark.parametrize(
    ("field", "collapsed"),
    [
        ("line_items.0.amount", "line_items.*.amount"),
        ("a.10.b.2", "a.*.b.*"),
        ("total", "total"),
        ("", ""),
        ("x1.y", "x1.y"),
    ],
)
def test_collapse(field: str, collapsed: str) -> None:
    assert collapse(field) == collapsed


# --- never crashes, never drops a value -------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=25,
)
keys = st.sampled_from(
    [
        "confidence",
        "extraction_confidence",
        "parsing_confidence",
        "citation",
        "citations",
        "reasoning",
        "page",
        "matching_text",
        "document_metadata",
        "page_metadata",
        "row_metadata",
        "a",
        "b",
        "0",
        "1",
    ]
)
meta_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(keys | st.text(max_size=3), inner, max_size=5)
    ),
    max_leaves=30,
)


def scalar_leaves(value: Any) -> list[Any]:
    """The leaf values of `value`, independently of the module: scalars, {} and []."""
    if isinstance(value, dict) and value:
        return [x for v in value.values() for x in scalar_leaves(v)]
    if isinstance(value, list) and value:
        return [x for v in value for x in scalar_leaves(v)]
    return [value]


def expected_values(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, list):
        return [x for item in result for x in scalar_leaves(item)]
    return scalar_leaves(result)


def same(a: list[Any], b: list[Any]) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@settings(max_examples=400, deadline=None)
@given(
    result=json_values,
    meta=meta_values,
    target=st.none() | st.sampled_from(["per_doc", "per_page", "per_table_row"]),
)
def test_never_crashes_never_drops(result: Any, meta: Any, target: str | None) -> None:
    j = job(result, None, target)
    j["extract_metadata"] = {"field_metadata": meta}
    got = list(leaves(j))
    assert same([x.value for x in got], expected_values(result))
    for leaf in got:
        assert leaf.row is None if not isinstance(result, list) else isinstance(leaf.row, int)
        for c in (leaf.confidence, leaf.extraction_confidence, leaf.parsing_confidence):
            assert c is None or isinstance(c, float)
        assert leaf.page is None or isinstance(leaf.page, int)
        assert leaf.citation is None or isinstance(leaf.citation, str)
        assert leaf.reasoning is None or isinstance(leaf.reasoning, str)


@settings(max_examples=200, deadline=None)
@given(extract_metadata=meta_values, result=json_values)
def test_any_extract_metadata(extract_metadata: Any, result: Any) -> None:
    j = {
        "extract_result": result,
        "extract_metadata": extract_metadata,
        "configuration": extract_metadata,
    }
    assert same([x.value for x in leaves(j)], expected_values(result))
