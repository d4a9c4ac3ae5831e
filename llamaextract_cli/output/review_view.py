"""The terminal view of `lx jobs review`, drawn with rich (imported inside).

A summary, the fields sorted by their share of values below the threshold with a bar
(scaled to the worst field), then the lowest values with the text they were read from.
Readable without colour: every figure is printed, low values carry `▼`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llamaextract_cli.output.confidence_view import LOW_MARK, VALUE_CHARS, conf_style, one_line
from llamaextract_cli.output.triage_view import window_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

BAR_GLYPH = "█"
MAX_BAR = 40


def _conf(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _n(value: int) -> str:
    return f"{value:,}"


def summary_lines(summary: Mapping[str, Any], window: Mapping[str, Any]) -> list[Text]:
    from rich.text import Text

    threshold = summary["threshold"]
    first = Text(window_text(window), style="bold")
    line = Text()
    line.append(_n(summary["jobs"]), style="bold")
    line.append(" COMPLETED jobs  ·  ")
    line.append(_n(summary["jobs_with_confidence"]), style="bold")
    line.append(" with confidence scores")
    second = Text()
    second.append(_n(summary["values"]), style="bold")
    second.append(f" values, {_n(summary['scored'])} scored  ·  ")
    below = summary["below"]
    share = below / summary["scored"] if summary["scored"] else None
    second.append(f"{_n(below)} below {threshold:g}", style="bold red" if below else "bold")
    second.append(f" ({_pct(share)})")
    return [first, line, second]


_HEADERS = ("VALUES", "MEAN", "MIN", "BELOW", "SHARE")


def field_lines(rows: Sequence[Mapping[str, Any]], threshold: float, width: int) -> list[Text]:
    """FIELD, VALUES, MEAN, MIN, BELOW, SHARE, a bar of the share, EMPTY; one line each."""
    from rich.text import Text

    cells = [
        [
            _n(r["values"]),
            _conf(r["mean_confidence"]),
            _conf(r["min_confidence"]),
            _n(r["below"]),
            _pct(r["share_below"]),
        ]
        for r in rows
    ]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(_HEADERS)]
    empty_w = max([len("EMPTY"), *(len(_n(r["empty"])) for r in rows)])
    fixed = sum(w + 2 for w in widths) + 2 + empty_w
    names = [str(r["field"]) for r in rows]
    field_w = max([len("FIELD"), *map(len, names)])
    room = width - 2 - fixed - 2  # indent, the fixed columns, the bar's gap
    field_w = min(field_w, max(room - 8, 8))  # names cut only to leave the bar 8 cells
    bar_w = max(min(MAX_BAR, room - field_w), 1)
    header = Text("  " + "FIELD".ljust(field_w), style="bold")
    for h, w in zip(_HEADERS, widths, strict=True):
        header.append("  " + h.rjust(w), style="bold")
    header.append("  " + f"{'':<{bar_w}}" + "  " + "EMPTY".rjust(empty_w), style="bold")
    lines = [header]
    top = max((r["share_below"] or 0.0 for r in rows), default=0.0) or 1.0
    for r, name, c in zip(rows, names, cells, strict=True):
        line = Text("  ")
        label = Text(name)
        label.truncate(field_w, overflow="ellipsis", pad=True)
        line.append_text(label)
        for i, (text, w) in enumerate(zip(c, widths, strict=True)):
            style = ""
            if i in (1, 2):
                style = conf_style(r["mean_confidence" if i == 1 else "min_confidence"], threshold)
            elif i == 3 and r["below"]:
                style = "bold red"
            line.append("  ")
            line.append(text.rjust(w), style=style)
        share = r["share_below"] or 0.0
        cells_on = round(share * bar_w / top)
        if share and not cells_on:
            cells_on = 1  # a field with any value below shows at least one cell
        line.append("  ")
        line.append(BAR_GLYPH * cells_on, style="red")
        line.append(" " * (bar_w - cells_on))
        line.append("  " + _n(r["empty"]).rjust(empty_w), style="yellow" if r["empty"] else "")
        lines.append(line)
    return lines


def worst_lines(worst: Sequence[Mapping[str, Any]], threshold: float, width: int) -> list[Text]:
    """Two lines a value: confidence, mark, field, page and job ID, then the value and
    the cited text. The ID is never cut: without room beside the field, it takes a line
    of its own between the two."""
    from rich.text import Text

    lines: list[Text] = []
    fields = [
        str(w["field"]) if w.get("row") is None else f"[{w['row']}] {w['field']}" for w in worst
    ]
    pages = [f"p.{w['page']}" if w.get("page") is not None else "" for w in worst]
    page_w = max([0, *map(len, pages)])
    id_w = max([0, *(len(str(w["job_id"])) for w in worst)])
    field_w = max([0, *map(len, fields)])
    lead = 2 + 5 + 3  # indent, "0.312", " ▼ "
    room = width - lead - 2 - page_w - 2 - id_w
    id_below = room < field_w
    if id_below:
        room = width - lead - 2 - page_w
    field_w = max(min(field_w, room), 1)
    for w, field, page in zip(worst, fields, pages, strict=True):
        line = Text("  ")
        line.append(f"{w['confidence']:.3f}", style=conf_style(w["confidence"], threshold))
        line.append(" " + LOW_MARK + " ", style="bold red")
        label = Text(field, style="bold")
        label.truncate(field_w, overflow="ellipsis", pad=True)
        line.append_text(label)
        line.append("  " + page.ljust(page_w))
        if id_below:  # the ID on a line of its own, whole
            lines.append(line)
            line = Text(" " * lead)
            line.append(str(w["job_id"]), style="cyan")
        else:
            line.append("  " + str(w["job_id"]), style="cyan")
        lines.append(line)
        detail = Text(" " * lead)
        cited = w.get("citation")
        has_cited = cited not in (None, "")
        # a value and its citation share the line: each gets half of it when both are long
        share = max((width - lead - 20) // 2, 12) if has_cited else width
        detail.append("value ", style="bright_black")
        detail.append(one_line(w.get("value"), min(share, VALUE_CHARS)))
        if has_cited:
            detail.append("  ·  cited ", style="bright_black")
            detail.append("“" + one_line(cited, min(share, VALUE_CHARS)) + "”")
        reasoning = w.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            detail.append("  ·  " + one_line(reasoning), style="bright_black")
        detail.truncate(width, overflow="ellipsis")
        lines.append(detail)
    return lines


def group_header(name: str, tally: Mapping[str, Any], threshold: float, width: int) -> list[Text]:
    """`cfg-… · Invoice · cost_effective · per_doc   41 jobs · 12 of 950 scored values
    below 0.8 (1.3%)`; the figures go to a line of their own when both do not fit."""
    from rich.text import Text

    line = Text("  ")
    line.append(name, style="bold cyan")
    if tally.get("label"):
        line.append(" · " + str(tally["label"]), style="bold")
    scored, below = tally.get("scored", 0), tally.get("below", 0)
    jobs = tally.get("jobs", 0)
    figures = Text(f"{_n(jobs)} job{'' if jobs == 1 else 's'} · ")
    figures.append(f"{_n(below)}", style="bold red" if below else "")
    share = below / scored if scored else None
    figures.append(f" of {_n(scored)} scored values below {threshold:g} ({_pct(share)})")
    if line.cell_len + 3 + figures.cell_len <= width:
        line.append("   ")
        line.append_text(figures)
        return [line]
    return [line, Text("    ").append_text(figures)]


def render_review(
    console: Console,
    summary: Mapping[str, Any],
    window: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    worst: Sequence[Mapping[str, Any]],
    configs: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """The header, the scored fields (by configuration when rows carry one, each group
    under a line naming it), a note of the unscored ones, the lowest values."""
    from rich.text import Text

    width = console.width
    threshold = summary["threshold"]
    for line in summary_lines(summary, window):
        console.print(line, no_wrap=True, overflow="ellipsis")
    scored = [r for r in rows if r["with_confidence"]]
    unscored = len(rows) - len(scored)
    if scored:
        console.print()
        console.print(
            Text(f"Fields by share of values below {threshold:g}", style="bold"),
            no_wrap=True,
            overflow="ellipsis",
        )
        header, *lines = field_lines(scored, threshold, width)
        group: Any = object()
        for row, line in zip(scored, lines, strict=True):
            if "configuration" in row and row["configuration"] != group:
                group = row["configuration"]
                console.print()
                tally = (configs or {}).get(group, {})
                for head in group_header(group, tally, threshold, width):
                    console.print(head, no_wrap=True, overflow="ellipsis")
                console.print(header, no_wrap=True, overflow="crop")
            elif group.__class__ is object:
                group = None
                console.print(header, no_wrap=True, overflow="crop")
            console.print(line, no_wrap=True, overflow="crop")
    if unscored:
        note = Text(
            f"  + {unscored} field{'s' if unscored != 1 else ''} without confidence scores "
            "(listed by -o json or -o csv)",
            style="bright_black",
        )
        console.print(note, no_wrap=True, overflow="ellipsis")
    if not worst:
        return
    console.print()
    title = f"Lowest values ({len(worst)} of {summary['below']:,} below {threshold:g})"
    console.print(Text(title, style="bold"), no_wrap=True, overflow="ellipsis")
    for line in worst_lines(worst, threshold, width):
        console.print(line, no_wrap=True, overflow="crop")
