"""What the job domain needs of a run, as a protocol: the face's `State` provides it.

The domain never imports the face (`cli`): lookups, changes and waits are handed an
object with these few members, which `cli.context.State` has and a test can fake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.api.query import JobFilter


class Streams(Protocol):
    """The standard streams of the run (`cli.env.Env`)."""

    stdin: Any
    stdin_isatty: bool | None
    stderr: Any

    def warn(self, message: str) -> None: ...


class Session(Protocol):
    """The run: its streams, its API client, and the profile's default scope."""

    @property
    def env(self) -> Streams: ...

    def client(self, *, require_key: bool = True) -> ApiClient: ...

    def scoped(self, filters: JobFilter) -> JobFilter: ...

    def command(self, *args: str) -> str:
        """A command to print as advice: `lx`, the run's global options, `args`, quoted."""
        ...
