"""`lx jobs stats` and `lx jobs errors`: parse flags, stream jobs, hand them to `triage`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import FormatOpt, PageSizeOpt, job_filters
from llamaextract_cli.errors import UsageError
from llamaextract_cli.jobs.stats import GROUPINGS

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.jobs.stats import Window


STATS_HELP = """Aggregate jobs: counts by status and day, failure rate, pages, credits, durations.

Takes the filters of `jobs list`. Without --since, --until or --id the window is
the last 7 days (created_at). Every matching job is read once; memory does not
grow with their number. The window is read in concurrent time slices (global
--concurrency N, default 4; 1 reads one page at a time); the figures are the same.

failure_rate = FAILED / (COMPLETED + FAILED + CANCELLED): the share of finished
jobs that failed, null when none finished. Durations run from created_at to
updated_at of finished jobs (median and p95, to the second). Days and hours are
UTC; every day of the window is listed, empty ones included, and windows under
two days are also counted by hour. Tier needs the configuration, which stats
asks the API for itself.

-o json: one object with total, by_status, failure_rate, pages, credits,
duration_seconds, window, by_day (by_hour), by_configuration, by_tier,
by_input_type. -o csv/tsv/jsonl: the rows of --by (default: day, or hour for
windows under two days). -o table: a summary, bar charts, then the --by table.

\b
Examples:
  lx jobs stats                                  # last 7 days, in a terminal
  lx jobs stats --since 24h --by configuration
  lx jobs stats --since 30d -o json | jq .failure_rate
  lx jobs stats --since 30d -o json --jq .failure_rate   # no jq binary needed
  lx jobs stats --since 2w --by tier -o csv > tiers.csv
  lx --concurrency 8 jobs stats --since 90d -o json   # 8 requests in flight
"""

ERRORS_HELP = """Group FAILED jobs by the shape of their error message, most frequent first.

IDs, UUIDs, numbers, sizes, quoted text, paths, file names, URLs, e-mails and
times are masked (<id>, <n>, <size>, <str>, <path>, <file>, <url>,
<email>, <time>) so messages that differ only there fall in one group. Ties are
broken by the most recent last_seen. first_seen/last_seen are the created_at of
the oldest/newest job of the group. Jobs without a message form the group
"(no error message)".

Takes the filters of `jobs list` (the status is always FAILED). Without --since,
--until or --id the window is the last 7 days, read in concurrent time slices
(global --concurrency N, default 4).

-o json: a list of groups {pattern, count, share, first_seen, last_seen,
example_job_id, example_message, job_ids (newest first, up to --ids-per-group)};
-o jsonl: one group a line; -o csv/tsv: one row per group (job_ids space-separated);
-o wide: the table with the patterns whole, whatever the width. In a terminal the
command showing the largest group's example job follows on stderr, alone on its line.

\b
Examples:
  lx jobs errors                                 # last 7 days
  lx jobs errors --since 24h -c cfg-123 -L 5
  lx jobs errors -o json | jq -r '.[0].job_ids[]' | lx jobs get -
  lx jobs errors --jq '"\\(.count) \\(.pattern)"'
  lx jobs errors --since 1h --fail-if-any >/dev/null || alert "extract jobs failing"
"""


def utcnow() -> datetime:
    """The current time; tests replace it to pin the default window."""
    return datetime.now(timezone.utc)


def window_for(filters: JobFilter) -> tuple[JobFilter, Window]:
    from llamaextract_cli.jobs.stats import default_window

    window = default_window(filters.since, filters.until, bool(filters.job_ids), utcnow())
    return replace(filters, since=window.since), window


def _jobs(state: State, filters: JobFilter, page_size: int | None) -> Iterator[dict[str, Any]]:
    """Every job of the window, in concurrent time slices (aggregations need no order)."""
    from llamaextract_cli.api.window import iter_window

    return iter_window(
        state.client(),
        filters,
        concurrency=state.concurrency(),
        page_size=state.page_size(page_size),
        ordered=False,
    )


def _width(state: State) -> int:
    from llamaextract_cli.output.table import terminal_width

    env = state.env.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return terminal_width(state.env.stdout)


def console_for(state: State, *, width: int | None = None) -> Any:
    from llamaextract_cli.output.triage_view import make_console

    color = state.stdout_color
    return make_console(
        state.env.stdout,
        width=width or _width(state),
        color=color,
        terminal=bool(state.env.stdout_isatty),
        environ=state.env.environ,
    )


def write_rows(state: State, fmt: str, rows: list[dict[str, Any]], columns: Any = None) -> None:
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import Column

    if columns is None and fmt in ("csv", "tsv"):
        keys = list(rows[0]) if rows else []
        columns = [Column.for_key(k) for k in keys]
    renderer = make_renderer(fmt, state.env.stdout, columns=columns)
    try:
        for row in rows:
            renderer.write(row)
    finally:
        renderer.close()


@app.command("stats", help=STATS_HELP)
@jq_option
@job_filters
def stats(
    ctx: typer.Context,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            click_type=Choice(GROUPINGS, case_sensitive=False),
            help="Grouping of the table [default: configuration] and of the csv/tsv/jsonl "
            "rows [default: day; hour for windows under two days].",
        ),
    ] = None,
    output: FormatOpt = None,
    page_size: PageSizeOpt = None,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.jobs.stats import StatsAccumulator

    state = get_state(ctx)
    fmt = state.output_format(output)
    filters, window = window_for(state.scoped(filters))
    filters = replace(filters, expand=tuple(dict.fromkeys((*filters.expand, "configuration"))))
    acc = StatsAccumulator(window)
    jobs = _jobs(state, filters, page_size)
    try:
        acc.add_all(jobs)
    finally:
        jobs.close()  # type: ignore[attr-defined]
    _print_stats(state, fmt, acc, by.lower() if by else None)


def _print_stats(state: State, fmt: str, acc: Any, by: str | None) -> None:
    result = acc.result()
    if fmt in ("json", "yaml"):
        from llamaextract_cli.output.jobs_out import write_value

        write_value(state.env.stdout, result, pretty=True, fmt=fmt)
        return
    if fmt in ("table", "wide"):
        from llamaextract_cli.output.triage_view import render_stats

        chosen = by or "configuration"
        render_stats(console_for(state), result, acc.rows(chosen), chosen)
        return
    write_rows(state, fmt, acc.rows(by or ("hour" if acc.hourly() else "day")))


@app.command("errors", help=ERRORS_HELP)
@jq_option
@job_filters
def errors(
    ctx: typer.Context,
    ids_per_group: Annotated[
        int,
        typer.Option(
            "--ids-per-group", min=0, help="Job IDs kept per group, newest first.", metavar="N"
        ),
    ] = 20,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-L", min=1, help="Show the N largest groups only.", metavar="N"),
    ] = None,
    output: FormatOpt = None,
    page_size: PageSizeOpt = None,
    fail_if_any: Annotated[
        bool,
        typer.Option("--fail-if-any", help="Exit 1 when at least one FAILED job matched."),
    ] = False,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.jobs.error_groups import ErrorGroups

    state = get_state(ctx)
    if any(s != "FAILED" for s in filters.statuses):
        raise UsageError(
            "--status: jobs errors only looks at FAILED jobs",
            hint="drop --status, or use 'lx jobs list --status ...'",
        )
    fmt = state.output_format(output)
    filters, window = window_for(state.scoped(filters))
    filters = replace(filters, statuses=("FAILED",))
    acc = ErrorGroups(ids_per_group)
    jobs = _jobs(state, filters, page_size)
    try:
        # The query asks for FAILED jobs; a server that ignores `status` must not turn
        # COMPLETED or RUNNING jobs into error groups.
        acc.add_all(job for job in jobs if job.get("status") == "FAILED")
    finally:
        jobs.close()  # type: ignore[attr-defined]
    _print_errors(state, fmt, acc, limit)
    if fail_if_any and acc.total:
        raise typer.Exit(1)


_ERROR_COLUMNS = (
    "pattern",
    "count",
    "share",
    "first_seen",
    "last_seen",
    "example_job_id",
    "example_message",
)


def _print_errors(state: State, fmt: str, acc: Any, limit: int | None) -> None:
    groups = acc.groups(limit)
    if fmt in ("table", "wide"):
        from llamaextract_cli.output.text import plural
        from llamaextract_cli.output.triage_view import render_errors

        if not groups:
            state.env.warn("no FAILED jobs match")
            return
        wide = fmt == "wide"  # every column whole, whatever the width: the terminal wraps
        console = console_for(state, width=10_000 if wide else None)
        render_errors(console, groups, acc.total, utcnow(), wide=wide)
        shown = f" (showing {len(groups)})" if len(groups) < len(acc) else ""
        state.env.hint(
            f"{plural(acc.total, 'failed job')} in {plural(len(acc), 'group')}{shown}. "
            "Details of the largest group's example:",
            state.command("jobs", "get", str(groups[0]["example_job_id"])),
        )
        return
    columns = None
    if fmt in ("csv", "tsv"):
        from llamaextract_cli.output.columns import Column

        columns = [Column.for_key(k) for k in _ERROR_COLUMNS]
        columns.append(Column("job_ids", getter=lambda g: " ".join(g.get("job_ids") or ())))
    write_rows(state, fmt, groups, columns)
