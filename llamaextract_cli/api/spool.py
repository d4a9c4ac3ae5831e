"""A first-in first-out queue of jobs that holds a few pages in memory, the rest on disk.

One writer (the worker fetching a time slice) and one reader (whoever writes the output).
While the slice is not due (an older slice is still being written out) everything goes
to an anonymous temporary file; once it is due, up to `budget` jobs wait in memory and
the rest spills to the file, so memory stays bounded whatever the reader's pace.

The file is `tempfile.TemporaryFile`: on Linux it has no name at all (O_TMPFILE), on
other POSIX systems it is unlinked as soon as it is created, so nothing is left behind
even when the process is killed; `close()` frees the space at once.

The caller passes the lock that guards the spool (the time slices share one condition);
every method but `write_file` and `decode` expects it held.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from typing import IO, Any

try:
    from orjson import dumps as _dumps
    from orjson import loads as _loads
except ImportError:  # pragma: no cover
    import json

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False).encode()

    _loads = json.loads  # type: ignore[assignment]

CHUNK = 1 << 17  # 128 KiB read back at a time: about a page of jobs


class Spool:
    def __init__(self, tmpdir: str | None = None) -> None:
        self.due = False
        self.budget = 0  # jobs that may wait in memory (0 until due)
        self.finished = False  # the writer is done
        self.memory: deque[dict[str, Any]] = deque()
        self._tmpdir = tmpdir
        self._file: IO[bytes] | None = None
        self._read = 0
        self._written = 0
        self._partial = b""
        self.spilled = 0  # jobs that went through the file

    # -- the writer ------------------------------------------------------------------------

    def to_memory(self, count: int) -> bool:
        """Whether `count` more jobs may be kept in memory (order is kept either way)."""
        return self.due and self._read == self._written and len(self.memory) + count <= self.budget

    def put_memory(self, items: list[dict[str, Any]]) -> None:
        self.memory.extend(items)

    @staticmethod
    def encode(items: list[dict[str, Any]]) -> bytes:
        return b"".join(_dumps(item) + b"\n" for item in items)

    def write_file(self, blob: bytes, count: int) -> None:
        if self._file is None:
            # closed by close(): the spool outlives any one block
            self._file = tempfile.TemporaryFile(prefix="lx-spool-", dir=self._tmpdir)  # noqa: SIM115
        os.pwrite(self._file.fileno(), blob, self._written)
        self._written += len(blob)
        self.spilled += count

    # -- the reader ------------------------------------------------------------------------

    def ready(self) -> bool:
        return bool(self.memory) or self._read < self._written or self.finished

    def take(self) -> tuple[list[dict[str, Any]] | bytes | None, bool]:
        """What is there to read: jobs, or a chunk of the file (bytes), and whether the
        spool is exhausted (finished and nothing left)."""
        if self.memory:
            items = list(self.memory)
            self.memory.clear()
            return items, False
        if self._file is not None and self._read < self._written:
            size = min(CHUNK, self._written - self._read)
            data = os.pread(self._file.fileno(), size, self._read)
            self._read += len(data)
            if self._read == self._written:  # caught up: start the file over
                self._read = self._written = 0
                self._file.truncate(0)
            return data, False
        return None, self.finished

    def decode(self, data: bytes) -> list[dict[str, Any]]:
        """Jobs of a file chunk; a line cut by the chunk's end waits for the next one."""
        data = self._partial + data
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        return [_loads(line) for line in data[:cut].splitlines() if line]

    def close(self) -> None:
        """Free the file (the space is released at once)."""
        self.memory.clear()
        if self._file is not None:
            self._file.close()
            self._file = None
