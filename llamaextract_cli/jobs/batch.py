"""Run one API call per job ID on a small bounded thread pool; results in the order given.

Each ID gets an `Outcome`: the value, or the `LxError` its call raised (404 is a
`NotFoundError`). Errors that concern the whole run rather than one ID (no or a
refused key, a rejected request) are raised as soon as they are seen, since
every other call would meet them too. One ID runs on the calling thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from llamaextract_cli.errors import AuthError, LxError, NotFoundError, UsageError

T = TypeVar("T")

MAX_WORKERS = 6

# Errors that would hit every ID alike: raised at once instead of per ID.
FATAL: tuple[type[LxError], ...] = (AuthError, UsageError)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    id: str
    value: T | None = None
    error: LxError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def not_found(self) -> bool:
        return isinstance(self.error, NotFoundError)


def run_each(
    call: Callable[[str], T], ids: Sequence[str], *, workers: int = MAX_WORKERS
) -> list[Outcome[T]]:
    """`call(id)` for every ID, at most `workers` at a time; outcomes in the order of `ids`."""
    if len(ids) <= 1:
        return [_one(call, i) for i in ids]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=min(workers, len(ids)), thread_name_prefix="lx")
    try:
        futures = [pool.submit(_one, call, i) for i in ids]
        outcomes = [f.result() for f in futures]
    except BaseException:  # Ctrl-C or a fatal error: drop what has not started
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return outcomes


def _one(call: Callable[[str], Any], job_id: str) -> Outcome[Any]:
    try:
        return Outcome(job_id, value=call(job_id))
    except FATAL:
        raise
    except LxError as e:
        return Outcome(job_id, error=e)


def common_failure(outcomes: Sequence[Outcome[Any]]) -> LxError | None:
    """The error every one of several calls met (the network is down, the service fails):
    worth one line rather than one per ID. None when any call succeeded or the errors differ
    or are 404s."""
    errors = [o.error for o in outcomes]
    if len(errors) < 2 or any(e is None or isinstance(e, NotFoundError) for e in errors):
        return None
    first = errors[0]
    assert first is not None
    return first if all(e is not None and e.message == first.message for e in errors) else None
