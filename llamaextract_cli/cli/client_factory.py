"""Build the run's ApiClient from the resolved settings and global flags."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from llamaextract_cli.errors import AuthError, UsageError

if TYPE_CHECKING:
    from typing import IO

    import httpx

    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.api.retry import RetryNotice
    from llamaextract_cli.settings.profiles import Resolved

SANDBOX_HOST = "http://sandbox.invalid"
SANDBOX_OPTIONS = ("jobs", "seed", "shape", "live", "now", "span")  # of a sandbox: URL's query
SANDBOX_BOUNDS = {"jobs": (0, 2_000_000), "live": (0, 1000)}  # as `lx sandbox serve`'s


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_http: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"base URL {url!r} is not an http(s) URL",
            hint="e.g. https://api.cloud.llamaindex.ai, or sandbox: for the built-in emulator",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_http:
        raise UsageError(
            f"refusing to send the API key in clear text to {parts.hostname} over http://",
            hint="use https://, or pass --allow-http if you really mean it",
        )


def sandbox_transport(url: str) -> httpx.BaseTransport:
    """The in-process emulator for a `sandbox:` URL.

    Query options: jobs, seed, shape (current|seed), live, now (ISO anchor), span (a
    duration: every job within it before now), e.g.
    `sandbox://?jobs=600&seed=7&shape=seed&now=2026-01-01T00:00:00Z&span=2h`.
    """
    from llamaextract_cli.sandbox.app import SandboxApp
    from llamaextract_cli.sandbox.transport import SandboxTransport
    from llamaextract_cli.timeparse import TimeParseError, parse_duration

    options = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    known = ", ".join(SANDBOX_OPTIONS)
    for name in options:
        if name not in SANDBOX_OPTIONS:
            from difflib import get_close_matches

            close = get_close_matches(name, SANDBOX_OPTIONS, n=1)
            raise UsageError(
                f"sandbox URL {url!r}: unknown option {name!r}",
                hint=(f"did you mean {close[0]}? " if close else "") + f"options: {known}",
            )
    numbers = {}
    for name in ("jobs", "seed", "live"):
        text = options.get(name, "").strip()
        if name in options and not re.fullmatch(r"[+-]?\d+", text):
            raise UsageError(
                f"sandbox URL {url!r}: {name}={options[name]!r} is not a whole number",
                hint=f"e.g. sandbox://?{name}=7",
            )
        numbers[name] = int(text) if name in options else None
        low, high = SANDBOX_BOUNDS.get(name, (None, None))
        value = numbers[name]
        if value is not None and low is not None and not low <= value <= high:
            raise UsageError(
                f"sandbox URL {url!r}: {name} must be from {low} to {high}, not {value}"
            )
    shape, now = options.get("shape", "current"), options.get("now")
    if shape not in ("current", "seed"):
        raise UsageError(f"sandbox URL {url!r}: shape={shape!r} is not current or seed")
    if now is not None and not _is_iso(now):
        raise UsageError(
            f"sandbox URL {url!r}: now={now!r} is not an ISO date-time",
            hint="e.g. now=2026-01-01T00:00:00Z",
        )
    try:
        app = SandboxApp(
            jobs=300 if numbers["jobs"] is None else numbers["jobs"],
            seed=numbers["seed"] or 0,
            api_shape=shape,
            live=4 if numbers["live"] is None else numbers["live"],
            now=now,
            span_ms=int(parse_duration(options["span"]) * 1000) if "span" in options else None,
        )
    except (ValueError, TypeError, TimeParseError) as e:
        raise UsageError(f"sandbox URL {url!r}: {e}", hint=f"options: {known}") from None
    return SandboxTransport(app)


def _is_iso(text: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def no_key_error(profile: str, command: Callable[..., str] | None) -> AuthError:
    """No key: log in (the first command), set the variable, or try the sandbox (the second)."""
    build = command or (lambda *args: " ".join(["lx", *args]))
    return AuthError(
        f"no API key for profile '{profile}'",
        hint="log in with the first command below, set LLAMA_CLOUD_API_KEY, "
        "or try the built-in sandbox with the second",
        command=f"{build('auth', 'login')}\nlx --profile sandbox jobs list",
    )


def make_client(
    settings: Resolved,
    *,
    timeout: float | None = None,
    allow_http: bool = False,
    debug_stream: IO[str] | None = None,
    require_key: bool = True,
    api_key_override: str | None = None,
    concurrency: int = 1,
    retry_stream: IO[str] | None = None,
    command: Callable[..., str] | None = None,
) -> ApiClient:
    """The client for `settings`; with `debug_stream`, each request line is logged there;
    with `retry_stream` (stderr on a terminal), each wait before a retry is announced.
    `command` builds the advice of a missing key (`State.command`)."""
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.settings.secrets import remember

    key = api_key_override or settings.api_key
    if require_key and not key:
        raise no_key_error(settings.profile, command)
    transport = None
    base_url = settings.base_url
    if base_url.startswith("sandbox:"):
        transport = sandbox_transport(base_url)
        base_url = SANDBOX_HOST
    else:
        check_url(base_url, allow_http)
    log = None
    if debug_stream is not None:
        import threading

        from llamaextract_cli.settings.secrets import redact

        lock = threading.Lock()  # time slices log from several threads: whole lines only
        stream = debug_stream

        def log(line: str) -> None:
            text = redact(line, key) + "\n"
            with lock:
                stream.write(text)
                stream.flush()

    remember(key)  # the error boundary masks it in all it prints

    return ApiClient(
        base_url=base_url,
        api_key=key,
        timeout=timeout or 60.0,
        transport=transport,
        log=log,
        max_connections=concurrency,
        on_retry=announce_retries(retry_stream) if retry_stream is not None else None,
    )


def announce_retries(stream: IO[str]) -> Callable[[RetryNotice], None]:
    """The client's `on_retry` for a person: one line per wait, so no wait is silent."""
    from llamaextract_cli.output.text import emit

    def announce(notice: RetryNotice) -> None:
        emit(
            stream,
            f"lx: retrying in {notice.wait:.1f} s ({notice.retry} of {notice.max_retries}): "
            f"{notice.reason}; Ctrl-C to stop",
        )

    return announce
