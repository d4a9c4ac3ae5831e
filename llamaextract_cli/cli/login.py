"""The steps of `lx auth login|status`: where a key goes, reading it, checking it.

The key is read from a hidden prompt or from stdin (``--with-token``), never from
a flag value. A check is one cheap request; the errors it raises never carry the
key (``secrets.redact``). Printing is `output.auth_view`'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from llamaextract_cli.errors import ApiError, AuthError, LxError, NetworkError, UsageError

if TYPE_CHECKING:
    from llamaextract_cli.cli.context import State
    from llamaextract_cli.cli.env import Env
    from llamaextract_cli.settings.profiles import Resolved


def check_key(state: State, *, api_key_override: str | None = None) -> None:
    """One cheap request (GET /api/v2/extract?page_size=1): raises AuthError on 401/403."""
    from llamaextract_cli.jobs.lookup import scope_params

    params = [("page_size", "1"), *scope_params(state)]
    # The listing's retries (1 + 5 attempts), so `auth login` and `jobs list` give up
    # alike; on a terminal each wait is announced (State.new_client).
    client = state.new_client(require_key=True, api_key_override=api_key_override)
    try:
        client.list_page(params)
    finally:
        client.close()


def refusal(error: LxError) -> str:
    """`401 Unauthorized` / `403 Forbidden` from the client's message, if it says so."""
    m = re.search(r"\b(40[13])\b( [A-Z][A-Za-z ]*[a-z])?", error.message)
    if m:
        phrase = m.group(2) or {"401": " Unauthorized", "403": " Forbidden"}[m.group(1)]
        return m.group(1) + phrase
    return "refused"


def env_key_name(environ: Mapping[str, str]) -> str | None:
    """The environment variable whose key wins over a stored one, if one is set."""
    from llamaextract_cli.settings import profiles as settings

    for name in (settings.ENV_API_KEY, settings.ENV_API_KEY_FALLBACK):
        if environ.get(name, "").strip():
            return name
    return None


# --- lx auth login ---------------------------------------------------------------------


def login_target(state: State, *, base_url: str | None, eu: bool) -> tuple[Resolved, str | None]:
    """The settings to check a new key against, and the API root to store with it."""
    from llamaextract_cli.settings import profiles as settings

    if eu and base_url:
        raise UsageError("--eu and --base-url both set the API root", hint="give one of them")
    store_url: str | None = None
    if base_url is not None:
        try:
            store_url = settings.normalize_base_url(base_url)
        except settings.InvalidValue as e:
            raise UsageError(f"--base-url {base_url!r}: it {e}") from None
    elif eu:
        store_url = settings.EU_BASE_URL
    resolved = settings.resolve(
        state.env.environ,
        profile_flag=state.profile,
        base_url_flag=state.base_url,
        allow_missing_profile=True,
    )
    if resolved.profile == settings.SANDBOX_PROFILE:
        raise UsageError(
            "the sandbox profile is built in and needs no login",
            hint="log in to another profile: lx --profile NAME auth login",
        )
    settings.check_profile_name(resolved.profile)
    if store_url is not None and state.base_url is None:
        resolved = replace(
            resolved,
            base_url=store_url,
            base_url_source="flag (--base-url)",
            is_sandbox=store_url.startswith(settings.SANDBOX_URL),
        )
    return resolved, store_url


def read_key(env: Env, with_token: bool) -> str:
    """The key from stdin's first line (--with-token) or a hidden prompt, normalized."""
    from llamaextract_cli.settings import profiles as settings

    key = _read_line(env) if with_token else _prompt(env)
    try:
        return settings.normalize_api_key(key)
    except settings.InvalidValue as e:
        raise UsageError(f"the API key {e}", hint="paste it again, without quotes") from None


def _read_line(env: Env) -> str:
    stdin = env.stdin
    if stdin is None or getattr(stdin, "closed", False):
        raise UsageError("--with-token: stdin is closed", hint="pipe the key in")
    try:
        line = stdin.readline()
    except (OSError, ValueError, UnicodeDecodeError):
        raise UsageError("--with-token: could not read the key from stdin") from None
    key = line.strip()
    if not key:
        raise UsageError(
            "--with-token: stdin held no key (empty first line)",
            hint="printf '%s\\n' \"$KEY\" | lx auth login --with-token",
        )
    return key


def _prompt(env: Env) -> str:
    if not env.stdin_isatty:
        raise UsageError(
            "no terminal to prompt for the key",
            hint="pipe it in with --with-token: lx auth login --with-token < key.txt",
        )
    import getpass

    try:
        key = getpass.getpass("Paste your API key (input is hidden): ", stream=env.stderr)
    except EOFError:
        key = ""
    key = key.strip()
    if not key:
        raise UsageError("no key entered", hint="get one at https://cloud.llamaindex.ai")
    return key


def verify(state: State, resolved: Resolved, key: str) -> None:
    """`check_key` with `key` against `resolved`; its errors say nothing was saved."""
    from llamaextract_cli.settings.secrets import redact

    saved = state._settings
    state._settings = resolved
    try:
        check_key(state, api_key_override=key)
    except AuthError as e:
        raise AuthError(
            f"{resolved.base_url} refused the key ({refusal(e)}); nothing was saved",
            hint="check the key and the region (--eu, --base-url)",
        ) from None
    except NetworkError as e:
        raise NetworkError(
            f"could not check the key: {redact(e.message, key)}; nothing was saved",
            hint="retry, or save it unchecked with --no-verify",
        ) from None
    except ApiError as e:
        raise ApiError(
            f"could not check the key: {redact(e.message, key)}; nothing was saved",
            status_code=e.status_code,
            hint="retry, or save it unchecked with --no-verify",
        ) from None
    except LxError as e:
        e.message = redact(e.message, key)
        raise
    finally:
        state._settings = saved


# --- lx auth status --------------------------------------------------------------------


def status_check(state: State, resolved: Resolved, *, check: bool) -> tuple[str, LxError | None]:
    """What `auth status` says of the key (`ok`, `no key`, ...) and the error to exit with."""
    if not resolved.api_key:
        from llamaextract_cli.cli.client_factory import no_key_error

        return "no key", no_key_error(resolved.profile, state.command)
    if not check:
        return "not checked", None
    try:
        check_key(state)
        return "ok", None
    except AuthError as e:
        refused = refusal(e)
        return refused, AuthError(
            f"{resolved.base_url} refused the key of profile '{resolved.profile}' ({refused})",
            hint="log in again: lx auth login",
        )
    except LxError as e:
        from llamaextract_cli.settings.secrets import redact

        e.message = redact(e.message, resolved.api_key)
        return f"failed: {e.message}", e
