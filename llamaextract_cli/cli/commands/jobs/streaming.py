"""Write a listing: pages from the pager into a renderer, then the hints on stderr."""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llamaextract_cli.api.query import JobFilter
    from llamaextract_cli.cli.context import State


def stream_jobs(
    state: State,
    filters: JobFilter,
    *,
    output: str | None,
    fields: list[str] | None,
    limit: int | None,
    page_size: int | None,
    page_token: str | None,
    absolute: bool = False,
    command: str = "lx jobs list",
) -> int:
    """List jobs to stdout; returns how many were written."""
    from llamaextract_cli.api.pager import Listing, iter_jobs
    from llamaextract_cli.api.window import iter_window
    from llamaextract_cli.cli.options import field_use, warn_unmatched
    from llamaextract_cli.output import TABLE_FORMATS, make_renderer

    env = state.env
    use = field_use(fields)
    fmt = state.output_format(output)
    client = state.client()
    info = Listing()
    size = state.page_size(page_size)
    renderer = make_renderer(
        fmt,
        env.stdout,
        fields=fields,
        color=state.stdout_color,
        now=datetime.now(timezone.utc),
        absolute_times=absolute,
        # What the query fixes gives up its column (STATUS under one --status).
        constant={"status": filters.statuses[0]} if len(filters.statuses) == 1 else None,
    )
    count = 0
    ids: list[str] = []
    if limit is None:  # the whole window: in concurrent time slices when it has a --since
        jobs = iter_window(
            client,
            filters,
            concurrency=state.concurrency(),
            page_size=size,
            token=page_token,
            info=info,
        )
    else:
        jobs = iter_jobs(
            client,
            filters,
            limit=limit,
            page_size=size,
            trim=page_size is None,  # an explicit --page-size is sent as given
            token=page_token,
            info=info,
        )
    pages_seen = 0
    # A table's layout is decided from the whole first page: no flush before it is in.
    first_page = (min(size, limit) if limit else size) if fmt in TABLE_FORMATS else 1
    try:
        for job in jobs:
            renderer.write(job)
            count += 1
            if use is not None:
                use.see(job)
            if count >= first_page and (info.pages != pages_seen or count % 100 == 0):
                pages_seen = info.pages
                renderer.flush()  # a page's rows reach the terminal or pipe as they arrive
            if len(ids) < 200 and isinstance(job, dict) and isinstance(job.get("id"), str):
                ids.append(job["id"])
    except BaseException:
        renderer.flush()
        raise
    finally:
        jobs.close()
    renderer.close()
    warn_unmatched(env, use)
    _remember(state, ids)
    if env.stderr_isatty:
        if count == 0:
            env.warn("no jobs match")
        elif info.more:
            _hint_more(state, count, info.next_token, command)
    return count


def _hint_more(state: State, count: int, token: str | None, command: str) -> None:
    if token:
        # The run's own command line (its global options included), resumed after the
        # last job shown.
        state.env.hint(
            f"showing the first {_jobs(count)}; more match. Next page (or --all):",
            state.rerun("--page-token", token, drop=("--page-token",)),
        )
    else:
        state.env.warn(f"showing the first {_jobs(count)}; more match (use --limit N or --all)")


def _jobs(count: int) -> str:
    from llamaextract_cli.output.text import plural

    return plural(count, "job")


def _remember(state: State, ids: list[str]) -> None:
    """Keep the IDs a listing showed for shell completion (best effort, never fails)."""
    if not ids:
        return
    try:
        from llamaextract_cli.completion.cache import remember_job_ids
    except ImportError:
        return
    with contextlib.suppress(OSError):
        remember_job_ids(state.env.environ, ids)
