"""`lx jobs result`: an `extract_result` as rows for jsonl, csv, tsv and table.

- per_doc results are one object: one row.
- per_page / per_table_row results are an array of objects: one row each; an
  element that is not an object becomes `{"value": element}`.

Columns are the `--fields` paths (dot paths into each row, numbers index
arrays), or else the union of the rows' top-level keys in first-seen order.
Nested values are written as compact JSON by the csv/tsv/table renderers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llamaextract_cli.errors import UsageError
from llamaextract_cli.output.columns import Column, columns_for_keys


def result_rows(result: Any) -> list[dict[str, Any]]:
    """The rows of an extract_result (see the module docstring)."""
    items = result if isinstance(result, list) else [result]
    return [item if isinstance(item, dict) else {"value": item} for item in items]


def row_keys(rows: Sequence[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            keys.setdefault(key, None)
    return list(keys)


def parse_row_fields(text: str | None) -> list[str] | None:
    """`--fields` of `jobs result`: comma-separated dot paths into the rows, free-form."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise UsageError("--fields needs at least one field name")
    bad = [p for p in parts if not p or any(not s for s in p.split("."))]
    if bad:
        raise UsageError(f"--fields {text.strip()!r} has an empty name (check the commas and dots)")
    return list(dict.fromkeys(parts))


def result_columns(rows: Sequence[dict[str, Any]], fields: Sequence[str] | None) -> list[Column]:
    if fields:
        return [Column(name=f, min_width=6, flex=True) for f in fields]
    return columns_for_keys(row_keys(rows))
