"""What `lx jobs rerun` creates: one `Planned` job per original, or why it cannot be.

A rerun gets the original's input (`file_input`, or the seed shape's
`document_input_value`), its `configuration_id` when it had one, else its inline
`configuration` (read with `expand=configuration`), and its project. Only finished
originals are rerun: a job still PENDING, THROTTLED or RUNNING may yet complete, and
rerunning it could pay twice for one document. `fetch_originals` and `list_originals`
read the originals (by ID, or by the list filters); the rest are pure functions of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.jobs.create import Entry, Planned, Skipped

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.api.query import JobFilter
    from llamaextract_cli.jobs.session import Session


def entry_for(job: Mapping[str, Any], organization_id: str | None = None) -> Entry:
    """The rerun of one original, or why it is skipped."""
    job_id = str(job.get("id"))
    status = job.get("status")
    value = job.get("file_input") or job.get("document_input_value")
    config_id = job.get("configuration_id") or None
    configuration = job.get("configuration")
    input_ = value if isinstance(value, str) else None
    if status not in TERMINAL_STATUSES:
        return Skipped(
            job_id,
            f"{job_id} is {status}; only finished jobs (COMPLETED, FAILED, CANCELLED) are "
            f"rerun: wait for it (lx jobs wait {job_id}) or cancel it first",
            input=input_,
            configuration_id=config_id,
        )
    if not input_:
        return Skipped(job_id, f"{job_id}: the API sent no file_input to rerun it on")
    if config_id is None and not isinstance(configuration, dict):
        return Skipped(
            job_id,
            f"{job_id}: the API sent neither its configuration_id nor its configuration",
            input=input_,
        )
    tier = configuration.get("tier") if isinstance(configuration, dict) else None
    project = job.get("project_id")
    return Planned(
        input=input_,
        configuration_id=config_id if isinstance(config_id, str) else None,
        configuration=None if config_id else configuration,
        project_id=project if isinstance(project, str) else None,
        organization_id=organization_id,
        original_id=job_id,
        tier=tier if isinstance(tier, str) else None,
        pages=pages_of(job),
    )


def pages_of(job: Mapping[str, Any]) -> int | None:
    """The original's `metadata.usage.num_pages_extracted`, when it tells the document's
    size: a count above 0, or 0 for a COMPLETED job (a failed job may have stopped
    before extracting anything, so its 0 says nothing)."""
    metadata = job.get("metadata")
    usage = metadata.get("usage") if isinstance(metadata, dict) else None
    pages = usage.get("num_pages_extracted") if isinstance(usage, dict) else None
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        return None
    if pages == 0 and job.get("status") != "COMPLETED":
        return None
    return pages


def drop_duplicates(ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """The IDs each once, in the order first given, and those given more than once."""
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    return list(seen), [i for i, n in seen.items() if n > 1]


def entries(jobs: Sequence[Mapping[str, Any]], organization_id: str | None = None) -> list[Entry]:
    return [entry_for(job, organization_id) for job in jobs]


def fetch_originals(
    state: Session,
    ids: Sequence[str],
    params: Sequence[tuple[str, str]],
    organization_id: str | None,
) -> list[Entry]:
    """GET each original (params carry expand=configuration): its rerun, or why not."""
    from llamaextract_cli.jobs.lookup import fetch_or_fail

    out: list[Entry] = []
    for outcome in fetch_or_fail(state, ids, params):
        if outcome.not_found:
            out.append(Skipped(outcome.id, "not found", not_found=True))
        elif outcome.error is not None:
            out.append(Skipped(outcome.id, f"{outcome.id}: {outcome.error.message}"))
        else:
            out.append(entry_for({**(outcome.value or {}), "id": outcome.id}, organization_id))
    return out


@dataclass
class Listed:
    """The originals the filters matched, each once, up to the cap."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)  # listed more than once by the server
    more: bool = False  # the cap was reached: more may match


def list_originals(client: ApiClient, filters: JobFilter, *, cap: int) -> Listed:
    """At most `cap` jobs of the filters (newest first), duplicates dropped."""
    from llamaextract_cli.api.pager import iter_jobs

    jobs = list(iter_jobs(client, filters, limit=cap, page_size=min(100, cap)))
    by_id = {str(j.get("id")): j for j in jobs}
    _, repeated = drop_duplicates(str(j.get("id")) for j in jobs)
    return Listed(list(by_id.values()), repeated, more=len(jobs) >= cap)
