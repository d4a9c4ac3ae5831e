"""`lx jobs review`: parse flags, stream COMPLETED jobs with their metadata into `review`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands.jobs.group import app
from llamaextract_cli.cli.commands.jobs.triage import console_for, window_for, write_rows
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.options import FormatOpt, PageSizeOpt, job_filters
from llamaextract_cli.errors import UsageError

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.jobs.review import Review

REVIEW_HELP = """Per-field confidence of the COMPLETED jobs of a window, and the values to check.

Reads every COMPLETED job the filters of `jobs list` match (without --since,
--until or --id: the last 7 days) with its extract_metadata and configuration,
and aggregates each field path, array indices collapsed to `*`
(`line_items.*.amount`); with --by configuration, each configuration's fields
apart. A job listed without its result or metadata is fetched by ID. Memory does
not grow with the number of jobs.

Per field: values (leaf values, nulls included), with_confidence,
mean_confidence, min_confidence, below (confidence < --below), share_below
(below / with_confidence), empty (null, or missing from a row although the
schema declares the field or another row or item of the job has it) and
worst_job_id (the job of min_confidence, the newest on a tie). A value's
confidence is the entry's `confidence`, else the lower of extraction_confidence
and parsing_confidence. Fields come worst first (share_below, then below).

-o json: {jobs, jobs_with_confidence, threshold, fields: [...], flagged: [{job_id,
row, field, value, confidence, page, citation}]}: flagged holds the values below
the threshold, newest job first, at most --max-flagged. -o csv/tsv/jsonl: the
field rows. In a terminal: the scored fields with a bar of their share below,
then the lowest values, marked ▼, with the text they were cited from.

Jobs without confidence scores count in `jobs`, not in `jobs_with_confidence`;
when no job has any, stderr says so (turn on `confidence_scores` in the extract
configuration). --fail-if-any exits 1 when any value is below the threshold and
says how many on stderr: a quality gate for CI (no scored value: exit 0, with
that warning).

\b
Examples:
  lx jobs review                                   # last 7 days, in a terminal
  lx jobs review --by configuration                # which fields of which config
  lx jobs review -c cfg-123 --since 24h --below 0.9
  lx jobs review --field total --field 'line_items.*.amount'
  lx jobs review -o json | jq '.fields[] | select(.share_below > 0.05) | .field'
  lx jobs review -o json | jq -r '.flagged[].job_id' | sort -u | lx jobs get -
  lx jobs review --since 1h --fail-if-any -o json > review.json   # CI gate
"""

BY = ("field", "configuration")
MAX_FLAGGED = 100_000
NO_SCORES_HINT = (
    "turn on confidence_scores in the extract configuration; "
    "lx jobs get {job_id} --expand configuration -o json | jq .configuration.confidence_scores"
)


def _fields(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or ():
        parts = [p.strip() for p in value.split(",")]
        if not any(parts) or any(not p.strip(".[]* ") for p in parts):
            raise UsageError(
                f"--field {value!r} names no field",
                hint="give a dot path such as total or line_items.*.amount",
            )
        out.extend(parts)
    return tuple(dict.fromkeys(out))


def with_results(
    client: ApiClient, jobs: Iterable[dict[str, Any]], params: list[tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    """Each job; one listed without `extract_result` or `extract_metadata` (a server
    that leaves them out of lists) is fetched by ID, with `params`."""
    for job in jobs:
        partial = "extract_result" not in job or "extract_metadata" not in job
        if partial and isinstance(job.get("id"), str):
            job = client.get_job(job["id"], params)
        yield job


def _get_params(filters: JobFilter) -> list[tuple[str, str]]:
    scope = JobFilter(
        expand=filters.expand,
        project_id=filters.project_id,
        organization_id=filters.organization_id,
    )
    return scope.params()


@app.command("review", help=REVIEW_HELP)
@job_filters
def review(
    ctx: typer.Context,
    below: Annotated[
        float,
        typer.Option(
            "--below",
            min=0.0,
            max=1.0,
            help="The confidence threshold: values under it are flagged (0..1).",
            metavar="CONFIDENCE",
        ),
    ] = 0.8,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="Only this field path and what lies under it (repeatable or "
            "comma-separated; indices may be given or written *: line_items.0.amount, "
            "line_items[*].amount and line_items.*.amount are one field).",
            metavar="PATH",
        ),
    ] = None,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            click_type=Choice(BY, case_sensitive=False),
            help="One row per field, or per configuration and field (rows gain a leading "
            "`configuration`: the configuration_id, or inline).",
        ),
    ] = "field",
    max_flagged: Annotated[
        int,
        typer.Option(
            "--max-flagged",
            min=0,
            max=MAX_FLAGGED,
            help="Values below the threshold listed in -o json's `flagged`, newest first "
            f"(at most {MAX_FLAGGED:,}: they are held in memory).",
            metavar="N",
        ),
    ] = 100,
    output: FormatOpt = None,
    page_size: PageSizeOpt = None,
    fail_if_any: Annotated[
        bool,
        typer.Option(
            "--fail-if-any", help="Exit 1 when any value is below the threshold (a CI gate)."
        ),
    ] = False,
    *,
    filters: JobFilter,
) -> None:
    from llamaextract_cli.api.pager import iter_jobs
    from llamaextract_cli.jobs.review import Review

    state = get_state(ctx)
    if any(s != "COMPLETED" for s in filters.statuses):
        raise UsageError(
            "--status: jobs review only looks at COMPLETED jobs (the others have no result)",
            hint="drop --status",
        )
    wanted = _fields(field)
    fmt = state.output_format(output)
    filters, window = window_for(state.scoped(filters))
    expand = (*filters.expand, "configuration", "extract_metadata")
    filters = replace(filters, statuses=("COMPLETED",), expand=tuple(dict.fromkeys(expand)))
    acc = Review(
        below,
        fields=wanted,
        max_flagged=max_flagged,
        by_configuration=by.lower() == "configuration",
    )
    client = state.client()
    jobs = iter_jobs(client, filters, page_size=state.page_size(page_size))
    try:
        # a server that ignores `status` must not bring results of jobs still running
        listed = (job for job in jobs if job.get("status") == "COMPLETED")
        for job in with_results(client, listed, _get_params(filters)):
            acc.add_job(job)
    finally:
        jobs.close()  # type: ignore[attr-defined]
    _print(state, fmt, acc, window)
    _warnings(state, acc)
    if fail_if_any and acc.below:
        state.env.warn(
            f"lx: {acc.below:,} of {acc.scored:,} values are below {below:g} "
            f"({len(acc.flagged_fields())} fields)"
        )
        raise typer.Exit(1)


_COLUMNS = (
    "field",
    "values",
    "with_confidence",
    "mean_confidence",
    "min_confidence",
    "below",
    "share_below",
    "empty",
    "worst_job_id",
)


def _print(state: State, fmt: str, acc: Review, window: Any) -> None:
    if fmt == "json":
        import json

        state.env.stdout.write(json.dumps(acc.result(), indent=2, ensure_ascii=False) + "\n")
        state.env.stdout.flush()
        return
    if fmt == "table":
        from llamaextract_cli.output.review_view import render_review

        render_review(
            console_for(state),
            acc.summary(),
            window_json(window),
            acc.rows(),
            [{**f.as_dict(), "reasoning": f.reasoning} for f in acc.worst()],
            {name: _tally(c) for name, c in acc.configs.items()},
        )
        return
    from llamaextract_cli.output.columns import Column

    keys = (("configuration",) if acc.by_configuration else ()) + _COLUMNS
    write_rows(state, fmt, acc.rows(), [Column.for_key(k) for k in keys])


def _tally(c: Any) -> dict[str, Any]:
    return {
        "label": c.label,
        "jobs": c.jobs,
        "jobs_with_confidence": c.jobs_with_confidence,
        "scored": c.scored,
        "below": c.below,
    }


def window_json(window: Any) -> Mapping[str, Any]:
    from llamaextract_cli.api.query import iso_utc

    return {
        "since": iso_utc(window.since) if window.since else None,
        "until": iso_utc(window.end),
        "default": window.default,
    }


def _warnings(state: State, acc: Review) -> None:
    env = state.env
    for pattern in acc.unmatched():
        env.warn(f"lx: --field {pattern}: no job of the window has this field")
    if not acc.jobs:
        env.warn("no COMPLETED jobs match")
        return
    if not acc.jobs_with_confidence:
        example = acc.example_job_id or "JOB_ID"
        env.warn(
            f"lx: none of the {acc.jobs:,} jobs has confidence scores\n"
            f"hint: {NO_SCORES_HINT.format(job_id=example)}"
        )
    elif acc.jobs_with_confidence < acc.jobs and env.stderr_isatty:
        missing = acc.jobs - acc.jobs_with_confidence
        env.warn(f"{missing:,} of the {acc.jobs:,} jobs carry no confidence score")
