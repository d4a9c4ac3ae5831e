"""The fields a configuration's `data_schema` (JSON Schema) declares, in schema order.

Pure, stdlib only, tolerant: a schema of an unexpected shape declares nothing rather
than raising. Read: `properties` (in order), `items` of arrays, local `$ref`s
(`#/$defs/X`, `#/definitions/X`, cycles stopped), `allOf` (merged), `anyOf`/`oneOf`
(the first alternative that declares fields, so an optional object `{anyOf: [{object},
{null}]}` still counts), and `type` lists such as `["object", "null"]`.

- `columns(schema)`: the dot paths of the leaf fields as rows show them in csv/tsv
  (`vendor.name`); an array is one column (its value is written as JSON).
- `leaf_paths(schema)`: every leaf field, arrays entered with `*`
  (`line_items.*.amount`), as `metadata.collapse` writes a leaf's field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MAX_DEPTH = 32


def columns(schema: Any) -> list[str]:
    """Leaf dot paths of an object schema, arrays as one column; [] when it declares none."""
    return list(dict.fromkeys(_paths(schema, schema, "", enter_arrays=False, seen=())))


def leaf_paths(schema: Any) -> list[str]:
    """Leaf dot paths of an object schema with arrays entered as `*`."""
    return list(dict.fromkeys(_paths(schema, schema, "", enter_arrays=True, seen=())))


def _paths(
    node: Any, root: Any, path: str, *, enter_arrays: bool, seen: tuple[str, ...]
) -> Iterator[str]:
    node, seen = _resolve(node, root, seen)
    if not isinstance(node, Mapping) or len(seen) > MAX_DEPTH or path.count(".") > MAX_DEPTH:
        if path:
            yield path
        return
    props = _properties(node, root, seen)
    if props:
        for name, sub in props.items():
            child = f"{path}.{name}" if path else str(name)
            yield from _paths(sub, root, child, enter_arrays=enter_arrays, seen=seen)
        return
    items = _items(node, root, seen)
    if enter_arrays and items is not None and path:
        inner = list(_paths(items, root, f"{path}.*", enter_arrays=True, seen=seen))
        yield from inner or [f"{path}.*"]
        return
    if path:
        yield path


def _resolve(node: Any, root: Any, seen: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    for _ in range(MAX_DEPTH):
        if not isinstance(node, Mapping):
            return node, seen
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            return node, seen
        seen = (*seen, ref)
        target: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        if target is None:
            return node, seen
        node = target
    return node, seen


def _alternatives(node: Mapping[str, Any], root: Any, seen: tuple[str, ...]) -> list[Any]:
    out: list[Any] = []
    for key in ("allOf", "anyOf", "oneOf"):
        value = node.get(key)
        if isinstance(value, list):
            out.extend(_resolve(v, root, seen)[0] for v in value)
    return out


def _properties(node: Mapping[str, Any], root: Any, seen: tuple[str, ...]) -> dict[str, Any]:
    props = node.get("properties")
    merged: dict[str, Any] = dict(props) if isinstance(props, Mapping) else {}
    all_of = node.get("allOf")
    for sub in all_of if isinstance(all_of, list) else ():
        sub = _resolve(sub, root, seen)[0]
        if isinstance(sub, Mapping):
            for k, v in _properties(sub, root, seen).items():
                merged.setdefault(k, v)
    if merged:
        return merged
    for key in ("anyOf", "oneOf"):
        alternatives = node.get(key)
        for sub in alternatives if isinstance(alternatives, list) else ():
            sub = _resolve(sub, root, seen)[0]
            if isinstance(sub, Mapping):
                found = _properties(sub, root, seen)
                if found:
                    return found
    return {}


def _items(node: Mapping[str, Any], root: Any, seen: tuple[str, ...]) -> Any:
    kinds = node.get("type")
    is_array = kinds == "array" or (isinstance(kinds, list) and "array" in kinds)
    items = node.get("items")
    if isinstance(items, Mapping) and (is_array or kinds is None):
        return items
    if is_array:
        return {}
    for sub in _alternatives(node, root, seen):
        if isinstance(sub, Mapping):
            found = _items(sub, root, seen)
            if found is not None:
                return found
    return None


def array_items(schema: Any) -> list[tuple[str, dict[str, Any]]]:
    """The top-level array fields of an object schema whose items are objects, with those
    item schemas (`[("line_items", {...})]`): what a per_table_row row may follow. Each
    item schema carries the root's `$defs` / `definitions`, so its `$ref`s still resolve."""
    node, seen = _resolve(schema, schema, ())
    if not isinstance(node, Mapping):
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for name, sub in _properties(node, schema, seen).items():
        sub, sub_seen = _resolve(sub, schema, seen)
        if not isinstance(sub, Mapping):
            continue
        items = _resolve(_items(sub, schema, sub_seen), schema, sub_seen)[0]
        if isinstance(items, Mapping) and _properties(items, schema, sub_seen):
            item = dict(items)
            for key in ("$defs", "definitions"):
                if isinstance(schema, Mapping) and key in schema and key not in item:
                    item[key] = schema[key]
            out.append((str(name), item))
    return out
