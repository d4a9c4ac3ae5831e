"""`lx jobs rerun`: a new job per original, same input and configuration, the plan first.

The originals come from IDs (or stdin) or from the list filters (`jobs.rerun` fetches
them and makes each a `Planned` job or a `Skipped` one), handed to `create_flow.execute`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.commands.jobs import create_flow
from llamaextract_cli.cli.commands.jobs.changing import DryRunOpt, YesOpt
from llamaextract_cli.cli.commands.jobs.create_flow import (
    DEFAULT_MAX,
    FailFastOpt,
    IntervalOpt,
    MaxOpt,
    RateOpt,
    TimeoutOpt,
    WaitOpt,
)
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import FormatOpt, job_filters
from llamaextract_cli.errors import UsageError
from llamaextract_cli.jobs.pace import DEFAULT_RATE

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.jobs.create import Entry

RERUN_HELP = """Run jobs again: a new job per original, same input and configuration.

The originals are the JOB_IDs (`-` reads them from stdin), or every job the list
filters match (--status, --since, --config, ...; at least one filter or ID is
needed). Each gets a new job on its file_input, with its configuration_id, or
its inline configuration when it had none (read with expand=configuration), in
its project. Only finished originals (COMPLETED, FAILED, CANCELLED) are rerun,
each at most once (IDs given twice are used once, and said so).

The plan comes first, on stderr: how many jobs, which configurations and tiers,
their pages (the originals' metadata.usage.num_pages_extracted) and an estimate
of the credits (cost_effective 5, agentic 15 credits a page; other tiers show
pages only). On a terminal you are asked; off one --yes is needed (exit 2
without it, nothing created); --dry-run prints the plan and one record per
original (status PLANNED) and exits 0. --max N (default 25) refuses a larger
plan with exit 2: a typo in a filter must not rerun 5,000 jobs.

Creates are paced (--rate, default 5 a second, halved after a 429) and honour
Retry-After. A create that may have reached the service without an answer (a
timeout, a connection dropped after the request was sent) is never repeated:
it is reported with status UNKNOWN, to check before rerunning it.

Output: one record per original, as each create ends: {"original_id", "id" (the
new job), "status" (PENDING..., NOT_CREATED, UNKNOWN), "input",
"configuration_id", "error"}; a table on a terminal, jsonl in a pipe. --wait
then waits on the new jobs as `lx jobs wait` does.

Exit status: 0 every original rerun (with --wait: and COMPLETED); 1 a create
failed or is unknown, or an original could not be rerun (the rest are done and
printed), or with --wait a job FAILED; 2 bad usage, no --yes off a terminal,
over --max; 3 the key was refused; 4 an ID is unknown (and nothing else failed);
124 --wait timed out; 130 interrupted.

\b
Examples:
  lx jobs rerun ext-123                                    # shows the plan, asks
  lx jobs rerun --status FAILED --since 24h --dry-run      # last night's failures
  lx jobs rerun --status FAILED --since 24h --config cfg-… --yes --wait --timeout 30m
  lx jobs errors --since 24h -o json | jq -r '.[0].job_ids[]?' | lx jobs rerun - --yes
  lx jobs rerun -s FAILED --since 7d --max 200 --yes -o jsonl | jq -r 'select(.id).id'
"""


@app.command("rerun", help=RERUN_HELP)
@jq_option
@job_filters
def rerun_cmd(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[JOB_ID...]",
            help="The originals (ext-…); `-` alone reads them from stdin, one a line. "
            "Or none, and list filters.",
            show_default=False,
        ),
    ] = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    max_jobs: MaxOpt = DEFAULT_MAX,
    rate: RateOpt = DEFAULT_RATE,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = 2.0,
    fail_fast: FailFastOpt = False,
    output: FormatOpt = None,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.jobs.create import Planned, Skipped, planned_record
    from llamaextract_cli.output import create_view

    state = get_state(ctx)
    env = state.env
    opts = create_flow.options(
        "rerun", yes, dry_run, max_jobs, rate, wait, timeout, interval, output, None, fail_fast
    )
    args = list(ids or [])
    selecting = _selects(filters)
    if args and selecting:
        raise UsageError(
            "give job IDs or list filters, not both",
            hint="to rerun some of a listing, filter it: lx jobs rerun --status FAILED --id ext-…",
        )
    if not args and not selecting:
        raise UsageError(
            "which jobs? give job IDs, `-` for stdin, or list filters",
            hint="lx jobs rerun --status FAILED --since 24h --dry-run",
        )
    create_flow.refuse_without_terminal(state, opts, from_stdin=args == ["-"], what="the job IDs")
    scoped = state.scoped(replace(filters, expand=("configuration",)))
    organization = scoped.organization_id
    if args:
        entries = _originals_by_id(state, args, scoped, opts)
    else:
        entries = _originals_by_filter(state, scoped, opts)
    if not entries:
        return
    scope = JobFilter(project_id=scoped.project_id, organization_id=organization).params()

    def show_plan(todo: list[Any]) -> None:
        from llamaextract_cli.jobs.estimate import estimate

        create_view.write_rerun_plan(env.stderr, estimate(todo), color=state.color)

    count = sum(1 for e in entries if isinstance(e, Planned))
    create_flow.execute(
        state,
        opts,
        entries,
        show_plan=show_plan,
        question=f"Rerun {count} job{'s' if count != 1 else ''}?",
        dry_records=lambda todo: [
            e.record(dry_run=True) if isinstance(e, Skipped) else planned_record(e) for e in todo
        ],
        scope=scope,
    )


# --- helpers ------------------------------------------------------------------------------


def _selects(filters: JobFilter) -> bool:
    """Whether the filters select jobs (project, org and expand only scope them)."""
    return bool(
        filters.statuses
        or filters.since
        or filters.until
        or filters.configuration_id
        or filters.input_value
        or filters.file_input
        or filters.input_type
        or filters.job_ids
    )


def _originals_by_id(
    state: State, args: list[str], scoped: JobFilter, opts: create_flow.Options
) -> list[Entry]:
    from llamaextract_cli.jobs.ids import all_from_args
    from llamaextract_cli.jobs.rerun import drop_duplicates, fetch_originals
    from llamaextract_cli.output import create_view

    env = state.env
    wanted, duplicates = drop_duplicates(
        all_from_args(args, env.stdin, stdin_isatty=bool(env.stdin_isatty))
    )
    create_view.write_duplicates(env.stderr, duplicates, "each is rerun once")
    if not wanted:
        if args == ["-"]:
            env.warn("lx: no job IDs on stdin; nothing to do")
        return []
    create_flow.check_max(
        opts, len(wanted), hint=f"pass --max {len(wanted)} if {len(wanted)} reruns are right"
    )
    return fetch_originals(state, wanted, scoped.params(), scoped.organization_id)


def _originals_by_filter(state: State, scoped: JobFilter, opts: create_flow.Options) -> list[Entry]:
    from llamaextract_cli.jobs.rerun import entries, list_originals
    from llamaextract_cli.output import create_view

    # one more than allowed tells that there are too many, without listing them all
    listed = list_originals(state.client(), scoped, cap=opts.max_jobs + 1)
    create_view.write_duplicates(
        state.env.stderr, listed.repeated, "each is rerun once", given="listed more than once"
    )
    create_flow.check_max(
        opts,
        len(listed.jobs),
        more=listed.more,
        hint="narrow the filters, or raise --max if that many reruns are right",
    )
    if not listed.jobs:
        state.env.warn("lx: no job matches the filters; nothing to rerun")
    return entries(listed.jobs, scoped.organization_id)
