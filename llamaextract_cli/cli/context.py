"""Per-run state shared by every command: global options, settings, the API client.

Settings and the client are built lazily, the first time a command asks, so
that `--help` and usage errors never pay for httpx or the settings file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llamaextract_cli.choices import FORMATS
from llamaextract_cli.cli.env import Env

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.api.query import JobFilter
    from llamaextract_cli.settings.profiles import Resolved


@dataclass
class State:
    env: Env = field(default_factory=Env)
    profile: str | None = None
    base_url: str | None = None
    timeout: float | None = None
    debug: bool = False
    no_color: bool = False
    allow_http: bool = False
    concurrency_flag: int | None = None  # --concurrency
    argv: list[str] = field(default_factory=list)  # the run's arguments, for resume hints
    error_format: str | None = None  # text|json, once the root's options are read
    _settings: Resolved | None = None
    _client: ApiClient | None = None

    def global_options(self) -> list[str]:
        """The global options of this run that decide where and how it talks to the API,
        as arguments (`--profile sandbox`, `--base-url URL`, ...)."""
        args: list[str] = []
        if self.profile is not None:
            args += ["--profile", self.profile]
        if self.base_url is not None:
            args += ["--base-url", self.base_url]
        if self.timeout is not None:
            args += ["--timeout", f"{self.timeout:g}"]
        if self.allow_http:
            args.append("--allow-http")
        return args

    def command(self, *args: str) -> str:
        """A command to print as advice: `lx`, this run's global options, `args`; every
        word shell-quoted, so that it runs when pasted (`lx --profile sandbox jobs get ID`)."""
        import shlex

        return shlex.join(["lx", *self.global_options(), *args])

    def rerun(self, *extra: str, drop: tuple[str, ...] = ()) -> str:
        """This run's own command line again (global options as typed, wherever they
        were), without the options in `drop` (and their values), plus `extra`."""
        import shlex

        args: list[str] = []
        skip = False
        for a in self.argv:
            if skip:
                skip = False
            elif a in drop:
                skip = True
            elif not any(a.startswith(d + "=") for d in drop) and a:
                args.append(a)
        return shlex.join(["lx", *args, *extra])

    def settings(self) -> Resolved:
        if self._settings is None:
            from llamaextract_cli.settings.profiles import resolve

            self._settings = resolve(
                self.env.environ,
                profile_flag=self.profile,
                base_url_flag=self.base_url,
                warn=self.env.warn,
            )
        return self._settings

    def client(self, *, require_key: bool = True) -> ApiClient:
        """The run's client, built on first use and kept."""
        if self._client is None:
            self._client = self.new_client(require_key=require_key)
        return self._client

    def new_client(
        self, *, require_key: bool = True, api_key_override: str | None = None
    ) -> ApiClient:
        """A client of its own (closed by the caller), built from the global options."""
        from llamaextract_cli.cli.client_factory import make_client

        return make_client(
            self.settings(),
            timeout=self.timeout,
            allow_http=self.allow_http,
            debug_stream=self.env.stderr if self.debug else None,
            require_key=require_key,
            api_key_override=api_key_override,
            concurrency=self.concurrency(),
            retry_stream=self.env.stderr if self.env.stderr_isatty else None,
            command=self.command,
        )

    @property
    def color(self) -> bool:
        return self.env.color_allowed(self.no_color)

    @property
    def stdout_color(self) -> bool:
        """Colour for what goes to stdout: allowed, and stdout is a terminal."""
        return self.color and bool(self.env.stdout_isatty)

    def output_format(self, flag: str | None) -> str:
        """-o beats the profile's `format`, which beats LX_FORMAT... see CLI.md.

        CLI.md: flag, then environment (LX_FORMAT), then the profile, then the
        built-in default (table on a terminal, jsonl otherwise).
        """
        if flag:
            return flag
        env_fmt = self.env.environ.get("LX_FORMAT")
        if env_fmt:
            if env_fmt not in FORMATS:
                from llamaextract_cli.errors import UsageError

                raise UsageError(
                    f"LX_FORMAT={env_fmt!r} is not a format",
                    hint=f"use one of {', '.join(FORMATS)}",
                )
            return env_fmt
        prof = self.settings().format
        if prof:
            return prof
        return "table" if self.env.stdout_isatty else "jsonl"

    def scoped(self, filters: JobFilter) -> JobFilter:
        """Fill project/organization from the profile when no flag gave them."""
        from dataclasses import replace

        settings = self.settings()
        return replace(
            filters,
            project_id=filters.project_id or settings.project_id,
            organization_id=filters.organization_id or settings.organization_id,
        )

    def page_size(self, flag: int | None, default: int = 100) -> int:
        return flag or self.settings().page_size or default

    def concurrency(self) -> int:
        """Requests in flight for whole-window reads: --concurrency, the profile, else 4."""
        if self.concurrency_flag is not None:
            return self.concurrency_flag
        return self.settings().concurrency

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def fail_line(self, error: Any) -> None:
        """One failure line on stderr (an `LxError`) in the run's --error-format, for
        failures that do not end the run (an ID among several not found)."""
        from llamaextract_cli.output.error_line import write_error

        write_error(self.env.stderr, self.error_format or "text", error)


def get_state(ctx: Any) -> State:
    """The State of the root context (typer's ctx.obj), created if missing."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj
