"""jobs/schema.py: the leaf fields a data_schema declares, in schema order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llamaextract_cli.jobs.schema import array_items, columns, leaf_paths

INVOICE = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "vendor": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/Address"}},
        },
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"description": {"type": "string"}, "amount": {"type": "number"}},
            },
        },
        "tags": {"type": "array", "items": {"type": "string"}},
        "total": {"type": "number"},
    },
    "$defs": {"Address": {"type": "object", "properties": {"city": {}, "zip": {"type": "string"}}}},
}


def test_columns_in_schema_order() -> None:
    assert columns(INVOICE) == [
        "invoice_number",
        "vendor.name",
        "vendor.address.city",
        "vendor.address.zip",
        "line_items",
        "tags",
        "total",
    ]


def test_leaf_paths_enter_arrays() -> None:
    assert leaf_paths(INVOICE) == [
        "invoice_number",
        "vendor.name",
        "vendor.address.city",
        "vendor.address.zip",
        "line_items.*.description",
        "line_items.*.amount",
        "tags.*",
        "total",
    ]


CASES: list[tuple[str, Any, list[str], list[str]]] = [
    ("not a schema", "x", [], []),
    ("no properties", {"type": "object"}, [], []),
    ("properties of an odd kind", {"properties": [1, 2]}, [], []),
    ("a boolean sub-schema", {"properties": {"a": True}}, ["a"], ["a"]),
    (
        "optional object via anyOf",
        {"properties": {"p": {"anyOf": [{"type": "null"}, {"properties": {"q": {}}}]}}},
        ["p.q"],
        ["p.q"],
    ),
    (
        "allOf merged",
        {"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
        ["a", "b"],
        ["a", "b"],
    ),
    (
        "array via a type list",
        {"properties": {"l": {"type": ["array", "null"], "items": {"properties": {"x": {}}}}}},
        ["l"],
        ["l.*.x"],
    ),
    ("array without items", {"properties": {"l": {"type": "array"}}}, ["l"], ["l.*"]),
    (
        "a cyclic $ref stops at its second visit",
        {
            "properties": {"n": {"$ref": "#/$defs/N"}},
            "$defs": {"N": {"properties": {"n": {"$ref": "#/$defs/N"}}}},
        },
        ["n.n"],
        ["n.n"],
    ),
    ("a dangling $ref is a leaf", {"properties": {"a": {"$ref": "#/$defs/Nope"}}}, ["a"], ["a"]),
]


@pytest.mark.parametrize(
    ("schema", "cols", "leaves"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_shapes(schema: Any, cols: list[str], leaves: list[str]) -> None:
    assert columns(schema) == cols
    assert leaf_paths(schema) == leaves


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "properties", "items", "$ref", "anyOf", "allOf", "a", "b"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(schema=json_values)
def test_never_crashes(schema: Any) -> None:
    assert isinstance(columns(schema), list)
    assert isinstance(leaf_paths(schema), list)


def test_array_items() -> None:
    [(name, item)] = array_items(INVOICE)
    assert name == "line_items"
    assert columns(item) == ["description", "amount"]
    assert array_items("x") == [] and array_items({"properties": {"t": {"type": "array"}}}) == []
    referenced = {
        "properties": {"rows": {"type": "array", "items": {"$ref": "#/$defs/R"}}},
        "$defs": {
            "R": {"properties": {"a": {"$ref": "#/$defs/A"}}},
            "A": {"properties": {"b": {}}},
        },
    }
    [(_, row)] = array_items(referenced)
    assert columns(row) == ["a.b"]


@settings(max_examples=200, deadline=None)
@given(schema=json_values)
def test_array_items_never_crash(schema: Any) -> None:
    assert isinstance(array_items(schema), list)
