"""Group FAILED jobs by the shape of their error message.

`mask` replaces the variable parts of a message with readable placeholders so
that messages of one kind fall in one group:

==============  ==========================================================
placeholder     what it replaces
==============  ==========================================================
``<url>``       URLs (``https://…``, ``s3://…``, ``gs://…``, ``ftp://…``)
``<email>``     e-mail addresses
``<str>``       quoted text: ``'…'``, ``"…"``, ```…```
``<time>``      ISO dates and date-times, clock times (``12:30:05``)
``<id>``        UUIDs (any version; a parse job ID is a bare UUID, a file ID
                ``dfl-…``: both are "an ID" to the reader), prefixed IDs
                (``ext-…``, ``dfl-…``, ``cfg-…``, ``prj-…``,
                ``req_…`` and other ``word-``/``word_`` IDs holding a digit),
                hex strings of 8+ digits, ``0x…`` values
``<path>``      file paths (``/tmp/a/b``, ``./x``, ``~/x``, ``C:\\x``)
``<file>``      file names with a known extension (``scan_0042.pdf``)
``<size>``      sizes (``12MB``, ``3.5 GiB``, ``512 bytes``)
``<n>``         numbers: integers and decimals, alone or before a unit
                (``300s`` becomes ``<n>s``)
==============  ==========================================================

Runs of white space become one space. Masking is idempotent: a pattern masks
to itself.

`ErrorGroups` takes jobs one at a time and keeps, per pattern, the count, the
first and last `created_at`, one example and the newest `ids_per_group` job
IDs: memory grows with the number of patterns, not of jobs.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from llamaextract_cli.timeparse import parse_api_time

NO_MESSAGE = "(no error message)"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_PATTERN = 500

_ID_PREFIXES = (
    "ext|dfl|cfg|prj|org|req|pjb|pj|job|run|file|doc|usr|user|sess|tok|key|llx|idx|pipe|batch|"
    "task|trace|span|chk|msg|evt|sub|inv|acct"
)
_FILE_EXTS = (
    "pdf|docx?|xlsx?|xlsm|pptx?|csv|tsv|txt|rtf|odt|ods|odp|md|html?|xml|json|jsonl|eml|msg|"
    "png|jpe?g|gif|bmp|tiff?|webp|heic|heif|svg|zip|rar|7z|gz|tgz|tar|pages|numbers|key|dwg|"
    "epub|mobi|ps|eps|wav|mp3|mp4|mov|yaml|yml"
)
_W = r"A-Za-z0-9_"  # a word character, ASCII only, so accents never split a token

_PARTS: tuple[tuple[str, str], ...] = (
    ("url", r"\b(?:https?|s3|gs|ftp|file|wss?)://[^\s'\"<>()\[\]{}]+[^\s'\".,;:!?<>()\[\]{}]"),
    ("email", rf"(?<![{_W}.+-])[{_W}.+-]+@[{_W}-]+(?:\.[{_W}-]+)+"),
    ("str", r"(?<![A-Za-z0-9_>])(?:'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`)"),
    (
        "time",
        r"(?<![0-9])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
        r"(?:Z|[+-]\d{2}:?\d{2})?)?(?![0-9])"
        r"|(?<![0-9:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![0-9:])",
    ),
    (
        "uuid",
        r"(?<![A-Za-z0-9_-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
        r"[0-9a-fA-F]{12}(?![A-Za-z0-9_-])",
    ),
    (
        "path",
        r"(?<![A-Za-z0-9_<>./~-])(?:[A-Za-z]:\\|~/|\.{1,2}/|/)(?=[A-Za-z0-9_.~-])"
        r"[A-Za-z0-9_.~\-/\\]*",
    ),
    (
        "file",
        rf"(?<![{_W}<>./-])(?i:[{_W}-]+(?:\.[{_W}-]+)*\.(?:{_FILE_EXTS}))(?![{_W}-])",
    ),
    ("id", rf"(?<![{_W}<-])(?:{_ID_PREFIXES})[-_](?=[{_W}-]*[0-9])[A-Za-z0-9][{_W}-]*"),
    ("id2", rf"(?<![{_W}<-])[A-Za-z][A-Za-z0-9]{{1,9}}[-_](?=[{_W}-]*[0-9])[{_W}-]{{6,}}"),
    (
        "hex",
        r"(?<![A-Za-z0-9_-])(?:0x[0-9a-fA-F]+|(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])"
        r"[0-9a-fA-F]{8,})(?![A-Za-z0-9_-])",
    ),
    ("size", r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)?\s?(?:[KMGTP]i?B|[kK]B|bytes|B)(?![A-Za-z0-9_])"),
    ("n", r"(?<![A-Za-z0-9.])\d+(?:[.,]\d+)*"),
)
_PLACEHOLDER = {
    "url": "<url>",
    "email": "<email>",
    "str": "<str>",
    "time": "<time>",
    "uuid": "<id>",
    "path": "<path>",
    "file": "<file>",
    "id": "<id>",
    "id2": "<id>",
    "hex": "<id>",
    "size": "<size>",
    "n": "<n>",
}
_MASK_RE = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _PARTS))
_SPACES = re.compile(r"\s+")


def _one_pass(text: str) -> str:
    return _MASK_RE.sub(lambda m: _PLACEHOLDER[m.lastgroup or "n"], text)


def mask(message: str) -> str:
    """The shape of an error message: variable parts replaced by placeholders."""
    text = _SPACES.sub(" ", message).strip()
    for _ in range(4):  # to a fixed point, so that mask(mask(m)) == mask(m)
        masked = _one_pass(text)
        if masked == text:
            break
        text = masked
    if len(text) > MAX_PATTERN:
        text = text[: MAX_PATTERN - 1] + "…"
    return text or NO_MESSAGE


def pattern_of(job: Mapping[str, Any]) -> str:
    message = job.get("error_message")
    if not isinstance(message, str) or not message.strip():
        return NO_MESSAGE
    return mask(message)


@dataclass
class _Group:
    pattern: str
    count: int = 0
    first: datetime | None = None
    first_raw: str | None = None
    last: datetime | None = None
    last_raw: str | None = None
    example_id: str | None = None
    example_message: str | None = None
    newest: list[tuple[datetime, str]] = field(default_factory=list)  # a min-heap

    def add(self, job: Mapping[str, Any], when: datetime | None, keep: int) -> None:
        self.count += 1
        raw = job.get("created_at")
        job_id = str(job.get("id", ""))
        if when is not None:
            if self.first is None or when < self.first:
                self.first, self.first_raw = when, raw
            # The newest job is the example; equal times are ordered by ID, as the
            # API's newest-first listing and the job_ids kept below order them.
            if self.last is None or (when, job_id) > (self.last, self.example_id or ""):
                self.last, self.last_raw = when, raw
                self.example_id = job_id
                message = job.get("error_message")
                self.example_message = message if isinstance(message, str) else None
        elif self.example_id is None:
            self.example_id = job_id
            message = job.get("error_message")
            self.example_message = message if isinstance(message, str) else None
        if keep > 0:
            entry = (when or _EPOCH, job_id)
            if len(self.newest) < keep:
                heapq.heappush(self.newest, entry)
            elif entry > self.newest[0]:
                heapq.heapreplace(self.newest, entry)

    def as_dict(self, total: int) -> dict[str, Any]:
        ids = [job_id for _, job_id in sorted(self.newest, reverse=True)]
        return {
            "pattern": self.pattern,
            "count": self.count,
            "share": self.count / total if total else None,
            "first_seen": self.first_raw,
            "last_seen": self.last_raw,
            "example_job_id": self.example_id,
            "example_message": self.example_message,
            "job_ids": ids,
        }


class ErrorGroups:
    """Accumulate FAILED jobs into groups by masked error message."""

    def __init__(self, ids_per_group: int = 20) -> None:
        self.ids_per_group = ids_per_group
        self.total = 0
        self._groups: dict[str, _Group] = {}

    def add(self, job: Mapping[str, Any]) -> None:
        pattern = pattern_of(job)
        group = self._groups.get(pattern)
        if group is None:
            group = self._groups[pattern] = _Group(pattern)
        raw = job.get("created_at")
        when = parse_api_time(raw) if isinstance(raw, str) else None
        group.add(job, when, self.ids_per_group)
        self.total += 1

    def add_all(self, jobs: Iterable[Mapping[str, Any]]) -> ErrorGroups:
        for job in jobs:
            self.add(job)
        return self

    def __len__(self) -> int:
        return len(self._groups)

    def groups(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Most frequent first; ties: most recent last_seen first, then pattern."""
        ordered = sorted(
            self._groups.values(),
            key=lambda g: (-g.count, -(g.last or _EPOCH).timestamp(), g.pattern),
        )
        if limit is not None:
            ordered = ordered[:limit]
        return [g.as_dict(self.total) for g in ordered]
