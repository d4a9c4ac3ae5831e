"""`lx jobs get` and `lx jobs result`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from llamaextract_cli import choices
from llamaextract_cli.cli import options
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.commands.jobs.listing import print_fields
from llamaextract_cli.cli.context import State, get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import (
    AbsoluteOpt,
    FieldsOpt,
    FormatOpt,
    JobIdsArg,
    OrgOpt,
    ProjectOpt,
    parse_field_list,
)
from llamaextract_cli.errors import ExitStatus, LxError, UsageError
from llamaextract_cli.jobs import lookup
from llamaextract_cli.output import jobs_out

ExpandOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--expand",
        help="Also fetch configuration, extract_metadata and/or usage (repeatable or "
        "comma-separated). Default: none, except that the terminal view fetches "
        "configuration, usage and extract_metadata.",
        metavar="configuration|extract_metadata|usage",
    ),
]

GET_HELP = """Show one or more jobs in full.

In a terminal each job is a panel: status, times, input, configuration, usage and
credits, error message and the start of the result (when it is cut, the command
printing it whole follows on stderr, alone on its line). When the job has field
metadata, the result is shown one value a line with its confidence (green from
0.9, yellow from 0.8, red and marked ▼ below 0.8: the mark reads without colour)
and the page it was cited from (p.3). Otherwise (or with -o / -f)
the formats of `lx jobs list`: `-o json` of one ID is that job's object, of
several an array in the order given; jsonl is one job a line.

Several IDs are fetched concurrently and printed in the order given. For IDs the
API does not know, the jobs found are printed, each unknown ID is named on stderr
(`lx: job ID not found`) and the exit status is 4.

\b
Examples:
  lx jobs get ext-123                                  # a panel per job
  lx jobs get ext-123 -o json | jq .error_message
  lx jobs get ext-123 --jq .error_message            # built-in jq, printed as jq -r
  lx jobs get ext-1 ext-2 -f id,status,usage.credits -o csv
  lx jobs get ext-123 --expand configuration,extract_metadata -o json
  lx jobs list -s FAILED -o jsonl | lx jobs get - -o jsonl
"""

RESULT_HELP = """Print jobs' extract_result alone.

One ID: a per_doc result (one object) is printed as JSON: pretty in a terminal,
compact otherwise; -o csv|tsv|table make it one row. A per_page or per_table_row
result (an array of objects) is printed as rows: a table in a terminal, JSON
Lines otherwise, or csv/tsv/table with -o; --fields picks and orders the row
fields (dot paths into each row, numbers index arrays). `-o json` is always the
value as received (with --fields, each row cut down to those fields). A job that
is not COMPLETED has no result: exit 1, naming its status and, for a FAILED job,
its error message.

Several IDs (or `-` with several on stdin) are fetched concurrently and printed
as rows in the order given: one per job for a per_doc result, one per item for
an array result. Each row is job_id, row (null for per_doc, else the 0-based
item index), then the result's fields; in csv/tsv/table nested objects are dot
path columns (vendor.name) and arrays one JSON cell, columns in first-seen
order. A result field named job_id or row is kept as result.job_id / result.row.
Jobs that are not COMPLETED are named on stderr and skipped (exit 1); unknown IDs
are named too (exit 4, which wins over 1 from skipped jobs; an API failure is 1).
`-o json` is one array of rows. For rows whatever the number of jobs, use
`lx jobs export --id A,B`.

--metadata (any number of IDs): one row per leaf value of the result, with
what the service says about it (needs expand=extract_metadata, fetched for you):
job_id, row, field (dot path with indices: line_items.0.amount), value,
confidence (the entry's, else the lower of extraction/parsing), extraction_
confidence, parsing_confidence, page (first cited page), citation (first cited
text), reasoning; json/jsonl add citations as received. A value without
metadata is still a row, its metadata empty. --fields picks those columns.

\b
Examples:
  lx jobs result ext-123 | jq .total
  lx jobs result ext-123 -o csv > pages.csv
  lx jobs result ext-123 -f page,invoice_number,total -o tsv
  lx jobs result ext-123 --jq .total                 # per row for an array result
  lx jobs result ext-123 -o yaml
  lx jobs wait "$JOB" && lx jobs result "$JOB" -o json > result.json
  lx jobs result ext-1 ext-2 ext-3 -o csv > results.csv
  lx jobs list -s COMPLETED --since 1d -f id | lx jobs result - -o jsonl
  lx jobs result ext-123 --metadata -o csv | sort -t, -k5 -g | head
  lx jobs result ext-123 --metadata | jq 'select(.confidence < 0.8)'
"""


def expand_values(values: Sequence[str] | None) -> tuple[str, ...]:
    try:
        return options.expand_values(values, choices.GET_EXPAND)
    except typer.BadParameter as e:
        raise UsageError(f"--expand: {e.message}", hint="see 'lx jobs get --help'") from None


# --- lx jobs get ------------------------------------------------------------------------


@app.command("get", help=GET_HELP)
@jq_option
def get_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    expand: ExpandOpt = None,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: FormatOpt = None,
    fields: FieldsOpt = None,
    absolute: AbsoluteOpt = False,
) -> None:
    state = get_state(ctx)
    env = state.env
    if fields is not None and fields.strip() == "help":
        print_fields(env.stdout)
        return
    field_list = parse_field_list(fields)
    expands = options.with_expansions(expand_values(expand), field_list, choices.GET_EXPAND)
    panel = output is None and field_list is None and state.output_format(None) == "table"
    if panel:
        expands = tuple(dict.fromkeys((*expands, "configuration", "usage", "extract_metadata")))
    wanted = lookup.job_ids(state, ids)
    params = lookup.scope_params(state, expands, project_id, org)
    outcomes = lookup.fetch_or_fail(state, wanted, params)
    jobs = [o.value for o in outcomes if o.value is not None]
    color = state.stdout_color
    if panel:
        commands = {
            str(j.get("id")): state.command("jobs", "result", str(j.get("id"))) for j in jobs
        }
        jobs_out.write_panels(
            env.stdout, jobs, color=color, result_commands=commands, hints=env.stderr
        )
    else:
        jobs_out.write_jobs(
            env.stdout,
            jobs,
            state.output_format(output),
            fields=field_list,
            single=len(wanted) == 1,
            absolute=absolute,
            color=color,
            pretty=bool(env.stdout_isatty),
        )
    use = options.field_use(field_list)
    for job in jobs if use is not None else ():
        use.see(job)
    options.warn_unmatched(env, use)
    jobs_out.write_failures(env.stderr, outcomes, state.error_format or "text")
    code = lookup.exit_status(outcomes)
    if code:
        raise typer.Exit(code)


# --- lx jobs result ---------------------------------------------------------------------


MetadataOpt = Annotated[
    bool,
    typer.Option(
        "--metadata",
        "-m",
        help="One row per leaf value with its confidence, cited page and text, reasoning "
        "(the long form; asks the API for extract_metadata).",
    ),
]


@app.command("result", help=RESULT_HELP)
@jq_option
def result_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: FormatOpt = None,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            "-f",
            help="Comma-separated row fields to show, in order; dot paths reach into "
            "nested values (parties.0.name).",
            metavar="A,B.C",
        ),
    ] = None,
    metadata: MetadataOpt = False,
) -> None:
    from llamaextract_cli.output.rows import parse_row_fields

    state = get_state(ctx)
    field_list = parse_row_fields(fields)
    wanted = lookup.job_ids(state, ids)
    if len(wanted) == 1 and not metadata:
        _one_result(state, wanted[0], project_id, org, output, field_list)
        return
    if not wanted:
        return
    from llamaextract_cli.output.rows_out import RowsSpec, write_rows

    expands = ("extract_metadata",) if metadata else ()
    params = lookup.scope_params(state, expands, project_id, org)
    outcomes = lookup.fetch_or_fail(state, wanted, params)
    jobs, skipped = [], []
    for outcome in outcomes:
        if outcome.value is None:
            continue
        try:
            lookup.completed_result(outcome.value, state.command)
        except LxError as e:
            skipped.append(e)
            continue
        jobs.append(outcome.value)
    env = state.env
    fmt = state.output_format(output)
    spec = RowsSpec(metadata=metadata, fields=field_list)
    try:
        count = write_rows(env.stdout, jobs, fmt, spec, color=state.stdout_color, warn=env.warn)
    finally:
        jobs_out.write_failures(env.stderr, outcomes, state.error_format or "text")
        for e in skipped:
            env.warn(f"lx: {e.message}; skipped")
    if not count and not skipped and env.stderr_isatty and jobs:
        env.warn("the results have no rows")
    code = lookup.exit_status(outcomes)
    if code == 0 and skipped:
        code = int(ExitStatus.ERROR)
    if code:
        raise typer.Exit(code)


def _one_result(
    state: State,
    job_id: str,
    project_id: str | None,
    org: str | None,
    output: str | None,
    field_list: list[str] | None,
) -> None:
    """One ID without --metadata: the result as received (the behaviour before rows)."""
    from llamaextract_cli.output.rows import write_result

    env = state.env
    job = lookup.fetch_one(state, job_id, project_id, org)
    result = lookup.completed_result(job, state.command)
    fmt = state.output_format(output) if isinstance(result, list) else output
    shown = write_result(
        env.stdout,
        result,
        fmt,
        field_list,
        pretty=bool(env.stdout_isatty),
        color=state.stdout_color,
    )
    if not shown and env.stderr_isatty:
        env.warn("the result has no rows")
    use = options.field_use(field_list, rows=True)
    if use is not None:
        from llamaextract_cli.output.rows import result_rows

        for row in result_rows(result):
            use.see(row)
        options.warn_unmatched(env, use, "row")
