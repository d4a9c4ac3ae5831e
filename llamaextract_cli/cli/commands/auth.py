"""lx auth login|logout|status: store, remove and check the API key of a profile.

The key is read from a hidden prompt or from stdin (``--with-token``), never from
a flag value, and is shown masked (``llx-…abcd``) everywhere. The steps are
`auth_flow`'s, the printing `output.auth_view`'s.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from llamaextract_cli.cli import login as auth_flow
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import TextFormatOpt, text_format
from llamaextract_cli.output.text import emit

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
    from llamaextract_cli.output.auth_view import write_login
    from llamaextract_cli.settings import profiles as settings

    state = get_state(ctx)
    environ = state.env.environ
    resolved, store_url = auth_flow.login_target(state, base_url=base_url, eu=eu)
    key = auth_flow.read_key(state.env, with_token)
    if not no_verify:
        auth_flow.verify(state, replace(resolved, api_key=key, api_key_source="login"), key)
    settings.store_api_key(environ, resolved.profile, key, base_url=store_url)
    write_login(
        state.env.stderr,
        checked=not no_verify,
        target=store_url or resolved.base_url,
        profile=resolved.profile,
        key=key,
        check_url_only=state.base_url is not None and store_url is None,
        env_key=auth_flow.env_key_name(environ),
    )


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
    from llamaextract_cli.settings import profiles as settings

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
    env_key = auth_flow.env_key_name(environ)
    if env_key is not None:
        emit(state.env.stderr, f"note: {env_key} is still set in your environment")


@app.command()
@jq_option
def status(
    ctx: typer.Context,
    output: TextFormatOpt = None,
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
      lx auth status --jq .api_key_source
      lx auth status >/dev/null 2>&1 || lx auth login
    """
    from llamaextract_cli.output.auth_view import status_info, write_status

    fmt = text_format(output)
    state = get_state(ctx)
    resolved = state.settings()
    check, failure = auth_flow.status_check(state, resolved, check=not no_check)
    write_status(state.env.stdout, status_info(resolved, check, ok=failure is None), fmt)
    if failure is not None:
        raise failure
