"""The jobs `lx jobs export` writes: listed page by page, each with its result.

List items carry `extract_result` (and `extract_metadata` when expanded); an item that
lacks what is needed is fetched by ID, a few at a time (`jobs.batch`). Jobs are handled
in chunks of at most `CHUNK`, so memory stays fixed whatever the number of jobs. Jobs
that are not COMPLETED have no result: they are counted in `ExportStats.skipped`, not
yielded. Nothing here writes to stdout.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaextract_cli.api.pager import Listing
    from llamaextract_cli.api.query import JobFilter
    from llamaextract_cli.jobs.session import Session

CHUNK = 100


@dataclass
class ExportStats:
    jobs: int = 0  # jobs listed
    fetched: int = 0  # of which fetched again by ID
    skipped: dict[str, int] = field(default_factory=dict)  # status -> jobs without a result
    vanished: list[str] = field(default_factory=list)  # listed, then 404 on the GET


def needs_fetch(job: dict[str, Any], metadata: bool) -> bool:
    """An item without its result, or (for --metadata) without the extract_metadata key at
    all; a null extract_metadata is an answer (a job without metadata), not fetched again."""
    if job.get("extract_result") is None:
        return True
    return metadata and "extract_metadata" not in job


def scope_params(filters: JobFilter) -> list[tuple[str, str]]:
    """The query of a GET by ID that matches the listing: its expand and scope."""
    from llamaextract_cli.api.query import JobFilter

    scope = JobFilter(
        expand=filters.expand,
        project_id=filters.project_id,
        organization_id=filters.organization_id,
    )
    return scope.params()


def export_jobs(
    state: Session,
    filters: JobFilter,
    *,
    metadata: bool,
    limit: int | None,
    page_size: int,
    trim: bool = True,
    token: str | None = None,
    info: Listing | None = None,
    stats: ExportStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Every COMPLETED job the filters match, newest first, with its extract_result."""
    from llamaextract_cli.api.pager import iter_jobs

    stats = stats if stats is not None else ExportStats()
    client = state.client()
    jobs = iter_jobs(
        client, filters, limit=limit, page_size=page_size, token=token, info=info, trim=trim
    )
    params = scope_params(filters)
    chunk: list[dict[str, Any]] = []
    try:
        for job in jobs:
            stats.jobs += 1
            status = job.get("status")
            if status != "COMPLETED":
                key = str(status)
                stats.skipped[key] = stats.skipped.get(key, 0) + 1
                continue
            chunk.append(job)
            if len(chunk) >= CHUNK:
                yield from _complete(state, chunk, params, metadata, stats)
                chunk = []
        yield from _complete(state, chunk, params, metadata, stats)
    finally:
        jobs.close()


def _complete(
    state: Session,
    chunk: list[dict[str, Any]],
    params: list[tuple[str, str]],
    metadata: bool,
    stats: ExportStats,
) -> Iterator[dict[str, Any]]:
    """The chunk's jobs in order, those lacking their result replaced by a fresh GET."""
    missing = [str(j.get("id")) for j in chunk if needs_fetch(j, metadata) and j.get("id")]
    fetched: dict[str, dict[str, Any] | None] = {}
    if missing:
        from llamaextract_cli.jobs.lookup import fetch_jobs

        for outcome in fetch_jobs(state, missing, params):
            if outcome.not_found:
                stats.vanished.append(outcome.id)
                fetched[outcome.id] = None
            elif outcome.error is not None:
                raise outcome.error
            else:
                fetched[outcome.id] = outcome.value
        stats.fetched += len(missing)
    for job in chunk:
        job_id = str(job.get("id"))
        if job_id in fetched:
            fresh = fetched[job_id]
            if fresh is None:
                continue
            job = fresh
        yield job


class ConfigurationLookup:
    """A job's configuration for its csv header: the one it carries (expand=configuration),
    else one GET with expand=configuration per configuration ID (cached), so a listing
    need not carry every job's configuration. None when neither gives one (an inline
    configuration not expanded, or the lookup failed: the header is then learnt from the
    rows)."""

    def __init__(self, state: Session, params: list[tuple[str, str]]) -> None:
        self._state = state
        self._params = [p for p in params if p[0] != "expand"] + [("expand", "configuration")]
        self._cache: dict[str, Any] = {}

    def __call__(self, job: Mapping[str, Any]) -> Any:
        config = job.get("configuration")
        if isinstance(config, Mapping):
            return config
        config_id, job_id = job.get("configuration_id"), job.get("id")
        if not isinstance(config_id, str) or not isinstance(job_id, str):
            return None
        if config_id not in self._cache:
            from llamaextract_cli.errors import AuthError, LxError

            try:
                fetched = self._state.client().get_job(job_id, self._params)
            except AuthError:
                raise
            except LxError:
                fetched = None
            found = fetched.get("configuration") if isinstance(fetched, Mapping) else None
            self._cache[config_id] = found if isinstance(found, Mapping) else None
        return self._cache[config_id]
