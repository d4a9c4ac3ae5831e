"""Error messages of FAILED jobs: six families whose variable parts differ job to job."""

from __future__ import annotations

import random

FAMILIES = ("page_limit", "timeout", "unsupported_type", "schema", "parse", "upstream")
# Relative frequencies: upstream hiccups and timeouts dominate, as they do in practice.
WEIGHTS = (9, 22, 8, 17, 14, 30)

_EXTS = (".pages", ".numbers", ".key", ".heic", ".zip", ".msg", ".dwg", ".rar")
_NAMES = (
    "Q3 board deck",
    "scan_0042",
    "IMG_2210",
    "Vendor contract (signed)",
    "expenses-march",
    "Invoice batch 7",
    "untitled",
    "HR policy v2",
    "statement_2024_11",
    "photo receipt",
)
_SCHEMA_FIELDS = {
    "invoice": (
        ("line_items[{i}].amount", "number", "string"),
        ("total", "number", "null"),
        ("invoice_date", "date string", "number"),
    ),
    "receipt": (
        ("items[{i}].price", "number", "string"),
        ("total", "number", "null"),
        ("items[{i}].qty", "integer", "number"),
    ),
    "contract": (
        ("effective_date", "date string", "null"),
        ("parties[{i}].name", "string", "null"),
        ("auto_renewal", "boolean", "string"),
    ),
    "resume": (
        ("experience[{i}].start_date", "string", "null"),
        ("years_experience", "number", "string"),
        ("skills[{i}]", "string", "object"),
    ),
}
_PARSE_REASONS = (
    "could not read PDF (encrypted or corrupt)",
    "OCR produced no text (blank or image-only pages)",
    "file is password protected",
    "document exceeded the parse time limit",
)


def uuid_from(n: int) -> str:
    """A version-4-shaped UUID string from 128 random bits."""
    h = f"{n:032x}"
    v = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{v}{h[17:20]}-{h[20:32]}"


def failure(
    family: int, rng: random.Random, *, input_value: str, pages: int, kind: str
) -> tuple[str, int]:
    """(error message, pages processed before failing) of one failed job, from its rng."""
    name = FAMILIES[family]
    if name == "page_limit":
        limit = rng.choice((300, 500))
        over = limit + rng.randint(1, 420)
        msg = (
            f"Document {input_value} exceeds the maximum page limit: {over} pages > {limit} allowed"
        )
        return msg, 0
    if name == "timeout":
        after = rng.choice((300, 600, 900))
        total = max(pages, 2)
        at = rng.randint(1, total)
        return f"Extraction timed out after {after} seconds (page {at} of {total})", at - 1
    if name == "unsupported_type":
        ext = rng.choice(_EXTS)
        return f"Unsupported file type '{ext}' for file '{rng.choice(_NAMES)}{ext}'", 0
    if name == "schema":
        path, want, got = rng.choice(_SCHEMA_FIELDS[kind])
        path = path.format(i=rng.randint(0, 9))
        return f"Schema validation failed: field '{path}' expected {want}, got {got}", pages
    if name == "parse":
        reason = rng.choice(_PARSE_REASONS)
        return f"Parse job {uuid_from(rng.getrandbits(128))} failed: {reason}", 0
    code = rng.choice((429, 500, 502, 503, 503, 529))
    attempts = rng.choice((3, 3, 5))
    msg = (
        f"Upstream model error: {code} from provider after {attempts} attempts "
        f"(request req_{rng.getrandbits(96):024x})"
    )
    return msg, rng.choice((0, pages))
