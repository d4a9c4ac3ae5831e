"""Jobs' extract_results as rows: the rows of `jobs result A B...` and `jobs export`.

Pure, stdlib only.

- Wide rows (`wide_rows`): one per job for a per_doc result (`row` null), one per item
  for an array result (`row` the 0-based index); an item that is not an object becomes
  `{"value": item}`. Each row is `job_id`, (`input`,) `row`, then the result's fields as
  received (nested). A result field named like one of those leading keys is kept as
  `result.<name>` (`result.job_id`), never overwritten.
- Long rows (`long_rows`, `--metadata`): one per leaf value (`jobs.metadata.leaves`):
  `job_id`, (`input`,) `row`, `field`, `value`, `confidence`, `extraction_confidence`,
  `parsing_confidence`, `page`, `citation`, `reasoning`, `citations` (as received; the
  delimited formats leave it out).
- `flat_keys(row)`: the column names a wide row has in csv/tsv/table: nested objects as
  dot paths (`vendor.name`); arrays and empty objects are one column each.
- `cell_getter(column)`: reads such a column (or a `--fields` path, numbers indexing
  arrays) from a row; a key that itself holds dots (`result.job_id`) is found too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from llamaextract_cli.jobs.fields import job_input
from llamaextract_cli.jobs.metadata import leaves

RENAMED_PREFIX = "result."

LONG_FIELDS: tuple[str, ...] = (
    "field",
    "value",
    "confidence",
    "extraction_confidence",
    "parsing_confidence",
    "page",
    "citation",
    "reasoning",
)


def identity(with_input: bool) -> tuple[str, ...]:
    """The leading keys of every row."""
    return ("job_id", "input", "row") if with_input else ("job_id", "row")


def long_columns(with_input: bool) -> tuple[str, ...]:
    """The columns of `--metadata` rows in csv/tsv/table (no `citations`)."""
    return (*identity(with_input), *LONG_FIELDS)


def renamed(key: str, reserved: tuple[str, ...]) -> str:
    """The name a result field takes in a row: `result.job_id` for a reserved name."""
    return RENAMED_PREFIX + key if key in reserved else key


def wide_rows(job: Mapping[str, Any], *, with_input: bool = False) -> Iterator[dict[str, Any]]:
    """The wide rows of one job (nothing when it has no extract_result)."""
    result = job.get("extract_result")
    if result is None:
        return
    head = identity(with_input)
    job_id = job.get("id")
    source = job_input(job) if with_input else None
    items = enumerate(result) if isinstance(result, list) else [(None, result)]
    reserved = frozenset(head)
    for index, item in items:
        row: dict[str, Any] = {"job_id": job_id}
        if with_input:
            row["input"] = source
        row["row"] = index
        fields = item if isinstance(item, Mapping) else {"value": item}
        if reserved.isdisjoint(fields):  # the usual case: no field to rename
            row.update(fields)
        else:
            for key, value in fields.items():
                name = renamed(str(key), head)
                if name not in row:
                    row[name] = value
        yield row


def long_rows(job: Mapping[str, Any], *, with_input: bool = False) -> Iterator[dict[str, Any]]:
    """The `--metadata` rows of one job: one per leaf value of its result."""
    job_id = job.get("id")
    source = job_input(job) if with_input else None
    for leaf in leaves(job):
        row: dict[str, Any] = {"job_id": job_id}
        if with_input:
            row["input"] = source
        row["row"] = leaf.row
        row["field"] = leaf.field
        row["value"] = leaf.value
        row["confidence"] = leaf.confidence
        row["extraction_confidence"] = leaf.extraction_confidence
        row["parsing_confidence"] = leaf.parsing_confidence
        row["page"] = leaf.page
        row["citation"] = leaf.citation
        row["reasoning"] = leaf.reasoning
        row["citations"] = leaf.citations
        yield row


def flat_keys(row: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """The dot-path column names of a wide row, in its order (see the module docstring)."""
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flat_keys(value, name + ".")
        else:
            yield name


def covered(key: str, value_is_empty: bool, columns: set[str], prefixes: set[str]) -> bool:
    """Whether column `key` of a row is shown by a header of `columns`.

    `prefixes`: every proper dot prefix of the columns ("vendor" of "vendor.name").
    A key below a column ("meta.x" under "meta") is shown in that column's JSON; a key
    above columns ("vendor" when the schema has "vendor.name") loses nothing only when
    its value is null or empty.
    """
    if key in columns:
        return True
    if key in prefixes:
        return value_is_empty
    parts = key.split(".")
    return any(".".join(parts[:i]) in columns for i in range(1, len(parts)))


def dot_prefixes(columns: list[str]) -> set[str]:
    out: set[str] = set()
    for column in columns:
        parts = column.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return out


@lru_cache(maxsize=1024)
def cell_getter(column: str) -> Callable[[Mapping[str, Any]], Any]:
    """A function reading `column` from a wide or long row (None when it is absent)."""
    if "." not in column:

        def plain(row: Mapping[str, Any]) -> Any:
            return row.get(column)

        return plain
    segments = tuple(column.split("."))

    def dotted(row: Mapping[str, Any]) -> Any:
        return _walk(row, segments)

    return dotted


def _walk(node: Any, segments: tuple[str, ...]) -> Any:
    """Follow `segments`, at each object trying the longest dotted key first."""
    i, n = 0, len(segments)
    while i < n:
        if isinstance(node, Mapping):
            for j in range(n, i, -1):
                key = segments[i] if j == i + 1 else ".".join(segments[i:j])
                if key in node:
                    node = node[key]
                    i = j
                    break
            else:
                return None
        elif isinstance(node, list) and segments[i].isascii() and segments[i].isdigit():
            index = int(segments[i])
            if index >= len(node):
                return None
            node = node[index]
            i += 1
        else:
            return None
    return node
