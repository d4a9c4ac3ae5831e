"""JSON and JSON Lines, streamed item by item.

Each item is written exactly as received (every key, unknown ones included,
in the order the API sent them), unless a projection is given: then each item
becomes a flat object whose keys are the `--fields` paths in the order given,
`{"id": "ext-...", "usage.credits": 12.5}`, a missing path being null.

- `jsonl`: one compact object per line; nothing at all for zero items.
- `json`: one array, one compact item per line between `[` and `]`:

      [
      {"id":"ext-1",...},
      {"id":"ext-2",...}
      ]

  and `[]` for zero items; always a final newline.

Every record goes out in one `stream.write`, so a stream cut short (Ctrl-C,
`| head`) holds whole records only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

from llamaextract_cli.output.columns import Column
from llamaextract_cli.output.encode import dumps


def projector(columns: Sequence[Column] | None) -> Any:
    """`{column name: value}` of an item, or None to write items as they are."""
    if not columns:
        return None
    pairs = [(c.name, c.get) for c in columns]

    def project(item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: get(item) for name, get in pairs}

    return project


class JsonlRenderer:
    def __init__(self, stream: IO[str], columns: Sequence[Column] | None = None) -> None:
        self._stream = stream
        self._project = projector(columns)

    def write(self, item: Mapping[str, Any]) -> None:
        if self._project is not None:
            item = self._project(item)
        self._stream.write(dumps(item) + "\n")

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()


class JsonRenderer:
    def __init__(self, stream: IO[str], columns: Sequence[Column] | None = None) -> None:
        self._stream = stream
        self._project = projector(columns)
        self._sep = "[\n"
        self._closed = False

    def write(self, item: Mapping[str, Any]) -> None:
        if self._project is not None:
            item = self._project(item)
        self._stream.write(self._sep + dumps(item))
        self._sep = ",\n"

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stream.write("[]\n" if self._sep == "[\n" else "\n]\n")
        self._stream.flush()
