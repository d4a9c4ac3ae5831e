"""`lx jobs export`: the result rows of every job the list filters match."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.options import (
    AllOpt,
    FormatOpt,
    LimitOpt,
    PageSizeOpt,
    PageTokenOpt,
    job_filters,
)
from llamaextract_cli.errors import UsageError

if TYPE_CHECKING:
    from llamaextract_cli.api.pager import Listing
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.jobs.export import ExportStats

DEFAULT_LIMIT = 30

EXPORT_HELP = """Export the results of the jobs the filters match, as rows.

The filters are those of `lx jobs list`; the default status is COMPLETED (jobs
in another status have no result: they are counted on stderr and left out).
Pages are fetched and written as they come (--limit N, default 30, or --all), in
fixed memory; a listed job that lacks its result is fetched by ID.

Each row is job_id, input (file_input or document_input_value), row (null for a
per_doc result, else the 0-based item index), then the result's fields: one row
per job for per_doc, one per item for per_page / per_table_row. A result field
named job_id, input or row is kept as result.job_id, result.input, result.row.
json/jsonl keep nested values as received. In csv/tsv/table nested objects are
dot path columns (vendor.name) and arrays one JSON cell; the header is the
configuration's data_schema leaf fields in schema order when every job has the
same configuration (one configuration ID, or equal inline schemas), then any
field outside it; else every field in first-seen order. To learn it, rows are
parked in an anonymous temporary file (gone when lx ends, Ctrl-C included),
except with --config ID, where that configuration's schema (read from one job
fetched with expand=configuration) is the header and rows stream straight out (a
field outside it is named on stderr).

--metadata: one row per leaf value instead: job_id, input, row, field (dot path
with indices: line_items.0.amount), value, confidence (the entry's, else the
lower of extraction/parsing), extraction_confidence, parsing_confidence, page
(first cited page), citation (first cited text), reasoning; json/jsonl add
citations as received. A value without metadata is still a row.

\b
Examples:
  lx jobs export --since 7d --config cfg-123 -o csv > invoices.csv
  lx jobs export --all --since 2026-11-01 --until 2026-11-30 -o jsonl | gzip > nov.jsonl.gz
  lx jobs export --id ext-1,ext-2 -o tsv
  lx jobs export --since 1d --metadata -o csv > values.csv
  lx jobs export --all --metadata | jq -c 'select(.confidence != null and .confidence < 0.8)'
"""


@app.command("export", help=EXPORT_HELP)
@job_filters
def export_cmd(
    ctx: typer.Context,
    output: FormatOpt = None,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            "-f",
            help="Comma-separated row columns to show, in order (job_id, input, row, or "
            "result fields as dot paths; with --metadata: field, value, confidence, ...).",
            metavar="A,B.C",
        ),
    ] = None,
    metadata: Annotated[
        bool,
        typer.Option(
            "--metadata",
            "-m",
            help="One row per leaf value with its confidence, cited page and text, "
            "reasoning (asks the API for extract_metadata).",
        ),
    ] = False,
    limit: LimitOpt = None,
    all_: AllOpt = False,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.api.pager import Listing
    from llamaextract_cli.jobs.export import (
        ConfigurationLookup,
        ExportStats,
        export_jobs,
        scope_params,
    )
    from llamaextract_cli.output.rows import parse_row_fields
    from llamaextract_cli.output.rows_out import RowsSpec, write_rows

    state = get_state(ctx)
    env = state.env
    if limit is not None and all_:
        raise UsageError("--limit and --all contradict each other", hint="use one of them")
    field_list = parse_row_fields(fields)
    fmt = state.output_format(output)
    expand = list(filters.expand)
    if metadata:
        expand.append("extract_metadata")
    filters = replace(
        state.scoped(filters),
        statuses=filters.statuses or ("COMPLETED",),
        expand=tuple(dict.fromkeys(expand)),
    )
    info = Listing()
    stats = ExportStats()
    jobs = export_jobs(
        state,
        filters,
        metadata=metadata,
        limit=None if all_ else (limit or DEFAULT_LIMIT),
        page_size=state.page_size(page_size),
        trim=page_size is None,
        token=page_token,
        info=info,
        stats=stats,
    )
    spec = RowsSpec(
        metadata=metadata,
        with_input=True,
        fields=field_list,
        shared_schema=filters.configuration_id is not None,
    )
    try:
        write_rows(
            env.stdout,
            jobs,
            fmt,
            spec,
            color=state.stdout_color,
            warn=env.warn,
            schema_of=ConfigurationLookup(state, scope_params(filters)),
        )
    finally:
        jobs.close()
    _report(state, stats, info)


def _report(state: State, stats: ExportStats, info: Listing) -> None:
    """What was left out, and on a terminal whether more jobs match."""
    from llamaextract_cli.cli.commands.jobs.streaming import _hint_more

    env = state.env
    for job_id in stats.vanished:
        env.warn(f"lx: job {job_id} was listed but is gone (404 on fetching it); left out")
    if stats.skipped:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(stats.skipped.items()))
        env.warn(f"lx: left out {parts} (only COMPLETED jobs have a result)")
    if env.stderr_isatty:
        if stats.jobs == 0:
            env.warn("no jobs match")
        elif info.more:
            _hint_more(state, stats.jobs, info.next_token, "lx jobs export")
