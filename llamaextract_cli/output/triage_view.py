"""Terminal views of `stats` and `errors`, drawn with rich (imported inside).

Every view is readable without colour: bars use one glyph per status (with a
legend), numbers are always printed. The live view of `watch` is `output.watch_view`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from llamaextract_cli.choices import STATUSES
from llamaextract_cli.timeparse import humanize_age, humanize_duration, parse_api_time

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

STYLES: dict[str, str] = {
    "COMPLETED": "green",
    "FAILED": "bold red",
    "CANCELLED": "bright_black",
    "RUNNING": "cyan",
    "THROTTLED": "magenta",
    "PENDING": "yellow",
}
GLYPHS: dict[str, str] = {
    "COMPLETED": "█",
    "FAILED": "X",
    "CANCELLED": "░",
    "RUNNING": "▒",
    "THROTTLED": "~",
    "PENDING": "·",
}
OTHER_GLYPH = "?"
# bars stack finished jobs first, so the failed part sits next to the completed one
STACK_ORDER = ("COMPLETED", "FAILED", "CANCELLED", "RUNNING", "THROTTLED", "PENDING")
ACTIVE = ("PENDING", "THROTTLED", "RUNNING")
MAX_STATUS_BAR = 50
MAX_TIME_BAR = 90


def make_console(
    stream: IO[str],
    *,
    width: int,
    color: bool,
    terminal: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Console:
    """A console on `stream`: no colour codes at all unless `color`; `terminal`
    (default: `color`) allows cursor movement, which the live view needs."""
    from rich.console import Console

    return Console(
        file=stream,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color if terminal is None else terminal,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
        _environ=dict(environ or {}),
    )


def _style(status: str) -> str:
    return STYLES.get(status, "white")


def _glyph(status: str) -> str:
    return GLYPHS.get(status, OTHER_GLYPH)


def _fmt_int(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else humanize_duration(value)


def _segments(counts: Sequence[tuple[str, int]], scale: float) -> list[tuple[str, int]]:
    """Cells per status, rounding the running total so the bar length stays exact."""
    out: list[tuple[str, int]] = []
    done, cum = 0, 0
    for status, n in counts:
        cum += n
        end = round(cum * scale)
        out.append((status, end - done))
        done = end
    return out


def _stacked(row: Mapping[str, Any], statuses: Sequence[str], scale: float) -> Text:
    from rich.text import Text

    text = Text()
    counts = [(s, int(row.get(s, 0) or 0)) for s in statuses]
    for status, cells in _segments(counts, scale):
        if cells > 0:
            text.append(_glyph(status) * cells, style=_style(status))
    return text


def _order(by_status: Mapping[str, int]) -> list[str]:
    return [*STACK_ORDER, *(s for s in by_status if s not in STATUSES)]


def _legend(statuses: Iterable[str]) -> Text:
    from rich.text import Text

    text = Text("  ")
    for status in statuses:
        text.append(_glyph(status), style=_style(status))
        text.append(f" {status.lower()}  ")
    return text


# ---------------------------------------------------------------------- stats


def window_text(window: Mapping[str, Any]) -> str:
    since = window.get("since")
    until = window.get("until")
    right = until[:16].replace("T", " ") if until else "now"
    if since:
        text = f"Jobs created {since[:16].replace('T', ' ')} → {right} UTC"
    else:
        text = f"Jobs created up to {right} UTC"
    if window.get("default"):
        text += " (default: last 7 days)"
    return text


def stats_header(stats: Mapping[str, Any]) -> list[Text]:
    from rich.text import Text

    by_status = stats["by_status"]
    finished = sum(by_status.get(s, 0) for s in ("COMPLETED", "FAILED", "CANCELLED"))
    first = Text(window_text(stats["window"]), style="bold")
    line = Text()
    line.append(f"{stats['total']:,}", style="bold")
    line.append(" jobs  ·  ")
    rate = stats["failure_rate"]
    line.append(_pct(rate) + " failed", style="bold red" if rate else "bold")
    line.append(f" ({by_status.get('FAILED', 0):,} of {finished:,} finished)")
    d = stats["duration_seconds"]
    more = Text("Pages ")
    more.append(_fmt_int(stats["pages"]), style="bold")
    more.append("  ·  Credits ")
    more.append(_fmt_int(stats["credits"]), style="bold")
    more.append("  ·  Duration median ")
    more.append(_secs(d["median"]), style="bold")
    more.append(", p95 ")
    more.append(_secs(d["p95"]), style="bold")
    return [first, line, more]


def status_bars(by_status: Mapping[str, int], total: int, width: int) -> list[Text]:
    from rich.text import Text

    label_w = max(len(s) for s in by_status)
    num_w = max(len(f"{n:,}") for n in by_status.values())
    bar_w = min(max(width - (2 + label_w + 2 + num_w + 2 + 2 + 6), 5), MAX_STATUS_BAR)
    top = max(by_status.values()) or 1
    lines = [Text("By status", style="bold")]
    for status, n in by_status.items():
        line = Text("  ")
        line.append(f"{status:<{label_w}}", style=_style(status))
        line.append(f"  {n:>{num_w},}  ")
        cells = round(n * bar_w / top)
        line.append(_glyph(status) * cells, style=_style(status))
        line.append(" " * (bar_w - cells))
        line.append(f"  {_pct(n / total if total else None):>6}")
        lines.append(line)
    return lines


def _time_label(row: Mapping[str, Any]) -> str:
    if "date" in row:
        when = datetime.fromisoformat(row["date"])
        return when.strftime("%a %m-%d")
    when = parse_api_time(row["hour"])
    return when.strftime("%m-%d %H:00") if when else str(row["hour"])


def time_chart(
    rows: Sequence[Mapping[str, Any]], statuses: Sequence[str], width: int
) -> list[Text]:
    from rich.text import Text

    hourly = bool(rows) and "hour" in rows[0]
    title = Text("By hour (UTC)" if hourly else "By day (UTC)", style="bold")
    if not rows:
        return [title, Text("  no jobs")]
    labels = [_time_label(r) for r in rows]
    label_w = max(len(x) for x in labels)
    num_w = max(len(f"{r['total']:,}") for r in rows)
    fail_w = max(len(f"{r.get('FAILED', 0):,}") for r in rows)
    right_w = 2 + num_w + 2 + fail_w + len(" failed")
    bar_w = min(max(width - (2 + label_w + 2) - right_w, 5), MAX_TIME_BAR)
    top = max(r["total"] for r in rows) or 1
    scale = bar_w / top
    lines = [title, _legend(statuses)]
    for label, row in zip(labels, rows, strict=True):
        line = Text(f"  {label:<{label_w}} ")
        line.append("│", style="bright_black")
        bar = _stacked(row, statuses, scale)
        line.append_text(bar)
        line.append(" " * (bar_w - bar.cell_len))
        line.append(f"  {row['total']:>{num_w},}")
        failed = row.get("FAILED", 0)
        line.append(f"  {failed:>{fail_w},} failed", style="red" if failed else "bright_black")
        lines.append(line)
    return lines


_KEY_HEADERS = {
    "configuration": "CONFIGURATION",
    "tier": "TIER",
    "input_type": "INPUT TYPE",
    "date": "DAY",
    "hour": "HOUR (UTC)",
}


def group_table(rows: Sequence[Mapping[str, Any]], by: str, width: int) -> RenderableType:
    """The `--by` grouping as a table (status, day/hour, or a key with totals)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if by == "status":
        table = Table(
            box=box.SIMPLE_HEAD,
            title="By status",
            title_justify="left",
            title_style="bold",
            pad_edge=False,
            show_edge=False,
        )
        table.add_column("STATUS", no_wrap=True)
        table.add_column("COUNT", justify="right")
        table.add_column("SHARE", justify="right")
        for r in rows:
            table.add_row(
                r["status"], _fmt_int(r["count"]), _pct(r["share"]), style=_style(r["status"])
            )
        return table
    key = next(iter(rows[0])) if rows else {"day": "date"}.get(by, by.replace("-", "_"))
    money = bool(rows) and "pages" in rows[0]
    title = "By " + by.replace("-", " ")
    table = Table(
        box=box.SIMPLE_HEAD,
        title=title,
        title_justify="left",
        title_style="bold",
        pad_edge=False,
        show_edge=False,
    )
    narrow = width < 100
    headers = [_KEY_HEADERS.get(key, key.upper()), "TOTAL", "DONE" if narrow else "COMPLETED"]
    headers += ["FAILED", "CANC" if narrow else "CANCELLED", "ACTIVE"]
    if money:
        headers += ["FAIL%", "PAGES"] + ([] if narrow else ["CREDITS"])
    body = [_group_cells(r, key, money, narrow) for r in rows]
    widths = [max([len(h), *(len(str(c[i])) for c in body)]) for i, h in enumerate(headers)]
    key_max = max(width - sum(w + 3 for w in widths[1:]) - 1, 8)
    table.add_column(headers[0], no_wrap=True, overflow="ellipsis", max_width=key_max)
    for header, w in zip(headers[1:], widths[1:], strict=True):
        table.add_column(header, justify="right", no_wrap=True, min_width=w)
    for cells in body:
        failed = cells[3]
        cells[3] = Text(failed, style=_style("FAILED") if failed not in ("0", "-") else "")
        table.add_row(*cells)
    return table


def _group_cells(r: Mapping[str, Any], key: str, money: bool, narrow: bool) -> list[Any]:
    label = _time_label(r) if key in ("date", "hour") else str(r[key])
    cells = [label, _fmt_int(r["total"])]
    cells += [_fmt_int(r.get(s, 0)) for s in ("COMPLETED", "FAILED", "CANCELLED")]
    cells.append(_fmt_int(sum(int(r.get(s, 0) or 0) for s in ACTIVE)))
    if money:
        cells += [_pct(r.get("failure_rate")), _fmt_int(r.get("pages"))]
        if not narrow:
            cells.append(_fmt_int(r.get("credits")))
    return cells


def render_stats(
    console: Console, stats: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], by: str
) -> None:
    from rich.text import Text

    width = console.width
    for line in stats_header(stats):
        console.print(line, no_wrap=True, overflow="ellipsis")
    if not stats["total"]:
        console.print(Text("no jobs match", style="bright_black"))
        return
    console.print()
    for line in status_bars(stats["by_status"], stats["total"], width):
        console.print(line, no_wrap=True, overflow="crop")
    console.print()
    series = stats.get("by_hour") or stats["by_day"]
    for line in time_chart(series, _order(stats["by_status"]), width):
        console.print(line, no_wrap=True, overflow="crop")
    charted = "hour" if stats.get("by_hour") else "day"
    if by not in ("status", charted):  # those two are already drawn as charts above
        console.print()
        console.print(group_table(rows, by, width))


# ---------------------------------------------------------------------- errors


def _ago(raw: Any, now: datetime) -> str:
    when = parse_api_time(raw) if isinstance(raw, str) else None
    return humanize_age((now - when).total_seconds()) if when else "-"


def errors_table(
    groups: Sequence[Mapping[str, Any]], width: int, now: datetime, *, full: bool = False
) -> RenderableType:
    """COUNT, SHARE, LAST SEEN, PATTERN (cut to the width), the example job ID.

    Below 140 columns the example job goes on a second line under its pattern.
    `full` (`-o wide`): the patterns whole and the example in its own column,
    whatever the width.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    wide = full or width >= 140
    rows = [
        [f"{g['count']:,}", _pct(g.get("share")), _ago(g.get("last_seen"), now)] for g in groups
    ]
    fixed = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(_ERR_HEADERS)]
    examples = [str(g.get("example_job_id") or "-") for g in groups]
    example_w = max([len("EXAMPLE JOB"), *map(len, examples)]) if wide else 0
    used = sum(w + 3 for w in fixed) + (example_w + 3 if wide else 0)
    pattern_w = max(width - used - 1, 12)
    if full:
        pattern_w = max([len("PATTERN"), *(len(str(g["pattern"])) for g in groups)])
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header, w in zip(_ERR_HEADERS, fixed, strict=True):
        justify = "left" if header == "LAST SEEN" else "right"
        table.add_column(header, justify=justify, no_wrap=True, min_width=w)
    title = "PATTERN" if wide else "PATTERN / EXAMPLE JOB"
    table.add_column(title, no_wrap=True, max_width=pattern_w, overflow="ellipsis")
    if wide:
        table.add_column("EXAMPLE JOB", no_wrap=True, min_width=example_w)
    for g, row, example in zip(groups, rows, examples, strict=True):
        pattern = Text(g["pattern"])
        pattern.highlight_regex(r"<[a-z]+>", "cyan")
        pattern.truncate(pattern_w, overflow="ellipsis")
        cells: list[Any] = [Text(row[0], style="bold"), row[1], row[2]]
        if wide:
            cells += [pattern, example]
        else:
            line = Text("  e.g. " + example, style="bright_black")
            line.truncate(pattern_w, overflow="ellipsis")
            cells.append(Text("\n").join([pattern, line]))
        table.add_row(*cells)
    return table


_ERR_HEADERS = ("COUNT", "SHARE", "LAST SEEN")


def render_errors(
    console: Console,
    groups: Sequence[Mapping[str, Any]],
    total: int,
    now: datetime,
    *,
    wide: bool = False,
) -> None:
    console.print(errors_table(groups, console.width, now, full=wide))
