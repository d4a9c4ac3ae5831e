"""Cancelling and deleting jobs, apart from the terminal: plan, act, exit status.

`plan` fetches the jobs and sorts out the ones the action cannot apply to
(unknown, or in the wrong status); `act` applies the action to the rest
concurrently; `exit_status` turns the results into the status of CLI.md. Asking
and printing are `output.change_view`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.jobs.session import Session


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
    command: str | None = None  # what to run first, printed alone on the next line

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
        f"{job_id} is {status}; cancel it first (the command below), "
        "or pass --force to delete a job that has not finished"
    )


def _call_cancel(client: ApiClient, job_id: str, params: list[tuple[str, str]], force: bool) -> Any:
    return client.cancel_job(job_id, params)


def _call_delete(client: ApiClient, job_id: str, params: list[tuple[str, str]], force: bool) -> Any:
    return client.delete_job(job_id, [*params, ("force", "true")] if force else params)


CANCEL = Action("cancel", "cancelled", _refuse_cancel, _call_cancel)
DELETE = Action("delete", "deleted", _refuse_delete, _call_delete)


def check_can_ask(action: Action, args: Sequence[str], *, interactive: bool) -> None:
    """A UsageError (exit 2) when there is no terminal to ask on (stdin and stderr)."""
    if interactive:
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


def plan(
    state: Session, action: Action, ids: Sequence[str], params: list[tuple[str, str]], force: bool
) -> list[Change]:
    """One Change per ID: the job, or why the action cannot apply to it."""
    from llamaextract_cli.jobs.lookup import fetch_or_fail

    changes: list[Change] = []
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
            if change.error is not None and action is DELETE and job.get("status"):
                change.command = state.command("jobs", "cancel", outcome.id)
        changes.append(change)
    return changes


def act(
    state: Session,
    action: Action,
    changes: list[Change],
    params: list[tuple[str, str]],
    force: bool,
) -> None:
    """Apply the action to every Change still ok; record what each call answered."""
    from llamaextract_cli.jobs.batch import run_each

    client = state.client()
    todo = {c.id: c for c in changes if c.ok}
    for outcome in run_each(lambda i: action.call(client, i, params, force), list(todo)):
        change = todo[outcome.id]
        if outcome.not_found:
            change.not_found = True
        elif outcome.error is not None:
            change.error = outcome.error.message
        elif action is CANCEL and isinstance(outcome.value, dict):
            change.status = outcome.value.get("status") or "CANCELLED"


def exit_status(changes: Sequence[Change], dry_run: bool) -> int:
    """1 when a change failed (not in a dry run), else 4 for an unknown ID, else 0."""
    if any(c.error is not None for c in changes) and not dry_run:
        return int(ExitStatus.ERROR)
    if any(c.not_found for c in changes):
        return int(ExitStatus.NOT_FOUND)
    return int(ExitStatus.OK)
