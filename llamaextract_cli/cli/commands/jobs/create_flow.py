"""The flow `lx jobs create` and `lx jobs rerun` share: plan, ask, create, print, wait.

1. the skipped originals are named, a plan over `--max` is refused (exit 2);
2. the plan is shown on stderr; `--dry-run` then prints what would be sent and stops;
3. on a terminal the user is asked (the commands refuse earlier without one and
   without --yes: `refuse_without_terminal`);
4. the jobs are created one after another at the pace of `jobs.pace` (`jobs.create.run`);
   each result goes to stdout as it ends; then one stderr line per failure;
5. a summary line; with --wait, `jobs wait`'s run and display on the new jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.errors import AuthError, Interrupted, LxError, NotFoundError, UsageError
from llamaextract_cli.jobs.create import Created, Entry, Planned, Skipped
from llamaextract_cli.jobs.pace import MAX_RATE
from llamaextract_cli.timeparse import DURATION_HELP

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.output import Renderer
    from llamaextract_cli.output.columns import Column


DEFAULT_MAX = 25

MaxOpt = Annotated[
    int,
    typer.Option(
        "--max",
        min=1,
        max=100_000,
        help="Refuse (exit 2) to create more jobs than N: a typo in a filter must not "
        "start thousands.",
        metavar="N",
    ),
]
RateOpt = Annotated[
    float,
    typer.Option(
        "--rate",
        min=0.1,
        max=MAX_RATE,
        help="Creates per second at most (the service throttles at about 15/s); halved "
        "after each 429.",
        metavar="N",
    ),
]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait", "-w", help="Then wait for the new jobs as `lx jobs wait` does (same exits)."
    ),
]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        "-t",
        help=f"With --wait: give up after DURATION ({DURATION_HELP}) and exit 124.",
        metavar="DURATION",
    ),
]
FailFastOpt = Annotated[
    bool,
    typer.Option(
        "--fail-fast",
        help="With --wait: exit 1 as soon as one new job is FAILED or CANCELLED.",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        min=0.5,
        help="With --wait: seconds between polls at first (then backing off up to 30 s).",
        metavar="SECONDS",
    ),
]


@dataclass(frozen=True)
class Options:
    """The flags both commands share."""

    verb: str  # "create" | "rerun"
    yes: bool = False
    dry_run: bool = False
    max_jobs: int = 25
    rate: float = 5.0
    wait: bool = False
    timeout: float | None = None
    interval: float = 2.0
    fail_fast: bool = False
    output: str | None = None
    fields: list[str] | None = None

    @property
    def asks(self) -> bool:
        return not self.yes and not self.dry_run


def options(
    verb: str,
    yes: bool,
    dry_run: bool,
    max_jobs: int,
    rate: float,
    wait: bool,
    timeout: str | None,
    interval: float,
    output: str | None,
    fields: str | None,
    fail_fast: bool = False,
) -> Options:
    from llamaextract_cli.cli.commands.jobs.waiting import parse_timeout
    from llamaextract_cli.cli.options import parse_field_list

    for flag, given in (("--timeout", timeout is not None), ("--fail-fast", fail_fast)):
        if given and not wait:
            raise UsageError(f"{flag} applies to --wait", hint=f"add --wait, or drop {flag}")
    return Options(
        verb=verb,
        yes=yes,
        dry_run=dry_run,
        max_jobs=max_jobs,
        rate=rate,
        wait=wait,
        timeout=parse_timeout(timeout),
        interval=interval,
        fail_fast=fail_fast,
        output=output,
        fields=parse_field_list(fields),
    )


def refuse_without_terminal(state: State, opts: Options, *, from_stdin: bool, what: str) -> None:
    """Exit 2 before any request when the run would have to ask and cannot."""
    from llamaextract_cli.jobs.changes import unconfirmed

    env = state.env
    if opts.asks and (from_stdin or not (env.stdin_isatty and env.stderr_isatty)):
        raise unconfirmed(opts.verb, from_stdin=from_stdin, what=what)


def check_max(opts: Options, count: int, *, more: bool = False, hint: str) -> None:
    """A UsageError when the plan holds more jobs than --max allows (`more`: a listing
    stopped at --max + 1 jobs, so how many more match is not known)."""
    if count <= opts.max_jobs and not more:
        return
    if more:
        message = f"refusing to {opts.verb}: more than --max {opts.max_jobs} jobs match"
    else:
        message = f"refusing to {opts.verb} {count} jobs: more than --max {opts.max_jobs}"
    raise UsageError(message, hint=hint)


def execute(
    state: State,
    opts: Options,
    entries: Sequence[Entry],
    *,
    show_plan: Callable[[list[Planned]], None],
    question: str,
    dry_records: Callable[[list[Entry]], list[dict[str, Any]]],
    dry_columns: Sequence[Column] | None = None,
    scope: Sequence[tuple[str, str]],
) -> None:
    """Plan, ask, create, print, wait; raise the exit status of the outcome."""
    from llamaextract_cli.jobs import create, pace
    from llamaextract_cli.jobs.wait import throttle_watch
    from llamaextract_cli.output import create_view

    env = state.env
    items = [e for e in entries if isinstance(e, Planned)]
    skipped = [e for e in entries if isinstance(e, Skipped)]
    create_view.write_skipped(env.stderr, skipped)
    if items:
        show_plan(items)
    if opts.dry_run:
        out = _Output(state, opts, single=len(entries) == 1, columns=dry_columns)
        for record in dry_records(list(entries)):
            out.write(record)
        out.close()
        if items:
            done = "created" if opts.verb == "create" else "rerun"
            print(f"dry run: nothing {done}", file=env.stderr, flush=True)
        code = NotFoundError.exit_status if any(s.not_found for s in skipped) else 0
        raise typer.Exit(int(code))
    out = _Output(state, opts, single=len(entries) == 1)  # a bad LX_FORMAT fails before asking
    if opts.asks and items and not create_view.confirm(env.stderr, env.stdin, question):
        raise LxError("not confirmed; nothing created")

    records = opts.verb == "rerun"
    order = {id(e): n for n, e in enumerate(entries)}
    pending = sorted(skipped, key=lambda s: order[id(s)])

    def flush_skipped(before: int) -> None:
        while pending and order[id(pending[0])] < before:
            out.write(pending.pop(0).record())

    def on_done(created: Created) -> None:
        position = order[id(created.planned)]
        if records:
            flush_skipped(position)
            out.write(created.record())
        elif created.job is not None:
            out.write(created.job)

    client = state.client()
    pacer = pace.Pacer(opts.rate, pace.CLOCK, pace.SLEEP)
    try:
        result = create.run(client, items, pacer, on_done=on_done, throttled=throttle_watch(state))
    finally:
        if records:
            flush_skipped(len(entries))
        out.close()
    for created in result.created:  # after the output, so a table stays whole
        create_view.write_failure(env.stderr, created)
    code = create.exit_status(result, skipped)
    verb = "created" if opts.verb == "create" else "rerun"
    line = create_view.summary(result, len(skipped), verb=verb)
    if result.interrupted:
        raise Interrupted(f"interrupted; {line}", hint="the jobs created keep running")
    if result.stopped is not None:  # exit 3 for a refused key, else 1
        stopped = result.stopped
        kind = AuthError if isinstance(stopped, AuthError) else LxError
        raise kind(f"{line}; stopped after: {stopped.message}", hint=stopped.hint)
    print(line if code == 0 else f"lx: {line}", file=env.stderr, flush=True)
    if opts.wait and result.ok:
        _wait(state, opts, [c.id for c in result.ok if c.id], scope, creation_code=code)
    if code:
        raise typer.Exit(code)


def _wait(
    state: State,
    opts: Options,
    ids: list[str],
    scope: Sequence[tuple[str, str]],
    *,
    creation_code: int,
) -> None:
    """`lx jobs wait`'s run on the new jobs: its display, summary and exit statuses."""
    from llamaextract_cli.jobs import wait
    from llamaextract_cli.output import wait_view

    env = state.env
    display = wait_view.make_display(
        env.stderr, ids, live=bool(env.stderr_isatty), color=state.color, clock=wait.CLOCK
    )
    result = wait.wait_jobs(
        state,
        ids,
        scope,
        interval=opts.interval,
        timeout=opts.timeout,
        display=display,
        fail_fast=opts.fail_fast,
    )
    unknown = wait.never_seen(result)
    found = [t for t in result.jobs if not t.missing]
    why = "not waited for: an ID is unknown" if unknown else "timed out"
    if result.stopped_early:
        why = "not waited for (--fail-fast)"
    wait_view.write_summary(env.stderr, found if unknown else result.jobs, why)
    if unknown:
        wait_view.write_not_found(env.stderr, unknown)
        raise typer.Exit(int(NotFoundError.exit_status))
    if creation_code:  # the creates that failed decide, once the others are waited for
        raise typer.Exit(creation_code)
    wait.raise_outcome(result, opts.timeout)


class _Output:
    """stdout: records or jobs in the run's format, one as each create ends."""

    def __init__(
        self,
        state: State,
        opts: Options,
        *,
        single: bool,
        columns: Sequence[Column] | None = None,
    ) -> None:
        self.stream = state.env.stdout
        self.fmt = state.output_format(opts.output)
        self.single = single and self.fmt == "json"
        self.pretty = bool(state.env.stdout_isatty)
        self.fields = opts.fields
        self.color = state.stdout_color
        self.records = opts.verb == "rerun"
        self.dry_run = opts.dry_run
        self.columns = columns
        self._renderer: Renderer | None = None
        self._held: list[Any] = []

    def renderer(self) -> Renderer:
        if self._renderer is None:
            from llamaextract_cli.output import create_view, make_renderer

            if self.columns is not None and not self.fields:
                self._renderer = make_renderer(
                    self.fmt,
                    self.stream,
                    columns=None if self.fmt in ("json", "jsonl") else self.columns,
                    color=self.color,
                )
            elif self.records and not self.fields:
                self._renderer = create_view.make_records(
                    self.fmt, self.stream, color=self.color, dry_run=self.dry_run
                )
            else:
                self._renderer = make_renderer(
                    self.fmt, self.stream, fields=self.fields, color=self.color
                )
        return self._renderer

    def write(self, item: dict[str, Any]) -> None:
        if self.single:  # `-o json` of one input: the object alone, once it is known
            self._held.append(item)
            return
        renderer = self.renderer()
        renderer.write(item)
        renderer.flush()

    def close(self) -> None:
        if self.single:
            if self._held:
                from llamaextract_cli.output.jobs_out import project, write_value

                write_value(self.stream, project(self._held[0], self.fields), pretty=self.pretty)
            return
        self.renderer().close()
