"""`lx jobs get` in a terminal: one rich panel per job.

What a person looks for first: the status (in colour), when it started and how
long it took, what it read, how it was configured, what it cost, why it failed,
and the start of its result: with field metadata, its values one a line with
their confidence and cited page (`confidence_view`); without, `RESULT_LINES` lines
of pretty JSON. When there is more, the command that prints it all follows the panel
on the hint stream, alone on its line, never wrapped. Every value from the API goes
in as plain `Text`, never as markup, so brackets in data stay brackets. rich is
imported here only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from llamaextract_cli.jobs.fields import job_duration_seconds, job_input
from llamaextract_cli.output.confidence_view import has_values, value_lines, values_cut
from llamaextract_cli.output.text import plural
from llamaextract_cli.timeparse import humanize_age, humanize_duration, parse_api_time

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

RESULT_LINES = 20
MAX_SCHEMA_FIELDS = 12
STATUS_STYLES: dict[str, str] = {
    "COMPLETED": "green",
    "FAILED": "bold red",
    "CANCELLED": "bright_black",
    "RUNNING": "cyan",
    "PENDING": "yellow",
    "THROTTLED": "yellow",
}


def render_jobs(
    jobs: Sequence[Mapping[str, Any]],
    stream: IO[str],
    *,
    color: bool,
    now: datetime,
    width: int | None = None,
    result_commands: Mapping[str, str] | None = None,
    hints: IO[str] | None = None,
) -> None:
    """Print one panel per job to `stream`; after a panel whose result was cut, the
    job's command of `result_commands` (built by the caller) on `hints`."""
    from rich.console import Console

    console = Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        width=width,
        highlight=False,
        emoji=False,
    )
    for job in jobs:
        console.print(job_panel(job, now, console.width))
        command = (result_commands or {}).get(str(job.get("id")))
        if command and hints is not None and result_cut(job):
            if has_values(job):
                command += " --metadata"  # every value, each with its confidence
            stream.flush()
            print(f"the whole result of {job.get('id')}:\n  {command}", file=hints, flush=True)


def job_panel(job: Mapping[str, Any], now: datetime, width: int = 80) -> RenderableType:
    """The panel; with field metadata, the result's values below the grid, full width."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    status = str(job.get("status") or "?")
    style = STATUS_STYLES.get(status, "")
    body: RenderableType = _grid(job, now)
    values = value_lines(job, width - 4) if has_values(job) else []
    if values:
        body = Group(body, Text("Result", style="bold"), *values)
    return Panel(
        body,
        title=Text(str(job.get("id", "?")), style="bold"),
        title_align="left",
        border_style=style or "none",
        expand=True,
    )


def _grid(job: Mapping[str, Any], now: datetime) -> Table:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    status = str(job.get("status") or "?")
    grid.add_row("Status", Text(status, style=STATUS_STYLES.get(status, "")))
    for label, value in _rows(job, now):
        grid.add_row(label, value if is_renderable(value) else Text(_plain(value)))
    return grid


def is_renderable(value: Any) -> bool:
    """A rich renderable the grid can take as it is (not a str: that would be markup)."""
    from rich.protocol import is_renderable as rich_renderable

    return not isinstance(value, str) and rich_renderable(value)


def _plain(value: Any) -> str:
    """A value the API sent where text was expected (an object for an ID): compact JSON."""
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _rows(job: Mapping[str, Any], now: datetime) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("Created", when(job.get("created_at"), now)),
        ("Updated", when(job.get("updated_at"), now)),
    ]
    took = job_duration_seconds(job)
    if took is not None:
        rows.append(("Took", humanize_duration(took)))
    optional: list[tuple[str, Any]] = [
        ("Input", job_input(job)),
        ("Project", job.get("project_id")),
        ("Config", config_summary(job)),
        ("Schema", schema_summary(job)),
        ("Usage", usage_summary(job)),
        ("Credits", credits_summary(job)),
        ("Error", _error_text(job.get("error_message"))),
        ("Result", None if has_values(job) else result_preview(job)),
    ]
    rows.extend((label, value) for label, value in optional if value not in (None, ""))
    return rows


def when(value: Any, now: datetime) -> str:
    """`2026-11-30 03:04:41 UTC (5m ago)`; the raw text when it cannot be read."""
    if not isinstance(value, str):
        return "-"
    moment = parse_api_time(value)
    if moment is None:
        return value
    absolute = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{absolute} ({humanize_age((now - moment).total_seconds())})"


def config_summary(job: Mapping[str, Any]) -> str | None:
    """`cfg-… · agentic · per_page · parse cost_effective`."""
    config = job.get("configuration")
    parts: list[str] = []
    if job.get("configuration_id"):
        parts.append(str(job["configuration_id"]))
    elif isinstance(config, Mapping):
        parts.append("inline")
    if isinstance(config, Mapping):
        for key, label in (("tier", ""), ("extraction_target", ""), ("parse_tier", "parse ")):
            if config.get(key):
                parts.append(f"{label}{config[key]}")
    return " · ".join(parts) or None


def schema_summary(job: Mapping[str, Any]) -> str | None:
    """The names of the schema's top-level fields: `invoice_number, total, … (+3)`."""
    config = job.get("configuration")
    schema = config.get("data_schema") if isinstance(config, Mapping) else None
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping) or not props:
        return None
    names = [str(n) for n in props]
    shown = ", ".join(names[:MAX_SCHEMA_FIELDS])
    more = len(names) - MAX_SCHEMA_FIELDS
    title = schema.get("title") if isinstance(schema, Mapping) else None
    text = f"{shown}, … (+{more})" if more > 0 else shown
    return f"{title}: {text}" if isinstance(title, str) and title else text


def usage_summary(job: Mapping[str, Any]) -> str | None:
    """`2 pages extracted (2 billed) · 754 document + 339 output tokens`."""
    metadata = job.get("metadata")
    usage = metadata.get("usage") if isinstance(metadata, Mapping) else None
    if not isinstance(usage, Mapping):
        return None
    parts: list[str] = []
    pages, billed = usage.get("num_pages_extracted"), usage.get("num_pages_billed")
    if pages is not None:
        parts.append(
            (plural(pages, "page") if isinstance(pages, int) else f"{pages} pages")
            + " extracted"
            + (f" ({billed} billed)" if billed is not None else "")
        )
    doc, out = usage.get("num_document_tokens"), usage.get("num_output_tokens")
    if doc is not None or out is not None:
        parts.append(
            f"{doc if doc is not None else '?'} document + "
            f"{out if out is not None else '?'} output tokens"
        )
    return " · ".join(parts) or None


def credits_summary(job: Mapping[str, Any]) -> str | None:
    """`12.0 (extract 10.0, parse 2.0)` from the top-level `usage` (current shape)."""
    usage = job.get("usage")
    if not isinstance(usage, Mapping) or not usage:
        return None
    total = usage.get("credits")
    parts = [
        f"{k.removesuffix('_credits')} {v}"
        for k, v in usage.items()
        if k != "credits" and k.endswith("_credits") and v is not None
    ]
    head = str(total) if total is not None else "?"
    return f"{head} ({', '.join(parts)})" if parts else head


def _error_text(message: Any) -> Any:
    if message in (None, ""):
        return None
    from rich.text import Text

    return Text(str(message), style="red")


def result_preview(job: Mapping[str, Any], max_lines: int = RESULT_LINES) -> Any:
    """The result as pretty JSON, cut after `max_lines` lines with a hint."""
    if "extract_result" not in job or job.get("extract_result") is None:
        return None
    from rich.text import Text

    lines = _result_lines(job)
    text = Text("\n".join(lines[:max_lines]), no_wrap=True, overflow="ellipsis")
    if len(lines) > max_lines:
        more = plural(len(lines) - max_lines, "more line")
        text.append(f"\n… {more} (see below)", style="dim")
    return text


def _result_lines(job: Mapping[str, Any]) -> list[str]:
    return json.dumps(job["extract_result"], indent=2, ensure_ascii=False).splitlines()


def result_cut(job: Mapping[str, Any], max_lines: int = RESULT_LINES) -> bool:
    """Whether the panel shows only the start of the job's result."""
    if job.get("extract_result") is None:
        return False
    if has_values(job):
        return values_cut(job)
    return len(_result_lines(job)) > max_lines
