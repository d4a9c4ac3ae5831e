"""`lx jobs create`: start jobs from a saved or inline configuration, the plan first.

The flags become one `Planned` job per file input (`jobs.configuration` reads the
configuration), handed to `create_flow.execute`: plan, ask, create at a pace, print, wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.cli.click import Choice
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
from llamaextract_cli.cli.options import FieldsOpt, FormatOpt, OrgOpt, ProjectOpt
from llamaextract_cli.errors import UsageError
from llamaextract_cli.jobs.pace import DEFAULT_RATE

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State

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
again: it is reported as unknown, to check with `lx jobs list --input ID`. The run
stops early when the rest would fail too (a refused key, an unreachable service,
the first three creates failing alike).

Output: the created jobs, as the API answered (PENDING), each as soon as it is
created: a table on a terminal, jsonl in a pipe, `-o json` of one input the
object alone. Failures are named on stderr. --wait then waits for the jobs
exactly like `lx jobs wait` (its display, --timeout, --interval,
--fail-fast).

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


@app.command("create", help=CREATE_HELP)
@jq_option
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
    fail_fast: FailFastOpt = False,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: FormatOpt = None,
    fields: FieldsOpt = None,
) -> None:
    from llamaextract_cli.jobs import configuration as conf
    from llamaextract_cli.output import create_view

    state = get_state(ctx)
    env = state.env
    opts = create_flow.options(
        "create", yes, dry_run, max_jobs, rate, wait, timeout, interval, output, fields, fail_fast
    )
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


# --- helpers ------------------------------------------------------------------------------


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
