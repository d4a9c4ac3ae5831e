"""lx config list|get|set|unset|path: the settings of a profile.

The commands parse their arguments and delegate to ``settings``; the API key is
shown masked everywhere and is not set here (``lx auth login`` reads it without
it touching the shell history).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Annotated, Any

import typer

from llamaextract_cli import choices
from llamaextract_cli.cli.context import State, get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import FormatOpt
from llamaextract_cli.errors import UsageError
from llamaextract_cli.output.text import emit

HELP = """Show and change the settings of a profile.

Settings: api_key (set with `lx auth login`), base_url, project_id,
organization_id, format, page_size, concurrency; and default_profile, the profile used
when neither --profile nor LX_PROFILE names one. Values come from, in order:
a flag, the environment (LLAMA_CLOUD_API_KEY, LLAMA_PARSE_API_KEY,
LLAMA_CLOUD_BASE_URL, LLAMA_CLOUD_PROJECT_ID, LX_FORMAT), the profile, the
built-in default. The built-in `sandbox` profile ignores the environment.

The file is TOML (`lx config path` shows where; LX_CONFIG moves it), written
atomically with mode 0600.

\b
Examples:
  lx config list
  lx --profile eu config set base_url https://api.cloud.eu.llamaindex.ai
  lx config set default_profile eu
  lx config get project_id
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)

KEY_LIST = ", ".join((*choices.SETTING_KEYS, "default_profile"))
KeyArg = Annotated[
    str, typer.Argument(help=f"One of: {KEY_LIST}.", metavar="KEY", show_default=False)
]


# --- printing ---------------------------------------------------------------------


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def render_rows(
    stream: IO[str], rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str
) -> None:
    """Small key/value tables in the output formats (json: one array; yaml: a document
    per row)."""
    import json

    if fmt == "json":
        emit(stream, json.dumps(list(rows), indent=2, ensure_ascii=False))
    elif fmt == "yaml":
        from llamaextract_cli.output.yamlout import write_yaml

        write_yaml(stream, list(rows))
    elif fmt == "jsonl":
        for row in rows:
            emit(stream, json.dumps(row, ensure_ascii=False))
    elif fmt in ("csv", "tsv"):
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        emit(stream, buf.getvalue().rstrip("\n"))
    else:
        widths = [max([len(c), *(len(_cell(r.get(c))) for r in rows)]) for c in columns]
        lines = [[c.upper() for c in columns]] + [[_cell(r.get(c)) for c in columns] for r in rows]
        for line in lines:
            emit(stream, "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


# --- helpers ----------------------------------------------------------------------


def target_profile(state: State) -> tuple[str, str]:
    """(profile name, source) a change applies to; reads (and checks) the file."""
    from llamaextract_cli.settings import profiles as settings

    path, doc = settings.load(state.env.environ)
    return settings.profile_in_effect(state.env.environ, state.profile, doc, path)


def effective(state: State, key: str) -> tuple[Any, str]:
    """(value, source) of a setting in effect; api_key comes back masked."""
    from llamaextract_cli.settings import profiles as settings
    from llamaextract_cli.settings.secrets import mask

    resolved = state.settings()
    if key == "api_key":
        return (mask(resolved.api_key) if resolved.api_key else None), resolved.source(key)
    if key == "format":
        env_fmt = state.env.environ.get(settings.ENV_FORMAT, "").strip()
        if env_fmt:
            return env_fmt, f"environment ({settings.ENV_FORMAT})"
    return resolved.value(key), resolved.source(key)


def _shadowing_env(state: State, profile: str, key: str) -> str | None:
    """The environment variable that would win over a value stored for ``key``."""
    from llamaextract_cli.settings import profiles as settings

    if profile == settings.SANDBOX_PROFILE:
        return None
    names = {
        "api_key": (settings.ENV_API_KEY, settings.ENV_API_KEY_FALLBACK),
        "base_url": (settings.ENV_BASE_URL,),
        "project_id": (settings.ENV_PROJECT_ID,),
        "format": (settings.ENV_FORMAT,),
    }.get(key, ())
    for name in names:
        if state.env.environ.get(name, "").strip():
            return name
    return None


def _plain_http_remote(url: str) -> bool:
    from urllib.parse import urlsplit

    from llamaextract_cli.cli.client_factory import is_loopback

    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback(parts.hostname or "")


# --- commands ---------------------------------------------------------------------


@app.command("list")
@jq_option
def list_(ctx: typer.Context, output: FormatOpt = None) -> None:
    """Show each setting in effect and where it comes from.

    Sources: flag, environment (VARIABLE), profile 'NAME', default, built-in
    sandbox, or none (not set). The API key is masked (llx-…abcd).

    \b
    Examples:
      lx config list
      lx --profile eu config list -o json
      lx config list -o jsonl | jq -r 'select(.source == "none") | .key'
      lx config list --jq 'select(.source == "none") | .key'
    """
    state = get_state(ctx)
    resolved = state.settings()
    fmt = state.output_format(output.lower() if output else None)
    rows: list[dict[str, Any]] = [
        {"key": "profile", "value": resolved.profile, "source": resolved.profile_source}
    ]
    for key in choices.SETTING_KEYS:
        value, source = effective(state, key)
        rows.append({"key": key, "value": value, "source": source})
    render_rows(state.env.stdout, rows, ("key", "value", "source"), fmt)


@app.command("get")
def get(ctx: typer.Context, key: KeyArg) -> None:
    """Print the value of one setting in effect.

    Precedence: flag > environment > profile > default.
    The value alone goes to stdout; the API key is always masked. A setting with
    no value prints nothing and exits 1 (like `git config`); an unknown key
    exits 2.

    \b
    Examples:
      lx config get base_url
      lx --profile eu config get project_id || echo "no project set"
      lx config get default_profile
    """
    from llamaextract_cli.settings import profiles as settings

    state = get_state(ctx)
    if key == settings.DEFAULT_PROFILE_KEY:
        path, doc = settings.load(state.env.environ)
        value: Any = settings.default_profile_of(doc, path)
    else:
        settings.check_key(key, allow_default_profile=True)
        value, _ = effective(state, key)
    if value is None:
        raise typer.Exit(1)
    emit(state.env.stdout, str(value))


@app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[
        str, typer.Argument(help="The new value.", metavar="VALUE", show_default=False)
    ],
) -> None:
    """Store a setting in the profile in effect (created if missing).

    The profile is the one --profile, LX_PROFILE or default_profile names, else
    `default`. Values are checked: base_url an http(s) URL (or sandbox:), format
    one of table, wide, json, jsonl, yaml, csv, tsv, page_size 1 to 100 (the most the
    API serves a page), concurrency 1 to 32. `default_profile`
    must name an existing profile. The API key is not set here: use
    `lx auth login`, which keeps it out of your shell history.

    \b
    Examples:
      lx --profile eu config set base_url https://api.cloud.eu.llamaindex.ai
      lx config set project_id 6f1c...
      lx config set format json
      lx config set default_profile eu
    """
    from llamaextract_cli.settings import profiles as settings

    state = get_state(ctx)
    environ = state.env.environ
    if key == "api_key":
        raise UsageError(
            "the API key is not set with `lx config set` (it would stay in your shell history)",
            hint="use `lx auth login`, or `lx auth login --with-token < FILE`",
        )
    if key == settings.DEFAULT_PROFILE_KEY:
        name = settings.parse_setting(key, value)
        settings.set_default_profile(environ, name)
        emit(state.env.stderr, f"Default profile is now '{name}'")
        return
    settings.check_key(key, allow_default_profile=True)
    stored = settings.parse_setting(key, value)
    profile, _ = target_profile(state)
    settings.check_profile_name(profile)
    settings.set_setting(environ, profile, key, stored)
    emit(state.env.stderr, f"Set {key} = {stored} in profile '{profile}'")
    if key == "base_url" and _plain_http_remote(str(stored)):
        emit(
            state.env.stderr,
            "note: lx will not send the key over plain http:// to a host that is not "
            "loopback unless you pass --allow-http",
        )
    env_name = _shadowing_env(state, profile, key)
    if env_name:
        emit(state.env.stderr, f"note: {env_name} is set and takes precedence over this value")


@app.command("unset")
def unset(ctx: typer.Context, key: KeyArg) -> None:
    """Remove a setting from the profile in effect.

    The profile itself stays.
    Removing a setting that is not set is not an error (exit 0, with a note).

    \b
    Examples:
      lx config unset project_id
      lx --profile eu config unset format
      lx config unset default_profile
    """
    from llamaextract_cli.settings import profiles as settings

    state = get_state(ctx)
    environ = state.env.environ
    if key == settings.DEFAULT_PROFILE_KEY:
        removed = settings.unset_default_profile(environ)
        where = "the settings file"
    else:
        settings.check_key(key, allow_default_profile=True)
        profile, _ = target_profile(state)
        removed = settings.unset_setting(environ, profile, key)
        where = f"profile '{profile}'"
    if removed:
        emit(state.env.stderr, f"Removed {key} from {where}")
    else:
        emit(state.env.stderr, f"note: {key} is not set in {where}; nothing to remove")


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the path of the settings file.

    It is printed whether or not the file exists yet.
    LX_CONFIG changes it; by default it is config.toml in your platform's
    configuration directory.

    \b
    Examples:
      lx config path
      "$EDITOR" "$(lx config path)"
    """
    from llamaextract_cli.settings import profiles as settings

    state = get_state(ctx)
    emit(state.env.stdout, str(settings.config_path(state.env.environ)))
