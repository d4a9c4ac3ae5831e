"""What `lx jobs cancel|delete` show: the question, one line per job, the results.

The jobs to change are shown as a table on stderr before the y/N question; each
job's outcome is one stderr line; with -o, one result object per job on stdout.
Each function writes to the streams it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from llamaextract_cli.jobs.changes import Action, Change


def confirm(
    stderr: IO[str], stdin: IO[str], action: Action, plan: Sequence[Change], *, color: bool
) -> bool:
    """Show the jobs to change and read y/N from stdin."""
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import Column

    todo = [c for c in plan if c.ok]
    table = make_renderer(
        "table",
        stderr,
        columns=[
            Column("id", header="ID", truncate=False),
            Column("status", header="STATUS", kind="status", truncate=False),
            Column("created_at", header="CREATED", kind="time"),
        ],
        color=color,
    )
    for c in todo:
        table.write(c.job or {"id": c.id})
    table.close()
    skipped = len(plan) - len(todo)
    note = f" ({skipped} other{'s' if skipped > 1 else ''} cannot be)" if skipped else ""
    count = f"{len(todo)} job{'s' if len(todo) > 1 else ''}"
    stderr.write(f"{action.verb.capitalize()} {count}{note}? [y/N] ")
    stderr.flush()
    answer = stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def report(
    stream: IO[str],
    action: Action,
    plan: Sequence[Change],
    dry_run: bool,
    error_format: str = "text",
) -> None:
    """One line per job: done, would be done, or why not (the failures in `error_format`)."""
    from llamaextract_cli.errors import LxError, NotFoundError
    from llamaextract_cli.output.error_line import format_error

    for c in plan:
        if c.not_found:
            line = format_error(error_format, NotFoundError(f"job {c.id} not found"))
        elif c.error is not None:
            message = c.error if c.error.startswith(c.id) else f"{c.id}: {c.error}"
            # c.command (advice) goes alone on its line: it runs when pasted
            line = format_error(error_format, LxError(message, command=c.command))
        elif dry_run:
            line = f"would {action.verb} {c.id} ({c.status})"
        else:
            line = f"{action.done} {c.id}"
        print(line, file=stream, flush=True)


def write_results(
    stream: IO[str], plan: Sequence[Change], fmt: str, dry_run: bool, *, single: bool, pretty: bool
) -> None:
    """One result object per job (`-o json` of a single ID: the object alone)."""
    results = [c.as_json(dry_run) for c in plan]
    if fmt in ("json", "yaml") and single:
        from llamaextract_cli.output.jobs_out import write_value

        write_value(stream, results[0], pretty=pretty, fmt=fmt)
        return
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import columns_for_keys

    keys = ["id", "ok", "status", "error"] + (["dry_run"] if dry_run else [])
    columns = None if fmt in ("json", "jsonl", "yaml") else columns_for_keys(keys)
    renderer = make_renderer(fmt, stream, columns=columns)
    for result in results:
        renderer.write(result)
    renderer.close()
