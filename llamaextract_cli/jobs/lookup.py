"""The jobs a one-job command names: their IDs, their scope, and fetching them.

Shared by `jobs get`, `result`, `wait`, `cancel` and `delete`: the IDs come from
the arguments or stdin (`jobids`), the scope (project, organization) from the
flags or else the profile, and the jobs from concurrent GETs (`api.batch`), one
`Outcome` per ID in the order given. Nothing here writes to stdout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llamaextract_cli.errors import ExitStatus, JobsFailed, NotFoundError, UsageError

if TYPE_CHECKING:
    from llamaextract_cli.jobs.batch import Outcome
    from llamaextract_cli.jobs.session import Session


def job_ids(state: Session, args: Sequence[str]) -> list[str]:
    """The IDs of the arguments, or of stdin for `-`; an empty stdin says so on stderr."""
    from llamaextract_cli.jobs.ids import STDIN, from_args

    env = state.env
    ids = from_args(args, env.stdin, stdin_isatty=bool(env.stdin_isatty), command=state.command)
    if not ids and list(args) == [STDIN]:
        env.warn("lx: no job IDs on stdin; nothing to do")
    return ids


def scope_params(
    state: Session, expand: Sequence[str] = (), project: str | None = None, org: str | None = None
) -> list[tuple[str, str]]:
    """expand, project_id and organization_id query parameters (scope from the profile)."""
    from llamaextract_cli.api.query import JobFilter

    for flag, value in (("--project", project), ("--org", org)):
        if value is not None and not value.strip():  # as for `jobs list`
            raise UsageError(f"{flag} must not be empty", hint="name one, or leave the flag out")
    scope = JobFilter(expand=tuple(expand), project_id=project, organization_id=org)
    return state.scoped(scope).params()


def fetch_jobs(
    state: Session, ids: Sequence[str], params: Sequence[tuple[str, str]]
) -> list[Outcome[dict[str, Any]]]:
    """GET every ID, a few at a time; outcomes in the order of `ids`."""
    from llamaextract_cli.jobs.batch import run_each

    client = state.client()

    def get(job_id: str) -> dict[str, Any]:
        try:
            return client.get_job(job_id, params)
        except UsageError as e:  # 422 on the path: the server finds the ID malformed
            if "job_id" in e.message:
                error = NotFoundError(f"job {job_id} not found ({e.message})")
                error.http_status, error.request_id = e.http_status, e.request_id
                raise error from None
            raise

    return run_each(get, ids)


def fetch_or_fail(
    state: Session, ids: Sequence[str], params: Sequence[tuple[str, str]]
) -> list[Outcome[dict[str, Any]]]:
    """`fetch_jobs`, raising the error itself when every ID met the same one."""
    from llamaextract_cli.jobs.batch import common_failure

    outcomes = fetch_jobs(state, ids, params)
    error = common_failure(outcomes)
    if error is not None:
        raise error
    return outcomes


def fetch_one(state: Session, job_id: str, project_id: str | None, org: str | None) -> Any:
    """One job, or the error that kept it (NotFoundError for an unknown ID)."""
    [outcome] = fetch_jobs(state, [job_id], scope_params(state, (), project_id, org))
    if outcome.not_found:
        error = NotFoundError(f"job {job_id} not found")
        if outcome.error is not None:  # what the answer said (HTTP status, request ID)
            error.http_status = outcome.error.http_status
            error.request_id = outcome.error.request_id
        raise error
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def completed_result(job: Mapping[str, Any], command: Callable[..., str] | None = None) -> Any:
    """The job's extract_result; JobsFailed (exit 1) when it has none to give.

    `command` builds the advice printed with it (`Session.command`)."""
    job_id, status = job.get("id", "?"), job.get("status")
    if status != "COMPLETED":
        if status == "FAILED":
            why = job.get("error_message") or "no error message"
            raise JobsFailed(f"job {job_id} is FAILED, so it has no result: {why}")
        if status == "CANCELLED":
            raise JobsFailed(f"job {job_id} is CANCELLED, so it has no result")
        build = command or (lambda *args: " ".join(["lx", *args]))
        raise JobsFailed(
            f"job {job_id} is {status}, so it has no result yet",
            hint="wait for it, then read it",
            command=f"{build('jobs', 'wait', str(job_id))} && "
            f"{build('jobs', 'result', str(job_id))}",
        )
    result = job.get("extract_result")
    if result is None:
        raise JobsFailed(f"job {job_id} is COMPLETED but carries no extract_result")
    return result


def exit_status(outcomes: Sequence[Outcome[Any]]) -> int:
    """1 if any ID failed otherwise, else 4 if any was unknown, else 0."""
    if any(o.error is not None and not o.not_found for o in outcomes):
        return int(ExitStatus.ERROR)
    return int(ExitStatus.NOT_FOUND if any(o.not_found for o in outcomes) else ExitStatus.OK)
