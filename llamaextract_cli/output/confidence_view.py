"""How a value's confidence and citation look in a terminal (rich imported inside).

Shared by the panel of `lx jobs get` and the view of `lx jobs review`: a confidence is
printed to three decimals, green from `threshold + 0.1`, yellow from `threshold`, red
below it, where it also carries `▼`, so that it reads without colour too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

LOW_MARK = "▼"
LOW_CONFIDENCE = 0.8  # the panel's threshold: `lx jobs review`'s default
VALUE_CHARS = 60  # of a value or a cited text, before the width cuts it further
MAX_VALUES = 20  # values the panel shows
MAX_FIELD = 40  # columns a field path may take in the panel


def conf_style(value: float | None, threshold: float) -> str:
    """Red below the threshold, yellow within 0.1 above it, green above that."""
    if value is None:
        return "bright_black"
    if value < threshold:
        return "bold red"
    return "yellow" if value < threshold + 0.1 else "green"


def one_line(value: Any, limit: int = VALUE_CHARS) -> str:
    """A value on one line: text as is, other values as compact JSON, cut at `limit`."""
    if isinstance(value, str):
        text = value
    else:
        import json

        text = json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_values(job: Mapping[str, Any]) -> bool:
    """The job has a result and field metadata to show beside it."""
    meta = job.get("extract_metadata")
    return (
        job.get("extract_result") is not None
        and isinstance(meta, Mapping)
        and bool(meta.get("field_metadata"))
    )


def _cut(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis", pad=True)
    return text


def value_lines(job: Mapping[str, Any], width: int, max_values: int = MAX_VALUES) -> list[Text]:
    """The result's first values one a line, `width` columns at most: field (with the
    row of an array result, `[2] total`), value, confidence and mark, cited page
    (`p.3`); then the legend of the mark and how many values are left out."""
    from rich.text import Text

    from llamaextract_cli.jobs.metadata import leaves

    shown, more = [], 0
    for leaf in leaves(job):
        if len(shown) < max_values:
            shown.append(leaf)
        else:
            more += 1
    if not shown:
        return []
    names = [(f.field or "(value)") if f.row is None else f"[{f.row}] {f.field}" for f in shown]
    values = [one_line(f.value) for f in shown]
    pages = [f"p.{f.page}" if f.page is not None else "" for f in shown]
    page_w = max(map(len, pages))
    right = 2 + 5 + 1 + 1 + (1 + page_w if page_w else 0)  # gap, 0.123, gap, mark, page
    field_w = min(max(map(len, names)), MAX_FIELD, max(width // 3, 8))
    value_w = max(min(max(map(len, values)), width - field_w - 2 - right), 1)
    lines, low = [], 0
    for leaf, name, value, page in zip(shown, names, values, pages, strict=True):
        line = _cut(Text(name, style="cyan"), field_w)
        line.append("  ")
        line.append_text(_cut(Text(value), value_w))
        line.append("  ")
        if leaf.confidence is None:
            line.append(" " * 7)
        else:
            style = conf_style(leaf.confidence, LOW_CONFIDENCE)
            is_low = leaf.confidence < LOW_CONFIDENCE
            low += is_low
            line.append(f"{leaf.confidence:5.3f} ", style=style)
            line.append(LOW_MARK if is_low else " ", style=style)
        if page_w:
            line.append(" " + page.ljust(page_w), style="bright_black")
        line.rstrip()
        lines.append(line)
    if low:
        lines.append(Text(f"{LOW_MARK} confidence below {LOW_CONFIDENCE:g}", style="dim"))
    if more:
        lines.append(Text(f"… {more} more values (see below)", style="dim"))
    return lines


def values_cut(job: Mapping[str, Any], max_values: int = MAX_VALUES) -> bool:
    """Whether the panel shows only the first of the result's values."""
    from itertools import islice

    from llamaextract_cli.jobs.metadata import leaves

    return len(list(islice(leaves(job), max_values + 1))) > max_values
