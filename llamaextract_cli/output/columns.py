"""Columns: what a row-shaped format (csv, tsv, table) shows of each item.

A `Column` names a value and how to get it from an item (a dot path into a
job, a plain key of a row, or any function), plus hints for the table: its
header, its kind (text, status, time, duration), whether it may be
truncated, whether it takes the slack of the terminal width, and whether it may
be dropped on a narrow terminal, and whether a value too long for its column
continues on a second line (error messages). The same spec feeds every format:
csv and tsv write `name` as the header and the raw value; the table formats it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from llamaextract_cli.jobs.fields import compile_path, job_duration_seconds, job_input

Kind = Literal["text", "status", "time", "duration"]
Getter = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """One column of csv/tsv/table output.

    - ``name``: csv/tsv header, json key when a renderer projects items by
      columns, and the default path.
    - ``path``: dot path read with `fields.get_path` semantics (default: name).
    - ``getter``: any function of the item; overrides ``path``.
    - ``header``: table header (default: ``name.upper()``).
    - ``kind``: how a table formats the value: ``time`` (ISO text shown as
      `3m ago` or `2026-11-29 14:03:12`), ``duration`` (seconds shown as
      `3m05s`), ``status`` (coloured), ``text`` (anything else).
    - ``min_width``: a table never truncates it below this width.
    - ``truncate``: False for values that must stay whole (IDs, statuses).
    - ``flex``: takes the slack; shrunk first when the terminal is narrow.
    - ``drop``: >0 makes the column secondary: a table shows it only when it fits
      whole beside every other column at its natural width; lower is kept first.
    - ``wrap``: a value longer than a column narrower than ``keep + 1`` cells is
      not cut: the words that fit stay in the column and the rest continues on an
      indented line of its own (error messages: their first ``keep`` characters
      are always on the screen at 80 columns).
    """

    name: str
    path: str | None = None
    getter: Getter | None = None
    header: str | None = None
    kind: Kind = "text"
    min_width: int = 4
    truncate: bool = True
    flex: bool = False
    drop: int = 0
    wrap: bool = False
    keep: int = 0
    get: Getter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        getter = self.getter or compile_path(self.path or self.name)
        object.__setattr__(self, "get", getter)
        if self.header is None:
            object.__setattr__(self, "header", self.name.upper())

    @classmethod
    def for_path(cls, path: str) -> Column:
        """A column for a `--fields` path; known job fields get a fitting kind."""
        preset = _PATH_PRESETS.get(path)
        if preset is not None:
            return cls(name=path, header=path.upper(), **preset)
        return cls(name=path, min_width=6, flex=True)

    @classmethod
    def for_key(cls, key: str, **options: Any) -> Column:
        """A column for a plain key of a flat row dict (dots are not paths here)."""
        return cls(name=key, getter=lambda item, _k=key: item.get(_k), **options)


ERROR_KEEP = 40  # characters of an error message always on the screen at 80 columns
_WHOLE: dict[str, Any] = {"truncate": False}  # IDs are never cut
_ERROR: dict[str, Any] = {"min_width": 20, "flex": True, "wrap": True, "keep": ERROR_KEEP}

_PATH_PRESETS: dict[str, dict[str, Any]] = {
    "id": _WHOLE,
    "status": {"kind": "status", "min_width": 9, "truncate": False},
    "created_at": {"kind": "time", "min_width": 8},
    "updated_at": {"kind": "time", "min_width": 8},
    "duration_seconds": {"kind": "duration", "min_width": 8},
    "input": _WHOLE,
    "file_input": _WHOLE,
    "document_input_value": _WHOLE,
    "configuration_id": _WHOLE,
    "project_id": _WHOLE,
    "extract_metadata.parse_job_id": _WHOLE,
    "error_message": _ERROR,
}


def columns_for_fields(fields: Iterable[str]) -> list[Column]:
    return [Column.for_path(f) for f in fields]


def columns_for_keys(keys: Iterable[str]) -> list[Column]:
    """Columns for rows of arbitrary flat dicts (`jobs result` rows)."""
    return [Column.for_key(k, min_width=6, flex=True) for k in keys]


def config_label(job: Mapping[str, Any]) -> str | None:
    """configuration_id; `inline` for a job whose configuration came without an ID."""
    cid = job.get("configuration_id")
    if cid is not None:
        return cid
    return "inline" if job.get("configuration") is not None else None


# `lx jobs list` in a terminal. ID, STATUS, CREATED and ERROR always; the error gets
# the width they leave. DURATION, INPUT, CONFIG (in that order) only when they fit whole
# beside the whole error messages: input and configuration are IDs, never cut.
TABLE_COLUMNS: tuple[Column, ...] = (
    Column("id", header="ID", truncate=False),
    Column("status", header="STATUS", kind="status", min_width=9, truncate=False),
    Column("input", getter=job_input, header="INPUT", truncate=False, drop=2),
    Column("config", getter=config_label, header="CONFIG", truncate=False, drop=3),
    Column("created_at", header="CREATED", kind="time", min_width=8),
    Column("duration", getter=job_duration_seconds, header="DURATION", kind="duration", drop=1),
    Column("error_message", header="ERROR", **_ERROR),
)

# `-o wide`: every column, whole, whatever the width (the terminal wraps long lines).
WIDE_COLUMNS: tuple[Column, ...] = (
    *TABLE_COLUMNS[:5],
    Column("updated_at", header="UPDATED", kind="time", min_width=8),
    *TABLE_COLUMNS[5:],
)

# `lx jobs watch`: the time that matters is the last change.
WATCH_COLUMNS: tuple[Column, ...] = (
    TABLE_COLUMNS[0],
    TABLE_COLUMNS[1],
    Column("updated_at", header="UPDATED", kind="time", min_width=8),
    Column("created_at", header="CREATED", kind="time", min_width=8, drop=1),
    Column("duration", getter=job_duration_seconds, header="DURATION", kind="duration", drop=2),
    Column("input", getter=job_input, header="INPUT", truncate=False, drop=3),
    TABLE_COLUMNS[-1],
)

# `lx jobs list -o csv|tsv` without --fields.
CSV_COLUMNS: tuple[Column, ...] = (
    Column("id"),
    Column("status"),
    Column("created_at"),
    Column("updated_at"),
    Column("input", getter=job_input),
    Column("configuration_id"),
    Column("project_id"),
    Column("error_message"),
    Column("pages", path="metadata.usage.num_pages_extracted"),
    Column("credits", path="usage.credits"),
)
