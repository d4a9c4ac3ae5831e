"""The checks of `lx doctor`: what is set up, where each value comes from, what is wrong.

Each check is one `Check` (ok, warn or fail, one line, a hint that runs when pasted).
A check that cannot run because an earlier one failed says so instead of guessing.
The checks read the settings, the completion files and the cache directory, and send
one request (the live check); printing is `output.doctor_view`'s.
"""

from __future__ import annotations

import os
import platform
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from llamaextract_cli import __version__
from llamaextract_cli.errors import AuthError, LxError

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.settings.profiles import Resolved

OK, WARN, FAIL = "ok", "warn", "fail"
LIBRARIES = ("httpx", "typer", "rich", "pydantic", "platformdirs", "orjson")
OPTIONAL_LIBRARIES = ("jq", "PyYAML")  # for --jq and -o yaml, when installed
SKEW_WARN = 5.0  # seconds between the server's Date and this clock worth a warning
LIVE_RETRIES = 1  # the live check answers quickly: one retry, a few seconds in all
LIVE_MAX_WAIT = 3.0


@dataclass
class Check:
    name: str
    status: str
    message: str
    hint: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def run_checks(state: State, script: Callable[[str], str], *, live: bool = True) -> list[Check]:
    """Every check, in the order a person reads them; `script(shell)` is the completion
    script this lx generates (the installed one is compared with it)."""
    environ = state.env.environ
    checks = [_lx(), _libraries()]
    checks.append(_settings_file(environ))
    resolved, problem = _resolve(state)
    if resolved is None:
        checks.append(Check("profile", FAIL, problem.message, problem.hint))
        skipped = "skipped: the profile could not be resolved"
        checks += [Check(n, FAIL, skipped) for n in ("api_key", "base_url", "live")]
    else:
        checks += [_profile(resolved), _key(resolved), _base_url(state, resolved)]
        checks.append(_live(state, resolved) if live else Check("live", WARN, "not checked"))
    checks.append(_completion(environ, script))
    checks.append(_cache_dir(environ))
    return checks


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)


# --- versions --------------------------------------------------------------------------


def _version_of(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _lx() -> Check:
    python = platform.python_version()
    system = f"{platform.system()} {platform.release()} {platform.machine()}".strip()
    return Check(
        "lx",
        OK,
        f"lx {__version__} on Python {python} ({system})",
        data={"lx": __version__, "python": python, "os": system},
    )


def _libraries() -> Check:
    found = {name: _version_of(name) for name in (*LIBRARIES, *OPTIONAL_LIBRARIES)}
    shown = ", ".join(f"{n} {v}" for n, v in found.items() if v)
    missing = [n for n in LIBRARIES if not found[n]]
    if missing:
        return Check(
            "libraries",
            FAIL,
            f"missing: {', '.join(missing)}",
            "reinstall: python -m pip install --force-reinstall llamaextract-cli",
            data=found,
        )
    absent = [n for n in OPTIONAL_LIBRARIES if not found[n]]
    note = f" ({', '.join(absent)} not installed: optional)" if absent else ""
    return Check("libraries", OK, shown + note, data=found)


# --- settings --------------------------------------------------------------------------


def _settings_file(environ: Mapping[str, str]) -> Check:
    from llamaextract_cli.settings import store
    from llamaextract_cli.settings.profiles import ENV_CONFIG, config_path, profile_names

    path = config_path(environ)
    data: dict[str, Any] = {
        "path": str(path),
        "from": ENV_CONFIG if environ.get(ENV_CONFIG) else "default",
    }
    try:
        st = path.stat()
    except FileNotFoundError:
        return Check(
            "settings",
            OK,
            f"{path}: none yet, built-in defaults apply (auth login or config set writes it)",
            data={**data, "exists": False},
        )
    except OSError as e:
        return Check("settings", FAIL, f"{path}: {e.strerror or e}", data=data)
    mode = stat.S_IMODE(st.st_mode)
    data.update(exists=True, mode=f"{mode:04o}")
    try:
        doc = store.read(path, check_mode=False)
        names = profile_names(doc, path)
    except LxError as e:
        return Check("settings", FAIL, e.message, e.hint, data=data)
    data["profiles"] = names
    listed = [n for n in names if n != "sandbox"]
    what = f"{len(listed)} profile" + ("" if len(listed) == 1 else "s")
    if os.name == "posix" and mode & 0o077:
        return Check(
            "settings",
            WARN,
            f"{path}: mode {mode:04o}, readable by others (it may hold a key); {what}",
            f"chmod 600 {path}",
            data=data,
        )
    return Check("settings", OK, f"{path}: mode {mode:04o}, parses, {what}", data=data)


def _resolve(state: State) -> tuple[Resolved | None, Any]:
    """The settings in effect, kept on `state` for the live check; the settings check
    has already said what is wrong with the file's mode, so no second warning."""
    from llamaextract_cli.settings.profiles import resolve

    try:
        state._settings = resolve(
            state.env.environ,
            profile_flag=state.profile,
            base_url_flag=state.base_url,
            warn=lambda message: None,
        )
    except LxError as e:
        return None, e
    return state._settings, None


def _profile(resolved: Resolved) -> Check:
    sources = {k: resolved.source(k) for k in ("profile", "base_url", "api_key", "project_id")}
    return Check(
        "profile",
        OK,
        f"{resolved.profile}; source: {resolved.source('profile')}",
        data={"profile": resolved.profile, "sources": dict(resolved.sources), **sources},
    )


def _key(resolved: Resolved) -> Check:
    from llamaextract_cli.settings.secrets import mask

    source = resolved.api_key_source
    if not resolved.api_key:
        return Check(
            "api_key",
            FAIL,
            f"no API key for profile '{resolved.profile}'",
            _lx_command(resolved, "auth login"),
            data={"source": source},
        )
    return Check(
        "api_key",
        OK,
        f"{mask(resolved.api_key)}; source: {source}",
        data={"masked": mask(resolved.api_key), "source": source},
    )


def _lx_command(resolved: Resolved, command: str) -> str:
    """`lx COMMAND` for the profile in effect (named unless it is the default one)."""
    import shlex

    from llamaextract_cli.settings.profiles import SOURCE_DEFAULT

    if resolved.profile_source == SOURCE_DEFAULT:
        return f"lx {command}"
    return f"lx --profile {shlex.quote(resolved.profile)} {command}"


def _base_url(state: State, resolved: Resolved) -> Check:
    from llamaextract_cli.cli.client_factory import check_url

    data = {"url": resolved.base_url, "source": resolved.base_url_source}
    shown = f"{resolved.base_url}; source: {resolved.base_url_source}"
    if not resolved.is_sandbox:
        try:
            check_url(resolved.base_url, state.allow_http)
        except LxError as e:
            return Check("base_url", FAIL, f"{shown}: {e.message}", e.hint, data=data)
    return Check("base_url", OK, shown, data=data)


# --- the live check --------------------------------------------------------------------


def _live(state: State, resolved: Resolved) -> Check:
    """One cheap request: does the URL answer, does it take the key, is the clock right."""
    from dataclasses import replace

    from llamaextract_cli.jobs.lookup import scope_params

    keyless = not resolved.api_key  # still worth knowing whether the URL answers
    try:
        client = state.new_client(require_key=not keyless)
    except LxError as e:
        return Check("live", FAIL, f"skipped: {e.message}", e.hint)
    client.policy = replace(client.policy, max_retries=LIVE_RETRIES, max_total=LIVE_MAX_WAIT)
    started = time.perf_counter()
    try:
        client.list_page([("page_size", "1"), *scope_params(state)])
    except AuthError as e:
        if keyless:
            ms = (time.perf_counter() - started) * 1000
            note = f"{resolved.base_url} answered in {ms:.0f} ms; no key to check"
            return Check("live", WARN, note, _lx_command(resolved, "auth login"))
        return Check("live", FAIL, f"{resolved.base_url} refused the key: {e.message}", e.hint)
    except LxError as e:
        return Check("live", FAIL, e.message, e.hint or "check the network, or --base-url")
    finally:
        client.close()
    ms = (time.perf_counter() - started) * 1000
    headers = client.last_headers or {}
    return _clock(ms, headers.get("date"), time.time)


def _clock(ms: float, date: str | None, now: Callable[[], float]) -> Check:
    """The live check's line: the answer's latency, and the server's clock against ours."""
    data: dict[str, Any] = {"latency_ms": round(ms, 1), "server_date": date, "skew_seconds": None}
    answered = f"answered in {ms:.0f} ms"
    if not date:
        return Check(
            "live", OK, f"{answered}; the server sent no Date to compare clocks", data=data
        )
    from email.utils import parsedate_to_datetime

    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return Check("live", OK, f"{answered}; unreadable Date header {date!r}", data=data)
    if server.tzinfo is None:
        server = server.replace(tzinfo=timezone.utc)
    # The Date header has whole seconds: the server's clock is this or up to 1 s later.
    skew = datetime.fromtimestamp(now(), timezone.utc).timestamp() - server.timestamp() - ms / 2000
    data["skew_seconds"] = round(skew, 1)
    if abs(skew) >= SKEW_WARN:
        way = "ahead of" if skew > 0 else "behind"
        return Check(
            "live",
            WARN,
            f"{answered}; this clock is {abs(skew):.0f} s {way} the server's, so relative "
            "--since/--until values are off by as much",
            "sync the clock (e.g. timedatectl set-ntp true), or use absolute times",
            data=data,
        )
    return Check(
        "live", OK, f"{answered}; clock within {SKEW_WARN:.0f} s of the server's", data=data
    )


# --- completion and cache --------------------------------------------------------------


def _completion(environ: Mapping[str, str], script: Callable[[str], str]) -> Check:
    from llamaextract_cli.completion.install import shell_named, target_path, written_by_lx

    shell = shell_named(environ)
    if shell is None:
        shown = environ.get("SHELL") or "(not set)"
        return Check(
            "completion",
            OK,
            f"not checked: SHELL={shown} is not bash, zsh or fish",
            data={"shell": None},
        )
    path = target_path(shell, environ)
    data: dict[str, Any] = {"shell": shell, "path": str(path), "installed": False, "current": None}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Check(
            "completion",
            WARN,
            f"not installed for {shell} ({path})",
            f"lx completion install {shell}",
            data=data,
        )
    data["installed"] = True
    if not written_by_lx(text):
        return Check("completion", OK, f"{path} exists (not written by lx)", data=data)
    current = text == script(shell)
    data["current"] = current
    if not current:
        return Check(
            "completion",
            WARN,
            f"installed for {shell} at {path}, but from another version of lx",
            f"lx completion install {shell}",
            data=data,
        )
    return Check("completion", OK, f"installed for {shell} at {path}, current", data=data)


def _cache_dir(environ: Mapping[str, str]) -> Check:
    from llamaextract_cli.settings.profiles import cache_dir

    path = cache_dir(environ)
    data = {"path": str(path)}
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        return Check(
            "cache",
            WARN,
            f"{path}: not writable; completion cannot offer recent job IDs",
            "point LX_CACHE_DIR at a writable directory",
            data=data,
        )
    state = "exists" if path.exists() else "created on first use"
    return Check("cache", OK, f"{path} ({state}, writable)", data=data)


def as_records(checks: list[Check]) -> list[dict[str, Any]]:
    """The checks as JSON objects: check, status, message, hint, details."""
    return [
        {
            "check": c.name,
            "status": c.status,
            "message": c.message,
            "hint": c.hint,
            "details": c.data,
        }
        for c in checks
    ]
