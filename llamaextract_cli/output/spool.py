"""Rows parked on disk until a csv/tsv header can be known: fixed memory for any count.

A `RowSpool` writes each row as one JSON line to an anonymous temporary file
(`tempfile.TemporaryFile`: on POSIX it has no name from the start, so the file is gone
when the process ends however it ends, Ctrl-C and kill included; elsewhere it is removed
when closed). `rows()` reads them back in the order written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

from llamaextract_cli.errors import LxError
from llamaextract_cli.output.encode import dumps


def _loads() -> Callable[[str], Any]:
    try:
        import orjson

        return orjson.loads
    except ImportError:  # pragma: no cover - orjson is installed where we test
        import json

        return json.loads


class RowSpool:
    def __init__(self, directory: str | None = None) -> None:
        try:
            self._file: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 (closed by close())
                mode="w+", encoding="utf-8", newline="\n", prefix="lx-export-", dir=directory
            )
        except OSError as e:
            raise LxError(
                f"cannot create a temporary file to hold rows until the header is known: "
                f"{e.strerror or e}",
                hint="set TMPDIR to a writable directory, or use -o jsonl",
            ) from None
        self.count = 0

    def write(self, row: Mapping[str, Any]) -> None:
        try:
            self._file.write(dumps(row) + "\n")
        except OSError as e:  # a full disk
            raise LxError(
                f"cannot write the temporary file that holds rows until the header is known: "
                f"{e.strerror or e}",
                hint="free space in the temporary directory (TMPDIR), or use -o jsonl",
            ) from None
        self.count += 1

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows written, in order (once)."""
        loads = _loads()
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield loads(line)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
