"""`lx jobs result`: an `extract_result` as rows for jsonl, csv, tsv and table.

- per_doc results are one object: one row.
- per_page / per_table_row results are an array of objects: one row each; an
  element that is not an object becomes `{"value": element}`.

Columns are the `--fields` paths (dot paths into each row, numbers index
arrays), or else the union of the rows' top-level keys in first-seen order.
Nested values are written as compact JSON by the csv/tsv/table renderers.
`write_result` prints a result in the format asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

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


def project_value(value: Any, fields: Sequence[str] | None) -> Any:
    """A result (or each of its rows) cut down to `fields`; what is not an object, as is."""
    from llamaextract_cli.output.jobs_out import project

    if not fields:
        return value
    if isinstance(value, list):
        return [project(row, fields) if isinstance(row, dict) else row for row in value]
    return project(value, fields) if isinstance(value, dict) else value


def write_result(
    stream: IO[str],
    result: Any,
    fmt: str | None,
    fields: Sequence[str] | None,
    *,
    pretty: bool,
    color: bool,
) -> bool:
    """An extract_result: an array as rows in `fmt`; an object as one JSON value unless
    `fmt` is jsonl (one line) or csv/tsv/table (one row). False when there was no row
    and no column to show (nothing was written)."""
    from llamaextract_cli.output.jobs_out import write_value

    if isinstance(result, list):
        assert fmt is not None, "an array is written in the format in effect"
        return write_rows(stream, result, fmt, fields, pretty=pretty, color=color)
    if fmt in ("csv", "tsv", "table", "wide"):
        return write_rows(stream, [result], fmt, fields, pretty=pretty, color=color)
    if fmt == "jsonl":
        from llamaextract_cli.output.encode import dumps

        stream.write(dumps(project_value(result, fields)) + "\n")
    else:
        write_value(stream, project_value(result, fields), pretty=pretty, fmt=fmt or "json")
    return True


def write_rows(
    stream: IO[str],
    result: list[Any],
    fmt: str,
    fields: Sequence[str] | None,
    *,
    pretty: bool,
    color: bool,
) -> bool:
    """The rows of `result` in `fmt` (`json`: the array as received, cut to `fields`)."""
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.jobs_out import write_value

    if fmt in ("json", "yaml"):  # the array as received (yaml: a document per item)
        write_value(stream, project_value(result, fields), pretty=pretty, fmt=fmt)
        return True
    rows = result_rows(result)
    columns = result_columns(rows, fields) if (fields or fmt != "jsonl") else None
    if columns is not None and not columns:  # no rows, no keys: nothing to show
        return False
    renderer = make_renderer(fmt, stream, columns=columns, color=color)
    for row in rows:
        renderer.write(row)
    renderer.close()
    return True
