"""Rows parked on disk until a csv/tsv header can be known: fixed memory for any count.

A `RowSpool` writes each row as one JSON line to an anonymous temporary file
(`tempfile.TemporaryFile`: on POSIX it has no name from the start, so the file is gone
when the process ends however it ends, Ctrl-C and kill included; elsewhere it is removed
when closed). `rows()` reads them back in the order written. The file is binary and
rows are encoded with orjson when it is installed (no text layer in between).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

from llamaextract_cli.errors import LxError
from llamaextract_cli.output.encode import dumps


def _codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is installed where we test
        import json

        return (lambda row: dumps(row).encode()), json.loads
    fast = orjson.dumps
    refused = (TypeError, orjson.JSONEncodeError)

    def encode(row: Any) -> bytes:
        try:
            return fast(row)
        except refused:  # integers beyond 64 bits and the like: the standard library
            return dumps(row).encode()

    return encode, orjson.loads


BUFFER = 1 << 20  # bytes written to the file at a time


class RowSpool:
    def __init__(self, directory: str | None = None) -> None:
        try:
            self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115 (closed by close())
                mode="w+b", buffering=BUFFER, prefix="lx-export-", dir=directory
            )
        except OSError as e:
            raise LxError(
                f"cannot create a temporary file to hold rows until the header is known: "
                f"{e.strerror or e}",
                hint="set TMPDIR to a writable directory, or use -o jsonl",
            ) from None
        self._encode, self._decode = _codec()
        self.count = 0

    def write(self, row: Mapping[str, Any]) -> None:
        try:
            self._file.write(self._encode(row) + b"\n")
        except OSError as e:  # a full disk
            raise LxError(
                f"cannot write the temporary file that holds rows until the header is known: "
                f"{e.strerror or e}",
                hint="free space in the temporary directory (TMPDIR), or use -o jsonl",
            ) from None
        self.count += 1

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows written, in order (once)."""
        decode = self._decode
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield decode(line)

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
