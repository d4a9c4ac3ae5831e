"""`--jq EXPR`, one option for every command that writes JSON.

Adding it to a command is one line, the decorator under `@app.command(...)`:

    @app.command("list", help=LIST_HELP)
    @jq_option
    @job_filters
    def list_jobs(ctx: typer.Context, output: FormatOpt = None, ...) -> None:

The command needs a `ctx` and an `output` (`-o`) parameter, and writes its JSON to
`state.env.stdout` (as every command does). The decorator adds `--jq` to the command's
flags (after `-o` in help) and, when it is given:

- compiles the expression first: a bad one is a usage error (exit 2) before any request;
- refuses any -o but json and jsonl (exit 2); without -o the command runs as `-o jsonl`
  (so `lx X --jq E` prints what `lx X -o jsonl | jq -rc E` prints, and `-o json --jq E`
  what `lx X -o json | jq -rc E` prints);
- runs the command with stdout replaced by an `output.jqfilter.JqSink` (and stdout not
  a terminal, so JSON is compact): jsonl records are filtered as they stream, a json
  document once at the end;
- a filter error on a record is one failure line on stderr (kind usage, in the run's
  --error-format), the other records are still filtered, and the exit status is 1.

`json_lines=True` is for a command whose `-o json` writes JSON lines, not a document
(`jobs watch`; a function of the command's arguments for `jobs list --watch`): each
line is then filtered as it comes.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Annotated, Any, TypeVar, overload

import typer

from llamaextract_cli.errors import FilterFailed, UsageError

F = TypeVar("F", bound=Callable[..., Any])

JQ_FORMATS = ("json", "jsonl")

JqOpt = Annotated[
    str | None,
    typer.Option(
        "--jq",
        help="Filter the JSON output with a jq expression and print it as `jq -rc` does "
        "(strings raw, anything else compact JSON, one a line); no jq binary needed. "
        "Per record with -o jsonl (the default with --jq), once on the whole document "
        "with -o json. $ENV works.",
        metavar="EXPR",
        show_default=False,
    ),
]

_JQ_PARAM = inspect.Parameter(
    "jq", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=JqOpt
)


LinesRule = bool | Callable[[dict[str, Any]], bool]


@overload
def jq_option(func: F) -> F: ...
@overload
def jq_option(*, json_lines: LinesRule = False) -> Callable[[F], F]: ...
def jq_option(func: Any = None, *, json_lines: LinesRule = False) -> Any:
    """Add `--jq` to a command (see the module docstring)."""
    if func is None:
        return functools.partial(_decorate, json_lines=json_lines)
    return _decorate(func, json_lines=json_lines)


def _decorate(func: F, *, json_lines: LinesRule) -> F:
    sig = inspect.signature(func, eval_str=True)
    params = list(sig.parameters.values())
    if "output" not in sig.parameters or "ctx" not in sig.parameters:
        raise TypeError(f"{func.__name__}: --jq needs `ctx` and `output` parameters")
    at = [p.name for p in params].index("output") + 1
    params.insert(at, _JQ_PARAM)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        expression = kwargs.pop("jq", None)
        if expression is None:
            return func(*args, **kwargs)
        from llamaextract_cli.cli.context import get_state

        fmt = (kwargs.get("output") or "jsonl").lower()
        if fmt not in JQ_FORMATS:
            raise UsageError(
                f"--jq cannot be used with -o {fmt}",
                hint="use -o jsonl to filter each record (the default with --jq) "
                "or -o json to filter the whole document",
            )
        kwargs["output"] = fmt
        ctx = kwargs.get("ctx", args[0] if args else None)
        state = get_state(ctx)
        lines = json_lines(kwargs) if callable(json_lines) else json_lines
        with filtered_stdout(state, expression, whole=fmt == "json" and not lines):
            return func(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def filtered_stdout(state: Any, expression: str, *, whole: bool) -> Iterator[None]:
    """Run the body with the state's stdout going through the filter."""
    from llamaextract_cli.output.jqfilter import JqProgram, JqSink

    program = JqProgram(expression)  # a usage error, before anything is sent
    env = state.env

    def on_error(message: str) -> None:
        state.fail_line(FilterFailed(message))

    sink = JqSink(program, env.stdout, whole=whole, on_error=on_error)
    state.env = replace(env, stdout=sink, stdout_isatty=False)
    try:
        yield
    except typer.Exit as e:  # the command's own status, unless 0
        state.env = env
        sink.finish(complete=False)
        if sink.failures and not e.exit_code:
            raise typer.Exit(int(FilterFailed.exit_status)) from None
        raise
    except BaseException:
        state.env = env
        sink.finish(complete=False)
        raise
    state.env = env
    sink.finish()
    if sink.failures:
        raise typer.Exit(int(FilterFailed.exit_status))


def click_exit() -> type[BaseException]:
    from typer._click.exceptions import Exit

    return Exit
