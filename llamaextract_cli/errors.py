"""Exit statuses and the exceptions that carry them.

Every failure a user can cause or meet is an ``LxError``; the boundary in
``main.py`` turns it into one line on stderr and its exit status. This module
imports nothing heavy: it is loaded on every run.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """The exit statuses of CLI.md, in one place."""

    OK = 0
    ERROR = 1  # the API or the network failed, or `jobs wait` saw FAILED/CANCELLED
    USAGE = 2  # unknown flag, bad value, conflicting flags
    AUTH = 3  # no key, or the API answered 401/403
    NOT_FOUND = 4  # a job ID the API does not know
    TIMEOUT = 124  # `jobs wait --timeout` ran out
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


# `kind` of an error, by exit status (`--error-format json`); subclasses refine it.
KINDS = {
    ExitStatus.ERROR: "api",
    ExitStatus.USAGE: "usage",
    ExitStatus.AUTH: "auth",
    ExitStatus.NOT_FOUND: "not_found",
    ExitStatus.TIMEOUT: "timeout",
    ExitStatus.INTERRUPTED: "interrupted",
}


class LxError(Exception):
    """A failure with a one-line message, an optional hint, and an exit status.

    `command`: a command to run next, printed alone on the line after the message so
    that it can be pasted whole (built by the face with `State.command`). An error from
    an HTTP answer also carries its status, the server's request ID and the Retry-After
    it asked for (seconds), for `--error-format json`; None otherwise.
    """

    exit_status: ExitStatus = ExitStatus.ERROR
    kind_name: str | None = None  # None: the kind of the exit status

    def __init__(
        self, message: str, *, hint: str | None = None, command: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.command = command
        self.http_status: int | None = None
        self.request_id: str | None = None
        self.retry_after: float | None = None

    @property
    def kind(self) -> str:
        return self.kind_name or KINDS.get(self.exit_status, "api")

    def __str__(self) -> str:
        return self.message


class UsageError(LxError):
    """Bad flag value, conflicting flags, bad config file contents."""

    exit_status = ExitStatus.USAGE


class ConfigError(UsageError):
    """The settings file is malformed, unreadable or cannot be written."""


class AuthError(LxError):
    """No key configured, or the API refused it (401/403)."""

    exit_status = ExitStatus.AUTH


class NotFoundError(LxError):
    """A job ID the API does not know (404)."""

    exit_status = ExitStatus.NOT_FOUND


class ApiError(LxError):
    """The API answered with an error status that retries did not cure."""

    def __init__(
        self, message: str, *, status_code: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.http_status = status_code


class NetworkError(ApiError):
    """Connection refused/reset/dropped, TLS failure or timeout, after retries."""

    kind_name = "network"


class ProtocolError(ApiError):
    """The server answered something that is not the API: bad JSON, a looping token."""


class JobsFailed(LxError):
    """`jobs wait` / `jobs result` saw a job that did not complete."""

    kind_name = "failed_job"


class FilterFailed(LxError):
    """`--jq` failed on a record (exit 1; the fix is in the expression: kind usage)."""

    kind_name = "usage"


class WaitTimeout(LxError):
    """`jobs wait --timeout` ran out."""

    exit_status = ExitStatus.TIMEOUT


class Interrupted(LxError):
    """Ctrl-C or SIGTERM."""

    exit_status = ExitStatus.INTERRUPTED
