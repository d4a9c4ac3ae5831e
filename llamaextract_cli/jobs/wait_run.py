"""One `lx jobs wait` run: the loop of `waiter` fed by the API, with a progress display.

The jobs are fetched with `lookup.fetch_jobs`; a 429 the client met (even one it
retried past) slows the next poll; Ctrl-C stops waiting, never the jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from llamaextract_cli.errors import Interrupted
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.jobs.lookup import fetch_jobs

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.jobs.wait import WaitResult


def wait_jobs(
    state: State,
    ids: Sequence[str],
    params: Sequence[tuple[str, str]],
    *,
    interval: float,
    timeout: float | None,
) -> WaitResult:
    """Poll until every job is terminal, one is unknown or `timeout` runs out."""
    from llamaextract_cli.output.wait_view import make_display

    env = state.env
    live = bool(env.stderr_isatty)
    display = make_display(env.stderr, ids, live=live, color=state.color, clock=waiter.CLOCK)
    try:
        # Not `with display:`: a Ctrl-C that lands inside __enter__, once the live view
        # has hidden the cursor, would skip __exit__ and leave the terminal without one.
        try:
            display.__enter__()
            return waiter.wait_for(
                ids,
                lambda batch: fetch_jobs(state, batch, params),
                interval=interval,
                timeout=timeout,
                hooks=display.hooks(),
                throttled=throttle_watch(state),
            )
        finally:
            display.__exit__(None, None, None)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted; stopped waiting, the jobs keep running",
            hint="lx jobs cancel ID stops a job",
        ) from None


def throttle_watch(state: State) -> Callable[[], bool]:
    """A function telling whether the client met a 429 since it was last called."""
    client = state.client()
    seen = [getattr(client, "throttled", 0)]

    def throttled() -> bool:
        count = getattr(client, "throttled", 0)
        hit, seen[0] = count > seen[0], count
        return bool(hit)

    return throttled
