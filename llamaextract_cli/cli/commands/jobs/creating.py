"""`lx jobs create` and `lx jobs rerun`: start jobs, plan and estimate first.

Both parse their flags into `Planned` jobs (and, for rerun, `Skipped` originals) and
hand them to `create_flow.execute`, which shows the plan, asks, creates at a pace,
prints and waits.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands.jobs import create_flow
from llamaextract_cli.cli.commands.jobs.changing import DryRunOpt, YesOpt
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.options import FieldsOpt, FormatOpt, OrgOpt, ProjectOpt, job_filters
from llamaextract_cli.errors import UsageError
from llamaextract_cli.jobs.pace import DEFAULT_RATE, MAX_RATE
from llamaextract_cli.timeparse import DURATION_HELP

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.jobs.create import Entry

DEFAULT_MAX = 25

MaxOpt = Annotated[
    int,
    typer.Option(
        "--max",
        min=1,
        help="Refuse (exit 2) to create more jobs than N: a typo in a filter must not "
        "start thousands.",
        metavar="N",
    ),
]
RateOpt = Annotated[
    float,
    typer.Option(
        "--rate",
        min=0.1,
        max=MAX_RATE,
        help="Creates per second at most (the service throttles at about 15/s); halved "
        "after each 429.",
        metavar="N",
    ),
]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait", "-w", help="Then wait for the new jobs as `lx jobs wait` does (same exits)."
    ),
]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        "-t",
        help=f"With --wait: give up after DURATION ({DURATION_HELP}) and exit 124.",
        metavar="DURATION",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        min=0.5,
        help="With --wait: seconds between polls at first (then backing off up to 30 s).",
        metavar="SECONDS",
    ),
]

CREATE_HELP = """Start extract jobs: one per file input, all with one configuration.

The configuration is a saved one (--config ID) or an inline one: --schema FILE (a
JSON Schema: the fields to extract) with --tier, --target, --system-prompt,
--cite, --confidence, or --configuration FILE (a whole ExtractConfiguration
object; those flags override its keys). `-` reads the file from stdin. A file
that is not valid JSON, or --config with --schema, is a usage error (exit 2)
before any request.

Jobs cost credits, so the plan is shown first (the inputs, the configuration) and
on a terminal you are asked; off a terminal --yes is needed (exit 2 without it,
nothing created); --dry-run prints the request bodies on stdout and creates
nothing. --max N (default 25) refuses a larger plan. Creates are paced (--rate,
default 5 a second) and honour 429/Retry-After; a create that may have reached
the service without an answer (a timeout, a dropped connection) is never sent
again: it is reported as unknown, to check with `lx jobs list --input ID`.

Output: the created jobs, as the API answered (PENDING), each as soon as it is
created: a table on a terminal, jsonl in a pipe, `-o json` of one input the
object alone. Failures are named on stderr. --wait then waits for the jobs
exactly like `lx jobs wait` (its display, --timeout, --interval).

Exit status: 0 every job created (with --wait: and COMPLETED); 1 a create failed
or is unknown (the others are printed), or with --wait a job FAILED; 2 bad
usage, no --yes off a terminal, over --max; 3 the key was refused; 124 --wait
timed out; 130 interrupted.

\b
Examples:
  lx jobs create --file-input dfl-… --config cfg-… --yes
  lx jobs create --file-input dfl-1 --file-input dfl-2 --schema invoice.json --tier agentic
  lx jobs create --file-input dfl-… --schema schema.json --dry-run -o json   # the bodies
  lx jobs create --file-input dfl-… --config cfg-… --yes --wait --timeout 10m -o json
  cat inputs.txt | lx jobs create --file-input - --config cfg-… --yes --max 100
"""

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


@app.command("create", help=CREATE_HELP)
def create_cmd(
    ctx: typer.Context,
    file_input: Annotated[
        list[str] | None,
        typer.Option(
            "--file-input",
            "-i",
            help="A file ID (dfl-…) or parse job ID (pjb-…) to extract from; repeatable or "
            "comma-separated; `-` reads them from stdin, one a line.",
            metavar="ID",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", help="A saved extract configuration ID.", metavar="ID"),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            help="A JSON Schema file (`-`: stdin): the fields to extract.",
            metavar="FILE",
        ),
    ] = None,
    configuration: Annotated[
        str | None,
        typer.Option(
            "--configuration",
            help="A whole ExtractConfiguration JSON file (`-`: stdin), data_schema included.",
            metavar="FILE",
        ),
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option(
            "--tier",
            click_type=Choice(
                ("cost_effective", "agentic", "agentic_plus", "turbo"), case_sensitive=False
            ),
            help="Extract tier of an inline configuration.",
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            click_type=Choice(("per_doc", "per_page", "per_table_row"), case_sensitive=False),
            help="extraction_target of an inline configuration.",
        ),
    ] = None,
    system_prompt: Annotated[
        str | None,
        typer.Option(
            "--system-prompt", help="system_prompt of an inline configuration.", metavar="TEXT"
        ),
    ] = None,
    cite: Annotated[
        bool | None,
        typer.Option(
            "--cite/--no-cite", help="cite_sources of an inline configuration.", show_default=False
        ),
    ] = None,
    confidence: Annotated[
        bool | None,
        typer.Option(
            "--confidence/--no-confidence",
            help="confidence_scores of an inline configuration.",
            show_default=False,
        ),
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook",
            help="A URL to notify of the jobs' status changes (webhook_configurations); "
            "repeatable.",
            metavar="URL",
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
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: FormatOpt = None,
    fields: FieldsOpt = None,
) -> None:
    from llamaextract_cli.jobs import configuration as conf
    from llamaextract_cli.output import create_view

    state = get_state(ctx)
    env = state.env
    opts = _options("create", yes, dry_run, max_jobs, rate, wait, timeout, interval, output, fields)
    inputs = list(file_input or [])
    if not inputs:
        raise UsageError(
            "--file-input is required: the file ID (dfl-…) or parse job ID to extract from",
            hint="lx jobs create --file-input dfl-… --config cfg-…",
        )
    stdin_flags = [
        f for f, v in (("--schema", schema), ("--configuration", configuration)) if v == "-"
    ]
    if inputs == ["-"] and stdin_flags:
        raise UsageError(
            f"--file-input - and {stdin_flags[0]} - both read stdin; only one can",
            hint=f"pass {stdin_flags[0]} as a file",
        )
    for url in webhook or ():
        if not url.strip().lower().startswith(("https://", "http://")):
            raise UsageError(f"--webhook {url!r} is not an http(s) URL")
    create_flow.refuse_without_terminal(
        state,
        opts,
        from_stdin=inputs == ["-"] or bool(stdin_flags),
        what="the file inputs" if inputs == ["-"] else "the configuration",
    )
    choice = conf.choose(
        config_id=config,
        schema=schema,
        configuration=configuration,
        options=conf.Options(
            tier=tier.lower() if tier else None,
            target=target.lower() if target else None,
            system_prompt=system_prompt,
            cite=cite,
            confidence=confidence,
        ),
        stdin=env.stdin,
        stdin_isatty=bool(env.stdin_isatty),
    )
    values, duplicates = _file_inputs(state, inputs)
    create_view.write_duplicates(env.stderr, duplicates, "one job is created for each")
    if not values:
        return
    create_flow.check_max(
        opts, len(values), hint=f"pass --max {len(values)} if {len(values)} jobs are right"
    )
    scope = _scope(state, project_id, org)
    project = dict(scope).get("project_id")
    organization = dict(scope).get("organization_id")
    from llamaextract_cli.jobs.create import Planned

    items = [
        Planned(
            input=v,
            configuration_id=choice.configuration_id,
            configuration=choice.configuration,
            project_id=project,
            organization_id=organization,
            webhooks=tuple(u.strip() for u in webhook or ()),
            tier=choice.tier,
        )
        for v in values
    ]
    description = conf.describe(choice)
    count = len(items)
    create_flow.execute(
        state,
        opts,
        items,
        show_plan=lambda todo: create_view.write_create_plan(env.stderr, todo, description),
        question=f"Create {count} job{'s' if count != 1 else ''}?",
        dry_records=lambda todo: [e.body() for e in todo if isinstance(e, Planned)],
        dry_columns=_body_columns(),
        scope=scope,
    )


@app.command("rerun", help=RERUN_HELP)
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
    output: FormatOpt = None,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.jobs.create import Planned, Skipped, planned_record
    from llamaextract_cli.output import create_view

    state = get_state(ctx)
    env = state.env
    opts = _options("rerun", yes, dry_run, max_jobs, rate, wait, timeout, interval, output, None)
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


def _options(
    verb: str,
    yes: bool,
    dry_run: bool,
    max_jobs: int,
    rate: float,
    wait: bool,
    timeout: str | None,
    interval: float,
    output: str | None,
    fields: str | None,
) -> create_flow.Options:
    from llamaextract_cli.cli.commands.jobs.waiting import parse_timeout
    from llamaextract_cli.cli.options import parse_field_list

    if (timeout is not None) and not wait:
        raise UsageError("--timeout applies to --wait", hint="add --wait, or drop --timeout")
    return create_flow.Options(
        verb=verb,
        yes=yes,
        dry_run=dry_run,
        max_jobs=max_jobs,
        rate=rate,
        wait=wait,
        timeout=parse_timeout(timeout),
        interval=interval,
        output=output,
        fields=parse_field_list(fields),
    )


def _selects(filters: JobFilter) -> bool:
    """Whether the filters select jobs (project, org and expand only scope them)."""
    return bool(
        filters.statuses
        or filters.since
        or filters.until
        or filters.configuration_id
        or filters.input_value
        or filters.input_type
        or filters.job_ids
    )


def _scope(state: State, project: str | None, org: str | None) -> list[tuple[str, str]]:
    from llamaextract_cli.jobs.lookup import scope_params

    return scope_params(state, (), project, org)


def _file_inputs(state: State, values: list[str]) -> tuple[list[str], list[str]]:
    from llamaextract_cli.jobs.ids import STDIN, all_from_args
    from llamaextract_cli.jobs.rerun import drop_duplicates

    env = state.env
    if STDIN in values and len(values) > 1:
        raise UsageError(
            "--file-input - (read them from stdin) must be the only --file-input",
            hint="pipe every file input in, one a line",
        )
    if STDIN in values:
        raw = all_from_args(values, env.stdin, stdin_isatty=bool(env.stdin_isatty))
        if not raw:
            env.warn("lx: no file inputs on stdin; nothing to do")
    else:
        raw = [v.strip() for value in values for v in value.split(",")]
        if any(not v for v in raw):
            raise UsageError("--file-input is empty", hint="check the shell variable you passed")
    for value in raw:
        if value.startswith("ext-"):
            raise UsageError(
                f"{value} is an extract job ID; --file-input takes a file ID (dfl-…) or a "
                "parse job ID (pjb-…)",
                hint=f"to run that job again: lx jobs rerun {value}",
            )
    return drop_duplicates(raw)


def _originals_by_id(
    state: State, args: list[str], scoped: JobFilter, opts: create_flow.Options
) -> list[Entry]:
    from llamaextract_cli.jobs.create import Skipped
    from llamaextract_cli.jobs.ids import all_from_args
    from llamaextract_cli.jobs.lookup import fetch_or_fail
    from llamaextract_cli.jobs.rerun import drop_duplicates, entry_for
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
    entries: list[Entry] = []
    for outcome in fetch_or_fail(state, wanted, scoped.params()):
        if outcome.not_found:
            entries.append(Skipped(outcome.id, "not found", not_found=True))
        elif outcome.error is not None:
            entries.append(Skipped(outcome.id, f"{outcome.id}: {outcome.error.message}"))
        else:
            entries.append(
                entry_for({**(outcome.value or {}), "id": outcome.id}, scoped.organization_id)
            )
    return entries


def _originals_by_filter(state: State, scoped: JobFilter, opts: create_flow.Options) -> list[Entry]:
    from llamaextract_cli.api.pager import Listing, iter_jobs
    from llamaextract_cli.jobs.rerun import drop_duplicates, entry_for
    from llamaextract_cli.output import create_view

    info = Listing()
    cap = opts.max_jobs + 1  # one more than allowed tells that there are too many
    jobs = list(iter_jobs(state.client(), scoped, limit=cap, page_size=min(100, cap), info=info))
    by_id = {str(j.get("id")): j for j in jobs}
    _, repeated = drop_duplicates(str(j.get("id")) for j in jobs)
    create_view.write_duplicates(
        state.env.stderr, repeated, "each is rerun once", given="listed more than once"
    )
    create_flow.check_max(
        opts,
        len(by_id),
        more=len(jobs) >= cap,
        hint="narrow the filters, or raise --max if that many reruns are right",
    )
    if not by_id:
        state.env.warn("lx: no job matches the filters; nothing to rerun")
    return [entry_for(job, scoped.organization_id) for job in by_id.values()]


def _body_columns() -> list[Any]:
    from llamaextract_cli.output.columns import Column

    return [
        Column.for_key("file_input", header="FILE INPUT", truncate=False),
        Column(
            "configuration",
            getter=lambda b: b.get("configuration_id") or "inline",
            header="CONFIGURATION",
            truncate=False,
        ),
    ]
