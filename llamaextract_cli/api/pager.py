"""Stream jobs across pages: prefetching, limits, loop detection, status merging.

`iter_jobs` yields each job dict exactly as the server sent it. Memory is bounded
by two pages whatever the number of jobs: the next page is fetched on a worker
thread while the caller writes the current one, so the network and the output
overlap. Several statuses (the API takes one per request) are merged newest-first
with a k-way merge over one stream per status.
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from llamaextract_cli.errors import ProtocolError
from llamaextract_cli.timeparse import parse_api_time

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.api.query import JobFilter

MAX_EMPTY_PAGES = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class Listing:
    """What a listing learned beyond its items: where to resume, whether it was cut."""

    next_token: str | None = None
    more: bool = False
    pages: int = 0
    total_size: int | None = None
    errors: list[BaseException] = field(default_factory=list)


def _pages(
    client: ApiClient,
    params: list[tuple[str, str]],
    token: str | None,
    size: Callable[[], int],
    info: Listing,
    stop: threading.Event,
) -> Iterator[dict[str, Any]]:
    """Fetch pages one after another, checking that the server makes progress."""
    seen_tokens: set[str] = set()
    if token:
        seen_tokens.add(token)
    empty_run = 0
    previous_first: str | None = None
    while not stop.is_set():
        query = [*params, ("page_size", str(size()))]
        if token:
            query.append(("page_token", token))
        page = client.list_page(query)
        info.pages += 1
        items = page.get("items")
        # Not `or []`: a 200 without `items` (an empty body, a proxy's `{}`) is not an
        # empty page, and neither is a list holding something other than job objects.
        if not isinstance(items, list):
            raise ProtocolError("the server's list answer has no 'items' array")
        if not all(isinstance(item, dict) for item in items):
            raise ProtocolError("the server's list answer has an item that is not a job object")
        if isinstance(page.get("total_size"), int):
            info.total_size = page["total_size"]
        nxt = page.get("next_page_token") or None
        if nxt is not None and not isinstance(nxt, str):
            nxt = str(nxt)
        first = items[0].get("id") if items else None
        # Also on the last page: a server that hands out a token to a page already sent
        # would otherwise have its jobs written twice.
        if first is not None and first == previous_first:
            raise ProtocolError("the server sent the same page twice; stopping")
        if nxt is not None:
            if nxt in seen_tokens:
                raise ProtocolError(
                    "the server repeated a page token; stopping instead of looping forever"
                )
            empty_run = empty_run + 1 if not items else 0
            if empty_run > MAX_EMPTY_PAGES:
                raise ProtocolError(f"the server sent {empty_run} empty pages in a row; stopping")
            seen_tokens.add(nxt)
        previous_first = first
        yield {"items": items, "next": nxt}
        if nxt is None:
            return
        token = nxt


_DONE = object()


def _prefetched(pages: Iterator[dict[str, Any]], stop: threading.Event) -> Iterator[dict[str, Any]]:
    """Run `pages` on a worker thread, one page ahead of the consumer."""
    q: queue.Queue[Any] = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        q.put(page, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as e:  # handed to the consumer, raised there
            q.put(e)

    worker = threading.Thread(target=work, name="lx-pager", daemon=True)
    worker.start()
    try:
        while True:
            got = q.get()
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()


def iter_status(
    client: ApiClient,
    params: list[tuple[str, str]],
    *,
    limit: int | None,
    page_size: int,
    token: str | None,
    info: Listing,
    prefetch: bool = True,
    trim: bool = True,
) -> Iterator[dict[str, Any]]:
    """Jobs of one query, stopping at `limit`.

    With a limit (and `trim`) each request asks only for the jobs still wanted, so a
    listing stops on a page boundary and the token left in `info.next_token` resumes
    exactly after the last job shown. Without `trim` (the user chose --page-size) every
    request asks for `page_size`; a limit inside a page then leaves no exact token.
    """
    stop = threading.Event()
    remaining = [limit]

    def size() -> int:
        left = remaining[0]
        return page_size if left is None or not trim else max(1, min(page_size, left))

    pages = _pages(client, params, token, size, info, stop)
    source = _prefetched(pages, stop) if prefetch and limit is None else pages
    try:
        for page in source:
            items = page["items"]
            info.next_token = page["next"]
            left = remaining[0]
            if left is not None and len(items) >= left:
                yield from items[:left]
                info.more = len(items) > left or page["next"] is not None
                if len(items) > left:
                    info.next_token = None  # the server sent more than asked: no exact resume
                return
            yield from items
            if left is not None:
                remaining[0] = left - len(items)
        info.next_token = None
    finally:
        stop.set()
        source.close()


def _created_key(job: dict[str, Any]) -> tuple[datetime, str]:
    raw = job.get("created_at")
    when = parse_api_time(raw) if isinstance(raw, str) else None
    return when or _EPOCH, str(job.get("id", ""))


def iter_jobs(
    client: ApiClient,
    filters: JobFilter,
    *,
    limit: int | None = None,
    page_size: int = 100,
    token: str | None = None,
    info: Listing | None = None,
    trim: bool = True,
) -> Iterator[dict[str, Any]]:
    """Every job the filters select, newest first, up to `limit` (see `iter_status`)."""
    info = info if info is not None else Listing()
    if len(filters.statuses) <= 1:
        yield from iter_status(
            client,
            filters.params(),
            limit=limit,
            page_size=page_size,
            token=token,
            info=info,
            trim=trim,
        )
        return
    if token:
        from llamaextract_cli.errors import UsageError

        raise UsageError(
            "--page-token resumes one query; it cannot be combined with several --status values"
        )
    streams = [
        iter_status(
            client,
            filters.params(status=s),
            limit=limit,
            page_size=page_size,
            token=None,
            info=Listing(),
            trim=trim,
        )
        for s in filters.statuses
    ]
    merged = heapq.merge(*streams, key=_created_key, reverse=True)
    count = 0
    try:
        for job in merged:
            if limit is not None and count >= limit:
                info.more = True
                return
            count += 1
            yield job
    finally:
        for s in streams:
            s.close()
