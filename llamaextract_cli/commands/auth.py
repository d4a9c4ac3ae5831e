"""lx auth login|logout|status: store, remove and check the API key of a profile.

The key is read from a hidden prompt or from stdin (``--with-token``), never from
a flag value, and is shown masked (``llx-…abcd``) everywhere.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llamaextract_cli.commands.config import emit
from llamaextract_cli.context import State, get_state
from llamaextract_cli.errors import ApiError, AuthError, LxError, NetworkError, UsageError

if TYPE_CHECKING:
    from llamaextract_cli.settings import Resolved

HELP = """Store, remove and check the API key of a profile.

The key goes to the profile in effect (--profile, LX_PROFILE, default_profile,
else `default`) of the settings file (`lx config path`), written with mode
0600. LLAMA_CLOUD_API_KEY (or LLAMA_PARSE_API_KEY) in the environment wins over
a stored key, except for the built-in `sandbox` profile, which needs no key
and ignores the environment.

\b
Examples:
  lx auth login                                 # hidden prompt
  lx --profile eu auth login --eu               # a second profile for the EU region
  printf '%s\\n' "$KEY" | lx auth login --with-token
  lx auth status
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)

CHECK_RETRIES = 2
CHECK_MAX_WAIT = 10.0  # seconds of waiting between retries, in all


def check_key(state: State, *, api_key_override: str | None = None) -> None:
    """One cheap request (GET /api/v2/extract?page_size=1): raises AuthError on 401/403."""
    from llamaextract_cli.api.factory import make_client

    settings = state.settings()
    params = [("page_size", "1")]
    if settings.project_id:
        params.append(("project_id", settings.project_id))
    if settings.organization_id:
        params.append(("organization_id", settings.organization_id))
    client = make_client(state, require_key=True, api_key_override=api_key_override)
    # A check answers quickly: two retries (a blip, a 429) rather than the listing's five.
    client.policy = replace(client.policy, max_retries=CHECK_RETRIES, max_total=CHECK_MAX_WAIT)
    try:
        client.list_page(params)
    finally:
        client.close()


def _refusal(error: LxError) -> str:
    """`401 Unauthorized` / `403 Forbidden` from the client's message, if it says so."""
    m = re.search(r"\b(40[13])\b( [A-Z][A-Za-z ]*[a-z])?", error.message)
    if m:
        phrase = m.group(2) or {"401": " Unauthorized", "403": " Forbidden"}[m.group(1)]
        return m.group(1) + phrase
    return "refused"


def _read_key(state: State, with_token: bool) -> str:
    env = state.env
    if with_token:
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


def _verify(state: State, resolved: Resolved, key: str) -> None:
    from llamaextract_cli.secrets import redact

    saved = state._settings
    state._settings = resolved
    try:
        check_key(state, api_key_override=key)
    except AuthError as e:
        raise AuthError(
            f"{resolved.base_url} refused the key ({_refusal(e)}); nothing was saved",
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


@app.command()
def login(
    ctx: typer.Context,
    with_token: Annotated[
        bool,
        typer.Option(
            "--with-token", help="Read the key from stdin (its first line) instead of a prompt."
        ),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Store this API root in the profile (the global --base-url is used for "
            "this run only).",
            metavar="URL",
        ),
    ] = None,
    eu: Annotated[
        bool,
        typer.Option(
            "--eu", help="Store the EU region's API root (https://api.cloud.eu.llamaindex.ai)."
        ),
    ] = False,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Save the key without checking it against the API."),
    ] = False,
) -> None:
    """Store an API key in the profile in effect, after checking it.

    The key is read from a hidden prompt on a terminal, or from stdin with
    --with-token (never from a flag value, which would stay in your shell
    history). Before saving, one request (GET /api/v2/extract?page_size=1)
    checks the key: a refusal (401/403) exits 3 and saves nothing. The built-in
    `sandbox` profile needs no login.

    \b
    Examples:
      lx auth login
      lx --profile eu auth login --eu
      lx auth login --with-token < ~/.llamacloud-key
      op read op://dev/llamacloud/key | lx --profile ci auth login --with-token
    """
    from llamaextract_cli import settings
    from llamaextract_cli.secrets import mask

    state = get_state(ctx)
    environ = state.env.environ
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
        environ,
        profile_flag=state.profile,
        base_url_flag=state.base_url,
        allow_missing_profile=True,
    )
    profile = resolved.profile
    if profile == settings.SANDBOX_PROFILE:
        raise UsageError(
            "the sandbox profile is built in and needs no login",
            hint="log in to another profile: lx --profile NAME auth login",
        )
    settings.check_profile_name(profile)
    if store_url is not None and state.base_url is None:
        resolved = replace(
            resolved,
            base_url=store_url,
            base_url_source="flag (--base-url)",
            is_sandbox=store_url.startswith(settings.SANDBOX_URL),
        )
    key = _read_key(state, with_token)
    try:
        key = settings.normalize_api_key(key)
    except settings.InvalidValue as e:
        raise UsageError(f"the API key {e}", hint="paste it again, without quotes") from None
    if not no_verify:
        _verify(state, replace(resolved, api_key=key, api_key_source="login"), key)
    settings.store_api_key(environ, profile, key, base_url=store_url)
    done = "Saved (unchecked)" if no_verify else "Logged in to"
    target = store_url or resolved.base_url
    emit(state.env.stderr, f"{done} {target} as profile '{profile}' (key {mask(key)})")
    if state.base_url is not None and store_url is None:
        emit(
            state.env.stderr,
            "note: the global --base-url was used for this check only; "
            "store it with `lx auth login --base-url URL`",
        )
    for name in (settings.ENV_API_KEY, settings.ENV_API_KEY_FALLBACK):
        if environ.get(name, "").strip():
            emit(state.env.stderr, f"note: {name} is set and takes precedence over the stored key")
            break


@app.command()
def logout(ctx: typer.Context) -> None:
    """Remove the stored API key of the profile in effect.

    The profile's other settings and the file stay. With no stored key there
    is nothing to do (exit 0, with a note). A key in LLAMA_CLOUD_API_KEY is not
    affected: unset it in your shell.

    \b
    Examples:
      lx auth logout
      lx --profile eu auth logout
    """
    from llamaextract_cli import settings

    state = get_state(ctx)
    environ = state.env.environ
    path, doc = settings.load(environ)
    profile, _ = settings.profile_in_effect(environ, state.profile, doc, path)
    if profile == settings.SANDBOX_PROFILE:
        emit(state.env.stderr, "note: the sandbox profile is built in; it has no stored key")
        return
    if settings.unset_setting(environ, profile, "api_key"):
        emit(state.env.stderr, f"Removed the key of profile '{profile}' from {path}")
    else:
        emit(state.env.stderr, f"note: profile '{profile}' has no stored key; nothing to remove")
    for name in (settings.ENV_API_KEY, settings.ENV_API_KEY_FALLBACK):
        if environ.get(name, "").strip():
            emit(state.env.stderr, f"note: {name} is still set in your environment")
            break


def _status_lines(info: dict[str, Any]) -> list[str]:
    def show(value: Any) -> str:
        return "(none)" if value is None else str(value)

    rows = [
        ("Profile", info["profile"], info["profile_source"]),
        ("Base URL", info["base_url"], info["base_url_source"]),
        ("Project", info["project_id"], info["project_id_source"]),
        ("Organization", info["organization_id"], info["organization_id_source"]),
        ("API key", info["api_key"], info["api_key_source"]),
    ]
    width = max(len(show(value)) for _, value, _ in rows)
    lines = [
        f"{label + ':':<14}{show(value):<{width}}  from {source}".rstrip()
        if source != "none"
        else f"{label + ':':<14}{show(value)}"
        for label, value, source in rows
    ]
    exists = "" if info["config_exists"] else " (not created yet)"
    lines.append(f"{'Settings:':<14}{info['config_path']}{exists}")
    lines.append(f"{'Key check:':<14}{info['check']}")
    return lines


@app.command()
def status(
    ctx: typer.Context,
    output: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-o",
            help="text (default) or json / jsonl (one object).",
            metavar="text|json|jsonl",
        ),
    ] = None,
    no_check: Annotated[
        bool,
        typer.Option("--no-check", help="Do not send the request that checks the key."),
    ] = False,
) -> None:
    """Show the profile, base URL and masked key in effect; check the key.

    Each value is shown with where it came from (flag, environment, profile,
    default). The key is checked with one request (GET /api/v2/extract?page_size=1).
    Exit status: 0 the key works, 3 no key or the API refused it (401/403),
    1 the network or the API failed.

    \b
    Examples:
      lx auth status
      lx --profile eu auth status -o json | jq .check
      lx auth status >/dev/null 2>&1 || lx auth login
    """
    import json

    from llamaextract_cli.secrets import mask

    fmt = ("text" if output is None else output).lower()  # `-o ""` is no format
    if fmt in ("table", "text"):
        fmt = "text"
    elif fmt not in ("json", "jsonl"):
        raise UsageError(f"-o {output!r} is not one of text, json, jsonl", hint="e.g. -o json")
    state = get_state(ctx)
    resolved = state.settings()
    failure: LxError | None = None
    if not resolved.api_key:
        check = "no key"
        failure = AuthError(
            f"no API key for profile '{resolved.profile}'",
            hint="run 'lx auth login', set LLAMA_CLOUD_API_KEY, "
            "or try the built-in sandbox: lx --profile sandbox jobs list",
        )
    elif no_check:
        check = "not checked"
    else:
        try:
            check_key(state)
            check = "ok"
        except AuthError as e:
            check = _refusal(e)
            failure = AuthError(
                f"{resolved.base_url} refused the key of profile '{resolved.profile}' ({check})",
                hint="log in again: lx auth login",
            )
        except LxError as e:
            from llamaextract_cli.secrets import redact

            e.message = redact(e.message, resolved.api_key)
            check = f"failed: {e.message}"
            failure = e
    info: dict[str, Any] = {
        "profile": resolved.profile,
        "profile_source": resolved.profile_source,
        "base_url": resolved.base_url,
        "base_url_source": resolved.base_url_source,
        "project_id": resolved.project_id,
        "project_id_source": resolved.source("project_id"),
        "organization_id": resolved.organization_id,
        "organization_id_source": resolved.source("organization_id"),
        "api_key": mask(resolved.api_key) if resolved.api_key else None,
        "api_key_source": resolved.api_key_source,
        "config_path": str(resolved.config_path),
        "config_exists": resolved.config_path.exists(),
        "check": check,
        "ok": failure is None,
    }
    if fmt == "text":
        for line in _status_lines(info):
            emit(state.env.stdout, line)
    else:
        emit(
            state.env.stdout,
            json.dumps(info, indent=2 if fmt == "json" else None, ensure_ascii=False),
        )
    if failure is not None:
        raise failure
