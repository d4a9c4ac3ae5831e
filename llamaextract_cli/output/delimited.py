"""CSV and TSV: a header row, then one row per item.

Flattening rule (one cell per column, the same for csv and tsv):

- a missing field or null is an empty cell;
- text is written as is; numbers as JSON writes them (`12`, `12.5`);
- booleans are `true` / `false`;
- objects and arrays are compact JSON in the cell (`{"total":3}`, `[1,2]`).

CSV follows RFC 4180: a cell that holds a comma, a double quote, a CR or a LF
is wrapped in double quotes, with inner quotes doubled; rows end with `\\n`.
TSV never quotes: in every cell (header included) a backslash becomes `\\\\`,
a tab `\\t`, a newline `\\n` and a carriage return `\\r`, so every row is
exactly one line with one tab between cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

from llamaextract_cli.output.columns import Column
from llamaextract_cli.output.encode import dumps


def flatten(value: Any) -> str:
    """The text of one csv/tsv cell (see the module docstring)."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value)
    if isinstance(value, (dict, list, tuple)):
        return dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_NEEDS_QUOTES = frozenset(',"\r\n')


def csv_cell(text: str) -> str:
    """RFC 4180 quoting: a cell with a comma, quote, CR or LF is quoted, quotes doubled.

    (The csv module quotes only for its own line terminator, so a lone CR in a
    `\n`-terminated file would go out bare and split the row when read back.)
    """
    if _NEEDS_QUOTES.isdisjoint(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_row(cells: Sequence[str]) -> str:
    """One CSV line, written with a single stream.write so output holds whole rows."""
    return ",".join(map(csv_cell, cells)) + "\n"


class _DelimitedRenderer:
    """A header row, then one row per item; `_row` turns cells into one whole line."""

    def __init__(self, stream: IO[str], columns: Sequence[Column]) -> None:
        self._stream = stream
        self._columns = columns
        self._getters = [c.get for c in columns]
        self._started = False
        self._closed = False

    @staticmethod
    def _row(cells: Sequence[str]) -> str:
        raise NotImplementedError

    def _header(self) -> None:
        self._started = True
        self._stream.write(self._row([c.name for c in self._columns]))

    def write(self, item: Mapping[str, Any]) -> None:
        if not self._started:
            self._header()
        self._stream.write(self._row([flatten(get(item)) for get in self._getters]))

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._started:
                self._header()
            self._stream.flush()


class CsvRenderer(_DelimitedRenderer):
    _row = staticmethod(csv_row)


def tsv_escape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


def tsv_row(cells: Sequence[str]) -> str:
    """One TSV line: cells escaped, joined by tabs."""
    return "\t".join(map(tsv_escape, cells)) + "\n"


class TsvRenderer(_DelimitedRenderer):
    _row = staticmethod(tsv_row)
