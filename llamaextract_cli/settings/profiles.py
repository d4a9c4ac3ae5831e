"""Settings: the profile in effect and each value's source (CLI.md "Settings").

Precedence, for each value: the flag, then the environment, then the profile of
the settings file, then the built-in default.

==============  ==========================  ==============================
setting         environment                 default
==============  ==========================  ==============================
profile         LX_PROFILE                  the file's default_profile, else "default"
api_key         LLAMA_CLOUD_API_KEY,        none
                then LLAMA_PARSE_API_KEY
base_url        LLAMA_CLOUD_BASE_URL        https://api.cloud.llamaindex.ai
project_id      LLAMA_CLOUD_PROJECT_ID      none
organization_id                             none
format          LX_FORMAT (context.py)      table on a terminal, else jsonl
page_size                                   none (the command's default)
concurrency                                 4 (requests in flight for whole-window reads)
==============  ==========================  ==============================

The built-in ``sandbox`` profile needs no file: its base URL is the in-process
emulator (``sandbox:``) and its key a fixed dummy. The environment does not
reach it (a user with LLAMA_CLOUD_* exported who asks for the sandbox gets the
sandbox); only ``--base-url`` does, and a ``[profiles.sandbox]`` table may set
base_url, project_id, organization_id, format, page_size and concurrency.

The file is TOML (``LX_CONFIG``, else platformdirs' config dir)::

    default_profile = "eu"

    [profiles.default]
    api_key = "llx-..."

    [profiles.eu]
    api_key = "llx-..."
    base_url = "https://api.cloud.eu.llamaindex.ai"
    project_id = "..."
    format = "json"
    page_size = 100
    concurrency = 8

Reading and writing the file is ``settings_file``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llamaextract_cli import choices
from llamaextract_cli.errors import ConfigError, UsageError
from llamaextract_cli.settings import store as settings_file

DEFAULT_BASE_URL = "https://api.cloud.llamaindex.ai"
EU_BASE_URL = "https://api.cloud.eu.llamaindex.ai"
SANDBOX_PROFILE = "sandbox"
SANDBOX_URL = "sandbox:"  # the in-process emulator; `sandbox://?jobs=600&seed=7` also valid
SANDBOX_KEY = "llx-sandbox-local-key-0000"  # not a secret: the emulator accepts any key
DEFAULT_PROFILE = "default"

ENV_CONFIG = "LX_CONFIG"
ENV_CACHE_DIR = "LX_CACHE_DIR"
ENV_PROFILE = "LX_PROFILE"
ENV_API_KEY = "LLAMA_CLOUD_API_KEY"
ENV_API_KEY_FALLBACK = "LLAMA_PARSE_API_KEY"
ENV_BASE_URL = "LLAMA_CLOUD_BASE_URL"
ENV_PROJECT_ID = "LLAMA_CLOUD_PROJECT_ID"
ENV_FORMAT = "LX_FORMAT"

SETTING_KEYS = choices.SETTING_KEYS
DEFAULT_PROFILE_KEY = "default_profile"  # top-level key, settable with `lx config set`
PAGE_SIZE_RANGE = (1, choices.MAX_PAGE_SIZE)
CONCURRENCY_RANGE = choices.CONCURRENCY_RANGE

SOURCE_DEFAULT = "default"
SOURCE_NONE = "none"
SOURCE_SANDBOX = "built-in sandbox"

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def config_path(environ: Mapping[str, str]) -> Path:
    """LX_CONFIG, else ``config.toml`` in the platform's user config dir for lx."""
    explicit = environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return platformdirs.user_config_path("lx", appauthor=False) / "config.toml"


def cache_dir(environ: Mapping[str, str]) -> Path:
    """LX_CACHE_DIR, else the platform's user cache dir for lx."""
    explicit = environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("lx", appauthor=False)


@dataclass(frozen=True)
class Resolved:
    """The settings in effect for this run, each with where it came from."""

    profile: str
    api_key: str | None = field(repr=False)  # never in a repr, log or traceback
    api_key_source: str
    base_url: str
    base_url_source: str
    project_id: str | None
    organization_id: str | None
    format: str | None  # the profile's `format` (LX_FORMAT is context.py's business)
    page_size: int | None
    config_path: Path
    is_sandbox: bool
    profile_source: str = SOURCE_DEFAULT
    concurrency: int = choices.DEFAULT_CONCURRENCY
    sources: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    profiles: tuple[str, ...] = ()  # profile names in the file, then "sandbox"
    profile_exists: bool = False  # a [profiles.NAME] table exists (or it is the sandbox)

    def value(self, key: str) -> Any:
        return getattr(self, key)

    def source(self, key: str) -> str:
        if key == "profile":
            return self.profile_source
        return self.sources.get(key, SOURCE_NONE)


# --- validation -------------------------------------------------------------------


class InvalidValue(ValueError):
    """A setting's value is not acceptable; the message says why."""


def check_profile_name(name: str) -> str:
    """A name usable as ``[profiles.NAME]`` and in the completion cache."""
    if not _PROFILE_NAME.match(name):
        raise UsageError(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '-', '_' and '.', starting with a letter or digit",
        )
    return name


def normalize_base_url(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("must be a string")
    url = value.strip()
    if url.startswith(SANDBOX_URL):
        return url
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidValue("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise InvalidValue(f"must be an http(s) URL such as {DEFAULT_BASE_URL}, or {SANDBOX_URL}")
    return url.rstrip("/")


def normalize_format(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in choices.FORMATS:
        raise InvalidValue(f"must be one of {', '.join(choices.FORMATS)}")
    return value.strip().lower()


def normalize_page_size(value: Any) -> int:
    lo, hi = PAGE_SIZE_RANGE
    if isinstance(value, str) and re.fullmatch(r"\s*\+?\d{1,9}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"must be a whole number from {lo} to {hi}")
    if not lo <= value <= hi:
        raise InvalidValue(f"must be from {lo} to {hi}")
    return value


def normalize_concurrency(value: Any) -> int:
    lo, hi = CONCURRENCY_RANGE
    if isinstance(value, str) and re.fullmatch(r"\s*\+?\d{1,9}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"must be a whole number from {lo} to {hi}")
    if not lo <= value <= hi:
        raise InvalidValue(f"must be from {lo} to {hi} (1 reads one page at a time)")
    return value


def normalize_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must be a non-empty string")
    if any(c.isspace() for c in value.strip()):
        raise InvalidValue("must not contain spaces")
    return value.strip()


def normalize_api_key(value: Any) -> str:
    """Never quotes the value in its errors."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must be a non-empty string")
    key = value.strip()
    if any(c.isspace() or not c.isprintable() for c in key):
        raise InvalidValue("must not contain spaces or control characters")
    return key


NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "api_key": normalize_api_key,
    "base_url": normalize_base_url,
    "project_id": normalize_id,
    "organization_id": normalize_id,
    "format": normalize_format,
    "page_size": normalize_page_size,
    "concurrency": normalize_concurrency,
}


def parse_setting(key: str, text: str) -> Any:
    """The stored form of ``text`` for ``key`` (from `lx config set`): UsageError if bad."""
    if key == DEFAULT_PROFILE_KEY:
        return check_profile_name(text.strip())
    check_key(key)
    try:
        return NORMALIZERS[key](text)
    except InvalidValue as e:
        shown = "" if key == "api_key" else f" {text!r}"
        raise UsageError(f"invalid value{shown} for {key}: it {e}") from None


def check_key(key: str, *, allow_default_profile: bool = False) -> str:
    if key in SETTING_KEYS or (allow_default_profile and key == DEFAULT_PROFILE_KEY):
        return key
    keys = list(SETTING_KEYS) + ([DEFAULT_PROFILE_KEY] if allow_default_profile else [])
    raise UsageError(f"unknown setting {key!r}", hint=f"settings are: {', '.join(keys)}")


# --- the document -----------------------------------------------------------------


def profile_tables(doc: Mapping[str, Any], path: Path) -> dict[str, Any]:
    profiles = doc.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(
            f"invalid settings file {path}: `profiles` must be a table of [profiles.NAME] tables",
            hint="fix or move the file away",
        )
    return profiles


def profile_names(doc: Mapping[str, Any], path: Path) -> list[str]:
    """The profiles of the file (in file order), then the built-in sandbox."""
    names = [n for n, t in profile_tables(doc, path).items() if isinstance(t, dict)]
    if SANDBOX_PROFILE not in names:
        names.append(SANDBOX_PROFILE)
    return names


def default_profile_of(doc: Mapping[str, Any], path: Path) -> str | None:
    value = doc.get(DEFAULT_PROFILE_KEY)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"invalid settings file {path}: default_profile must be a profile name",
            hint="fix it with `lx config set default_profile NAME`",
        )
    return value.strip()


def profile_in_effect(
    environ: Mapping[str, str], profile_flag: str | None, doc: Mapping[str, Any], path: Path
) -> tuple[str, str]:
    """(name, source): --profile, else LX_PROFILE, else default_profile, else "default"."""
    if profile_flag is not None:
        if not profile_flag.strip():
            raise UsageError("--profile must not be empty", hint="name a profile, e.g. sandbox")
        return profile_flag.strip(), "flag (--profile)"
    env = environ.get(ENV_PROFILE, "").strip()
    if env:
        return env, f"environment ({ENV_PROFILE})"
    default = default_profile_of(doc, path)
    if default:
        return default, f"default_profile in {path}"
    return DEFAULT_PROFILE, SOURCE_DEFAULT


def _unknown_profile(name: str, source: str, names: list[str], path: Path) -> ConfigError:
    known = ", ".join(n + (" (built in)" if n == SANDBOX_PROFILE else "") for n in names)
    if source.startswith("default_profile"):
        what = f"default_profile {name!r} in {path} names no profile"
    elif source.startswith("environment"):
        what = f"profile {name!r} (from {ENV_PROFILE}) does not exist in {path}"
    else:
        what = f"profile {name!r} does not exist in {path}"
    from difflib import get_close_matches

    close = get_close_matches(name, names, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return ConfigError(
        what,
        hint=f"{guess}profiles: {known}; create it with `lx --profile {name} auth login`",
    )


def _file_values(table: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    """The known settings of one profile table, validated."""
    out: dict[str, Any] = {}
    for key in SETTING_KEYS:
        if key not in table:
            continue
        try:
            out[key] = NORMALIZERS[key](table[key])
        except InvalidValue as e:
            shown = "api_key" if key == "api_key" else f"{key} = {table[key]!r}"
            raise ConfigError(
                f"{shown} in profile '{name}' of {path}: it {e}",
                hint=f"fix it with `lx --profile {name} config set {key} VALUE`"
                if key != "api_key"
                else f"fix it with `lx --profile {name} auth login`",
            ) from None
    return out


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _requested_profile(environ: Mapping[str, str], profile_flag: str | None) -> str | None:
    """The profile named by --profile or LX_PROFILE, before the file is read."""
    if profile_flag is not None:
        return profile_flag.strip()
    return environ.get(ENV_PROFILE, "").strip() or None


def _refresh_cache(environ: Mapping[str, str], path: Path, doc: Mapping[str, Any]) -> None:
    cdir = cache_dir(environ)
    if settings_file.cache_is_stale(cdir, path):
        settings_file.write_profiles_cache(cdir, profile_names(doc, path))


def load(
    environ: Mapping[str, str], *, warn: settings_file.Warn | None = None
) -> tuple[Path, dict]:
    """(path, document) of the settings file; ``{}`` when there is none."""
    path = config_path(environ)
    return path, settings_file.read(path, warn=warn)


def resolve(
    environ: Mapping[str, str],
    *,
    profile_flag: str | None,
    base_url_flag: str | None,
    allow_missing_profile: bool = False,
    warn: settings_file.Warn | None = None,
) -> Resolved:
    """The settings in effect. ``ConfigError`` for a bad file or an unknown profile.

    ``allow_missing_profile`` lets `auth login` and `config set` name a profile
    they are about to create. Each value comes from the first of: the flag, the
    environment, the profile, the built-in default (`_Picker`); the sandbox profile
    reads no environment.
    """
    path, doc, name, profile_source = _read(environ, profile_flag, warn)
    names = profile_names(doc, path)
    table, exists = _profile_of(doc, path, name)
    if not exists and not allow_missing_profile and profile_source != SOURCE_DEFAULT:
        raise _unknown_profile(name, profile_source, names, path)
    pick = _Picker(environ, _file_values(table or {}, name, path), name)
    api_key = _api_key(pick)
    base_url = _base_url(pick, base_url_flag)
    project_id = pick("project_id", (ENV_PROJECT_ID,), None)
    organization_id = pick("organization_id", (), None)
    fmt = pick("format", (), None)
    page_size = pick("page_size", (), None)
    concurrency = pick("concurrency", (), choices.DEFAULT_CONCURRENCY)

    sources = pick.sources
    is_sandbox = base_url.startswith(SANDBOX_URL)
    if api_key is None and is_sandbox:
        api_key, sources["api_key"] = SANDBOX_KEY, SOURCE_SANDBOX

    return Resolved(
        profile=name,
        api_key=api_key,
        api_key_source=sources["api_key"],
        base_url=base_url,
        base_url_source=sources["base_url"],
        project_id=project_id,
        organization_id=organization_id,
        format=fmt,
        page_size=page_size,
        concurrency=concurrency,
        config_path=path,
        is_sandbox=is_sandbox,
        profile_source=profile_source,
        sources=sources,
        profiles=tuple(names),
        profile_exists=exists,
    )


def _read(
    environ: Mapping[str, str], profile_flag: str | None, warn: settings_file.Warn | None
) -> tuple[Path, dict, str, str]:
    """(path, document, profile name, its source). The built-in sandbox needs nothing of
    the file: a malformed one is no reason to refuse `--profile sandbox` (it is warned
    about, named, and left as it is); every other profile gets the ConfigError."""
    try:
        path, doc = load(environ, warn=warn)
        name, profile_source = profile_in_effect(environ, profile_flag, doc, path)
        table, _ = _profile_of(doc, path, name)
        profile_names(doc, path)
        if name == SANDBOX_PROFILE and isinstance(table, dict):
            _file_values(table, name, path)  # a bad value there is a malformed file too
    except ConfigError as e:
        if _requested_profile(environ, profile_flag) != SANDBOX_PROFILE:
            raise
        (warn or settings_file._stderr_warn)(
            f"lx: warning: {e.message}; the built-in sandbox profile goes on without it"
        )
        path, doc = config_path(environ), {}
        name, profile_source = profile_in_effect(environ, profile_flag, doc, path)
        return path, doc, name, profile_source
    _refresh_cache(environ, path, doc)
    return path, doc, name, profile_source


def _profile_of(doc: Mapping[str, Any], path: Path, name: str) -> tuple[Any, bool]:
    """The profile's table (None if absent) and whether the profile exists."""
    table = profile_tables(doc, path).get(name)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(
            f"invalid settings file {path}: profiles.{name} must be a table",
            hint=f"write it as [profiles.{name}]",
        )
    return table, isinstance(table, dict) or name == SANDBOX_PROFILE


class _Picker:
    """Picks each value from the environment, then the profile, then a default.

    Records where each came from in `sources` (what `lx config list` shows).
    """

    def __init__(self, environ: Mapping[str, str], values: Mapping[str, Any], name: str) -> None:
        self.environ = environ
        self.values = values
        self.sandbox = name == SANDBOX_PROFILE
        self.from_profile = f"profile '{name}'"
        self.sources: dict[str, str] = {}

    def __call__(self, key: str, env_names: tuple[str, ...], default: Any) -> Any:
        if not self.sandbox:
            for env_name in env_names:
                env_value = _env(self.environ, env_name)
                if env_value is not None:
                    self.sources[key] = f"environment ({env_name})"
                    return env_value
        if key in self.values:
            self.sources[key] = self.from_profile
            return self.values[key]
        self.sources[key] = SOURCE_DEFAULT if default is not None else SOURCE_NONE
        return default


def _api_key(pick: _Picker) -> str | None:
    if pick.sandbox:
        pick.sources["api_key"] = SOURCE_SANDBOX
        return SANDBOX_KEY
    api_key = pick("api_key", (ENV_API_KEY, ENV_API_KEY_FALLBACK), None)
    source = pick.sources["api_key"]
    if api_key is not None and source != pick.from_profile:
        try:
            api_key = normalize_api_key(api_key)
        except InvalidValue as e:
            raise UsageError(
                f"the API key from the {source}: it {e}", hint="fix or unset the variable"
            ) from None
    return api_key


def _base_url(pick: _Picker, flag: str | None) -> str:
    if flag is not None:
        try:
            base_url = normalize_base_url(flag)
        except InvalidValue as e:
            raise UsageError(f"--base-url {flag!r}: it {e}") from None
        pick.sources["base_url"] = "flag (--base-url)"
        return base_url
    base_url = pick("base_url", (ENV_BASE_URL,), SANDBOX_URL if pick.sandbox else DEFAULT_BASE_URL)
    if pick.sandbox and pick.sources["base_url"] == SOURCE_DEFAULT:
        pick.sources["base_url"] = SOURCE_SANDBOX
    if pick.sources["base_url"].startswith("environment"):
        try:
            base_url = normalize_base_url(base_url)
        except InvalidValue as e:
            raise UsageError(
                f"{ENV_BASE_URL}={base_url!r}: it {e}", hint="fix or unset the variable"
            ) from None
    return base_url


# --- changes ----------------------------------------------------------------------


def _update(environ: Mapping[str, str], change: Callable[[dict], Any]) -> Any:
    path = config_path(environ)
    result, doc = settings_file.update(path, change)
    settings_file.write_profiles_cache(cache_dir(environ), profile_names(doc, path))
    return result


def _profile_table(doc: dict, name: str, path: Path, *, create: bool) -> dict | None:
    tables = profile_tables(doc, path)
    table = tables.get(name)
    if table is None:
        if not create:
            return None
        if "profiles" not in doc:
            doc["profiles"] = tables
        table = tables[name] = {}
    if not isinstance(table, dict):
        raise ConfigError(
            f"invalid settings file {path}: profiles.{name} must be a table",
            hint=f"write it as [profiles.{name}]",
        )
    return table


def set_setting(environ: Mapping[str, str], profile: str, key: str, value: Any) -> None:
    """Store a validated value (``parse_setting``) in ``[profiles.PROFILE]``, creating it."""
    check_key(key)
    check_profile_name(profile)
    path = config_path(environ)

    def change(doc: dict) -> None:
        table = _profile_table(doc, profile, path, create=True)
        assert table is not None
        table[key] = value

    _update(environ, change)


def unset_setting(environ: Mapping[str, str], profile: str, key: str) -> bool:
    """Remove a key from a profile (the table stays). False when it was not set."""
    check_key(key)
    path = config_path(environ)
    if not path.exists():  # nothing to remove: create neither file nor directory
        return False

    def change(doc: dict) -> bool:
        table = _profile_table(doc, profile, path, create=False)
        if table is None or key not in table:
            return False
        del table[key]
        return True

    return bool(_update(environ, change))


def set_default_profile(environ: Mapping[str, str], name: str) -> None:
    check_profile_name(name)
    path = config_path(environ)

    def change(doc: dict) -> None:
        if name not in profile_names(doc, path):
            raise _unknown_profile(name, "flag", profile_names(doc, path), path)
        doc[DEFAULT_PROFILE_KEY] = name

    _update(environ, change)


def unset_default_profile(environ: Mapping[str, str]) -> bool:
    if not config_path(environ).exists():
        return False

    def change(doc: dict) -> bool:
        return doc.pop(DEFAULT_PROFILE_KEY, None) is not None

    return bool(_update(environ, change))


def store_api_key(
    environ: Mapping[str, str], profile: str, api_key: str, *, base_url: str | None = None
) -> None:
    """Save a key (and optionally a base URL) in ``[profiles.PROFILE]``, creating it."""
    if profile == SANDBOX_PROFILE:
        raise UsageError("the sandbox profile is built in and takes no key")
    check_profile_name(profile)
    key = normalize_api_key(api_key)
    path = config_path(environ)

    def change(doc: dict) -> None:
        table = _profile_table(doc, profile, path, create=True)
        assert table is not None
        table["api_key"] = key
        if base_url is not None:
            table["base_url"] = base_url

    _update(environ, change)


def remove_api_key(environ: Mapping[str, str], profile: str) -> bool:
    """Remove the stored key of a profile; False when there was none."""
    return unset_setting(environ, profile, "api_key")
