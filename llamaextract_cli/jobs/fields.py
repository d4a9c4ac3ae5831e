"""The fields of an ExtractV2Job that `--fields` can pick, and how to read them.

Pure and light (loaded by `jobs list` before any HTTP): no I/O, stdlib only.

A field is a dot path into the job as the API sends it: `status`,
`usage.credits`, `configuration.tier`, `extract_result.0.total`. Paths are
case-sensitive. A path is valid when it is

- one of ``KNOWN_FIELDS`` (both job shapes: the seed's `document_input_value`
  and `metadata.usage`, the current `file_input` and top-level `usage`);
- below a free-form map, where any deeper key is allowed: ``extract_result.``,
  ``configuration.data_schema.``, ``extract_metadata.field_metadata.``,
  ``metadata.`` and ``usage.`` (keys that contain a dot cannot be addressed);
- a known field followed by numeric segments that index into an array
  (`configuration.sheet_names.0`).

Two virtual fields are computed: ``input`` (`file_input` or
`document_input_value`, whichever the job has) and ``duration_seconds``
(`updated_at - created_at` for a terminal job, else null). A job that carries a
real key of the same name wins over the computation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.timeparse import parse_api_time

KNOWN_FIELDS: dict[str, str] = {
    "id": "job ID (ext-...)",
    "status": "PENDING, THROTTLED, RUNNING, COMPLETED, FAILED or CANCELLED",
    "created_at": "creation time (ISO 8601, UTC)",
    "updated_at": "time of the last status change (ISO 8601, UTC)",
    "project_id": "project the job belongs to",
    "input": "virtual: file_input or document_input_value, whichever the job has",
    "file_input": "file ID or parse job ID extracted (current API shape)",
    "document_input_value": "file ID or parse job ID extracted (seed API shape)",
    "configuration_id": "saved extract configuration used, if any",
    "error_message": "error details when the job FAILED",
    "duration_seconds": "virtual: updated_at - created_at for terminal jobs, else null",
    "configuration": "the full configuration (needs --expand configuration)",
    "configuration.data_schema": "JSON Schema of the fields to extract (any key below)",
    "configuration.advanced_citations": "advanced citations requested",
    "configuration.cite_sources": "citations requested",
    "configuration.confidence_scores": "confidence scores requested",
    "configuration.disable_cache": "cache disabled",
    "configuration.extract_version": "extract algorithm version (seed shape)",
    "configuration.version": "extract version name such as 2.5 or latest",
    "configuration.extraction_target": "per_doc, per_page or per_table_row",
    "configuration.lang": "ISO 639-1 language code of the document",
    "configuration.max_pages": "maximum number of pages processed",
    "configuration.parse_config_id": "saved parse configuration used",
    "configuration.parse_tier": "parse tier before extraction",
    "configuration.sheet_names": "spreadsheet sheets processed",
    "configuration.spreadsheet_mode": "spreadsheet mode",
    "configuration.system_prompt": "custom system prompt",
    "configuration.target_pages": "pages processed, e.g. 1,3,5-7",
    "configuration.tier": "extract tier: cost_effective, agentic, ...",
    "extract_metadata": "extraction metadata (needs --expand extract_metadata)",
    "extract_metadata.field_metadata": "per-field citations and confidence (any key below)",
    "extract_metadata.field_metadata.document_metadata": "document-level metadata by field",
    "extract_metadata.field_metadata.page_metadata": "per-page metadata (per_page)",
    "extract_metadata.field_metadata.row_metadata": "per-row metadata (per_table_row)",
    "extract_metadata.parse_job_id": "parse job the extraction read",
    "extract_metadata.parse_tier": "parse tier used",
    "extract_result": "extracted data: an object (per_doc) or an array (any key below)",
    "metadata": "job-level metadata (any key below)",
    "metadata.usage": "usage metrics",
    "metadata.usage.num_document_tokens": "document tokens",
    "metadata.usage.num_output_tokens": "output tokens",
    "metadata.usage.num_pages_extracted": "pages extracted",
    "metadata.usage.num_pages_billed": "pages billed",
    "usage": "credits (current API shape; any key below)",
    "usage.credits": "total credits",
    "usage.extract_credits": "extraction credits",
    "usage.parse_credits": "parse credits",
}

# Below these prefixes any key is accepted: their contents are user data or
# open-ended maps the service keeps extending.
FREE_FORM_PREFIXES: tuple[str, ...] = (
    "extract_result.",
    "configuration.data_schema.",
    "extract_metadata.field_metadata.",
    "metadata.",
    "usage.",
)

TOP_LEVEL_FIELDS: tuple[str, ...] = tuple(p for p in KNOWN_FIELDS if "." not in p)


class FieldError(ValueError):
    """An unusable `--fields` value; the message names the field and the valid ones."""


def _suggest(word: str, candidates: list[str], prefix: str = "") -> str:
    import difflib  # only on the error path

    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {prefix + lowered[close[0]]!r}?)" if close else ""


def validate_field(path: str) -> None:
    """Raise FieldError unless `path` names a field (see the module docstring)."""
    if path in KNOWN_FIELDS:
        return
    segments = path.split(".")
    if any(not s for s in segments):
        raise FieldError(f"field {path!r} has an empty segment (use dots between names)")
    for prefix in FREE_FORM_PREFIXES:
        if path.startswith(prefix):
            return
    # The deepest known field above the path: array indices may follow it.
    known = 0
    for cut in range(len(segments) - 1, 0, -1):
        if ".".join(segments[:cut]) in KNOWN_FIELDS:
            known = cut
            break
    if known and all(s.isascii() and s.isdigit() for s in segments[known:]):
        return
    if known:
        parent = ".".join(segments[:known])
        children = [
            p[len(parent) + 1 :]
            for p in KNOWN_FIELDS
            if p.startswith(parent + ".") and "." not in p[len(parent) + 1 :]
        ]
        if children:
            raise FieldError(
                f"unknown field {path!r}{_suggest(segments[known], children, parent + '.')}; "
                f"fields under {parent}: {', '.join(children)}"
            )
        raise FieldError(f"unknown field {path!r}: {parent} has no fields below it")
    raise FieldError(
        f"unknown field {path!r}{_suggest(path, list(KNOWN_FIELDS))}; "
        f"valid top-level fields: {', '.join(TOP_LEVEL_FIELDS)} "
        "(dot paths reach below them; `--fields help` lists them all)"
    )


def parse_fields(text: str) -> list[str]:
    """Split `a, b.c,a` into `["a", "b.c"]`, validating each path.

    Parts are trimmed; an empty part is an error; a repeated field is kept once,
    at its first position. `help` is not special here: the caller checks for it.
    """
    parts = [p.strip() for p in text.split(",")]
    if all(not p for p in parts):
        raise FieldError("--fields needs at least one field name (`--fields help` lists them)")
    seen: dict[str, None] = {}
    for index, part in enumerate(parts, 1):
        if not part:
            raise FieldError(
                f"--fields {text.strip()!r}: part {index} is empty (remove the extra comma)"
            )
        validate_field(part)
        seen.setdefault(part, None)
    return list(seen)


def fields_help() -> str:
    """The listing printed by `lx jobs list --fields help`."""
    width = max(len(p) for p in KNOWN_FIELDS) + 2
    lines = ["Fields for --fields (comma-separated dot paths, in the order wanted):", ""]
    lines += [f"  {path:<{width}}{desc}" for path, desc in KNOWN_FIELDS.items()]
    lines += [
        "",
        "Any key is accepted below "
        + ", ".join(p.rstrip(".") for p in FREE_FORM_PREFIXES)
        + "; numbers index arrays (extract_result.0.total).",
        "Fields missing from a job are null (empty in CSV/TSV, - in tables).",
    ]
    return "\n".join(lines)


# --- reading values ------------------------------------------------------------


def job_input(job: Mapping[str, Any]) -> Any:
    """`file_input` (current shape) or `document_input_value` (seed shape)."""
    value = job.get("file_input")
    if value is None:
        value = job.get("document_input_value")
    return value


def job_duration_seconds(job: Mapping[str, Any]) -> float | None:
    """Seconds from created_at to updated_at for a terminal job; None otherwise."""
    if job.get("status") not in TERMINAL_STATUSES:
        return None
    created, updated = job.get("created_at"), job.get("updated_at")
    if not isinstance(created, str) or not isinstance(updated, str):
        return None
    start, end = parse_api_time(created), parse_api_time(updated)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


_VIRTUAL: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "input": job_input,
    "duration_seconds": job_duration_seconds,
}


def _walk(value: Any, segments: tuple[str, ...]) -> Any:
    for seg in segments:
        if isinstance(value, Mapping):
            value = value.get(seg)
        elif isinstance(value, list) and seg.isascii() and seg.isdigit():
            i = int(seg)
            value = value[i] if i < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


@lru_cache(maxsize=512)
def compile_path(path: str) -> Callable[[Mapping[str, Any]], Any]:
    """A fast getter for `path` (what renderers call once per column, not per row)."""
    virtual = _VIRTUAL.get(path)
    if virtual is not None:

        def get_virtual(job: Mapping[str, Any], _key: str = path) -> Any:
            if _key in job:
                return job[_key]
            return virtual(job)

        return get_virtual
    segments = tuple(path.split("."))
    if len(segments) == 1:
        key = segments[0]

        def get_top(job: Mapping[str, Any]) -> Any:
            return job.get(key)

        return get_top

    def get_nested(job: Mapping[str, Any]) -> Any:
        return _walk(job, segments)

    return get_nested


def get_path(job: Mapping[str, Any], path: str) -> Any:
    """The value at dot path `path` in `job`; None when any step is missing.

    Numeric segments index lists; virtual `input` and `duration_seconds` are
    computed (see the module docstring).
    """
    return compile_path(path)(job)


# --- expansions and paths that matched nothing ----------------------------------------

# The part of a job the API sends only when asked (`expand`), by the first segment.
EXPANDED_BY: dict[str, str] = {
    "configuration": "configuration",
    "extract_metadata": "extract_metadata",
    "usage": "usage",
}


def expansions_for(paths: Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
    """The `expand` values that `paths` need, among those the command accepts
    (`configuration.tier` needs `configuration`; `usage.*` needs `usage` on `get`)."""
    allowed = tuple(allowed)
    needed: dict[str, None] = {}
    for path in paths:
        value = EXPANDED_BY.get(path.split(".", 1)[0])
        if value is not None and value in allowed:
            needed.setdefault(value, None)
    return tuple(needed)


_MISSING = object()


def has_path(item: Mapping[str, Any], path: str) -> bool:
    """Whether `item` has something (null included) at dot path `path`."""
    value: Any = item
    for seg in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(seg, _MISSING)
        elif isinstance(value, list) and seg.isascii() and seg.isdigit():
            value = value[int(seg)] if int(seg) < len(value) else _MISSING
        else:
            return False
        if value is _MISSING:
            return False
    return True


def _paths_of(value: Any, prefix: str, out: dict[str, None], depth: int = 4) -> None:
    if depth == 0:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            path = f"{prefix}{key}"
            out.setdefault(path, None)
            _paths_of(child, path + ".", out, depth - 1)
    elif isinstance(value, list) and value:
        _paths_of(value[0], f"{prefix}0.", out, depth - 1)


class FieldUse:
    """Which `--fields` paths matched something in the items shown.

    `see(item)` for each item written; `unmatched()` then names each path that no item
    had, with the closest path the items (or `known`) did have. Only paths that reach
    below the top level are checked (`usage.credit`), and `nested_only=False` checks
    every path (the rows of `jobs result`, whose keys are free-form).
    """

    def __init__(
        self, paths: Sequence[str], *, known: Iterable[str] = (), nested_only: bool = True
    ) -> None:
        self._pending = [p for p in paths if (not nested_only or "." in p) and p not in _VIRTUAL]
        self._known: dict[str, None] = dict.fromkeys(known)
        self._sample = 0
        self.items = 0

    def see(self, item: Any) -> None:
        self.items += 1
        if not self._pending or not isinstance(item, Mapping):
            return
        self._pending = [p for p in self._pending if not has_path(item, p)]
        if self._pending and self._sample < 50:  # the paths to suggest from
            self._sample += 1
            _paths_of(item, "", self._known)

    def unmatched(self) -> list[tuple[str, str | None]]:
        """(path, closest known path or None) for each path no item had."""
        if not self.items:
            return []
        import difflib

        out: list[tuple[str, str | None]] = []
        candidates = [k for k in self._known if k not in self._pending]
        for path in self._pending:
            close = difflib.get_close_matches(path, candidates, n=1, cutoff=0.6)
            out.append((path, close[0] if close else None))
        return out


def unmatched_warnings(use: FieldUse, what: str = "job") -> list[str]:
    """One line per path of `use` that matched nothing: `--fields usage.credit matched
    nothing in the 3 jobs shown (did you mean usage.credits?)`."""
    lines = []
    for path, close in use.unmatched():
        shown = f"the {what}" if use.items == 1 else f"the {use.items} {what}s"
        line = f"--fields {path} matched nothing in {shown} shown"
        if close:
            line += f" (did you mean {close}?)"
        lines.append(line)
    return lines
