"""What `lx jobs wait` shows on stderr: progress while it polls, a summary at the end.

Progress is a live table (ID, STATUS, FOR) on a terminal, cleared at the end, and
otherwise one line per status change. Both take `waiter.Hooks` from the loop and
write only to the stream they are given; rich is imported only by the live table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.output.text import plural
from llamaextract_cli.timeparse import humanize_duration

if TYPE_CHECKING:
    from llamaextract_cli.jobs.wait import Clock, Tracked


def span(seconds: float) -> str:
    """`0s`, `12s`, `3m05s`: whole seconds (humanize_duration, without milliseconds)."""
    return humanize_duration(max(float(int(seconds)), 1.0)) if seconds >= 1 else "0s"


def _line(stream: IO[str], text: str) -> None:
    print(text, file=stream, flush=True)


def make_display(
    stream: IO[str], ids: Sequence[str], *, live: bool, color: bool, clock: Clock
) -> LineDisplay:
    """The live table when `live` (stderr is a terminal), else the line display."""
    return LiveDisplay(stream, ids, color=color, clock=clock) if live else LineDisplay(stream)


class LineDisplay:
    """Off a terminal: one stderr line per status change, nothing else."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __enter__(self) -> LineDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def hooks(self) -> waiter.Hooks:
        return waiter.Hooks(on_change=self.on_change, on_retry=self.on_retry)

    def on_change(self, tracked: Tracked, elapsed: float) -> None:
        if tracked.missing and tracked.job is None:
            return  # never seen: named once at the end
        what = "gone (404)" if tracked.missing else tracked.status or "?"
        _line(self.stream, f"{tracked.id} {what} ({span(elapsed)})")

    def on_retry(self, error: Exception, pause: float) -> None:
        _line(self.stream, f"lx: polling failed ({error}); trying again in {pause:.0f}s")


class LiveDisplay(LineDisplay):
    """In a terminal: a live table (ID, STATUS, FOR) on stderr, cleared at the end."""

    def __init__(self, stream: IO[str], ids: Sequence[str], *, color: bool, clock: Clock) -> None:
        super().__init__(stream)
        self.color = color
        self.jobs: list[tuple[str, str, float]] = [(i, "…", 0.0) for i in ids]
        self.clock = clock
        self.start = self.clock()
        self.note = ""
        self.live: Any = None

    def __enter__(self) -> LiveDisplay:
        from rich.console import Console
        from rich.live import Live

        console = Console(
            file=self.stream,
            force_terminal=True,
            no_color=not self.color,
            highlight=False,
        )
        self.live = Live(
            self,
            console=console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is None:
            return
        # A Ctrl-C inside Live.start() leaves it half set up: its stop() may then fail
        # (IndexError from rich's stacks) or not show the cursor. Neither may turn the
        # interruption into an internal error or leave the terminal without a cursor.
        try:
            with contextlib.suppress(Exception):
                self.live.__exit__(None, None, None)
        finally:
            self.live.console.show_cursor(True)

    def hooks(self) -> waiter.Hooks:
        return waiter.Hooks(on_poll=self.on_poll, on_retry=self.on_retry)

    def on_poll(self, jobs: list[Tracked], elapsed: float) -> None:
        self.note = ""
        self.jobs = [
            (t.id, "NOT FOUND" if t.missing else t.status or "?", t.changed_at) for t in jobs
        ]
        if self.live is not None:
            self.live.refresh()

    def on_retry(self, error: Exception, pause: float) -> None:
        self.note = f"polling failed ({error}); trying again in {pause:.0f}s"

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        from llamaextract_cli.output.job_view import STATUS_STYLES

        elapsed = self.clock() - self.start
        waiting = sum(1 for _, s, _ in self.jobs if s not in {*TERMINAL_STATUSES, "NOT FOUND"})
        head = f"waiting for {waiting} of {plural(len(self.jobs), 'job')} ({span(elapsed)})"
        table = Table(box=None, padding=(0, 2), show_edge=False)
        for name in ("ID", "STATUS", "FOR"):
            table.add_column(name, no_wrap=True)
        for job_id, status, since in self.jobs:
            for_ = span(elapsed - since)
            table.add_row(job_id, Text(status, style=STATUS_STYLES.get(status, "")), for_)
        parts: list[Any] = [Spinner("dots", text=head), table]
        if self.note:
            parts.append(Text(self.note, style="yellow"))
        return Group(*parts)


# --- the end ---------------------------------------------------------------------------


def write_not_found(stream: IO[str], jobs: Sequence[Tracked], error_format: str = "text") -> None:
    """One failure line per unknown ID (`--error-format json`: one object each)."""
    from llamaextract_cli.errors import NotFoundError
    from llamaextract_cli.output.error_line import write_error

    for tracked in jobs:
        write_error(stream, error_format, NotFoundError(f"job {tracked.id} not found"))


def summary_line(tracked: Tracked, unfinished: str = "timed out") -> str:
    from llamaextract_cli.jobs.fields import job_duration_seconds

    status = tracked.status or "?"
    if not tracked.done:
        return f"{tracked.id} still {status} ({unfinished})"
    if tracked.missing:
        return f"{tracked.id} not found (deleted while waiting?)"
    took = job_duration_seconds(tracked.job or {})
    line = f"{tracked.id} {status}" + (f" in {humanize_duration(took)}" if took is not None else "")
    error = (tracked.job or {}).get("error_message")
    return f"{line}: {error}" if status == "FAILED" and error else line


def write_summary(stream: IO[str], jobs: Sequence[Tracked], unfinished: str = "timed out") -> None:
    """One line per job: how it ended and how long it took (or why it is not done)."""
    for tracked in jobs:
        _line(stream, summary_line(tracked, unfinished))
