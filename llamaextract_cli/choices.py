"""Fixed vocabularies: statuses, formats, expand values. Light: loaded on every run."""

from __future__ import annotations

STATUSES = ("PENDING", "THROTTLED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
FORMATS = ("table", "wide", "json", "jsonl", "yaml", "csv", "tsv")
TABLE_FORMATS = frozenset({"table", "wide"})  # `wide`: the table with every column whole
ERROR_FORMATS = ("text", "json")
LIST_EXPAND = ("configuration", "extract_metadata")
GET_EXPAND = ("configuration", "extract_metadata", "usage")
INPUT_TYPES = ("file_id", "parse_job_id")
# The largest page_size the service accepts (and the sandbox serves): --page-size and the
# page_size setting are bounded by it.
MAX_PAGE_SIZE = 100
SHELLS = ("bash", "zsh", "fish")
SETTING_KEYS = (
    "api_key",
    "base_url",
    "project_id",
    "organization_id",
    "format",
    "page_size",
    "concurrency",
)
DEFAULT_CONCURRENCY = 4  # requests in flight for whole-window reads (api/window.py)
CONCURRENCY_RANGE = (1, 32)
