"""Every way `lx` prints items: one renderer per format behind one interface.

    renderer = make_renderer("jsonl", env.stdout, fields=["id", "usage.credits"])
    try:
        for job in jobs:
            renderer.write(job)   # one item exactly as the API sent it
        renderer.flush()          # e.g. after each page
    finally:
        renderer.close()          # closes the JSON array; [] for zero items

Formats: `json` (one array, streamed), `jsonl` (one object a line), `yaml` (one
document per item, see `output.yamlout`), `csv`,
`tsv` (header, then one row per item; see `output.delimited` for the
flattening rule), `table` (a streaming fixed-width table fitted to the
terminal; see `output.table`) and `wide` (the same table with every column
whole, whatever the width). Renderers write only to the stream they are given and know
nothing of HTTP. Each format's module is imported only when that format is
asked for; none of them imports rich.

Projection: with `fields` (dot paths, see `llamaextract_cli.jobs.fields`), json and
jsonl write `{path: value}` objects keyed by the paths in the order given, and
csv/tsv/table show those paths as columns. With `columns` (a list of `Column`)
the caller decides everything (`jobs result` rows, other commands); the json
formats then project onto `Column.name`. With neither, json/jsonl carry items
untouched and csv/tsv/table use the `jobs list` defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llamaextract_cli.output.columns import Column

from llamaextract_cli.choices import FORMATS, TABLE_FORMATS

__all__ = ["FORMATS", "TABLE_FORMATS", "Column", "Renderer", "make_renderer"]


class Renderer(Protocol):
    def write(self, item: Mapping[str, Any]) -> None:
        """Render one item (a job, or a row) exactly as received."""

    def flush(self) -> None:
        """Push what has been written so far to the stream (e.g. after a page)."""

    def close(self) -> None:
        """Finish the output (close the JSON array, flush); once, also after 0 items."""


def make_renderer(
    fmt: str,
    stream: IO[str],
    *,
    fields: Sequence[str] | None = None,
    columns: Sequence[Column] | None = None,
    color: bool = False,
    width: int | None = None,
    now: datetime | None = None,
    absolute_times: bool = False,
    constant: Mapping[str, str] | None = None,
) -> Renderer:
    """The renderer of `fmt` writing to `stream`.

    `fields`: validated `--fields` paths (`fields.parse_fields`). `columns`:
    explicit columns; they win over `fields`. `color`, `width`, `now`,
    `absolute_times` and `constant` only matter to the tables
    (`width` defaults to COLUMNS or the terminal's width; `now` to the current
    time, for "3m ago"; `constant`: column name -> the value the query fixes for
    every row, e.g. {"status": "FAILED"}). A table decides its layout when first
    flushed: flush once the first page is written.
    """
    from llamaextract_cli.output.columns import columns_for_fields

    cols: Sequence[Column] | None = columns
    if cols is None and fields:
        cols = columns_for_fields(fields)
    if fmt == "jsonl":
        from llamaextract_cli.output.jsonout import JsonlRenderer

        return JsonlRenderer(stream, cols)
    if fmt == "json":
        from llamaextract_cli.output.jsonout import JsonRenderer

        return JsonRenderer(stream, cols)
    if fmt == "yaml":
        from llamaextract_cli.output.yamlout import YamlRenderer

        return YamlRenderer(stream, cols)
    if fmt in ("csv", "tsv"):
        from llamaextract_cli.output.columns import CSV_COLUMNS

        if fmt == "csv":
            from llamaextract_cli.output.delimited import CsvRenderer

            return CsvRenderer(stream, cols or CSV_COLUMNS)
        from llamaextract_cli.output.delimited import TsvRenderer

        return TsvRenderer(stream, cols or CSV_COLUMNS)
    if fmt in TABLE_FORMATS:
        from llamaextract_cli.output.columns import TABLE_COLUMNS, WIDE_COLUMNS
        from llamaextract_cli.output.table import TableRenderer

        wide = fmt == "wide"
        return TableRenderer(
            stream,
            cols or (WIDE_COLUMNS if wide else TABLE_COLUMNS),
            color=color,
            width=width,
            now=now,
            absolute_times=absolute_times,
            wide=wide,
            constant=constant if cols is None else None,  # only the default columns give way
        )
    raise ValueError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")


def __getattr__(name: str) -> Any:
    # `from llamaextract_cli.output import Column` without importing it eagerly.
    if name == "Column":
        from llamaextract_cli.output.columns import Column

        return Column
    raise AttributeError(name)
