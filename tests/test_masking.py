"""Masking of error messages: a table of real-looking messages, and properties."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llamaextract_cli.jobs.error_groups import NO_MESSAGE, mask

UUID = "3f2a9c1e-1b2c-4d3e-8f9a-0b1c2d3e4f5a"

CASES = [
    ("Document dfl-1 exceeds max pages (120)", "Document <id> exceeds max pages (<n>)"),
    ("Document dfl-9 exceeds max pages (300)", "Document <id> exceeds max pages (<n>)"),
    (
        f"Document dfl-{UUID} exceeds the maximum page limit: 612 pages > 500 allowed",
        "Document <id> exceeds the maximum page limit: <n> pages > <n> allowed",
    ),
    (
        f"Document {UUID} exceeds the maximum page limit: 800 pages > 300 allowed",
        "Document <id> exceeds the maximum page limit: <n> pages > <n> allowed",
    ),
    (
        "Extraction timed out after 300 seconds (page 4 of 12)",
        "Extraction timed out after <n> seconds (page <n> of <n>)",
    ),
    (
        "Unsupported file type '.heic' for file 'IMG_2210.heic'",
        "Unsupported file type <str> for file <str>",
    ),
    (
        "Unsupported file type '.pages' for file 'Q3 board deck.pages'",
        "Unsupported file type <str> for file <str>",
    ),
    (
        "Schema validation failed: field 'line_items[3].amount' expected number, got string",
        "Schema validation failed: field <str> expected number, got string",
    ),
    (
        f"Parse job {UUID} failed: could not read PDF (encrypted or corrupt)",
        "Parse job <id> failed: could not read PDF (encrypted or corrupt)",
    ),
    (
        "Upstream model error: 503 from provider after 3 attempts "
        "(request req_0123456789abcdef01234567)",
        "Upstream model error: <n> from provider after <n> attempts (request <id>)",
    ),
    (
        "File scan_0042.pdf is 12MB, over the 10 MB limit",
        "File <file> is <size>, over the <size> limit",
    ),
    (
        "could not open /tmp/uploads/a1/b.pdf: permission denied",
        "could not open <path>: permission denied",
    ),
    (
        'can\'t read file "report final.docx" at 2026-01-02T03:04:05Z',
        "can't read file <str> at <time>",
    ),
    (
        "see https://docs.cloud.llamaindex.ai/errors/42?x=1. Contact support@llamaindex.ai",
        "see <url>. Contact <email>",
    ),
    (
        "rate limited; retry in 1.5s (ratio 0.87, 45%)",
        "rate limited; retry in <n>s (ratio <n>, <n>%)",
    ),
    ("checksum deadbeef0123 mismatch at offset 0x1F", "checksum <id> mismatch at offset <id>"),
    ("Timeout 30000ms waiting for C:\\Users\\bob\\in.txt", "Timeout <n>ms waiting for <path>"),
    (
        "Configuration cfg-7b1e2c90 not found in project prj-55aa01",
        "Configuration <id> not found in project <id>",
    ),
    ("Job ext-00ff12 was cancelled by user usr_8812", "Job <id> was cancelled by user <id>"),
    ("Rate limit exceeded: 120 requests per 60s", "Rate limit exceeded: <n> requests per <n>s"),
    ("Input too large: 1.5 GB (max 500MB)", "Input too large: <size> (max <size>)"),
    (
        "Failed to fetch s3://llama-uploads/org-1/doc 7.pdf",
        "Failed to fetch <url> <file>",
    ),
    (
        "Invoice batch 7.xlsx has 3 sheets; expected 1",
        "Invoice batch <file> has <n> sheets; expected <n>",
    ),
    ("Deadline 2026-11-30 passed at 12:30:05 UTC", "Deadline <time> passed at <time> UTC"),
    ("Token limit: 128,000 tokens exceeded by 1,204", "Token limit: <n> tokens exceeded by <n>"),
    (
        "OCR produced no text (blank or image-only pages)",
        "OCR produced no text (blank or image-only pages)",
    ),
    ("  multiple\n spaces\tand lines  ", "multiple spaces and lines"),
    ("Webhook to http://10.0.0.5:8080/hook failed with 502", "Webhook to <url> failed with <n>"),
    ("Model gpt-4o-mini returned an empty response", "Model <id> returned an empty response"),
    ("Page 3/12 could not be rendered", "Page <n>/<n> could not be rendered"),
    ("", NO_MESSAGE),
]


@pytest.mark.parametrize(("message", "pattern"), CASES)
def test_table_of_messages(message: str, pattern: str) -> None:
    assert mask(message) == pattern


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 25


# ---------------------------------------------------------------- properties

WORDS = st.text(alphabet=string.ascii_letters + " ,;:()[]", min_size=1, max_size=12)
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
FILLERS = {
    "n": st.one_of(
        st.integers(0, 10**9).map(str),
        st.decimals(0, 10**6, places=2, allow_nan=False).map(str),
    ),
    "id": st.sampled_from(["ext-", "dfl-", "cfg-", "prj-", "req_"]).flatmap(
        lambda p: st.text("0123456789abcdef", min_size=1, max_size=24).map(lambda t: p + "1" + t)
    ),
    "uuid": st.uuids().map(str),
    "str": st.text(alphabet=string.ascii_letters + " ._-", max_size=20).map(lambda t: f"'{t}'"),
}


SEPARATORS = [(" ", " "), (" (", ") "), (": ", ", "), (" [", "] "), ("=", "; "), (" ", ".")]


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_masking_is_idempotent(message: str) -> None:
    once = mask(message)
    assert mask(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(WORDS, st.sampled_from(sorted(FILLERS)), st.sampled_from(SEPARATORS)),
        min_size=1,
        max_size=5,
    ),
    st.data(),
)
def test_messages_differing_only_in_variables_mask_equally(
    template: list[tuple[str, str, tuple[str, str]]], data: st.DataObject
) -> None:
    def fill() -> str:
        parts = []
        for words, slot, (left, right) in template:
            parts.append(f"{words}{left}{data.draw(FILLERS[slot])}{right}")
        return "".join(parts)

    a, b = fill(), fill()
    assert mask(a) == mask(b)
