"""`lx jobs wait`: poll until every job is terminal; the exit status tells the outcome.

The run, its loop and what its result means are `jobs.wait`; the progress display and
the summary are `output.wait_view`, handed to the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llamaextract_cli import choices
from llamaextract_cli.api.query import JobFilter  # at run time: job_filters reads the signature
from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import FieldsOpt, JobIdsArg, job_filters, parse_field_list
from llamaextract_cli.errors import NotFoundError, UsageError
from llamaextract_cli.jobs import lookup, wait
from llamaextract_cli.timeparse import DURATION_HELP

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State

MAX_SELECTED = 500

WAIT_HELP = """Wait until every job is terminal (COMPLETED, FAILED or CANCELLED).

The jobs are the IDs given (or `-` for stdin), or, with no IDs, every job the list
filters (--status, --since, --config, ...: as for `lx jobs list`) match when the wait
starts: zero matches is exit 0 with a note; more than --max (default 500) is refused.
--fail-fast stops at the first FAILED or CANCELLED job (exit 1, naming it) instead of
waiting for the rest.

Polls every --interval seconds; after the first 30 s the interval grows 1.5x per
poll up to 30 s, and it grows faster when the API answers 429. In a terminal a
live table of the jobs is shown on stderr, and cleared at the end; otherwise one
line per status change. At the end, one summary line per job on stderr.

Nothing is written on stdout unless -o, -f or --jq asks for the final jobs (in
the formats of `lx jobs get`: `-o json` of one ID is the job's object, with its
usage: the polls then ask for expand=usage).

Exit status: 0 every job COMPLETED; 1 a job FAILED or was CANCELLED (named, with
its error message); 124 --timeout ran out (the unfinished jobs are named);
4 a job ID is unknown; 130 interrupted: Ctrl-C stops waiting, never the jobs.

\b
Examples:
  lx jobs wait "$JOB" --timeout 10m || exit 1      # gate a CI step
  lx jobs wait ext-1 ext-2 --interval 5
  lx jobs wait "$JOB" -o json | jq .usage.credits
  lx jobs wait "$JOB" --jq .usage.credits          # --jq prints the final jobs
  lx jobs list -s RUNNING -o jsonl | lx jobs wait - --timeout 1h
  lx jobs wait --config cfg-1 --since 1h --fail-fast   # a batch: stop at its first failure
"""

FinalFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-o",
        click_type=Choice(choices.FORMATS, case_sensitive=False),
        help="Print the final jobs on stdout in this format (default: nothing on stdout; "
        "with -f alone, the format `lx jobs get` would use).",
        show_default=False,
    ),
]


@app.command("wait", help=WAIT_HELP)
@jq_option
@job_filters
def wait_cmd(
    ctx: typer.Context,
    filters: JobFilter,
    ids: JobIdsArg = None,  # type: ignore[assignment]
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
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Exit 1 as soon as one job is FAILED or CANCELLED, without waiting for the rest.",
        ),
    ] = False,
    max_jobs: Annotated[
        int,
        typer.Option(
            "--max",
            min=1,
            max=100_000,
            help="With filters and no IDs: refuse to wait on more jobs than this.",
            metavar="N",
        ),
    ] = MAX_SELECTED,
    output: FinalFormatOpt = None,
    fields: FieldsOpt = None,
) -> None:
    from llamaextract_cli.output import jobs_out, wait_view

    state = get_state(ctx)
    env = state.env
    limit = parse_timeout(timeout)
    field_list = parse_field_list(fields)
    wanted = _wanted(state, list(ids or ()), filters, max_jobs)
    if not wanted:
        return
    from llamaextract_cli.cli.options import field_use, warn_unmatched, with_expansions

    # The final jobs on stdout carry their usage (credits): what a CI step keeps of a job;
    # and whatever expansion the fields need.
    printing = output is not None or field_list is not None
    asked = ("usage",) if printing else ()
    expand = with_expansions(asked, field_list, choices.GET_EXPAND)
    params = lookup.scope_params(state, expand, filters.project_id, filters.organization_id)
    display = wait_view.make_display(
        env.stderr, wanted, live=bool(env.stderr_isatty), color=state.color, clock=wait.CLOCK
    )
    result = wait.wait_jobs(
        state,
        wanted,
        params,
        interval=interval,
        timeout=limit,
        display=display,
        fail_fast=fail_fast,
    )
    unknown = wait.never_seen(result)
    found = [t for t in result.jobs if not t.missing]
    # An unknown ID (a typo, the wrong project) stops the wait at the first poll: what
    # was found is shown as it stands, the unknown IDs are named, and the exit is 4.
    why = "not waited for: an ID is unknown" if unknown else "timed out"
    if result.stopped_early:
        why = "not waited for (--fail-fast)"
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
        use = field_use(field_list)
        for job in jobs if use is not None else ():
            use.see(job)
        warn_unmatched(env, use)
    if unknown:
        wait_view.write_not_found(env.stderr, unknown, state.error_format or "text")
        raise typer.Exit(int(NotFoundError.exit_status))
    wait.raise_outcome(result, limit)


def _is_selector(filters: JobFilter) -> bool:
    """Whether a filter that picks jobs was given (scope and --expand pick none)."""
    f = filters
    return bool(
        f.statuses
        or f.since
        or f.until
        or f.configuration_id
        or f.input_value
        or f.file_input
        or f.input_type
        or f.job_ids
    )


def _wanted(state: State, ids: list[str], filters: JobFilter, max_jobs: int) -> list[str]:
    """The IDs to wait on: the arguments (or stdin), or every job the filters match now."""
    if ids and _is_selector(filters):
        raise UsageError(
            "give job IDs or list filters, not both",
            hint="e.g. lx jobs wait ext-1 ext-2, or lx jobs wait --config cfg-1 --since 1h",
        )
    if ids:
        return lookup.job_ids(state, ids)
    if not _is_selector(filters):
        raise UsageError(
            "name the jobs to wait on: job IDs, - for stdin, or list filters",
            hint="e.g. lx jobs wait ext-1, or lx jobs wait --status RUNNING --since 1h",
        )
    found = wait.selected_ids(state, state.scoped(filters), limit=max_jobs, page_size=100)
    if len(found) > max_jobs:
        raise UsageError(
            f"more than {max_jobs} jobs match the filters; refusing to wait on them all",
            hint=f"narrow the filters, or raise the bound: --max {max_jobs * 2}",
        )
    if not found:
        state.env.warn("lx: no jobs match the filters; nothing to wait for")
    else:
        noun = "job" if len(found) == 1 else "jobs"
        state.env.warn(f"lx: waiting on {len(found)} {noun} that match the filters")
    return found


def parse_timeout(text: str | None) -> float | None:
    if text is None:
        return None
    from llamaextract_cli.timeparse import TimeParseError, parse_duration

    value = text.strip()
    try:
        return float(value) if value.replace(".", "", 1).isdigit() else parse_duration(value)
    except TimeParseError as e:
        raise UsageError(f"--timeout: {e}", hint="e.g. --timeout 10m") from None
