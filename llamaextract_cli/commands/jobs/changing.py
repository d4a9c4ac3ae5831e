"""`lx jobs cancel` and `lx jobs delete`: look first, ask on a terminal, then act.

Both share one flow (`change`): read the IDs; without --yes (and without
--dry-run) refuse unless there is a terminal to ask on; fetch the jobs; sort out
the ones the action cannot apply to (unknown, or in the wrong status); show the
plan and ask; act on the rest concurrently; report one line per ID on stderr
and, with -o, one result object per ID on stdout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli._click import Choice
from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.commands.jobs import app
from llamaextract_cli.context import get_state
from llamaextract_cli.errors import ExitStatus, LxError, UsageError
from llamaextract_cli.lookup import fetch_or_fail, job_ids, scope_params
from llamaextract_cli.options import JobIdsArg, OrgOpt, ProjectOpt

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.context import State

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
        click_type=Choice(("json", "jsonl", "csv", "tsv", "table"), case_sensitive=False),
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


@dataclass(frozen=True)
class Action:
    verb: str  # cancel
    done: str  # cancelled
    refuse: Callable[[dict[str, Any], bool], str | None]  # why the job cannot be changed
    call: Callable[[ApiClient, str, list[tuple[str, str]], bool], Any]


@dataclass
class Change:
    """One ID's plan and, after acting, its result."""

    id: str
    job: dict[str, Any] | None = None
    error: str | None = None
    not_found: bool = False
    status: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.not_found

    def as_json(self, dry_run: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "ok": self.ok}
        if self.ok:
            out["status"] = self.status
        else:
            out["error"] = "not found" if self.not_found else self.error
        if dry_run:
            out["dry_run"] = True
        return out


def _refuse_cancel(job: dict[str, Any], force: bool) -> str | None:
    status = job.get("status")
    if status in TERMINAL_STATUSES:
        return (
            f"{job.get('id')} is {status}; only PENDING, THROTTLED or RUNNING jobs can be cancelled"
        )
    return None


def _refuse_delete(job: dict[str, Any], force: bool) -> str | None:
    status = job.get("status")
    if force or status in TERMINAL_STATUSES:
        return None
    job_id = job.get("id")
    return (
        f"{job_id} is {status}; cancel it first (lx jobs cancel {job_id}) "
        "or pass --force to delete a job that has not finished"
    )


def _call_cancel(client: ApiClient, job_id: str, params: list[tuple[str, str]], force: bool) -> Any:
    return client.cancel_job(job_id, params)


def _call_delete(client: ApiClient, job_id: str, params: list[tuple[str, str]], force: bool) -> Any:
    return client.delete_job(job_id, [*params, ("force", "true")] if force else params)


CANCEL = Action("cancel", "cancelled", _refuse_cancel, _call_cancel)
DELETE = Action("delete", "deleted", _refuse_delete, _call_delete)


@app.command("cancel", help=CANCEL_HELP)
def cancel_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: ResultsFormatOpt = None,
) -> None:
    change(
        get_state(ctx),
        CANCEL,
        ids,
        yes=yes,
        dry_run=dry_run,
        scope=(project_id, org),
        output=output,
    )


@app.command("delete", help=DELETE_HELP)
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
    change(
        get_state(ctx),
        DELETE,
        ids,
        yes=yes,
        dry_run=dry_run,
        scope=(project_id, org),
        output=output,
        force=force,
    )


def change(
    state: State,
    action: Action,
    args: Sequence[str],
    *,
    yes: bool,
    dry_run: bool,
    scope: tuple[str | None, str | None],
    output: str | None,
    force: bool = False,
) -> None:
    ask = not yes and not dry_run
    if ask:
        _check_can_ask(state, action, args)
    ids = job_ids(state, args)
    if not ids:
        return
    params = scope_params(state, (), *scope)
    plan = _plan(state, action, ids, params, force)
    if ask:  # what cannot be done is said before the question
        _report(state, action, [c for c in plan if not c.ok], dry_run)
        if any(c.ok for c in plan) and not _confirm(state, action, plan):
            raise LxError("not confirmed; nothing changed")
    todo = [c for c in plan if c.ok] if ask else plan
    if not dry_run:
        _act(state, action, plan, params, force)
    _report(state, action, todo, dry_run)
    if output is not None:
        _write_results(state, plan, output, dry_run, single=len(ids) == 1)
    code = _exit_status(plan, dry_run)
    if code:
        raise typer.Exit(code)


def _check_can_ask(state: State, action: Action, args: Sequence[str]) -> None:
    env = state.env
    if env.stdin_isatty and env.stderr_isatty:
        return
    if list(args) == ["-"]:
        raise UsageError(
            f"refusing to {action.verb} without confirmation: the job IDs come on stdin, "
            "so it cannot also answer",
            hint=f"pass --yes to {action.verb} them, or --dry-run to see what would happen",
        )
    raise UsageError(
        f"refusing to {action.verb} without confirmation: not a terminal",
        hint=f"pass --yes to {action.verb} anyway, or --dry-run to see what would happen",
    )


def _plan(
    state: State, action: Action, ids: Sequence[str], params: list[tuple[str, str]], force: bool
) -> list[Change]:
    plan: list[Change] = []
    for outcome in fetch_or_fail(state, ids, params):
        change = Change(outcome.id, job=outcome.value)
        if outcome.not_found:
            change.not_found = True
        elif outcome.error is not None:
            change.error = outcome.error.message
        else:
            job = outcome.value or {}
            change.status = job.get("status")
            change.error = action.refuse({**job, "id": outcome.id}, force)
        plan.append(change)
    return plan


def _confirm(state: State, action: Action, plan: Sequence[Change]) -> bool:
    """Show the jobs to change and read y/N from stdin."""
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import Column

    env = state.env
    todo = [c for c in plan if c.ok]
    table = make_renderer(
        "table",
        env.stderr,
        columns=[
            Column("id", header="ID", truncate=False),
            Column("status", header="STATUS", kind="status", truncate=False),
            Column("created_at", header="CREATED", kind="time"),
        ],
        color=state.color,
    )
    for c in todo:
        table.write(c.job or {"id": c.id})
    table.close()
    skipped = len(plan) - len(todo)
    note = f" ({skipped} other{'s' if skipped > 1 else ''} cannot be)" if skipped else ""
    count = f"{len(todo)} job{'s' if len(todo) > 1 else ''}"
    env.stderr.write(f"{action.verb.capitalize()} {count}{note}? [y/N] ")
    env.stderr.flush()
    answer = env.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _act(
    state: State, action: Action, plan: list[Change], params: list[tuple[str, str]], force: bool
) -> None:
    from llamaextract_cli.api.batch import run_each

    client = state.client()
    todo = {c.id: c for c in plan if c.ok}
    for outcome in run_each(lambda i: action.call(client, i, params, force), list(todo)):
        change = todo[outcome.id]
        if outcome.not_found:
            change.not_found = True
        elif outcome.error is not None:
            change.error = outcome.error.message
        elif action is CANCEL and isinstance(outcome.value, dict):
            change.status = outcome.value.get("status") or "CANCELLED"


def _report(state: State, action: Action, plan: Sequence[Change], dry_run: bool) -> None:
    warn = state.env.warn
    for c in plan:
        if c.not_found:
            warn(f"lx: job {c.id} not found")
        elif c.error is not None:
            warn(f"lx: {c.error}" if c.error.startswith(c.id) else f"lx: {c.id}: {c.error}")
        elif dry_run:
            warn(f"would {action.verb} {c.id} ({c.status})")
        else:
            warn(f"{action.done} {c.id}")


def _write_results(
    state: State, plan: Sequence[Change], fmt: str, dry_run: bool, *, single: bool
) -> None:
    results = [c.as_json(dry_run) for c in plan]
    if fmt == "json" and single:
        from llamaextract_cli.output.jobs_out import write_value

        write_value(state.env.stdout, results[0], pretty=bool(state.env.stdout_isatty))
        return
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import columns_for_keys

    keys = ["id", "ok", "status", "error"] + (["dry_run"] if dry_run else [])
    columns = None if fmt in ("json", "jsonl") else columns_for_keys(keys)
    renderer = make_renderer(fmt, state.env.stdout, columns=columns)
    for result in results:
        renderer.write(result)
    renderer.close()


def _exit_status(plan: Sequence[Change], dry_run: bool) -> int:
    if any(c.error is not None for c in plan) and not dry_run:
        return int(ExitStatus.ERROR)
    if any(c.not_found for c in plan):
        return int(ExitStatus.NOT_FOUND)
    return int(ExitStatus.OK)
