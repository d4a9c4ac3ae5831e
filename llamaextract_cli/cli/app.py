"""The root command: global options and the command groups.

Importing this module imports typer and the command modules, which keep their
heavy imports (httpx, pydantic, rich) inside the functions that need them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from llamaextract_cli import __version__, choices
from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.commands import auth, completion, config, doctor, jobs, sandbox
from llamaextract_cli.cli.context import State, get_state
from llamaextract_cli.cli.env import Env

HELP = """Inspect, triage and wait on LlamaCloud Extract v2 jobs.

\b
Examples:
  lx --profile sandbox jobs list --status FAILED   # try it with no account
  lx auth login                                    # store your API key
  lx jobs list --since 24h -o jsonl | jq -r .id
  lx jobs errors --since 7d                        # what is failing, how often
  lx jobs wait "$JOB" --timeout 10m || exit 1      # gate a CI step
  lx jobs list --since 1h --jq .id                 # built-in jq: no jq binary needed
  lx --error-format json jobs get "$JOB"           # a failure as one JSON object on stderr

Global options go before or after the command: lx --profile eu jobs list and
lx jobs list -p eu are the same (an option of the command itself wins: jobs wait
--timeout is the wait's).
Exit status: 0 ok, 1 API/network failure or a failed job, 2 usage, 3 auth,
4 not found, 124 wait timed out, 130 interrupted.
"""

app = typer.Typer(
    name="lx",
    help=HELP,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        print(f"lx {__version__}")
        raise typer.Exit(0)


def _concurrency(text: str) -> int:
    from llamaextract_cli.errors import UsageError
    from llamaextract_cli.settings.profiles import InvalidValue, normalize_concurrency

    try:
        return normalize_concurrency(text)
    except InvalidValue as e:
        raise UsageError(f"--concurrency {text!r}: it {e}") from None


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Profile of the settings file to use (env LX_PROFILE). The built-in "
            "`sandbox` profile talks to an in-process emulator and ignores the LLAMA_CLOUD_* "
            "variables; only --base-url overrides it.",
            metavar="NAME",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API root, overriding the profile and LLAMA_CLOUD_BASE_URL.",
            metavar="URL",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.1,
            max=3600,
            help="Per-request timeout in seconds [default: 60; connect 5].",
            metavar="SECONDS",
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Log each HTTP request and response line to stderr (key redacted)."
        ),
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Plain output (NO_COLOR is obeyed too).")
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            parser=_concurrency,
            help="Requests in flight for whole-window reads (jobs list --all, stats, errors "
            "with a --since): the window is cut into time slices fetched at once; the "
            "output is the same. 1 reads one page at a time. Profile setting "
            "`concurrency` [default: 4].",
            metavar="N",
        ),
    ] = None,
    allow_http: Annotated[
        bool,
        typer.Option(
            "--allow-http",
            help="Send the key over plain http:// to a host that is not loopback (unsafe).",
        ),
    ] = False,
    error_format: Annotated[
        str | None,
        typer.Option(
            "--error-format",
            click_type=Choice(choices.ERROR_FORMATS, case_sensitive=False),
            help="How a failure is reported on stderr: `text`, the one `lx: ...` line "
            '[default], or `json`, one object {"error": {exit_status, kind, message, hint, '
            "http_status, request_id, retry_after}} (env LX_ERROR_FORMAT). Warnings stay text.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    state = get_state(ctx)
    state.error_format = _error_format(state, error_format)
    state.profile = profile
    state.base_url = base_url
    state.timeout = timeout
    state.debug = debug
    state.no_color = no_color
    state.allow_http = allow_http
    state.concurrency_flag = concurrency
    ctx.call_on_close(state.close)


def _error_format(state: State, flag: str | None) -> str:
    if flag:
        return flag.lower()
    env = state.env.environ.get("LX_ERROR_FORMAT", "").strip().lower()
    if env and env not in choices.ERROR_FORMATS:
        from llamaextract_cli.errors import UsageError

        raise UsageError(
            f"LX_ERROR_FORMAT={env!r} is not an error format",
            hint=f"use one of {', '.join(choices.ERROR_FORMATS)}",
        )
    return env or "text"


app.add_typer(jobs.app, name="jobs")
app.add_typer(auth.app, name="auth")
app.add_typer(config.app, name="config")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(completion.app, name="completion")
app.command("doctor", help=doctor.HELP, rich_help_panel=None)(doctor.doctor)


def get_root_command(env: Env | None = None, state: State | None = None) -> Any:
    """The click command behind `app`, with a State (fresh unless given) as context object."""
    from llamaextract_cli.cli.click import plain_numbers

    command = typer.main.get_command(app)
    # typer lists single commands before groups; `doctor` reads best after the groups.
    commands = getattr(command, "commands", {})
    if "doctor" in commands:
        commands["doctor"] = commands.pop("doctor")
    plain_numbers(command)
    obj = state if state is not None else State(env=env or Env())
    command.context_settings = {**(command.context_settings or {}), "obj": obj}
    return command
