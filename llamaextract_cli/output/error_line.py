"""The one stderr line of a failure: `lx: message (hint)`, or one JSON object.

`--error-format json` (or LX_ERROR_FORMAT=json) turns the line into

    {"error": {"exit_status": 4, "kind": "not_found", "message": "job ext-1 not found",
               "hint": null, "http_status": 404, "request_id": "req-…", "retry_after": null}}

on one line, every key always present (null when it does not apply). `kind` is one of
`KINDS`. Warnings and progress stay text. Every key the run knows is masked in both forms.
"""

from __future__ import annotations

from typing import IO, Any

from llamaextract_cli.errors import LxError
from llamaextract_cli.settings.secrets import redact_known

ERROR_FORMATS = ("text", "json")
COMMAND_INDENT = "  "  # a command printed as advice, alone on its own line
KINDS = (
    "usage",
    "auth",
    "not_found",
    "api",
    "network",
    "timeout",
    "interrupted",
    "failed_job",
)


def error_object(
    *,
    exit_status: int,
    kind: str,
    message: str,
    hint: str | None = None,
    http_status: int | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> dict[str, Any]:
    return {
        "error": {
            "exit_status": int(exit_status),
            "kind": kind,
            "message": redact_known(message),
            "hint": redact_known(hint) if hint else None,
            "http_status": http_status,
            "request_id": request_id,
            "retry_after": retry_after,
        }
    }


def format_line(fmt: str, *, command: str | None = None, **fields: Any) -> str:
    """The failure line in `fmt` (text or json) from the fields of `error_object`.

    `command` (advice to run next) follows the text line alone on its own line, so that
    it is pasted whole; in JSON it ends the hint."""
    if fmt == "json":
        import json

        if command:
            hint = fields.get("hint")
            fields["hint"] = f"{hint}: {command}" if hint else command
        return json.dumps(error_object(**fields), ensure_ascii=False, separators=(",", ":"))
    line = f"lx: {fields['message']}"
    if fields.get("hint"):
        line += f" ({fields['hint']})"
    if command:
        line += "".join(f"\n{COMMAND_INDENT}{c}" for c in command.splitlines())
    return redact_known(line)


def format_error(fmt: str, error: LxError, *, message: str | None = None) -> str:
    """The failure line of `error` (`message` replaces its message)."""
    return format_line(
        fmt,
        exit_status=error.exit_status,
        kind=error.kind,
        message=error.message if message is None else message,
        hint=error.hint,
        http_status=error.http_status,
        request_id=error.request_id,
        retry_after=error.retry_after,
        command=error.command,
    )


def write_error(stream: IO[str], fmt: str, error: LxError, *, message: str | None = None) -> None:
    """`format_error` as a line on `stream` (never fails: stderr may be gone)."""
    import contextlib

    with contextlib.suppress(OSError, ValueError):
        print(format_error(fmt, error, message=message), file=stream, flush=True)
