"""`lx jobs list` and `lx jobs fields`."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from llamaextract_cli import choices
from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import (
    AbsoluteOpt,
    AllOpt,
    FieldsOpt,
    FormatOpt,
    LimitOpt,
    PageSizeOpt,
    PageTokenOpt,
    job_filters,
    parse_field_list,
    with_expansions,
)
from llamaextract_cli.errors import UsageError

DEFAULT_LIMIT = 30

LIST_HELP = """List extract jobs, newest first.

Every query parameter of GET /api/v2/extract is a flag; pages are fetched for you
(--limit N, default 30, or --all). Several --status values are fetched and merged.

\b
Examples:
  lx jobs list --status FAILED --since 24h          # in a terminal
  lx jobs list --since 7d -o jsonl | jq -r .id      # in a pipe (jsonl is the default there)
  lx jobs list --since 7d --jq .id                  # the same, with no jq binary
  lx jobs list --all -o json --jq 'group_by(.status) | map({(.[0].status): length}) | add'
  lx jobs list -L 5 -o yaml                         # one YAML document per job
  lx jobs list -s failed -s cancelled -f id,status,error_message -o csv
  lx jobs list --status FAILED -o wide              # every column whole
  lx jobs list --all --since 1h --status FAILED --fail-if-any >/dev/null || alert
  lx --profile sandbox jobs list                    # the built-in emulator, no account

In a terminal the table shows ID, STATUS, CREATED and ERROR, the error getting the
width they leave: where its column cannot hold 40 characters (80 columns) the rest of
the message continues on an indented line. DURATION, INPUT and CONFIG come in only
when they fit whole: IDs are never cut. Under a single --status the STATUS column
gives way and the header names it once (ID (all FAILED)). -o wide shows every column
whole, whatever the width. When --limit stops a listing with more left, the command
for the next page is printed on stderr, alone on its line: it runs when pasted.

--fields: a path that no job shown had (usage.credit) is named on stderr at the end,
with the closest known path; configuration.* and extract_metadata.* fetch that
expansion themselves.

On failure json/jsonl/csv output holds whole records only; `-o json` is then left
without its closing bracket, so a JSON parser fails instead of reading a partial list.
"""


def print_fields(stream: object) -> None:
    from llamaextract_cli.jobs.fields import KNOWN_FIELDS

    width = max(len(name) for name in KNOWN_FIELDS)
    for name, description in KNOWN_FIELDS.items():
        print(f"{name:<{width}}  {description}", file=stream)  # type: ignore[call-overload]


@app.command("list", help=LIST_HELP)
@jq_option(json_lines=lambda args: bool(args.get("watch")))
@job_filters
def list_jobs(
    ctx: typer.Context,
    output: FormatOpt = None,
    fields: FieldsOpt = None,
    limit: LimitOpt = None,
    all_: AllOpt = False,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    fail_if_any: Annotated[
        bool,
        typer.Option("--fail-if-any", help="Exit 1 when at least one job matched (cron, CI)."),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            "-w",
            help="Live view refreshed every --interval; off a terminal, one JSON line per "
            "status change.",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", min=0.5, help="Seconds between --watch refreshes.", metavar="SECONDS"
        ),
    ] = 5.0,
    absolute: AbsoluteOpt = False,
    *,
    filters: JobFilter,
) -> None:
    state = get_state(ctx)
    if fields is not None and fields.strip() == "help":
        print_fields(state.env.stdout)
        return
    if limit is not None and all_:
        raise UsageError("--limit and --all contradict each other", hint="use one of them")
    field_list = parse_field_list(fields)
    # A field that needs an expansion asks for it (`-f configuration.tier`).
    expand = with_expansions(filters.expand, field_list, choices.LIST_EXPAND)
    filters = replace(state.scoped(filters), expand=expand)
    if watch:
        from llamaextract_cli.cli.commands.jobs.watching import run_watch

        run_watch(state, filters, interval=interval, output=output, fields=field_list, limit=limit)
        return
    from llamaextract_cli.cli.commands.jobs.streaming import stream_jobs

    count = stream_jobs(
        state,
        filters,
        output=output,
        fields=field_list,
        limit=None if all_ else (limit or DEFAULT_LIMIT),
        page_size=page_size,
        page_token=page_token,
        absolute=absolute,
        command="lx jobs list",
    )
    if fail_if_any and count:
        raise typer.Exit(1)


@app.command(
    "fields",
    help="List the job fields that --fields accepts.\n\n\b\nExamples:\n"
    "  lx jobs fields\n  lx jobs list -f id,status,usage.credits -o csv",
)
def fields_cmd(ctx: typer.Context) -> None:
    print_fields(get_state(ctx).env.stdout)
