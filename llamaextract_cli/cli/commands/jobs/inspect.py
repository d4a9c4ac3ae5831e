"""`lx jobs get` and `lx jobs result`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from llamaextract_cli import choices
from llamaextract_cli.cli import options
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.commands.jobs.listing import print_fields
from llamaextract_cli.cli.context import get_state
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
from llamaextract_cli.errors import UsageError
from llamaextract_cli.jobs import lookup

ExpandOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--expand",
        help="Also fetch configuration, extract_metadata and/or usage (repeatable or "
        "comma-separated). Default: none, except that the terminal view fetches "
        "configuration and usage.",
        metavar="configuration|extract_metadata|usage",
    ),
]

GET_HELP = """Show one or more jobs in full.

In a terminal each job is a panel: status, times, input, configuration, usage and
credits, error message and the start of the result. Otherwise (or with -o / -f)
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

RESULT_HELP = """Print a job's extract_result alone.

A per_doc result (one object) is printed as JSON: pretty in a terminal, compact
otherwise; -o csv|tsv|table make it one row. A per_page or per_table_row result
(an array of objects) is printed as rows: a table in a terminal, JSON Lines
otherwise, or csv/tsv/table with -o; --fields picks and orders the row fields
(dot paths into each row, numbers index arrays). `-o json` is always the value
as received (with --fields, each row cut down to those fields).

A job that is not COMPLETED has no result: exit 1, naming its status and, for a
FAILED job, its error message.

\b
Examples:
  lx jobs result ext-123 | jq .total
  lx jobs result ext-123 -o csv > pages.csv
  lx jobs result ext-123 -f page,invoice_number,total -o tsv
  lx jobs result ext-123 --jq .total                 # per row for an array result
  lx jobs result ext-123 -o yaml
  lx jobs wait "$JOB" && lx jobs result "$JOB" -o json > result.json
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
    from llamaextract_cli.output import jobs_out

    state = get_state(ctx)
    env = state.env
    if fields is not None and fields.strip() == "help":
        print_fields(env.stdout)
        return
    field_list = parse_field_list(fields)
    expands = expand_values(expand)
    panel = output is None and field_list is None and state.output_format(None) == "table"
    if panel:
        expands = tuple(dict.fromkeys((*expands, "configuration", "usage")))
    wanted = lookup.job_ids(state, ids)
    params = lookup.scope_params(state, expands, project_id, org)
    outcomes = lookup.fetch_or_fail(state, wanted, params)
    jobs = [o.value for o in outcomes if o.value is not None]
    color = state.stdout_color
    if panel:
        jobs_out.write_panels(env.stdout, jobs, color=color)
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
    jobs_out.write_failures(env.stderr, outcomes, state.error_format or "text")
    code = lookup.exit_status(outcomes)
    if code:
        raise typer.Exit(code)


# --- lx jobs result ---------------------------------------------------------------------


@app.command("result", help=RESULT_HELP)
@jq_option
def result_cmd(
    ctx: typer.Context,
    job_id: Annotated[
        str,
        typer.Argument(metavar="JOB_ID", help="The job (ext-…); `-` reads it from stdin."),
    ],
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
) -> None:
    from llamaextract_cli.output.rows import parse_row_fields, write_result

    state = get_state(ctx)
    env = state.env
    field_list = parse_row_fields(fields)
    job = lookup.fetch_one(state, lookup.one_id(state, job_id), project_id, org)
    result = lookup.completed_result(job)
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
