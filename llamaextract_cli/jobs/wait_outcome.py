"""What a finished `lx jobs wait` means: which IDs were never seen, and the error that
names the jobs that did not complete (exit 1), are still running (124) or vanished (4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from llamaextract_cli.errors import JobsFailed, NotFoundError, WaitTimeout
from llamaextract_cli.jobs.wait import Tracked, WaitResult
from llamaextract_cli.timeparse import humanize_duration

MAX_NAMED = 5


def never_seen(result: WaitResult) -> list[Tracked]:
    """The IDs unknown at the first poll: a typo, the wrong project (exit 4 at once)."""
    return [t for t in result.missing if t.job is None]


def _named(jobs: Sequence[Tracked], describe: Callable[[Tracked], str]) -> str:
    shown = ", ".join(describe(t) for t in jobs[:MAX_NAMED])
    more = len(jobs) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def raise_outcome(result: WaitResult, timeout: float | None) -> None:
    """Return when every job COMPLETED; else raise the error that names what did not."""
    total = len(result.jobs)
    if result.failed:
        bad = result.failed

        def why(t: Tracked) -> str:
            error = (t.job or {}).get("error_message")
            return f"{t.id} {t.status}" + (f" ({error})" if t.status == "FAILED" and error else "")

        if total == 1:
            raise JobsFailed(f"job {why(bad[0])}")
        raise JobsFailed(f"{len(bad)} of {total} jobs did not complete: {_named(bad, why)}")
    if result.timed_out:
        spent = humanize_duration(timeout if timeout is not None else result.elapsed)
        running = _named(result.unfinished, lambda t: f"{t.id} ({t.status or '?'})")
        raise WaitTimeout(f"timed out after {spent}; still running: {running}")
    if result.missing:
        gone = _named(result.missing, lambda t: t.id)
        raise NotFoundError(f"not found while waiting (deleted?): {gone}")
