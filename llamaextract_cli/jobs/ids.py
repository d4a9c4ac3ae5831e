"""Job IDs from the command line, or from stdin when the only argument is `-`.

On stdin, one ID a line; blank lines are ignored. So that pipelines compose, a
line may also be what another `lx` command (or jq) writes:

- a JSON object with an "id" key (`lx jobs list -o jsonl`, `-o json` one item
  a line, with its `[`, `]` and trailing commas);
- a JSON string (`jq .id` without `-r`);
- several IDs separated by blanks (`echo ext-1 ext-2 | lx jobs get -`);
- a first line `id` (the header of `-o csv --fields id`) is skipped.

IDs are kept in the order given, each once. Pure apart from reading the stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import IO

from llamaextract_cli.errors import UsageError

STDIN = "-"


def pipe_hint(command: Callable[..., str] | None) -> str:
    """`pipe them in, e.g. lx jobs list -o jsonl | lx jobs get -`, with the run's global
    options. In the error's one line: a usage error is one line (the brief's rule)."""
    build = command or (lambda *args: " ".join(["lx", *args]))
    return (
        f"pipe them in, e.g. {build('jobs', 'list', '-o', 'jsonl')} | {build('jobs', 'get', '-')}"
    )


def from_args(
    args: Sequence[str],
    stdin: IO[str],
    *,
    stdin_isatty: bool,
    command: Callable[..., str] | None = None,
) -> list[str]:
    """The job IDs of a command: its arguments, or stdin's lines for `-` (`command`
    builds the example printed when stdin cannot be read: `Session.command`)."""
    if STDIN in args:
        if len(args) > 1:
            raise UsageError(
                "'-' (read job IDs from stdin) must be the only JOB_ID",
                hint="pipe every ID in, one a line",
            )
        if stdin_isatty:
            raise UsageError(
                "'-' reads job IDs from stdin, but stdin is a terminal",
                hint=pipe_hint(command),
            )
        return unique(parse_lines(_read_lines(stdin, command)))
    ids = [a.strip() for a in args]
    if any(not i for i in ids):
        raise UsageError("a job ID is empty", hint="check the shell variable you passed")
    return unique(ids)


def _read_lines(stdin: IO[str] | None, command: Callable[..., str] | None = None) -> list[str]:
    """Every line of stdin; a closed or unreadable stdin (`<&-`) is a usage error."""
    hint = pipe_hint(command)
    if stdin is None or getattr(stdin, "closed", False):  # Python sets None for a closed fd 0
        raise UsageError("'-' reads job IDs from stdin, but stdin is closed", hint=hint)
    try:
        return list(stdin)
    except UnicodeDecodeError:
        raise UsageError("stdin is not UTF-8 text", hint="pipe job IDs, one a line") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read job IDs from stdin: {e}", hint=hint) from None


def unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def parse_lines(lines: Iterable[str]) -> list[str]:
    out: list[str] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.endswith(","):  # `-o json`: one item a line, comma-separated
            line = line[:-1].rstrip()
        if not line or line in ("[", "]", "[]"):
            continue
        if number == 1 and line.lower() == "id":  # a csv/tsv header
            continue
        out.extend(_ids_of(line, number))
    return out


def _ids_of(line: str, number: int) -> list[str]:
    if not line.startswith(("{", '"')):
        return line.split()
    try:
        value = json.loads(line)
    except ValueError:
        raise UsageError(f"stdin line {number} is not valid JSON: {_short(line)}") from None
    if isinstance(value, dict):
        value = value.get("id")
        if not isinstance(value, str) or not value.strip():
            raise UsageError(
                f'stdin line {number} is a JSON object without a string "id": {_short(line)}',
                hint="pass objects that carry the job's id, e.g. from lx jobs list -o jsonl",
            )
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"stdin line {number} holds no job ID: {_short(line)}")
    return [value.strip()]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
