"""The live table of `lx jobs watch` on a terminal: one frame per poll.

A frame is the `jobs list` table (`output.table`, the same column rules: IDs
whole, STATUS gone under a single --status, the error first and continued on a
line of its own where the column cannot hold 40 characters), plus a mark
column: `*` on the rows whose status changed since the last poll, which are
also shown in reverse video. The ERROR column is there when a job of the frame
has an error message. The frame never grows taller than the terminal: rows
that do not fit are counted in the footer instead (a frame taller than the
screen would be drawn again in full when the live view stops, its header twice).
rich is imported here only, when a frame is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llamaextract_cli.choices import STATUSES

if TYPE_CHECKING:
    from rich.console import RenderableType

    from llamaextract_cli.output.columns import Column

MARK = "* "
NO_MARK = "  "
STYLES: dict[str, str] = {
    "COMPLETED": "green",
    "FAILED": "bold red",
    "CANCELLED": "bright_black",
    "RUNNING": "cyan",
    "THROTTLED": "magenta",
    "PENDING": "yellow",
}


def frame_columns(
    jobs: Sequence[Mapping[str, Any]], columns: Sequence[Column] | None
) -> list[Column]:
    """`columns` (the --fields), else the watch columns; ERROR only when a job has one."""
    from llamaextract_cli.output.columns import WATCH_COLUMNS

    if columns:
        return list(columns)
    errors = any(job.get("error_message") for job in jobs)
    return [c for c in WATCH_COLUMNS if errors or c.name != "error_message"]


def table_rows(
    jobs: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    width: int,
    now: datetime,
    constant: Mapping[str, str] | None = None,
) -> tuple[str, list[list[str]]]:
    """The header line and, per job, its lines (the second one a continued error)."""
    from llamaextract_cli.output.table import INDENT, TableRenderer

    out = io.StringIO()
    renderer = TableRenderer(out, columns, width=width, now=now, constant=constant)
    for job in jobs:
        renderer.write(job)
    renderer.close()
    lines = out.getvalue().splitlines()
    if not lines:
        return "", []
    rows: list[list[str]] = []
    for line in lines[1:]:
        if line.startswith(INDENT) and rows:
            rows[-1].append(line)
        else:
            rows.append([line])
    return lines[0], rows


def watch_frame(
    jobs: Sequence[Mapping[str, Any]],
    changed: set[str],
    *,
    columns: Sequence[Column] | None,
    refreshed: datetime,
    interval: float,
    now: datetime,
    width: int,
    height: int,
    constant: Mapping[str, str] | None = None,
) -> RenderableType:
    """One frame: the mark column and the table, then a footer of counts."""
    from rich.console import Group
    from rich.text import Text

    cols = frame_columns(jobs, columns)
    header, rows = table_rows(
        jobs, cols, width=max(width - len(MARK), 20), now=now, constant=constant
    )
    status_at = _status_offset(header, cols, constant)
    # The header, the footer (as many lines as it wraps to), the line the cursor rests on
    longest = _footer(jobs, changed, refreshed, interval, hidden=len(jobs)).cell_len
    room = max(height - 3 - -(-longest // max(width, 1)), 1)  # and `lx: interrupted`
    lines: list[Text] = [Text(NO_MARK + header, style="bold")] if header else []
    shown = 0
    for job, row in zip(jobs, rows, strict=True):
        if len(lines) - 1 + len(row) > room:
            break
        mark = str(job.get("id")) in changed
        status = str(job.get("status"))
        for n, part in enumerate(row):
            text = Text((MARK if mark and n == 0 else NO_MARK) + part, no_wrap=True)
            if n == 0 and status_at is not None and part[status_at:].startswith(status):
                start = len(NO_MARK) + status_at
                text.stylize(STYLES.get(status, ""), start, start + len(status))
            if mark:
                text.stylize("reverse")
            lines.append(text)
        shown += 1
    lines.append(_footer(jobs, changed, refreshed, interval, hidden=len(jobs) - shown))
    for line in lines[:-1]:
        line.no_wrap = True
        line.overflow = "crop"
    return Group(*lines)


def _status_offset(
    header: str, columns: Sequence[Column], constant: Mapping[str, str] | None
) -> int | None:
    """Where the STATUS column starts in each line (None when it is not shown)."""
    if constant and "status" in constant:
        return None
    for col in columns:
        if col.kind == "status":
            at = header.find(str(col.header))
            return at if at >= 0 else None
    return None


def _footer(
    jobs: Sequence[Mapping[str, Any]],
    changed: set[str],
    refreshed: datetime,
    interval: float,
    *,
    hidden: int,
) -> Any:
    from rich.text import Text

    counts: dict[str, int] = {}
    for job in jobs:
        status = str(job.get("status"))
        counts[status] = counts.get(status, 0) + 1
    footer = Text()
    for status in [*STATUSES, *(s for s in counts if s not in STATUSES)]:
        if counts.get(status):
            footer.append(f"{status} {counts[status]}", style=STYLES.get(status, ""))
            footer.append("  ")
    if hidden:
        footer.append(f"· {hidden} more not shown (taller terminal) ", style="bold")
    footer.append(
        f"· {len(changed)} changed (*) · refreshed {refreshed.strftime('%H:%M:%S')} UTC "
        f"every {interval:g}s · Ctrl-C stops",
        style="bright_black",
    )
    return footer
