"""What the one-job commands (`jobs get`, `wait`, `cancel`, `delete`) print.

One JSON value (indented for a person, compact for a pipe), jobs in a list
format (`-o json` of a single ID is the object itself), panels, and one stderr
line per ID that could not be fetched. Each function writes to the stream it is
given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaextract_cli.jobs.batch import Outcome


def write_value(stream: IO[str], value: Any, *, pretty: bool, fmt: str = "json") -> None:
    """One JSON value: indented when `pretty` (a terminal), compact otherwise; with
    `fmt` yaml, the same value as YAML (an array: one document per item)."""
    if fmt == "yaml":
        from llamaextract_cli.output.yamlout import write_yaml

        write_yaml(stream, value)
        return
    if pretty:
        import json

        stream.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    else:
        from llamaextract_cli.output.encode import dumps

        stream.write(dumps(value) + "\n")
    stream.flush()


def project(item: Mapping[str, Any], fields: Sequence[str] | None) -> Any:
    """`item` cut down to `{field: value}` in the order of `fields` (all of it without)."""
    if not fields:
        return item
    from llamaextract_cli.jobs.fields import get_path

    return {f: get_path(item, f) for f in fields}


def write_jobs(
    stream: IO[str],
    jobs: Sequence[Mapping[str, Any]],
    fmt: str,
    *,
    fields: Sequence[str] | None = None,
    single: bool = False,
    absolute: bool = False,
    color: bool = False,
    pretty: bool = False,
) -> None:
    """Jobs in a list format; `-o json` of a single ID is the object itself."""
    if fmt in ("json", "yaml") and single:
        if jobs:
            write_value(stream, project(jobs[0], fields), pretty=pretty, fmt=fmt)
        return
    from datetime import datetime, timezone

    from llamaextract_cli.output import make_renderer

    renderer = make_renderer(
        fmt,
        stream,
        fields=fields,
        color=color,
        now=datetime.now(timezone.utc),
        absolute_times=absolute,
    )
    for job in jobs:
        renderer.write(job)
    renderer.close()


def write_panels(
    stream: IO[str],
    jobs: Sequence[Mapping[str, Any]],
    *,
    color: bool,
    result_commands: Mapping[str, str] | None = None,
    hints: IO[str] | None = None,
) -> None:
    """The terminal view of `jobs get`: one rich panel per job; where a result is cut,
    the command that prints it whole (`result_commands`, by job ID) on `hints`."""
    from datetime import datetime, timezone

    from llamaextract_cli.output.job_view import render_jobs

    render_jobs(
        jobs,
        stream,
        color=color,
        now=datetime.now(timezone.utc),
        result_commands=result_commands,
        hints=hints,
    )


def write_failures(
    stream: IO[str], outcomes: Sequence[Outcome[Any]], error_format: str = "text"
) -> None:
    """One failure line per ID that was not found or failed (`--error-format json`: one
    object each, with the HTTP status and request ID of the answer)."""
    from llamaextract_cli.errors import NotFoundError
    from llamaextract_cli.output.error_line import write_error

    for o in outcomes:
        if o.not_found:
            error = o.error if o.error is not None else NotFoundError("")
            write_error(stream, error_format, error, message=f"job {o.id} not found")
        elif o.error is not None:
            write_error(stream, error_format, o.error, message=f"job {o.id}: {o.error.message}")
