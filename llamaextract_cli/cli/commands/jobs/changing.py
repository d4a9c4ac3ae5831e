"""`lx jobs cancel` and `lx jobs delete`: look first, ask on a terminal, then act.

Both share one flow (`_change`): read the IDs; without --yes (and without
--dry-run) refuse unless there is a terminal to ask on; fetch the jobs and sort
out the ones the action cannot apply to (`changes.plan`); show the plan and ask
(`output.change_view`); act on the rest concurrently (`changes.act`); report one
line per ID on stderr and, with -o, one result object per ID on stdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import JobIdsArg, OrgOpt, ProjectOpt
from llamaextract_cli.errors import LxError
from llamaextract_cli.jobs import changes, lookup

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State

YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do it without asking (needed off a terminal).")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")
]

ResultsFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-o",
        click_type=Choice(
            ("json", "jsonl", "yaml", "csv", "tsv", "table", "wide"), case_sensitive=False
        ),
        help="Also print one result per job on stdout in this format (default: nothing on stdout).",
        show_default=False,
    ),
]

CANCEL_HELP = """Cancel jobs that are PENDING, THROTTLED or RUNNING.

On a terminal the jobs are shown (ID, status, created) and you are asked to
confirm; --yes skips the question. Without --yes and without a terminal nothing
is changed and the exit status is 2. With `-` (IDs on stdin) stdin cannot also
answer the question, so pass --yes (or --dry-run).

One line per job on stderr (`cancelled ext-…`, or why not); -o json|jsonl also
prints one result per job on stdout: {"id": …, "ok": true, "status": "CANCELLED"}
or {"id": …, "ok": false, "error": "…"} (-o json of one ID is the object alone).
Exit status: 0 all cancelled; 1 a job could not be (e.g. it had finished);
4 an ID is unknown (and nothing else failed). --dry-run exits 0 (4 for unknown IDs).

\b
Examples:
  lx jobs cancel ext-123
  lx jobs cancel ext-1 ext-2 --yes -o jsonl
  lx jobs list -s PENDING --since 1h -o jsonl | lx jobs cancel - --yes
  lx jobs cancel ext-123 --dry-run
"""

DELETE_HELP = """Delete jobs and their results.

A job that has not finished is refused by the API: cancel it first, or pass
--force to delete a job whose workflow is gone. On a terminal the jobs are shown
and you are asked to confirm; --yes skips the question. Without --yes and without
a terminal nothing is deleted and the exit status is 2; with `-` (IDs on stdin)
pass --yes.

One line per job on stderr (`deleted ext-…`, or why not); -o json|jsonl also
prints {"id": …, "ok": true, "status": <status when deleted>} or
{"id": …, "ok": false, "error": "…"} per job on stdout.
Exit status: 0 all deleted; 1 a job could not be; 4 an ID is unknown (and nothing
else failed). --dry-run exits 0 (4 for unknown IDs).

\b
Examples:
  lx jobs delete ext-123
  lx jobs list -s FAILED --until 30d -o jsonl | lx jobs delete - --yes
  lx jobs delete ext-123 --force --yes
  lx jobs delete ext-1 ext-2 --dry-run
"""


@app.command("cancel", help=CANCEL_HELP)
@jq_option
def cancel_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: ResultsFormatOpt = None,
) -> None:
    _change(
        get_state(ctx),
        changes.CANCEL,
        ids,
        yes=yes,
        dry_run=dry_run,
        scope=(project_id, org),
        output=output,
    )


@app.command("delete", help=DELETE_HELP)
@jq_option
def delete_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete jobs that have not finished (API force=true)."),
    ] = False,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: ResultsFormatOpt = None,
) -> None:
    _change(
        get_state(ctx),
        changes.DELETE,
        ids,
        yes=yes,
        dry_run=dry_run,
        scope=(project_id, org),
        output=output,
        force=force,
    )


def _change(
    state: State,
    action: changes.Action,
    args: Sequence[str],
    *,
    yes: bool,
    dry_run: bool,
    scope: tuple[str | None, str | None],
    output: str | None,
    force: bool = False,
) -> None:
    from llamaextract_cli.output import change_view

    env = state.env
    ask = not yes and not dry_run
    if ask:
        interactive = bool(env.stdin_isatty and env.stderr_isatty)
        changes.check_can_ask(action, args, interactive=interactive)
    ids = lookup.job_ids(state, args)
    if not ids:
        return
    params = lookup.scope_params(state, (), *scope)
    plan = changes.plan(state, action, ids, params, force)
    if ask:  # what cannot be done is said before the question
        change_view.report(
            env.stderr, action, [c for c in plan if not c.ok], dry_run, state.error_format or "text"
        )
        if any(c.ok for c in plan) and not change_view.confirm(
            env.stderr, env.stdin, action, plan, color=state.color
        ):
            raise LxError("not confirmed; nothing changed")
    todo = [c for c in plan if c.ok] if ask else plan
    if not dry_run:
        changes.act(state, action, plan, params, force)
    change_view.report(env.stderr, action, todo, dry_run, state.error_format or "text")
    if output is not None:
        change_view.write_results(
            env.stdout,
            plan,
            output,
            dry_run,
            single=len(ids) == 1,
            pretty=bool(env.stdout_isatty),
        )
    code = changes.exit_status(plan, dry_run)
    if code:
        raise typer.Exit(code)
