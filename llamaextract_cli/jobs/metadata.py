"""A job's extract_result as leaf values, each with its field metadata (confidence, citation).

Pure: no terminal, no HTTP, stdlib only. Used by `jobs result --metadata`, `jobs export
--metadata`, `jobs review` and the panel of `jobs get`.

What is read (`extract_metadata.field_metadata`, from `expand=extract_metadata`):

- per_doc (the result is an object): `document_metadata`, keyed like the result; an
  older answer puts that map directly under `field_metadata`.
- array results (per_page, per_table_row): `row_metadata` or `page_metadata`, one entry
  per result item (the one named by `configuration.extraction_target` first, else
  whichever is a list). An entry is keyed like its item.
- Metadata mirrors the result: nested objects nest; arrays carry a list with one entry per
  element (metadata at the leaf sub-fields, `line_items.0.amount`); a map keyed "0", "1",
  ... is read as such a list.
- A leaf entry is an object with any of `confidence`, `extraction_confidence`,
  `parsing_confidence` (numbers; numeric strings are read), `citation` or `citations` (a
  list of `{page, matching_text, ...}`; one object counts as a list of one), `reasoning`.
  A bare number is read as a confidence, a bare list as the citations.
- An entry found at an object or array field (not at the result's top level) applies to
  the leaves below it that have none of their own.

The walk follows the RESULT, never the metadata: every leaf value of the result yields
exactly one `Leaf` (a scalar, null, or an empty object or array), whatever its metadata
is: absent, null, or of an unexpected kind (then the metadata columns are None). Keys of
the metadata that the result lacks are ignored. A result that is itself a scalar (or an
array item that is not an object) is one leaf with the field "" (the empty path).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

ROOT = ""  # the field of a leaf that is the whole row (a scalar result or array item)

CONFIDENCE_KEYS = ("confidence", "extraction_confidence", "parsing_confidence")
CITATION_KEYS = ("citation", "citations")
STRUCTURE_KEYS = ("document_metadata", "page_metadata", "row_metadata")


class Leaf(NamedTuple):
    """One leaf value of a result, with what its metadata says about it (immutable; fields
    by name or in this order)."""

    row: int | None  # None for a per_doc result, else the 0-based index of the array item
    field: str  # dot path with indices inside the row: "line_items.0.amount" ("" = the row)
    value: Any  # as received: a scalar, None, {} or []
    confidence: float | None  # the entry's confidence, else min(extraction, parsing), else None
    extraction_confidence: float | None
    parsing_confidence: float | None
    page: int | None  # the first cited page (as the service numbers it)
    citation: str | None  # the first cited matching_text
    reasoning: str | None
    citations: Any  # the entry's `citation` (else `citations`) as received, or None

    @property
    def has_metadata(self) -> bool:
        return any(v is not None for v in self[3:])


def collapse(field: str) -> str:
    """The field path with array indices as `*`: "line_items.0.amount" -> "line_items.*.amount"."""
    return ".".join("*" if _is_index(s) else s for s in field.split("."))


def leaves(job: Mapping[str, Any]) -> Iterator[Leaf]:
    """Every leaf value of the job's extract_result with its metadata, in result order.

    Nothing for a job without a result (extract_result absent or null). Never raises on
    odd data: a job that is not a mapping yields nothing.
    """
    if not isinstance(job, Mapping):
        return
    result = job.get("extract_result")
    if result is None:
        return
    extract_metadata = job.get("extract_metadata")
    field_metadata = (
        extract_metadata.get("field_metadata") if isinstance(extract_metadata, Mapping) else None
    )
    yield from result_leaves(result, field_metadata, target=_target(job))


def result_leaves(result: Any, field_metadata: Any, *, target: str | None = None) -> Iterator[Leaf]:
    """`leaves` of a bare result and its `field_metadata` (`target`: per_doc, per_page, ...)."""
    out: list[Leaf] = []
    if isinstance(result, list):
        metas = _row_metadata(field_metadata, target)
        for index, item in enumerate(result):
            out.clear()
            _walk(item, _item(metas, index), index, ROOT, None, out)
            yield from out
    else:
        _walk(result, _document_metadata(field_metadata, result), None, ROOT, None, out)
        yield from out


# --- where the metadata of a result is ------------------------------------------------------


def _target(job: Mapping[str, Any]) -> str | None:
    config = job.get("configuration")
    target = config.get("extraction_target") if isinstance(config, Mapping) else None
    return target if isinstance(target, str) else None


def _document_metadata(field_metadata: Any, result: Any) -> Any:
    if not isinstance(field_metadata, Mapping):
        return None
    keys = result.keys() if isinstance(result, Mapping) else ()
    # The current form has document_metadata (or its siblings); the older one is the field
    # map itself. A result field named like one of those keys means the older form.
    if any(k in field_metadata and k not in keys for k in STRUCTURE_KEYS):
        return field_metadata.get("document_metadata")
    return field_metadata


def _row_metadata(field_metadata: Any, target: str | None) -> Any:
    if isinstance(field_metadata, list):  # older: the per-item list itself
        return field_metadata
    if not isinstance(field_metadata, Mapping):
        return None
    order = ["row_metadata", "page_metadata", "document_metadata"]
    if target == "per_page":
        order = ["page_metadata", "row_metadata", "document_metadata"]
    for key in order:
        value = field_metadata.get(key)
        if isinstance(value, list) or (isinstance(value, Mapping) and _indexed(value)):
            return value
    return None


# --- the walk ---------------------------------------------------------------------------


# `inherited` is a chain `(meta, parent chain)` of the entries of the objects and arrays
# above a value (not the row itself): read only when a leaf has no metadata of its own.
Chain = tuple[Any, Any] | None


def _walk(value: Any, meta: Any, row: int | None, path: str, chain: Chain, out: list[Leaf]) -> None:
    kind = type(value)
    if kind is dict or (kind not in _SCALARS and kind is not list and isinstance(value, Mapping)):
        if not value:
            out.append(_leaf_of(row, path, value, meta, chain))
            return
        here = chain if path == ROOT else (meta, chain)
        children = meta if type(meta) is dict or isinstance(meta, Mapping) else _EMPTY
        for key, child in value.items():
            name = key if type(key) is str else str(key)
            sub = children.get(key) if key in children else children.get(name)
            _walk(child, sub, row, f"{path}.{name}" if path else name, here, out)
    elif kind is list:
        if not value:
            out.append(_leaf_of(row, path, value, meta, chain))
            return
        here = chain if path == ROOT else (meta, chain)
        for index, child in enumerate(value):
            sub = _item(meta, index)
            _walk(child, sub, row, f"{path}.{index}" if path else str(index), here, out)
    else:
        out.append(_leaf_of(row, path, value, meta, chain))


_SCALARS = frozenset((str, int, float, bool, type(None)))
_EMPTY: Mapping[str, Any] = {}


def _leaf_of(row: int | None, path: str, value: Any, meta: Any, chain: Chain) -> Leaf:
    """The leaf with its own entry, else the nearest entry above it that says something."""
    leaf = _leaf(row, path, value, meta)
    while chain is not None and _bare(leaf):
        entry, chain = chain
        if _usable(entry):
            return _leaf(row, path, value, entry)
    return leaf


def _bare(leaf: Leaf) -> bool:
    """No confidence, page, cited text or reasoning (citations as received may be [])."""
    return (
        leaf.confidence is None
        and leaf.extraction_confidence is None
        and leaf.parsing_confidence is None
        and leaf.page is None
        and leaf.citation is None
        and leaf.reasoning is None
    )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _item(metas: Any, index: int) -> Any:
    if isinstance(metas, list):
        return metas[index] if index < len(metas) else None
    if isinstance(metas, Mapping):
        return metas.get(str(index), metas.get(index))  # type: ignore[call-overload]
    return None


def _indexed(value: Mapping[Any, Any]) -> bool:
    return bool(value) and all(_is_index(str(k)) for k in value)


def _is_index(segment: str) -> bool:
    return segment.isascii() and segment.isdigit()


# --- reading one entry ----------------------------------------------------------------------


def _usable(meta: Any) -> bool:
    """True when `meta` says something about a value (a confidence, citations, reasoning)."""
    if isinstance(meta, bool):
        return False
    if isinstance(meta, (int, float)):
        return _number(meta) is not None
    if isinstance(meta, list):
        return _cited(meta)
    if not isinstance(meta, Mapping):
        return False
    if any(_number(meta.get(k)) is not None for k in CONFIDENCE_KEYS):
        return True
    if any(_citation_list(meta.get(k)) for k in CITATION_KEYS):
        return True
    return isinstance(meta.get("reasoning"), str)


def _cited(items: list[Any]) -> bool:
    return any(isinstance(c, Mapping) and ("page" in c or "matching_text" in c) for c in items)


_NOTHING = (None, None, None, None, None, None, None)


def _leaf(row: int | None, path: str, value: Any, entry: Any) -> Leaf:
    if type(entry) is not dict:
        if isinstance(entry, (int, float)) and not isinstance(entry, bool):
            return Leaf(row, path, value, _number(entry), None, None, None, None, None, None)
        if isinstance(entry, list):
            entry = {"citation": entry}
        elif not isinstance(entry, Mapping):
            return Leaf(row, path, value, *_NOTHING)
    get = entry.get
    extraction = _number(get("extraction_confidence"))
    parsing = _number(get("parsing_confidence"))
    confidence = _number(get("confidence"))
    if confidence is None:
        if extraction is None:
            confidence = parsing
        elif parsing is None:
            confidence = extraction
        else:
            confidence = min(extraction, parsing)
    raw = get("citation")
    if raw is None:
        raw = get("citations")
    page = cited_text = None
    if raw is not None:
        if type(raw) is list and raw and type(raw[0]) is dict:  # the usual case, first
            first = raw[0]
            page, cited_text = _page(first.get("page")), _text(first.get("matching_text"))
        if page is None or cited_text is None:
            cited = _citation_list(raw)
            if page is None:
                page = _first(cited, "page", _page)
            if cited_text is None:
                cited_text = _first(cited, "matching_text", _text)
    elif "page" in entry or "matching_text" in entry:  # a citation where the entry was expected
        page, cited_text = _page(get("page")), _text(get("matching_text"))
    reasoning = get("reasoning")
    if reasoning is not None and type(reasoning) is not str:
        reasoning = _text(reasoning)
    return Leaf(row, path, value, confidence, extraction, parsing, page, cited_text, reasoning, raw)


def _citation_list(raw: Any) -> list[Mapping[str, Any]]:
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, list):
        return [c for c in raw if isinstance(c, Mapping)]
    return []


def _first(citations: Sequence[Mapping[str, Any]], key: str, read: Any) -> Any:
    for citation in citations:
        value = read(citation.get(key))
        if value is not None:
            return value
    return None


def _number(value: Any) -> float | None:
    """A finite number from a number or a numeric string; None for anything else."""
    if type(value) is float:  # the usual case, first
        return value if value - value == 0.0 else None  # NaN and infinities are not numbers
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _page(value: Any) -> int | None:
    if type(value) is int:
        return value
    number = _number(value)
    if number is None or number != int(number):
        return None
    return int(number)


def _text(value: Any) -> str | None:
    """A string as is; another non-null value as compact JSON; None for null."""
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):  # a circular structure
        return str(value)
