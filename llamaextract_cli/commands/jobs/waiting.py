"""`lx jobs wait`: poll until every job is terminal; the exit status tells the outcome.

The loop is `waiter.wait_for`; this module parses the flags, shows progress on
stderr (a live table on a terminal, one line per status change otherwise) and
turns the outcome into summary lines and an exit status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli import waiter
from llamaextract_cli._click import Choice
from llamaextract_cli.choices import TERMINAL_STATUSES
from llamaextract_cli.commands.jobs import app
from llamaextract_cli.commands.jobs.listing import parse_field_list
from llamaextract_cli.context import get_state
from llamaextract_cli.errors import Interrupted, JobsFailed, NotFoundError, UsageError, WaitTimeout
from llamaextract_cli.lookup import fetch_jobs, job_ids, scope_params
from llamaextract_cli.options import FieldsOpt, JobIdsArg, OrgOpt, ProjectOpt
from llamaextract_cli.timeparse import DURATION_HELP, humanize_duration

if TYPE_CHECKING:
    from llamaextract_cli.context import State
    from llamaextract_cli.waiter import Tracked, WaitResult

WAIT_HELP = """Wait until every job is terminal (COMPLETED, FAILED or CANCELLED).

Polls every --interval seconds; after the first 30 s the interval grows 1.5x per
poll up to 30 s, and it grows faster when the API answers 429. In a terminal a
live table of the jobs is shown on stderr, and cleared at the end; otherwise one
line per status change. At the end, one summary line per job on stderr.

Nothing is written on stdout unless -o or -f asks for the final jobs (in the
formats of `lx jobs get`: `-o json` of one ID is the job's object).

Exit status: 0 every job COMPLETED; 1 a job FAILED or was CANCELLED (named, with
its error message); 124 --timeout ran out (the unfinished jobs are named);
4 a job ID is unknown; 130 interrupted: Ctrl-C stops waiting, never the jobs.

\b
Examples:
  lx jobs wait "$JOB" --timeout 10m || exit 1      # gate a CI step
  lx jobs wait ext-1 ext-2 --interval 5
  lx jobs wait "$JOB" -o json | jq .usage.credits
  lx jobs list -s RUNNING -o jsonl | lx jobs wait - --timeout 1h
"""

MAX_NAMED = 5

FinalFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-o",
        click_type=Choice(("table", "json", "jsonl", "csv", "tsv"), case_sensitive=False),
        help="Print the final jobs on stdout in this format (default: nothing on stdout; "
        "with -f alone, the format `lx jobs get` would use).",
        show_default=False,
    ),
]


@app.command("wait", help=WAIT_HELP)
def wait_cmd(
    ctx: typer.Context,
    ids: JobIdsArg,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            "-t",
            help=f"Give up after DURATION ({DURATION_HELP}; a bare number is seconds) "
            "and exit 124. Default: wait as long as it takes.",
            metavar="DURATION",
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.5,
            help="Seconds between polls at first (then backing off up to 30 s).",
            metavar="SECONDS",
        ),
    ] = 2.0,
    project_id: ProjectOpt = None,
    org: OrgOpt = None,
    output: FinalFormatOpt = None,
    fields: FieldsOpt = None,
) -> None:
    state = get_state(ctx)
    limit = parse_timeout(timeout)
    field_list = parse_field_list(fields)
    wanted = job_ids(state, ids)
    if not wanted:
        return
    params = scope_params(state, (), project_id, org)
    result = _run(state, wanted, params, interval=interval, timeout=limit)
    unknown = [t for t in result.missing if t.job is None]
    if unknown:  # never seen: a typo, the wrong project; no summary, exit 4 at once
        for t in unknown:
            state.env.warn(f"lx: job {t.id} not found")
        raise typer.Exit(int(NotFoundError.exit_status))
    summarize(state, result)
    if output is not None or field_list is not None:
        jobs = [t.job for t in result.jobs if t.job is not None and not t.missing]
        from llamaextract_cli.output.jobs_out import write_jobs

        env = state.env
        fmt = state.output_format(output)
        write_jobs(
            env.stdout,
            jobs,
            fmt,
            fields=field_list,
            single=len(wanted) == 1,
            color=state.color and bool(env.stdout_isatty),
            pretty=bool(env.stdout_isatty),
        )
    raise_outcome(result, limit)


def parse_timeout(text: str | None) -> float | None:
    if text is None:
        return None
    from llamaextract_cli.timeparse import TimeParseError, parse_duration

    value = text.strip()
    try:
        return float(value) if value.replace(".", "", 1).isdigit() else parse_duration(value)
    except TimeParseError as e:
        raise UsageError(f"--timeout: {e}", hint="e.g. --timeout 10m") from None


def _run(
    state: State,
    ids: Sequence[str],
    params: Sequence[tuple[str, str]],
    *,
    interval: float,
    timeout: float | None,
) -> WaitResult:
    display = LiveDisplay(state, ids) if state.env.stderr_isatty else LineDisplay(state)
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
                throttled=_throttle_watch(state),
            )
        finally:
            display.__exit__(None, None, None)
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted; stopped waiting, the jobs keep running",
            hint="lx jobs cancel ID stops a job",
        ) from None


def span(seconds: float) -> str:
    """`0s`, `12s`, `3m05s`: whole seconds (humanize_duration, without milliseconds)."""
    return humanize_duration(max(float(int(seconds)), 1.0)) if seconds >= 1 else "0s"


def _throttle_watch(state: State) -> Any:
    """A function telling whether the client met a 429 since it was last called."""
    client = state.client()
    seen = [getattr(client, "throttled", 0)]

    def throttled() -> bool:
        count = getattr(client, "throttled", 0)
        hit, seen[0] = count > seen[0], count
        return bool(hit)

    return throttled


# --- progress -----------------------------------------------------------------------------


class LineDisplay:
    """Off a terminal: one stderr line per status change, nothing else."""

    def __init__(self, state: State) -> None:
        self.env = state.env

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
        self.env.warn(f"{tracked.id} {what} ({span(elapsed)})")

    def on_retry(self, error: Exception, pause: float) -> None:
        self.env.warn(f"lx: polling failed ({error}); trying again in {pause:.0f}s")


class LiveDisplay(LineDisplay):
    """In a terminal: a live table (ID, STATUS, FOR) on stderr, cleared at the end."""

    def __init__(self, state: State, ids: Sequence[str]) -> None:
        super().__init__(state)
        self.color = state.color
        self.jobs: list[tuple[str, str, float]] = [(i, "…", 0.0) for i in ids]
        self.clock = waiter.CLOCK
        self.start = self.clock()
        self.note = ""
        self.live: Any = None

    def __enter__(self) -> LiveDisplay:
        from rich.console import Console
        from rich.live import Live

        console = Console(
            file=self.env.stderr,
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
        if self.live is not None:
            self.live.__exit__(None, None, None)

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
        head = f"waiting for {waiting} of {len(self.jobs)} jobs ({span(elapsed)})"
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


# --- the outcome ----------------------------------------------------------------------------


def summary_line(tracked: Tracked) -> str:
    from llamaextract_cli.fields import job_duration_seconds

    status = tracked.status or "?"
    if not tracked.done:
        return f"{tracked.id} still {status} (timed out)"
    if tracked.missing:
        return f"{tracked.id} not found (deleted while waiting?)"
    took = job_duration_seconds(tracked.job or {})
    line = f"{tracked.id} {status}" + (f" in {humanize_duration(took)}" if took is not None else "")
    error = (tracked.job or {}).get("error_message")
    return f"{line}: {error}" if status == "FAILED" and error else line


def summarize(state: State, result: WaitResult) -> None:
    for tracked in result.jobs:
        state.env.warn(summary_line(tracked))


def _named(jobs: Sequence[Tracked], describe: Any) -> str:
    shown = ", ".join(describe(t) for t in jobs[:MAX_NAMED])
    more = len(jobs) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def raise_outcome(result: WaitResult, timeout: float | None) -> None:
    """Exit 0 when every job COMPLETED; else the error that names what did not."""
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
