"""What `lx jobs create` and `lx jobs rerun` show: the plan, the question, the results.

The plan (what will be created, with which configurations, pages and an estimate of
the credits) and the question go to stderr; each failed or unknown create is one
stderr line as it happens, and a summary line ends the run. On stdout: the created
jobs (`create`) or one record per original (`rerun`), written as each create ends.
Each function writes to the streams it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaextract_cli.jobs.create import Created, Planned, Run, Skipped
    from llamaextract_cli.jobs.estimate import Estimate
    from llamaextract_cli.output import Renderer


def _line(stream: IO[str], text: str) -> None:
    print(text, file=stream, flush=True)


def _jobs(n: int) -> str:
    return f"{n} job{'s' if n != 1 else ''}"


def _credits(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


# --- the plan -------------------------------------------------------------------------


def write_duplicates(
    stream: IO[str], duplicates: Sequence[str], then: str, given: str = "given more than once"
) -> None:
    """One line naming the IDs given more than once, and what is done with them."""
    if not duplicates:
        return
    more = f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else ""
    _line(stream, f"lx: {', '.join(duplicates[:5])}{more} {given}; {then}")


def write_skipped(stream: IO[str], skipped: Sequence[Skipped]) -> None:
    for s in skipped:
        _line(stream, f"lx: job {s.original_id} not found" if s.not_found else f"lx: {s.reason}")


def write_rerun_plan(stream: IO[str], est: Estimate, *, color: bool) -> None:
    """The jobs by configuration and tier, with pages and credits, then the caveats."""
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import Column

    _line(stream, f"Rerun {_jobs(est.jobs)}: a new job per original, same input and configuration")
    table = make_renderer(
        "table",
        stream,
        columns=[
            Column.for_key("configuration", header="CONFIGURATION", truncate=False),
            Column.for_key("tier", header="TIER", truncate=False),
            Column.for_key("jobs", header="JOBS", truncate=False),
            Column.for_key("pages", header="PAGES", truncate=False),
            Column.for_key("credits", header="CREDITS (EST.)", truncate=False),
        ],
        color=color,
    )
    for g in est.groups:
        at_least = "≥ " if g.unknown_pages else ""
        credits = "?" if g.credits is None else at_least + _credits(g.credits)
        table.write(
            {
                "configuration": g.configuration,
                "tier": g.tier or "?",
                "jobs": g.jobs,
                "pages": f"{at_least}{g.pages}",
                "credits": credits,
            }
        )
    table.close()
    total = _credits(est.credits)
    if est.complete:
        _line(stream, f"Estimate: {total} credits for {est.pages} pages.")
    else:
        _line(stream, f"Estimate: at least {total} credits for at least {est.pages} pages.")
    _line(stream, "  Pages: the originals' metadata.usage.num_pages_extracted.")
    if est.unknown_pages:
        _line(
            stream,
            f"  ≥: {_jobs(est.unknown_pages)} report no pages (a failed job may stop before\n"
            "  extracting), so their pages and credits are not counted.",
        )
    if est.unpriced:
        _line(
            stream,
            "  ?: credits are known for tiers cost_effective (5 a page) and agentic\n"
            "  (15 a page); other tiers show pages only.",
        )


def write_create_plan(stream: IO[str], items: Sequence[Planned], description: str) -> None:
    """`Create 3 jobs with saved configuration cfg-1:` and the inputs."""
    _line(stream, f"Create {_jobs(len(items))} with {description}:")
    shown = items[:10]
    for item in shown:
        _line(stream, f"  {item.input}")
    if len(items) > len(shown):
        _line(stream, f"  … and {len(items) - len(shown)} more")
    _line(
        stream,
        "Each job costs its document's pages times its tier's rate (cost_effective 5,\n"
        "agentic 15 credits a page); the pages are known once the jobs have run.",
    )


def confirm(stderr: IO[str], stdin: IO[str], question: str) -> bool:
    """Ask `question [y/N]` on stderr; read the answer from stdin."""
    stderr.write(f"{question} [y/N] ")
    stderr.flush()
    try:
        answer = stdin.readline()
    except (OSError, ValueError):
        answer = ""
    return answer.strip().lower() in ("y", "yes")


# --- the results ------------------------------------------------------------------------


def record_columns(dry_run: bool = False) -> list[Any]:
    """The table of `rerun`'s records: new job first, its original, then the rest (a dry
    run has no new jobs: the original first)."""
    from llamaextract_cli.output.columns import Column

    if dry_run:
        return [
            Column.for_key("original_id", header="ORIGINAL", truncate=False),
            Column.for_key("status", header="STATUS", kind="status", truncate=False),
            Column.for_key("input", header="INPUT", min_width=12, flex=True, drop=1),
            Column.for_key("configuration_id", header="CONFIG", min_width=12, flex=True, drop=2),
            Column.for_key("error", header="ERROR", min_width=20, flex=True, drop=3),
        ]
    return [
        Column.for_key("id", header="NEW JOB", truncate=False),
        Column.for_key("status", header="STATUS", kind="status", min_width=9, truncate=False),
        Column.for_key("original_id", header="ORIGINAL", truncate=False, drop=1),
        Column.for_key("input", header="INPUT", min_width=12, flex=True, drop=3),
        Column.for_key("configuration_id", header="CONFIG", min_width=12, flex=True, drop=2),
        Column.for_key("error", header="ERROR", min_width=20, flex=True),
    ]


def make_records(fmt: str, stream: IO[str], *, color: bool, dry_run: bool = False) -> Renderer:
    """The renderer of `rerun`'s records (every key, in order, for every format)."""
    from llamaextract_cli.jobs.create import RECORD_KEYS
    from llamaextract_cli.output import make_renderer
    from llamaextract_cli.output.columns import Column

    if fmt == "table":
        return make_renderer("table", stream, columns=record_columns(dry_run), color=color)
    keys = [*RECORD_KEYS, "dry_run"] if dry_run else [*RECORD_KEYS]
    columns = [Column.for_key(k) for k in keys]
    return make_renderer(fmt, stream, columns=None if fmt == "jsonl" else columns)


def failure_line(created: Created) -> str | None:
    """The stderr line of a create that failed or may have happened; None when it worked."""
    if created.ok:
        return None
    item = created.planned
    who = item.original_id or item.input
    if created.unknown:
        return (
            f"lx: {who}: unknown whether a job was created: {created.error}. Check before "
            f"trying again: lx jobs list --input {item.input} --since 1h"
        )
    return f"lx: {who}: not created: {created.error}"


def write_failure(stream: IO[str], created: Created) -> None:
    line = failure_line(created)
    if line is not None:
        _line(stream, line)


def summary(run: Run, skipped: int = 0, *, verb: str = "created") -> str:
    """`created 29 of 31 jobs; 1 not created, 1 unknown`."""
    total = len(run.created) + skipped
    parts = []
    not_created = len(run.failed) + skipped
    if not_created:
        parts.append(f"{not_created} not created")
    if run.unknown:
        parts.append(f"{len(run.unknown)} unknown (check before trying again)")
    if not parts:
        return f"{verb} {_jobs(total)}"
    return f"{verb} {len(run.ok)} of {_jobs(total)}; {', '.join(parts)}"


def write_summary(stream: IO[str], run: Run, skipped: int = 0, *, verb: str = "created") -> None:
    _line(stream, summary(run, skipped, verb=verb))
