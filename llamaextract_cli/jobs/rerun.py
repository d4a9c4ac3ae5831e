"""What `lx jobs rerun` creates: one `Planned` job per original, or why it cannot be.

A rerun gets the original's input (`file_input`, or the seed shape's
`document_input_value`), its `configuration_id` when it had one, else its inline
`configuration` (read with `expand=configuration`), and its project. Only finished
originals are rerun: a job still PENDING, THROTTLED or RUNNING may yet complete, and
rerunning it could pay twice for one document. Pure functions of the jobs given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.jobs.create import Entry, Planned, Skipped


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
