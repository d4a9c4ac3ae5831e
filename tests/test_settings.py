"""settings / settings_file / secrets: precedence, the file on disk, masking.

The autouse fixture of conftest.py points LX_CONFIG and LX_CACHE_DIR at tmp
paths and clears the LLAMA_CLOUD_* / LX_* variables.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llamaextract_cli.errors import ConfigError, UsageError
from llamaextract_cli.settings import profiles as settings
from llamaextract_cli.settings import store as settings_file
from llamaextract_cli.settings.secrets import mask, redact

KEY = "llx-TESTKEY-0123456789abcdefSECRET"
OTHER_KEY = "llx-OTHERKEY-9876543210zyxwvuSECRET"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture
def environ(config: Path, tmp_path: Path) -> dict[str, str]:
    return {"LX_CONFIG": str(config), "LX_CACHE_DIR": str(tmp_path / "cache")}


def write(config: Path, text: str, mode: int = 0o600) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(textwrap.dedent(text))
    config.chmod(mode)


def resolve(environ: dict[str, str], profile: str | None = None, base_url: str | None = None):
    return settings.resolve(environ, profile_flag=profile, base_url_flag=base_url)


FULL = f"""
[profiles.default]
api_key = "{KEY}"
base_url = "https://profile.example.com/"
project_id = "proj-file"
organization_id = "org-file"
format = "CSV"
page_size = 50
"""


# --- paths -------------------------------------------------------------------------


def test_paths_from_environment(tmp_path: Path) -> None:
    env = {"LX_CONFIG": str(tmp_path / "c.toml"), "LX_CACHE_DIR": str(tmp_path / "k")}
    assert settings.config_path(env) == tmp_path / "c.toml"
    assert settings.cache_dir(env) == tmp_path / "k"


def test_paths_default_to_platformdirs() -> None:
    import platformdirs

    assert settings.config_path({}) == platformdirs.user_config_path("lx", appauthor=False) / (
        "config.toml"
    )
    assert settings.cache_dir({}) == platformdirs.user_cache_path("lx", appauthor=False)


# --- precedence --------------------------------------------------------------------


def test_builtin_defaults_with_no_file(environ: dict[str, str], config: Path) -> None:
    r = resolve(environ)
    assert (r.profile, r.profile_source) == ("default", "default")
    assert (r.api_key, r.api_key_source) == (None, "none")
    assert (r.base_url, r.base_url_source) == (settings.DEFAULT_BASE_URL, "default")
    assert r.project_id is r.organization_id is r.format is r.page_size is None
    assert r.config_path == config and not r.is_sandbox
    assert not config.exists()


def test_profile_values_are_read_and_normalized(environ: dict[str, str], config: Path) -> None:
    write(config, FULL)
    r = resolve(environ)
    assert (r.api_key, r.api_key_source) == (KEY, "profile 'default'")
    assert (r.base_url, r.base_url_source) == ("https://profile.example.com", "profile 'default'")
    assert r.project_id == "proj-file" and r.organization_id == "org-file"
    assert r.format == "csv" and r.page_size == 50
    assert r.source("page_size") == "profile 'default'"


@pytest.mark.parametrize(
    ("var", "attr", "value"),
    [
        ("LLAMA_CLOUD_API_KEY", "api_key", OTHER_KEY),
        ("LLAMA_PARSE_API_KEY", "api_key", OTHER_KEY),
        ("LLAMA_CLOUD_BASE_URL", "base_url", "https://env.example.com"),
        ("LLAMA_CLOUD_PROJECT_ID", "project_id", "proj-env"),
    ],
)
def test_environment_beats_profile(
    environ: dict[str, str], config: Path, var: str, attr: str, value: str
) -> None:
    write(config, FULL)
    r = resolve({**environ, var: value})
    assert getattr(r, attr) == value
    assert r.source(attr) == f"environment ({var})"


def test_environment_beats_default_without_file(environ: dict[str, str]) -> None:
    r = resolve(
        {
            **environ,
            "LLAMA_CLOUD_API_KEY": f"  {KEY}\n",
            "LLAMA_CLOUD_BASE_URL": "https://env.example.com/",
            "LLAMA_CLOUD_PROJECT_ID": "p",
        }
    )
    assert r.api_key == KEY  # stripped
    assert r.base_url == "https://env.example.com"
    assert r.project_id == "p"


def test_cloud_key_beats_parse_key(environ: dict[str, str]) -> None:
    r = resolve({**environ, "LLAMA_CLOUD_API_KEY": KEY, "LLAMA_PARSE_API_KEY": OTHER_KEY})
    assert (r.api_key, r.api_key_source) == (KEY, "environment (LLAMA_CLOUD_API_KEY)")


def test_parse_key_is_the_fallback(environ: dict[str, str]) -> None:
    r = resolve({**environ, "LLAMA_CLOUD_API_KEY": "", "LLAMA_PARSE_API_KEY": OTHER_KEY})
    assert (r.api_key, r.api_key_source) == (OTHER_KEY, "environment (LLAMA_PARSE_API_KEY)")


def test_base_url_flag_beats_environment_and_profile(environ: dict[str, str], config: Path) -> None:
    write(config, FULL)
    r = resolve(
        {**environ, "LLAMA_CLOUD_BASE_URL": "https://env.example.com"},
        base_url="http://127.0.0.1:8787/",
    )
    assert (r.base_url, r.base_url_source) == ("http://127.0.0.1:8787", "flag (--base-url)")


def test_empty_environment_values_are_ignored(environ: dict[str, str], config: Path) -> None:
    write(config, FULL)
    r = resolve({**environ, "LLAMA_CLOUD_BASE_URL": " ", "LLAMA_CLOUD_PROJECT_ID": ""})
    assert r.base_url_source == r.source("project_id") == "profile 'default'"


PROFILES = f"""
default_profile = "eu"

[profiles.default]
project_id = "p-default"

[profiles.eu]
api_key = "{KEY}"
base_url = "{settings.EU_BASE_URL}"
project_id = "p-eu"

[profiles.ci]
project_id = "p-ci"
"""


def test_default_profile_picks_the_profile(environ: dict[str, str], config: Path) -> None:
    write(config, PROFILES)
    r = resolve(environ)
    assert r.profile == "eu" and r.project_id == "p-eu" and r.base_url == settings.EU_BASE_URL
    assert r.profile_source == f"default_profile in {config}"
    assert r.profiles == ("default", "eu", "ci", "sandbox")


def test_lx_profile_beats_default_profile(environ: dict[str, str], config: Path) -> None:
    write(config, PROFILES)
    r = resolve({**environ, "LX_PROFILE": "ci"})
    assert (r.profile, r.project_id, r.profile_source) == ("ci", "p-ci", "environment (LX_PROFILE)")


def test_profile_flag_beats_lx_profile(environ: dict[str, str], config: Path) -> None:
    write(config, PROFILES)
    r = resolve({**environ, "LX_PROFILE": "ci"}, profile="default")
    assert (r.profile, r.project_id, r.profile_source) == (
        "default",
        "p-default",
        "flag (--profile)",
    )
    assert r.api_key is None  # the eu key does not leak into another profile


@pytest.mark.parametrize(
    ("how", "needle"),
    [("flag", "profile 'nope' does not exist"), ("env", "(from LX_PROFILE)")],
)
def test_unknown_profile_is_a_config_error(
    environ: dict[str, str], config: Path, how: str, needle: str
) -> None:
    write(config, PROFILES)
    with pytest.raises(ConfigError) as info:
        if how == "flag":
            resolve(environ, profile="nope")
        else:
            resolve({**environ, "LX_PROFILE": "nope"})
    assert needle in info.value.message and str(config) in info.value.message
    assert "default, eu, ci, sandbox (built in)" in (info.value.hint or "")
    assert info.value.exit_status == 2


def test_default_profile_naming_nothing_is_an_error(environ: dict[str, str], config: Path) -> None:
    write(config, 'default_profile = "gone"\n')
    with pytest.raises(ConfigError, match="default_profile 'gone'"):
        resolve(environ)


def test_unknown_profile_with_no_file(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="'eu' does not exist"):
        resolve(environ, profile="eu")
    r = settings.resolve(environ, profile_flag="eu", base_url_flag=None, allow_missing_profile=True)
    assert r.profile == "eu" and not r.profile_exists


def test_empty_profile_flag_is_a_usage_error(environ: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="--profile must not be empty"):
        resolve(environ, profile="")


# --- the sandbox -------------------------------------------------------------------

SANDBOX_ENV = {
    "LLAMA_CLOUD_API_KEY": KEY,
    "LLAMA_PARSE_API_KEY": OTHER_KEY,
    "LLAMA_CLOUD_BASE_URL": "https://api.cloud.llamaindex.ai",
    "LLAMA_CLOUD_PROJECT_ID": "real-project",
}


@pytest.mark.parametrize("via", ["flag", "LX_PROFILE", "default_profile"])
def test_sandbox_needs_no_file_and_ignores_environment(
    environ: dict[str, str], config: Path, via: str
) -> None:
    env = {**environ, **SANDBOX_ENV}
    if via == "flag":
        r = resolve(env, profile="sandbox")
    elif via == "LX_PROFILE":
        r = resolve({**env, "LX_PROFILE": "sandbox"})
    else:
        write(config, 'default_profile = "sandbox"\n')
        r = resolve(env)
    assert r.profile == "sandbox" and r.profile_exists and r.is_sandbox
    assert (r.api_key, r.api_key_source) == (settings.SANDBOX_KEY, "built-in sandbox")
    assert (r.base_url, r.base_url_source) == (settings.SANDBOX_URL, "built-in sandbox")
    assert r.project_id is None


def test_sandbox_base_url_flag_still_applies(environ: dict[str, str]) -> None:
    r = resolve({**environ, **SANDBOX_ENV}, profile="sandbox", base_url="http://127.0.0.1:8787")
    assert r.base_url == "http://127.0.0.1:8787" and not r.is_sandbox
    assert r.api_key == settings.SANDBOX_KEY


def test_sandbox_table_in_file(environ: dict[str, str], config: Path) -> None:
    write(
        config,
        """
        [profiles.sandbox]
        base_url = "sandbox://?jobs=600&seed=7&shape=seed"
        project_id = "p-sb"
        page_size = 7
        format = "json"
        """,
    )
    r = resolve({**environ, **SANDBOX_ENV}, profile="sandbox")
    assert r.base_url == "sandbox://?jobs=600&seed=7&shape=seed" and r.is_sandbox
    assert (r.project_id, r.page_size, r.format) == ("p-sb", 7, "json")
    assert r.api_key == settings.SANDBOX_KEY


def test_sandbox_base_url_on_another_profile_gets_the_dummy_key(environ: dict[str, str]) -> None:
    r = resolve(environ, base_url="sandbox:")
    assert r.is_sandbox and r.api_key == settings.SANDBOX_KEY
    r = resolve({**environ, "LLAMA_CLOUD_API_KEY": KEY}, base_url="sandbox:")
    assert r.api_key == KEY  # a configured key still wins


# --- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "key", "why"),
    [
        ('format = "xml"', "format", "must be one of table, wide, json"),
        ("page_size = 0", "page_size", "from 1 to 100"),
        ("page_size = 101", "page_size", "from 1 to 100"),
        ('page_size = "ten"', "page_size", "whole number"),
        ("page_size = true", "page_size", "whole number"),
        ('base_url = "ftp://x.example.com"', "base_url", "http(s) URL"),
        ('base_url = "api.cloud.llamaindex.ai"', "base_url", "http(s) URL"),
        ('project_id = ""', "project_id", "non-empty"),
    ],
)
def test_bad_values_in_the_file(
    environ: dict[str, str], config: Path, line: str, key: str, why: str
) -> None:
    write(config, f"[profiles.default]\n{line}\n")
    with pytest.raises(ConfigError) as info:
        resolve(environ)
    msg = info.value.message
    assert msg.startswith(f"{key} = ") and why in msg and str(config) in msg
    assert "profile 'default'" in msg
    assert f"config set {key}" in (info.value.hint or "")


def test_bad_api_key_type_does_not_echo_the_value(environ: dict[str, str], config: Path) -> None:
    write(config, f'[profiles.default]\napi_key = ["{KEY}"]\n')
    with pytest.raises(ConfigError) as info:
        resolve(environ)
    assert KEY not in str(info.value) and KEY not in (info.value.hint or "")
    assert "auth login" in (info.value.hint or "")


def test_bad_values_elsewhere_do_not_matter(environ: dict[str, str], config: Path) -> None:
    write(config, '[profiles.other]\nformat = "xml"\n[profiles.default]\nformat = "json"\n')
    assert resolve(environ).format == "json"


def test_bad_base_url_flag_and_env(environ: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="--base-url 'nope'"):
        resolve(environ, base_url="nope")
    with pytest.raises(UsageError, match="LLAMA_CLOUD_BASE_URL="):
        resolve({**environ, "LLAMA_CLOUD_BASE_URL": "file:///etc/passwd"})


@pytest.mark.parametrize(
    "text",
    ['profiles = "x"\n', "[profiles]\ndefault = 3\n", "default_profile = 3\n"],
)
def test_bad_structure(environ: dict[str, str], config: Path, text: str) -> None:
    write(config, text)
    with pytest.raises(ConfigError, match=str(config)):
        resolve(environ)


@pytest.mark.parametrize(
    ("key", "text", "stored"),
    [
        ("format", "JSON", "json"),
        ("page_size", "100", 100),
        ("base_url", "https://x.example.com/", "https://x.example.com"),
        ("base_url", "sandbox:", "sandbox:"),
        ("project_id", " p1 ", "p1"),
        ("default_profile", "eu", "eu"),
    ],
)
def test_parse_setting_accepts(key: str, text: str, stored: object) -> None:
    assert settings.parse_setting(key, text) == stored


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("format", "xml"),
        ("page_size", "-1"),
        ("page_size", "1e3"),
        ("page_size", "99999999999999"),
        ("base_url", "http://"),
        ("base_url", "https://host:99999"),
        ("project_id", "a b"),
        ("default_profile", "a b"),
        ("nope", "x"),
    ],
)
def test_parse_setting_refuses(key: str, text: str) -> None:
    with pytest.raises(UsageError):
        settings.parse_setting(key, text)


# --- reading the file --------------------------------------------------------------


def test_malformed_file_names_file_line_and_column(environ: dict[str, str], config: Path) -> None:
    write(config, '[profiles.default]\nformat = "json"\nbroken = \n')
    with pytest.raises(ConfigError) as info:
        resolve(environ)
    msg = info.value.message
    assert str(config) in msg and "line 3, column" in msg
    assert "will not overwrite" in (info.value.hint or "")


def test_non_utf8_file(environ: dict[str, str], config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_bytes(b'[profiles.default]\nformat = "\xff"\n')
    with pytest.raises(ConfigError, match=r"line 2\): not UTF-8"):
        resolve(environ)


def test_config_path_is_a_directory(environ: dict[str, str], config: Path) -> None:
    config.mkdir(parents=True)
    with pytest.raises(ConfigError, match="is a directory"):
        resolve(environ)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unreadable_file(environ: dict[str, str], config: Path) -> None:
    write(config, FULL, mode=0o000)
    with pytest.raises(ConfigError, match="permission denied"):
        resolve(environ)


def test_permission_denied_on_read_simulated(
    environ: dict[str, str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root the real chmod test is skipped; this one runs everywhere."""
    write(config, FULL)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(settings_file, "open", denied, raising=False)
    with pytest.raises(ConfigError, match=r"cannot read settings file .*: permission denied"):
        resolve(environ)


def test_permission_denied_on_write_simulated(
    environ: dict[str, str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, FULL)
    before = config.read_bytes()

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(settings_file.os, "open", denied)
        with pytest.raises(ConfigError, match=r"cannot write settings file .*: permission denied"):
            settings.set_setting(environ, "default", "format", "json")
    assert config.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_readable_file_warns_once(environ: dict[str, str], config: Path) -> None:
    write(config, FULL, mode=0o644)
    seen: list[str] = []
    settings.resolve(environ, profile_flag=None, base_url_flag=None, warn=seen.append)
    settings.resolve(environ, profile_flag=None, base_url_flag=None, warn=seen.append)
    assert seen == [f"lx: warning: {config} is readable by other users; run chmod 600 {config}"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_private_file_does_not_warn(environ: dict[str, str], config: Path) -> None:
    write(config, FULL, mode=0o600)
    seen: list[str] = []
    settings.resolve(environ, profile_flag=None, base_url_flag=None, warn=seen.append)
    assert seen == []


# --- writing the file --------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_first_write_creates_0700_dir_and_0600_file(environ: dict[str, str], config: Path) -> None:
    assert not config.parent.exists()
    settings.set_setting(environ, "default", "format", "json")
    assert mode_of(config.parent) == 0o700
    assert mode_of(config) == 0o600
    assert tomllib.loads(config.read_text()) == {"profiles": {"default": {"format": "json"}}}


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_write_tightens_a_readable_file(environ: dict[str, str], config: Path) -> None:
    write(config, FULL, mode=0o644)
    settings.set_setting(environ, "default", "page_size", 10)
    assert mode_of(config) == 0o600


def test_unknown_keys_and_tables_are_preserved(environ: dict[str, str], config: Path) -> None:
    write(
        config,
        f"""
        future_top = 1
        [profiles.default]
        api_key = "{KEY}"
        colour = "blue"
        [profiles.default.nested]
        x = [1, 2]
        [plugins.foo]
        enabled = true
        """,
    )
    settings.set_setting(environ, "default", "project_id", "p9")
    settings.set_setting(environ, "new", "format", "tsv")
    doc = tomllib.loads(config.read_text())
    assert doc["future_top"] == 1 and doc["plugins"] == {"foo": {"enabled": True}}
    assert doc["profiles"]["default"] == {
        "api_key": KEY,
        "colour": "blue",
        "nested": {"x": [1, 2]},
        "project_id": "p9",
    }
    assert doc["profiles"]["new"] == {"format": "tsv"}


def test_unset_and_default_profile(environ: dict[str, str], config: Path) -> None:
    assert settings.unset_setting(environ, "default", "format") is False
    assert not config.exists() and not config.parent.exists()  # nothing created
    settings.set_setting(environ, "eu", "format", "json")
    settings.set_default_profile(environ, "eu")
    assert resolve(environ).profile == "eu"
    with pytest.raises(ConfigError, match="'missing'"):
        settings.set_default_profile(environ, "missing")
    settings.set_default_profile(environ, "sandbox")  # built in: always allowed
    assert settings.unset_default_profile(environ) is True
    assert settings.unset_default_profile(environ) is False
    assert settings.unset_setting(environ, "eu", "format") is True
    assert tomllib.loads(config.read_text()) == {"profiles": {"eu": {}}}
    assert resolve(environ, profile="eu").profile_exists


def test_store_and_remove_api_key(environ: dict[str, str], config: Path) -> None:
    settings.set_setting(environ, "eu", "project_id", "p")
    settings.store_api_key(environ, "eu", f" {KEY} ", base_url=settings.EU_BASE_URL)
    assert tomllib.loads(config.read_text())["profiles"]["eu"] == {
        "project_id": "p",
        "api_key": KEY,
        "base_url": settings.EU_BASE_URL,
    }
    assert settings.remove_api_key(environ, "eu") is True
    assert settings.remove_api_key(environ, "eu") is False
    assert tomllib.loads(config.read_text())["profiles"]["eu"] == {
        "project_id": "p",
        "base_url": settings.EU_BASE_URL,
    }
    with pytest.raises(UsageError, match="sandbox"):
        settings.store_api_key(environ, "sandbox", KEY)


def test_bad_profile_names_are_refused(environ: dict[str, str], config: Path) -> None:
    for name in ("", "a b", "x\ny", "-dash", 'q"uote'):
        with pytest.raises(UsageError, match="invalid profile name"):
            settings.set_setting(environ, name, "format", "json")
    assert not config.exists()


def test_malformed_file_is_never_overwritten(environ: dict[str, str], config: Path) -> None:
    write(config, "[profiles.default\nformat = 'json'\n")
    before = config.read_bytes()
    for change in (
        lambda: settings.set_setting(environ, "default", "format", "csv"),
        lambda: settings.unset_setting(environ, "default", "format"),
        lambda: settings.store_api_key(environ, "default", KEY),
        lambda: settings.set_default_profile(environ, "sandbox"),
    ):
        with pytest.raises(ConfigError, match="line 1"):
            change()
    assert config.read_bytes() == before


def test_crash_before_rename_leaves_the_original(
    environ: dict[str, str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, FULL)
    before = config.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_file.os, "replace", boom)
    with pytest.raises(ConfigError, match="No space left on device"):
        settings.set_setting(environ, "default", "format", "json")
    assert config.read_bytes() == before
    leftovers = [p.name for p in config.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_no_temp_files_after_writes(environ: dict[str, str], config: Path) -> None:
    for i in range(5):
        settings.set_setting(environ, "default", "page_size", i + 1)
    names = sorted(p.name for p in config.parent.iterdir())
    assert names == ["config.toml", "config.toml.lock"]


def test_parent_is_a_file(environ: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    env = {**environ, "LX_CONFIG": str(blocker / "config.toml")}
    assert resolve(env).profile == "default"  # reading: no file
    with pytest.raises(ConfigError, match="cannot write settings file"):
        settings.set_setting(env, "default", "format", "json")
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_read_only_directory(environ: dict[str, str], config: Path) -> None:
    write(config, FULL)
    before = config.read_bytes()
    config.parent.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="permission denied"):
            settings.set_setting(environ, "default", "format", "json")
    finally:
        config.parent.chmod(0o700)
    assert config.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_writes_go_through_a_symlink(environ: dict[str, str], config: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "lx.toml"
    real.parent.mkdir()
    real.write_text('[profiles.default]\nformat = "json"\n')
    config.parent.mkdir(parents=True)
    config.symlink_to(real)
    settings.set_setting(environ, "default", "page_size", 5)
    assert config.is_symlink()
    assert tomllib.loads(real.read_text()) == {
        "profiles": {"default": {"format": "json", "page_size": 5}}
    }


def test_profiles_cache_is_refreshed_without_keys(
    environ: dict[str, str], config: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache" / "profiles"
    settings.store_api_key(environ, "eu", KEY)
    settings.set_setting(environ, "ci", "format", "json")
    assert cache.read_text() == "eu\nci\nsandbox\n"
    assert KEY not in cache.read_text()
    if os.name == "posix":
        assert mode_of(cache) == 0o600


def test_profiles_cache_follows_hand_edits(
    environ: dict[str, str], config: Path, tmp_path: Path
) -> None:
    write(config, PROFILES)
    resolve(environ)
    assert (tmp_path / "cache" / "profiles").read_text() == "default\neu\nci\nsandbox\n"


# --- concurrency -------------------------------------------------------------------

_WRITER = """
import sys
from pathlib import Path
from llamaextract_cli.settings import profiles as settings
from llamaextract_cli.settings import store as settings_file
env = {"LX_CONFIG": sys.argv[1], "LX_CACHE_DIR": sys.argv[2]}
tag = sys.argv[3]

def bump(doc):
    doc["counter"] = doc.get("counter", 0) + 1

for i in range(int(sys.argv[4])):
    settings.set_setting(env, "default", "project_id", f"{tag}-{i}")
    settings.set_setting(env, tag, "page_size", i + 1)
    settings_file.update(Path(sys.argv[1]), bump)  # a lost update shows in the count
"""

_READER = """
import os, sys
try:
    import tomllib
except ImportError:  # Python 3.10: tomli, a dependency there
    import tomli as tomllib
path, stop = sys.argv[1], sys.argv[2]
reads = 0
while not os.path.exists(stop):
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        continue
    tomllib.loads(data.decode())  # raises on a torn or empty file
    assert data.strip(), "empty file"
    reads += 1
print(reads)
"""


@pytest.mark.slow
def test_concurrent_writers_never_tear_or_lose_updates(
    environ: dict[str, str], config: Path, tmp_path: Path
) -> None:
    n = 60
    cache = str(tmp_path / "cache")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(config), str(stop)], stdout=subprocess.PIPE, text=True
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(config), cache, tag, str(n)])
        for tag in ("a", "b", "c")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    stop.touch()
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0 and int(out) > 0
    doc = tomllib.loads(config.read_text())
    assert doc["profiles"]["default"]["project_id"] in {f"{t}-{n - 1}" for t in "abc"}
    # the lock serialises read-modify-write: no writer's last change is lost
    assert {t: doc["profiles"][t]["page_size"] for t in "abc"} == {"a": n, "b": n, "c": n}
    assert doc["counter"] == 3 * n
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.toml", "config.toml.lock"]


# --- masking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (None, "(none)"),
        ("", "(none)"),
        ("llx-abcdefghijklmnopWXYZ", "llx-…WXYZ"),
        (KEY, "llx-…CRET"),
        ("abcdefghijklmnopWXYZ", "…WXYZ"),  # no short prefix
        ("verylongprefix-abcdefghWXYZ", "…WXYZ"),  # dash too far in: no prefix
        ("llx-short", "****"),
        ("abc", "****"),
    ],
)
def test_mask(key: str | None, masked: str) -> None:
    assert mask(key) == masked


def test_mask_never_shows_much() -> None:
    for n in range(1, 80):
        key = "llx-" + "k" * n
        shown = mask(key).replace("…", "")
        assert len(shown) <= 8 and (len(key) < 12 or shown.endswith(key[-4:]))


def test_redact() -> None:
    line = f"> GET /x Authorization: Bearer {KEY} (key {KEY})"
    out = redact(line, KEY)
    assert KEY not in out
    assert out == "> GET /x Authorization: Bearer llx-…CRET (key llx-…CRET)"
    assert redact("nothing", None) == "nothing"
    assert redact("nothing", "") == "nothing"


def test_resolved_repr_hides_the_key(environ: dict[str, str]) -> None:
    r = resolve({**environ, "LLAMA_CLOUD_API_KEY": KEY})
    assert KEY not in repr(r)
