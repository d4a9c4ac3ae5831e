"""`lx jobs get` and `lx jobs result`, and the helpers the other one-job commands share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli import choices, options
from llamaextract_cli.commands.jobs import app
from llamaextract_cli.commands.jobs.listing import parse_field_list, print_fields
from llamaextract_cli.context import get_state
from llamaextract_cli.errors import ExitStatus, JobsFailed, NotFoundError, UsageError
from llamaextract_cli.options import AbsoluteOpt, FieldsOpt, FormatOpt

if TYPE_CHECKING:
    from llamaextract_cli.api.batch import Outcome
    from llamaextract_cli.context import State

JobIdsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="JOB_ID...",
        help="Job IDs (ext-…); `-` alone reads them from stdin, one a line "
        "(plain IDs, or JSON objects with an id as `lx jobs list -o jsonl` writes).",
        show_default=False,
    ),
]
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
ProjectOpt = Annotated[
    str | None,
    typer.Option("--project", help="Project ID [default: the profile's project_id].", metavar="ID"),
]
OrgOpt = Annotated[
    str | None,
    typer.Option(
        "--org", help="Organization ID [default: the profile's organization_id].", metavar="ID"
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
  lx jobs wait "$JOB" && lx jobs result "$JOB" -o json > result.json
"""


# --- helpers shared by get, result, wait, cancel and delete ---------------------------


def job_ids(state: State, args: Sequence[str]) -> list[str]:
    """The IDs of the arguments, or of stdin for `-`; an empty stdin says so on stderr."""
    from llamaextract_cli.jobids import STDIN, from_args

    env = state.env
    ids = from_args(args, env.stdin, stdin_isatty=bool(env.stdin_isatty))
    if not ids and list(args) == [STDIN]:
        env.warn("lx: no job IDs on stdin; nothing to do")
    return ids


def expand_values(values: Sequence[str] | None) -> tuple[str, ...]:
    try:
        return options.expand_values(values, choices.GET_EXPAND)
    except typer.BadParameter as e:
        raise UsageError(f"--expand: {e.message}", hint="see 'lx jobs get --help'") from None


def scope_params(
    state: State, expand: Sequence[str] = (), project: str | None = None, org: str | None = None
) -> list[tuple[str, str]]:
    """expand, project_id and organization_id query parameters (scope from the profile)."""
    from llamaextract_cli.api.client import expand_params

    for flag, value in (("--project", project), ("--org", org)):
        if value is not None and not value.strip():  # as for `jobs list`
            raise UsageError(f"{flag} must not be empty", hint="name one, or leave the flag out")
    settings = state.settings()
    return expand_params(expand, project or settings.project_id, org or settings.organization_id)


def fetch_jobs(
    state: State, ids: Sequence[str], params: Sequence[tuple[str, str]]
) -> list[Outcome[dict[str, Any]]]:
    """GET every ID, a few at a time; outcomes in the order of `ids`."""
    from llamaextract_cli.api.batch import run_each

    client = state.client()

    def get(job_id: str) -> dict[str, Any]:
        try:
            return client.get_job(job_id, params)
        except UsageError as e:  # 422 on the path: the server finds the ID malformed
            if "job_id" in e.message:
                raise NotFoundError(f"job {job_id} not found ({e.message})") from None
            raise

    return run_each(get, ids)


def fetch_or_fail(
    state: State, ids: Sequence[str], params: Sequence[tuple[str, str]]
) -> list[Outcome[dict[str, Any]]]:
    """`fetch_jobs`, raising the error itself when every ID met the same one."""
    from llamaextract_cli.api.batch import common_failure

    outcomes = fetch_jobs(state, ids, params)
    error = common_failure(outcomes)
    if error is not None:
        raise error
    return outcomes


def report_failures(state: State, outcomes: Sequence[Outcome[Any]]) -> int:
    """One stderr line per ID that failed; the exit status: 1 if any failed otherwise,
    else 4 if any was unknown, else 0."""
    unknown = failed = False
    for o in outcomes:
        if o.not_found:
            state.env.warn(f"lx: job {o.id} not found")
            unknown = True
        elif o.error is not None:
            state.env.warn(f"lx: job {o.id}: {o.error.message}")
            failed = True
    if failed:
        return int(ExitStatus.ERROR)
    return int(ExitStatus.NOT_FOUND if unknown else ExitStatus.OK)


def write_json_value(state: State, value: Any) -> None:
    """One JSON value: indented in a terminal, compact otherwise."""
    env = state.env
    if env.stdout_isatty:
        import json

        env.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    else:
        from llamaextract_cli.output.encode import dumps

        env.stdout.write(dumps(value) + "\n")
    env.stdout.flush()


def project(item: Mapping[str, Any], fields: Sequence[str] | None) -> Any:
    if not fields:
        return item
    from llamaextract_cli.fields import get_path

    return {f: get_path(item, f) for f in fields}


def write_jobs(
    state: State,
    jobs: Sequence[Mapping[str, Any]],
    fmt: str,
    *,
    fields: Sequence[str] | None = None,
    single: bool = False,
    absolute: bool = False,
) -> None:
    """Jobs in a list format; `-o json` of a single ID is the object itself."""
    if fmt == "json" and single:
        if jobs:
            write_json_value(state, project(jobs[0], fields))
        return
    from datetime import datetime, timezone

    from llamaextract_cli.output import make_renderer

    env = state.env
    renderer = make_renderer(
        fmt,
        env.stdout,
        fields=fields,
        color=state.color and bool(env.stdout_isatty),
        now=datetime.now(timezone.utc),
        absolute_times=absolute,
    )
    for job in jobs:
        renderer.write(job)
    renderer.close()


# --- lx jobs get ------------------------------------------------------------------------


@app.command("get", help=GET_HELP)
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
    if fields is not None and fields.strip() == "help":
        print_fields(state.env.stdout)
        return
    field_list = parse_field_list(fields)
    expands = expand_values(expand)
    panel = output is None and field_list is None and state.output_format(None) == "table"
    if panel:
        expands = tuple(dict.fromkeys((*expands, "configuration", "usage")))
    wanted = job_ids(state, ids)
    outcomes = fetch_or_fail(state, wanted, scope_params(state, expands, project_id, org))
    jobs = [o.value for o in outcomes if o.value is not None]
    if panel:
        _print_panels(state, jobs)
    else:
        fmt = state.output_format(output)
        write_jobs(state, jobs, fmt, fields=field_list, single=len(wanted) == 1, absolute=absolute)
    code = report_failures(state, outcomes)
    if code:
        raise typer.Exit(code)


def _print_panels(state: State, jobs: Sequence[Mapping[str, Any]]) -> None:
    from datetime import datetime, timezone

    from llamaextract_cli.output.job_view import render_jobs

    env = state.env
    color = state.color and bool(env.stdout_isatty)
    render_jobs(jobs, env.stdout, color=color, now=datetime.now(timezone.utc))


# --- lx jobs result ---------------------------------------------------------------------


@app.command("result", help=RESULT_HELP)
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
    from llamaextract_cli.output.rows import parse_row_fields

    state = get_state(ctx)
    field_list = parse_row_fields(fields)
    result = completed_result(fetch_one(state, one_id(state, job_id), project_id, org))
    if isinstance(result, list):
        _write_rows(state, result, state.output_format(output), field_list)
    elif output in ("csv", "tsv", "table"):
        _write_rows(state, [result], output, field_list)
    elif output == "jsonl":
        from llamaextract_cli.output.encode import dumps

        state.env.stdout.write(dumps(_project_value(result, field_list)) + "\n")
    else:
        write_json_value(state, _project_value(result, field_list))


def one_id(state: State, arg: str) -> str:
    """The job ID argument, or the one ID on stdin for `-`."""
    from llamaextract_cli.jobids import from_args

    env = state.env
    ids = from_args([arg], env.stdin, stdin_isatty=bool(env.stdin_isatty))
    if len(ids) != 1:
        got = "no job ID" if not ids else f"{len(ids)} job IDs"
        raise UsageError(f"lx jobs result takes one job; stdin held {got}")
    return ids[0]


def fetch_one(state: State, job_id: str, project_id: str | None, org: str | None) -> Any:
    [outcome] = fetch_jobs(state, [job_id], scope_params(state, (), project_id, org))
    if outcome.not_found:
        raise NotFoundError(f"job {job_id} not found")
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def completed_result(job: Mapping[str, Any]) -> Any:
    """The job's extract_result; JobsFailed (exit 1) when it has none to give."""
    job_id, status = job.get("id", "?"), job.get("status")
    if status != "COMPLETED":
        if status == "FAILED":
            why = job.get("error_message") or "no error message"
            raise JobsFailed(f"job {job_id} is FAILED, so it has no result: {why}")
        if status == "CANCELLED":
            raise JobsFailed(f"job {job_id} is CANCELLED, so it has no result")
        raise JobsFailed(
            f"job {job_id} is {status}, so it has no result yet",
            hint=f"lx jobs wait {job_id} && lx jobs result {job_id}",
        )
    result = job.get("extract_result")
    if result is None:
        raise JobsFailed(f"job {job_id} is COMPLETED but carries no extract_result")
    return result


def _project_value(value: Any, fields: Sequence[str] | None) -> Any:
    if not fields:
        return value
    if isinstance(value, list):
        return [project(row, fields) if isinstance(row, dict) else row for row in value]
    return project(value, fields) if isinstance(value, dict) else value


def _write_rows(state: State, result: list[Any], fmt: str, fields: list[str] | None) -> None:
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.rows import result_columns, result_rows

    env = state.env
    if fmt == "json":
        write_json_value(state, _project_value(result, fields))
        return
    rows = result_rows(result)
    columns = result_columns(rows, fields) if (fields or fmt != "jsonl") else None
    if columns is not None and not columns:  # no rows, no keys: nothing to show
        if env.stderr_isatty:
            env.warn("the result has no rows")
        return
    renderer = make_renderer(
        fmt, env.stdout, columns=columns, color=state.color and bool(env.stdout_isatty)
    )
    for row in rows:
        renderer.write(row)
    renderer.close()
