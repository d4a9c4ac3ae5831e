"""The process environment a command runs in: streams, TTY flags, variables.

Commands and renderers take their streams from here rather than from ``sys``
so that tests can swap any of them (the httpie ``Environment`` pattern).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

from llamaextract_cli.output.error_line import COMMAND_INDENT


def _isatty(stream: IO[str] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, AttributeError):  # closed or odd stream
        return False


@dataclass
class Env:
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    stdin_isatty: bool | None = None
    stdout_isatty: bool | None = None
    stderr_isatty: bool | None = None

    def __post_init__(self) -> None:
        force = self.environ.get("LX_FORCE_TTY", "") not in ("", "0")
        if self.stdin_isatty is None:
            self.stdin_isatty = _isatty(self.stdin)
        if self.stdout_isatty is None:
            self.stdout_isatty = force or _isatty(self.stdout)
        if self.stderr_isatty is None:
            self.stderr_isatty = force or _isatty(self.stderr)

    def color_allowed(self, no_color_flag: bool) -> bool:
        """NO_COLOR (any value but empty, as no-color.org says) and --no-color turn colour
        off; so does a dumb terminal."""
        if no_color_flag or self.environ.get("NO_COLOR"):
            return False
        return self.environ.get("TERM") != "dumb"

    def warn(self, message: str) -> None:
        """A one-line warning or hint on stderr."""
        print(message, file=self.stderr, flush=True)

    def hint(self, message: str, command: str) -> None:
        """A hint naming a command on stderr: `message`, then the command alone on the
        next line, indented, never wrapped by us (it runs when pasted)."""
        print(f"{message}\n{COMMAND_INDENT}{command}", file=self.stderr, flush=True)
