"""Options shared by several commands, declared once.

`Annotated` aliases for single options, and `job_filters`, a decorator that adds
the filter flags of `jobs list` (CLI.md) to any command and hands it one
`JobFilter`, so `list`, `stats`, `errors` and `watch` cannot drift apart.
"""

import functools
import inspect
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Annotated, Any, TypeVar

import typer

from llamaextract_cli import choices
from llamaextract_cli.api.query import JobFilter
from llamaextract_cli.cli.click import Choice, ChoiceList
from llamaextract_cli.timeparse import WHEN_HELP, TimeParseError, parse_when

F = TypeVar("F", bound=Callable[..., Any])

FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-o",
        click_type=Choice(choices.FORMATS, case_sensitive=False),
        help="Output format: table (fitted to the terminal: IDs whole, error messages "
        "first, INPUT/CONFIG only when they fit), wide (every column whole, whatever the "
        "width), json, jsonl, yaml (the values of json, a document per item), csv, tsv. "
        "Default: table on a terminal, jsonl when piped (LX_FORMAT or the profile's "
        "`format` setting change the default).",
        show_default=False,
    ),
]
TextFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-o",
        help="text (default, in a pipe too), json (one object), jsonl or yaml.",
        metavar="text|json|jsonl|yaml",
    ),
]


def text_format(value: str | None) -> str:
    """The value of a `TextFormatOpt`: text (also for `table` and `wide`), json, jsonl or
    yaml."""
    fmt = ("text" if value is None else value).lower()  # `-o ""` is no format
    if fmt in ("table", "wide", "text"):
        return "text"
    if fmt not in ("json", "jsonl", "yaml"):
        from llamaextract_cli.errors import UsageError

        raise UsageError(f"-o {value!r} is not one of text, json, jsonl, yaml", hint="e.g. -o json")
    return fmt


FieldsOpt = Annotated[
    str | None,
    typer.Option(
        "--fields",
        "-f",
        help="Comma-separated fields to show, in order; dot paths reach into nested "
        "objects (usage.credits). `--fields help` lists them. A path no job shown had is "
        "named on stderr with the closest known one; paths below configuration, "
        "extract_metadata (and usage on get) fetch that expansion themselves.",
        metavar="A,B.C",
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", "-L", min=1, help="Stop after N jobs [default: 30].", metavar="N"),
]
AllOpt = Annotated[bool, typer.Option("--all", "-A", help="Every matching job (no --limit).")]
PageSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--page-size",
        min=1,
        max=choices.MAX_PAGE_SIZE,
        help=f"Jobs per request (API page_size), 1 to {choices.MAX_PAGE_SIZE}, the most the "
        f"API serves. Default: the profile's page_size, else {choices.MAX_PAGE_SIZE}.",
        metavar="N",
    ),
]
PageTokenOpt = Annotated[
    str | None,
    typer.Option(
        "--page-token",
        help="Resume a listing from the token a previous run printed.",
        metavar="TOKEN",
    ),
]
AbsoluteOpt = Annotated[
    bool,
    typer.Option("--absolute", help="Tables: absolute UTC times instead of '3m ago'."),
]
ProjectOpt = Annotated[
    str | None,
    typer.Option("--project", help="Project ID [default: the profile's project_id].", metavar="ID"),
]
OrgOpt = Annotated[
    str | None,
    typer.Option(
        "--org", help="Organization ID [default: the profile's organization_id].", metavar="ID"
    ),
]
JobIdsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="JOB_ID...",
        help="Job IDs (ext-…); `-` alone reads them from stdin, one a line "
        "(plain IDs, or JSON objects with an id as `lx jobs list -o jsonl` writes).",
        show_default=False,
    ),
]


def _when(param: str, value: str | None, *, end_of_day: bool) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value, datetime.now(timezone.utc), end_of_day=end_of_day)
    except TimeParseError as e:
        raise typer.BadParameter(str(e), param_hint=f"'{param}'") from None


def _split_csv(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(dict.fromkeys(out))


def expand_values(
    values: Sequence[str] | None, allowed: Sequence[str] = choices.LIST_EXPAND
) -> tuple[str, ...]:
    """`--expand` values: repeatable or comma-separated, any case, each one of `allowed`."""
    expand = tuple(e.lower() for e in _split_csv(list(values or ())))
    for e in expand:
        if e not in allowed:
            from llamaextract_cli.cli.words import close_match

            guess = close_match(e, allowed)
            raise typer.BadParameter(
                f"{e!r} is not one of {', '.join(allowed)}"
                + (f" (did you mean {guess}?)" if guess else ""),
                param_hint="'--expand'",
            )
    return tuple(dict.fromkeys(expand))


_FILTER_PARAMS: list[inspect.Parameter] = [
    inspect.Parameter(
        name,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=None,
        annotation=annotation,
    )
    for name, annotation in [
        (
            "status",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--status",
                    "-s",
                    click_type=ChoiceList(choices.STATUSES, case_sensitive=False),
                    help="Only jobs in this status (case-insensitive); repeat or "
                    "comma-separate for several (-s failed,cancelled), merged newest-first.",
                ),
            ],
        ),
        (
            "since",
            Annotated[
                str | None,
                typer.Option(
                    "--since",
                    help=f"Created at or after WHEN: {WHEN_HELP}.",
                    metavar="WHEN",
                ),
            ],
        ),
        (
            "until",
            Annotated[
                str | None,
                typer.Option(
                    "--until",
                    help="Created at or before WHEN (same forms as --since; a bare date "
                    "includes that whole day).",
                    metavar="WHEN",
                ),
            ],
        ),
        (
            "config",
            Annotated[
                str | None,
                typer.Option(
                    "--config", "-c", help="Saved extract configuration ID.", metavar="ID"
                ),
            ],
        ),
        (
            "input_value",
            Annotated[
                str | None,
                typer.Option(
                    "--input",
                    help="The document the job read: a file ID (dfl-…) or parse job ID "
                    "(sent as document_input_value, the seed page's name).",
                    metavar="VALUE",
                ),
            ],
        ),
        (
            "file_input",
            Annotated[
                str | None,
                typer.Option(
                    "--file-input",
                    help="The same filter under the API's current name (sent as "
                    "file_input); use one of --input and --file-input.",
                    metavar="VALUE",
                ),
            ],
        ),
        (
            "input_type",
            Annotated[
                str | None,
                typer.Option(
                    "--input-type",
                    click_type=Choice(choices.INPUT_TYPES, case_sensitive=False),
                    help="Kind of document input.",
                ),
            ],
        ),
        (
            "job_id",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--id",
                    help="Only these job IDs (repeatable or comma-separated).",
                    metavar="ID",
                ),
            ],
        ),
        (
            "expand",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--expand",
                    help="Include configuration and/or extract_metadata (repeatable or "
                    "comma-separated).",
                    metavar="configuration|extract_metadata",
                ),
            ],
        ),
        ("project", ProjectOpt),
        ("org", OrgOpt),
    ]
]
_FILTER_NAMES = [p.name for p in _FILTER_PARAMS]


def build_filter(values: dict[str, Any]) -> JobFilter:
    """A JobFilter from the raw flag values (validated; usage errors as BadParameter)."""
    since = _when("--since", values.get("since"), end_of_day=False)
    until = _when("--until", values.get("until"), end_of_day=True)
    if since and until and since > until:
        raise typer.BadParameter(
            "--since is later than --until; nothing can match", param_hint="'--since'"
        )
    statuses = tuple(dict.fromkeys(s.upper() for s in _split_csv(values.get("status"))))
    for value in values.get("job_id") or ():
        if not _split_csv([value]):  # `--id "$JOB"` with JOB unset must not list every job
            raise typer.BadParameter(
                "needs a job ID (an empty value would match every job)", param_hint="'--id'"
            )
    for name in ("config", "input_value", "file_input", "project", "org"):
        if values.get(name) is not None and not str(values[name]).strip():
            flag = {"input_value": "--input", "file_input": "--file-input"}.get(name, f"--{name}")
            raise typer.BadParameter("must not be empty", param_hint=f"'{flag}'")
    if values.get("input_value") is not None and values.get("file_input") is not None:
        raise typer.BadParameter(
            "--input and --file-input are the same filter under two names; give one",
            param_hint="'--file-input'",
        )
    return JobFilter(
        statuses=statuses,
        since=since,
        until=until,
        configuration_id=values.get("config"),
        input_value=values.get("input_value"),
        file_input=values.get("file_input"),
        input_type=values.get("input_type"),
        job_ids=_split_csv(values.get("job_id")),
        expand=expand_values(values.get("expand")),
        project_id=values.get("project"),
        organization_id=values.get("org"),
    )


def job_filters(func: F) -> F:
    """Add the filter flags to a command; it receives them as ``filters: JobFilter``.

    Project and organization default to the profile's values when the command runs
    (``State.scoped``), not here, so `--help` never reads the settings file.
    """
    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.name != "filters"]
    # The context and positional arguments first, then the filters, then the rest
    # (help lists options in signature order).
    lead = [p for p in own if p.default is inspect.Parameter.empty]
    rest = [
        p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for p in own
        if p.default is not inspect.Parameter.empty
    ]
    params = lead + _FILTER_PARAMS + rest

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw = {name: kwargs.pop(name, None) for name in _FILTER_NAMES}
        return func(*args, filters=build_filter(raw), **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]


def with_expansions(
    expand: Sequence[str], fields: Sequence[str] | None, allowed: Sequence[str]
) -> tuple[str, ...]:
    """`expand` plus what `fields` need (`configuration.tier` asks for `configuration`)."""
    from llamaextract_cli.jobs.fields import expansions_for

    return tuple(dict.fromkeys((*expand, *expansions_for(fields or (), allowed))))


def field_use(fields: Sequence[str] | None, *, rows: bool = False) -> Any:
    """A `FieldUse` for `fields` (None without them): see each item, then `warn_unmatched`."""
    if not fields:
        return None
    from llamaextract_cli.jobs.fields import KNOWN_FIELDS, FieldUse

    if rows:
        return FieldUse(fields, nested_only=False)
    return FieldUse(fields, known=KNOWN_FIELDS)


def warn_unmatched(env: Any, use: Any, what: str = "job") -> None:
    """One stderr line per `--fields` path that no item shown had, with the closest one."""
    if use is None:
        return
    from llamaextract_cli.jobs.fields import unmatched_warnings

    for line in unmatched_warnings(use, what):
        env.warn(f"lx: warning: {line}")


def parse_field_list(text: str | None) -> list[str] | None:
    """The paths of a `--fields` value (None when the flag was not given)."""
    if text is None:
        return None
    from llamaextract_cli.errors import UsageError
    from llamaextract_cli.jobs.fields import FieldError, parse_fields

    try:
        return parse_fields(text)
    except FieldError as e:
        raise UsageError(f"--fields: {e}", hint="see 'lx jobs fields'") from None
