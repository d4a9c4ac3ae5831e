"""`lx jobs watch` and `lx jobs list --watch`: poll the first page and report status changes.

On a terminal (stdout a TTY and the table format): a live table redrawn every
--interval, changed rows highlighted and marked `*`. Otherwise: one JSON line
per status change on stdout, flushed at once:

    {"id": "ext-…", "status": "RUNNING", "previous_status": "PENDING",
     "updated_at": "…", "observed_at": "…"}

The first poll reports every job it sees with "previous_status": null, and so
does a later poll for a job it has not seen before (a new job, or one that came
back into the first page). A job that leaves the query (its status no longer
matches --status, or newer jobs pushed it off the page) is not reported.

Injection points: `sleep` and `clock` (epoch seconds) below are what the loop
calls between and at each poll; tests replace them with a fake clock's `advance`
and `now`, so nothing really sleeps.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import FieldsOpt, FormatOpt, job_filters
from llamaextract_cli.errors import Interrupted, UsageError

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State

sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.time

DEFAULT_LIMIT = 30
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})

WATCH_HELP = """Follow jobs as their status changes (the live form of `jobs list`).

Polls the first page of the query (newest first, --limit jobs, default 30) every
--interval seconds. In a terminal: a live table with the column rules of `jobs list`
(IDs and headers whole, an ERROR column when a job has an error, STATUS named once
under a single --status), rows that changed since the last refresh highlighted and
marked *, a footer counting jobs by status; never taller than the terminal (the
footer counts the rows left out). Ctrl-C stops (exit 130). Off a terminal (or
with -o jsonl/json): one JSON line per status change (-o yaml: one YAML document each),
{"id", "status", "previous_status", "updated_at", "observed_at"}, plus any
--fields; the first poll reports every job with previous_status null.

\b
Examples:
  lx jobs watch --since 1h                       # live table
  lx jobs watch --id "$JOB" --until-terminal -o jsonl | jq -r .status
  lx jobs watch --id "$JOB" --until-terminal --jq .status
  lx jobs list --watch --status RUNNING --interval 10
  lx jobs watch --count 3 --interval 2 > changes.jsonl
"""


def _iso(epoch: float) -> str:
    when = datetime.fromtimestamp(epoch, timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class Tracker:
    """The last status seen of each job (bounded: the oldest entries are forgotten)."""

    capacity: int = 1000
    seen: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def changes(
        self, jobs: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Mapping[str, Any], str | None]]:
        """(job, previous status) for each job whose status is new or changed."""
        out: list[tuple[Mapping[str, Any], str | None]] = []
        for job in jobs:
            job_id = str(job.get("id"))
            status = str(job.get("status"))
            previous = self.seen.get(job_id)
            if previous != status:
                out.append((job, previous))
            self.seen[job_id] = status
            self.seen.move_to_end(job_id)
        while len(self.seen) > self.capacity:
            self.seen.popitem(last=False)
        return out


def poll_loop(
    fetch: Callable[[], list[dict[str, Any]]],
    *,
    interval: float,
    count: int | None,
    until_terminal: bool,
    capacity: int = 1000,
) -> Iterator[tuple[list[dict[str, Any]], list[tuple[Mapping[str, Any], str | None]], float]]:
    """Yield (jobs, changes, observed_at) per poll; sleeps through `sleep` in between."""
    tracker = Tracker(capacity=capacity)
    polls = 0
    while True:
        jobs = fetch()
        observed = clock()
        polls += 1
        yield jobs, tracker.changes(jobs), observed
        if count is not None and polls >= count:
            return
        if until_terminal and all(str(j.get("status")) in TERMINAL for j in jobs):
            return
        sleep(interval)


def run_watch(
    state: State,
    filters: JobFilter,
    *,
    interval: float,
    output: str | None,
    fields: list[str] | None,
    limit: int | None = None,
    count: int | None = None,
    until_terminal: bool = False,
) -> None:
    """Poll and report until interrupted, `count` polls, or every job is terminal."""
    from dataclasses import replace

    from llamaextract_cli.choices import LIST_EXPAND
    from llamaextract_cli.cli.options import with_expansions

    filters = replace(filters, expand=with_expansions(filters.expand, fields, LIST_EXPAND))
    fmt = state.output_format(output)
    if fmt in ("csv", "tsv"):
        raise UsageError(f"watch cannot write {fmt}", hint="use -o jsonl (or a terminal table)")
    from llamaextract_cli.api.pager import iter_jobs

    client = state.client()
    size = limit or DEFAULT_LIMIT

    def fetch() -> list[dict[str, Any]]:
        return list(iter_jobs(client, filters, limit=size, page_size=min(size, 100)))

    loop = poll_loop(
        fetch,
        interval=interval,
        count=count,
        until_terminal=until_terminal,
        capacity=max(1000, 10 * size),
    )
    try:
        if fmt in ("table", "wide") and state.env.stdout_isatty:
            one = filters.statuses[0] if len(filters.statuses) == 1 else None
            _live(state, loop, fields, interval, {"status": one} if one else None)
        else:
            _stream(state, loop, fields, yaml=fmt == "yaml")
    except KeyboardInterrupt:  # typer would turn it into a silent exit 130
        raise Interrupted("interrupted") from None


def _stream(
    state: State, loop: Iterator[Any], fields: list[str] | None, *, yaml: bool = False
) -> None:
    from llamaextract_cli.jobs.fields import compile_path
    from llamaextract_cli.output.encode import dumps

    if yaml:
        from llamaextract_cli.output.yamlout import document as encode
    else:

        def encode(value: Any) -> str:
            return dumps(value) + "\n"

    getters = [(f, compile_path(f)) for f in fields or ()]
    out = state.env.stdout
    for _jobs, changes, observed in loop:
        at = _iso(observed)
        for job, previous in changes:
            event: dict[str, Any] = {
                "id": job.get("id"),
                "status": job.get("status"),
                "previous_status": previous,
                "updated_at": job.get("updated_at"),
                "observed_at": at,
            }
            for name, get in getters:
                event.setdefault(name, get(job))
            out.write(encode(event))  # one write per event: never half of one
            out.flush()


def _live(
    state: State,
    loop: Iterator[Any],
    fields: list[str] | None,
    interval: float,
    constant: dict[str, str] | None,
) -> None:
    from rich.live import Live

    from llamaextract_cli.cli.commands.jobs.triage import console_for
    from llamaextract_cli.output.columns import columns_for_fields
    from llamaextract_cli.output.watch_view import watch_frame

    columns = columns_for_fields(fields) if fields else None
    console = console_for(state)
    first = True
    live_view = Live(console=console, auto_refresh=False, transient=False, redirect_stdout=False)
    try:
        with live_view as live:
            for jobs, changes, observed in loop:
                now = datetime.fromtimestamp(observed, timezone.utc)
                changed = set() if first else {str(j.get("id")) for j, _ in changes}
                first = False
                view = watch_frame(
                    jobs,
                    changed,
                    columns=columns,
                    refreshed=now,
                    interval=interval,
                    now=now,
                    width=console.width,
                    height=console.height,
                    constant=None if fields else constant,
                )
                live.update(view, refresh=True)
    finally:  # a Ctrl-C inside Live's start skips its exit: the cursor must come back
        with contextlib.suppress(Exception):
            console.show_cursor(True)


@app.command("watch", help=WATCH_HELP)
@jq_option(json_lines=True)
@job_filters
def watch(
    ctx: typer.Context,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.5, help="Seconds between polls.", metavar="SECONDS"),
    ] = 5.0,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-L", min=1, help="Jobs per poll, newest first [default: 30].", metavar="N"
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=1, help="Stop after N polls.", metavar="N"),
    ] = None,
    until_terminal: Annotated[
        bool,
        typer.Option(
            "--until-terminal", help="Stop once every job of a poll is COMPLETED/FAILED/CANCELLED."
        ),
    ] = False,
    output: FormatOpt = None,
    fields: FieldsOpt = None,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.cli.options import parse_field_list

    state = get_state(ctx)
    run_watch(
        state,
        state.scoped(filters),
        interval=interval,
        output=output,
        fields=parse_field_list(fields),
        limit=limit,
        count=count,
        until_terminal=until_terminal,
    )
