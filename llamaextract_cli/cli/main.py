"""Entry point and the one error boundary.

Every failure becomes one line on stderr and an exit status from
``errors.ExitStatus``; no traceback reaches the user unless ``--debug`` is given.
``lx --version`` is answered before typer is imported.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from llamaextract_cli import __version__
from llamaextract_cli.errors import ExitStatus, Interrupted, LxError
from llamaextract_cli.settings.secrets import redact_known

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State


_err_stream: list[IO[str]] = []
_err_format: list[str] = []
_err_state: list[State | None] = []


def _print_error(
    message: str,
    hint: str | None = None,
    *,
    exit_status: int = ExitStatus.ERROR,
    error: LxError | None = None,
) -> None:
    """The failure line, as text or JSON (`--error-format`); every known key masked."""
    from llamaextract_cli.errors import KINDS
    from llamaextract_cli.output.error_line import format_error, format_line

    fmt = _current_error_format()
    if error is not None:
        line = format_error(fmt, error)
    else:
        try:
            kind = KINDS.get(ExitStatus(exit_status), "api")
        except ValueError:
            kind = "api"
        line = format_line(fmt, exit_status=exit_status, kind=kind, message=message, hint=hint)
    stream = _err_stream[-1] if _err_stream else sys.stderr
    with contextlib.suppress(OSError, ValueError):
        print(line, file=stream, flush=True)


def error_format_of(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """`--error-format` as written on the command line (anywhere before `--`), else
    LX_ERROR_FORMAT, else text: what the boundary uses when parsing failed before the
    root's options were read."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--error-format" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--error-format="):
            value = arg.split("=", 1)[1]
        else:
            continue
        return "json" if value.strip().lower() == "json" else "text"
    return "json" if environ.get("LX_ERROR_FORMAT", "").strip().lower() == "json" else "text"


def _current_error_format() -> str:
    """The root's --error-format / LX_ERROR_FORMAT once parsed (State.error_format), else
    what the command line says (`error_format_of`)."""
    state = _err_state[-1] if _err_state else None
    chosen = getattr(state, "error_format", None)
    if chosen:
        return str(chosen)
    return _err_format[-1] if _err_format else "text"


def _print_traceback() -> None:
    """--debug: the traceback, on the run's stderr, with every key masked."""
    import traceback

    stream = _err_stream[-1] if _err_stream else sys.stderr
    with contextlib.suppress(OSError, ValueError):
        print(redact_known(traceback.format_exc()).rstrip("\n"), file=stream, flush=True)


def _not_utf8(argv: Sequence[str]) -> str | None:
    """What names the first argument that is not UTF-8 text (bytes the locale could not
    decode reach Python as lone surrogates, which no request or file can carry)."""
    for index, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            if arg.startswith("--") and "=" in arg:
                return "the value of " + arg.split("=", 1)[0]
            if index and argv[index - 1].startswith("-"):
                return "the value of " + argv[index - 1]
            return f"argument {index + 1}"
    return None


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _PipeClosed(Exception):
    """stdout's reader went away (`| head -1`): an exception typer lets through."""


def _guard(command: Any) -> None:
    """Let Ctrl-C and a closed stdout reach this boundary as themselves.

    typer's main turns KeyboardInterrupt into a silent exit 130 and EPIPE into
    `sys.exit(1)`, even with standalone_mode=False; CLI.md wants "lx: interrupted"
    and, for `lx jobs list | head -1`, a quiet exit 0.
    """
    invoke = command.invoke

    def guarded(ctx: Any) -> Any:
        try:
            return invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        except BrokenPipeError as e:
            raise _PipeClosed from e

    command.invoke = guarded


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted("terminated")


def run(argv: Sequence[str], state: State | None = None) -> int:
    """Run the CLI and return its exit status (used by main and by tests).

    Tests may pass a prepared `State` (streams, a client on a fake clock).
    """
    _err_stream.append(state.env.stderr if state is not None else sys.stderr)
    environ = state.env.environ if state is not None else os.environ
    _err_format.append(error_format_of(argv, environ))
    _err_state.append(state)
    try:
        return _run(argv, state)
    finally:
        _err_stream.pop()
        _err_format.pop()
        _err_state.pop()


def _run(argv: Sequence[str], state: State | None) -> int:
    debug = "--debug" in argv
    what = _not_utf8(argv)
    if what is not None:
        _print_error(
            f"{what} is not UTF-8 text",
            "check the variable or file it came from",
            exit_status=ExitStatus.USAGE,
        )
        return ExitStatus.USAGE
    try:
        from typer.exceptions import Abort

        from llamaextract_cli.cli.app import get_root_command
        from llamaextract_cli.cli.click import click_exceptions
        from llamaextract_cli.cli.global_options import hoist, reached
        from llamaextract_cli.cli.words import usage_words

        exc = click_exceptions()
        command = get_root_command(state=state)
        _guard(command)
        obj = command.context_settings["obj"]
        obj.argv = list(argv)
        _err_state[-1] = obj
        args = hoist(command, argv)
        try:
            rv = command.main(args=args, prog_name="lx", standalone_mode=False)
        except exc.NoArgsIsHelpError as e:  # `lx` or `lx jobs` alone: help, exit 2 like git
            if _current_error_format() == "json":
                cmd = e.ctx.command_path
                _print_error(
                    "a command is missing", f"see '{cmd} --help'", exit_status=ExitStatus.USAGE
                )
            else:
                print(e.ctx.get_help(), file=sys.stderr)
            return ExitStatus.USAGE
        except exc.UsageError as e:
            _print_error(
                *usage_words(e, command, *reached(command, args)), exit_status=ExitStatus.USAGE
            )
            return ExitStatus.USAGE
        except Abort:  # typer 0.28 keeps Abort outside its vendored click
            _print_error("aborted", exit_status=ExitStatus.INTERRUPTED)
            return ExitStatus.INTERRUPTED
        except exc.ClickException as e:
            _print_error(e.format_message(), exit_status=e.exit_code)
            return e.exit_code
        if isinstance(rv, int):
            return rv
        return ExitStatus.OK
    except LxError as e:
        if debug:
            _print_traceback()
        _print_error(e.message, e.hint, error=e)
        return e.exit_status
    except KeyboardInterrupt:
        _print_error("interrupted", exit_status=ExitStatus.INTERRUPTED)
        return ExitStatus.INTERRUPTED
    except (BrokenPipeError, _PipeClosed):
        _silence_stdout()
        return ExitStatus.OK
    except Exception as e:  # the last line of defence: never a bare traceback
        if debug:
            _print_traceback()
        _print_error(
            f"internal error: {type(e).__name__}: {e}",
            "rerun with --debug for the traceback and report it",
        )
        return ExitStatus.ERROR


# Optional imports of httpx and httpcore that a synchronous CLI never uses: the async
# backends (trio, anyio) and httpx's own command line (click, rich, pygments). Their
# importers guard each with `except ImportError`, and a None entry in sys.modules makes
# the import fail at once: about 70 ms off every command that talks to the API. Only the
# process entry point does this; `run` (what tests call in-process) leaves sys.modules be.
UNUSED_IMPORTS = ("trio", "anyio", "httpx._main")


def skip_unused_imports() -> None:
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def _json_escape(error: UnicodeEncodeError) -> tuple[str, int]:
    r"""Characters an encoding cannot carry, as JSON escapes: `\u00dc`, `\ud83d\ude80`."""
    out = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), error.end


def escape_unencodable(stream: IO[str]) -> None:
    """Never fail on a character `stream` cannot encode (a terminal with LC_ALL=C and
    PYTHONIOENCODING=ascii, a latin-1 one): write it as a JSON escape, so JSON output
    stays valid JSON holding the same data, and other formats show the code point."""
    import codecs

    codecs.register_error("lx-json-escape", _json_escape)
    with contextlib.suppress(AttributeError, ValueError, OSError):
        stream.reconfigure(errors="lx-json-escape")  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):  # fast path: no typer, no httpx
        print(f"lx {__version__}")
        sys.exit(0)
    skip_unused_imports()
    escape_unencodable(sys.stdout)
    if threading_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
    code = run(args)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except (OSError, ValueError):
        pass
    sys.exit(int(code))


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
