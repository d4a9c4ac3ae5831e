"""`lx jobs wait`: poll until every job is terminal; the exit status tells the outcome.

The run, its loop and what its result means are `jobs.wait`; the progress display and
the summary are `output.wait_view`, handed to the run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.options import FieldsOpt, JobIdsArg, OrgOpt, ProjectOpt, parse_field_list
from llamaextract_cli.errors import NotFoundError, UsageError
from llamaextract_cli.jobs import lookup, wait
from llamaextract_cli.timeparse import DURATION_HELP

WAIT_HELP = """Wait until every job is terminal (COMPLETED, FAILED or CANCELLED).

Polls every --interval seconds; after the first 30 s the interval grows 1.5x per
poll up to 30 s, and it grows faster when the API answers 429. In a terminal a
live table of the jobs is shown on stderr, and cleared at the end; otherwise one
line per status change. At the end, one summary line per job on stderr.

Nothing is written on stdout unless -o or -f asks for the final jobs (in the
formats of `lx jobs get`: `-o json` of one ID is the job's object, with its
usage: the polls then ask for expand=usage).

Exit status: 0 every job COMPLETED; 1 a job FAILED or was CANCELLED (named, with
its error message); 124 --timeout ran out (the unfinished jobs are named);
4 a job ID is unknown; 130 interrupted: Ctrl-C stops waiting, never the jobs.

\b
Examples:
  lx jobs wait "$JOB" --timeout 10m || exit 1      # gate a CI step
  lx jobs wait ext-1 ext-2 --interval 5
  lx jobs wait "$JOB" -o json | jq .usage.credits
  lx jobs list -s RUNNING -o jsonl | lx jobs wait - --timeout 1h
"""

FinalFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-o",
        click_type=Choice(("table", "json", "jsonl", "csv", "tsv"), case_sensitive=False),
        help="Print the final jobs on stdout in this format (default: nothing on stdout; "
        "with -f alone, the format `lx jobs get` would use).",
        show_default=False,
    ),
]


@app.command("wait", help=WAIT_HELP)
def wait_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            "-t",
            help=f"Give up after DURATION ({DURATION_HELP}; a bare number is seconds) "
            "and exit 124. Default: wait as long as it takes.",
            metavar="DURATION",
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.5,
            help="Seconds between polls at first (then backing off up to 30 s).",
            metavar="SECONDS",
        ),
    ] = 2.0,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: FinalFormatOpt = None,
    fields: FieldsOpt = None,
) -> None:
    from llamaextract_cli.output import jobs_out, wait_view

    state = get_state(ctx)
    env = state.env
    limit = parse_timeout(timeout)
    field_list = parse_field_list(fields)
    wanted = lookup.job_ids(state, ids)
    if not wanted:
        return
    # The final jobs on stdout carry their usage (credits): what a CI step keeps of a job.
    printing = output is not None or field_list is not None
    params = lookup.scope_params(state, ("usage",) if printing else (), project_id, org)
    display = wait_view.make_display(
        env.stderr, wanted, live=bool(env.stderr_isatty), color=state.color, clock=wait.CLOCK
    )
    result = wait.wait_jobs(
        state, wanted, params, interval=interval, timeout=limit, display=display
    )
    unknown = wait.never_seen(result)
    found = [t for t in result.jobs if not t.missing]
    # An unknown ID (a typo, the wrong project) stops the wait at the first poll: what
    # was found is shown as it stands, the unknown IDs are named, and the exit is 4.
    why = "not waited for: an ID is unknown" if unknown else "timed out"
    wait_view.write_summary(env.stderr, found if unknown else result.jobs, why)
    if printing:
        jobs = [t.job for t in found if t.job is not None]
        jobs_out.write_jobs(
            env.stdout,
            jobs,
            state.output_format(output),
            fields=field_list,
            single=len(wanted) == 1,
            color=state.stdout_color,
            pretty=bool(env.stdout_isatty),
        )
    if unknown:
        wait_view.write_not_found(env.stderr, unknown)
        raise typer.Exit(int(NotFoundError.exit_status))
    wait.raise_outcome(result, limit)


def parse_timeout(text: str | None) -> float | None:
    if text is None:
        return None
    from llamaextract_cli.timeparse import TimeParseError, parse_duration

    value = text.strip()
    try:
        return float(value) if value.replace(".", "", 1).isdigit() else parse_duration(value)
    except TimeParseError as e:
        raise UsageError(f"--timeout: {e}", hint="e.g. --timeout 10m") from None
