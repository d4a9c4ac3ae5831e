"""Bad input, systematically: every command and every flag of the click tree, many bad values.

The commands and their options are read from `get_root_command()`, so a new command or
flag is covered the day it lands. For each option that takes a value, values are derived
from its type (wrong types, empty strings, negative and huge numbers, nan and inf,
unknown choices) and from its meaning (invalid dates and durations, unknown fields and
statuses, bad URLs and profile names). Each must get:

- exit 2 (CLI.md: bad usage);
- exactly one line on stderr, starting `lx: ` and naming the flag, and no traceback;
- no state change: the settings file keeps its bytes, and no file appears beside it.

A few values are deliberately accepted (`ACCEPTED`, each with its reason); they must
still end without a traceback or an internal error. Then the conflicting flags, unknown
options and commands, malformed and unreadable settings files, a settings directory that
cannot be written, a closed stdin, and a non-UTF-8 terminal.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxtest import TEST_KEY, Result, Runner
from relsupport import NOW, count, lx_argv, lx_env, one_error_line, run_lx, serving
from typer._click.types import FloatParamType, IntParamType
from typer._types import TyperChoice

from llamaextract_cli.cli.app import get_root_command
from llamaextract_cli.cli.commands.jobs import watching
from llamaextract_cli.jobs import wait as waiter
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.settings import store as settings_file

CONFIG = b"""default_profile = "work"

[profiles.work]
base_url = "https://api.cloud.llamaindex.ai"
project_id = "prj-keep"
page_size = 50
"""

HUGE = "9" * 30

# Values of a string option, by what the option means (its long name).
BY_MEANING: dict[str, list[str]] = {
    "--since": [
        "",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "1y",
        "-2h",
        "10:00",
        "9999999999w",
        "9999-12-31T23:59:59-01:00",  # a valid ISO text whose UTC time is out of range
        "0001-01-01T00:00:00+01:00",
    ],
    "--fields": ["", ",", "nope", "id,,status", "id.", "status.deeper", "ID"],
    "--expand": ["nope", "configuration,nope"],
    "--profile": ["", "../etc", "a b", "no-such-profile"],
    "--base-url": ["", "ftp://example.com", "http://", "http://[::1", "not a url", "https://a b"],
    "--id": ["", " ", ","],
    "--config": ["", " "],
    "--input": ["", " "],
    "--project": ["", " "],
    "--org": ["", " "],
    "--api-shape": ["", "bogus"],
    "--retry-after": ["", "minutes"],
    "--fault-schedule": ["bogus", "500,nope"],
    "--now": ["", "yesterday", "2026-13-01"],
    "--host": [""],
}
BY_MEANING["--until"] = BY_MEANING["--since"]
# `jobs wait --timeout` is a duration (the global --timeout is a float of seconds)
WAIT_TIMEOUT = ["", "soon", "-5", "10x", "nan", "inf", "1e9", "99999999999w"]

# (option, value) pairs that are fine as they are, and why.
ACCEPTED: dict[tuple[str, str], str] = {
    ("--limit", HUGE): "every job: a limit larger than the listing is no limit",
    ("--count", HUGE): "watch until interrupted",
    ("--ids-per-group", HUGE): "all the IDs of each group",
    ("--page-token", ""): "an empty token means the first page (shell loops start with none)",
    ("--expand", ""): "nothing to expand",
    ("--seed", HUGE): "any integer seeds the data set",
    ("--seed", "-1"): "any integer seeds the data set",
    ("--fault-seed", HUGE): "any integer seeds the fault RNG",
    ("--fault-seed", "-1"): "any integer seeds the fault RNG",
    ("--fault-schedule", ""): "no schedule",
    ("--rate-limit", HUGE): "a limit never reached",
}


@dataclass(frozen=True)
class Case:
    path: tuple[str, ...]  # the command path after `lx`
    option: str  # the flag's long name
    names: tuple[str, ...]  # every spelling of the flag: the error must use one
    value: str | None  # None for a flag given a value (`--all=yes`)
    argv: tuple[str, ...]


def commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, command) of every command of the tree, the root (its global options) first."""

    def walk(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        sub = getattr(cmd, "commands", None)
        if sub is None or not path:
            yield path, cmd
        for name, child in (sub or {}).items():
            yield from walk(child, (*path, name))

    yield from walk(get_root_command(), ())


def base_args(path: tuple[str, ...], command: Any, option: str = "") -> list[str]:
    """Arguments that make a valid invocation of `command` (placed after the bad option,
    so they must not repeat it: a later value of the same flag would win)."""
    out: list[str] = []
    for param in command.params:
        if param.param_type_name != "argument" or not param.required:
            continue
        choices = getattr(param.type, "choices", None)
        if choices:
            out.append(str(choices[0]))
        elif path[0] == "config":
            out += ["project_id", "prj-1"] if path[-1] == "set" else ["project_id"]
            break
        else:
            out.append("ext-00000000")
    if path[-1:] in (("cancel",), ("delete",)):
        out.append("--yes")  # else the refusal to act without a terminal comes first
    if path[-1:] == ("create",):  # a job to create, shown and not created
        config = [] if option == "--config" else ["--config", "cfg-1"]
        out += ["--file-input", "dfl-1", *config, "--dry-run"]
    if path[-1:] == ("rerun",):  # originals to rerun, shown and not rerun
        out += ["--dry-run"] + ([] if option == "--status" else ["--status", "FAILED"])
    return out


def _number_values(param: Any, kind: str) -> list[str]:
    values = ["abc", "", "1,5", "0x10"] if kind == "int" else ["abc", "", "nan", "inf", "-inf"]
    lo, hi = getattr(param.type, "min", None), getattr(param.type, "max", None)
    if kind == "int":
        values.append("1.5")
    if lo is not None:
        values.append(str(lo - 1) if kind == "int" else str(lo / 2 if lo > 0 else lo - 1))
        if lo >= 0:
            values.append("-1")
    if hi is not None:
        values.append(HUGE)
    elif kind == "int":
        values.append(HUGE)  # accepted only where ACCEPTED says so
    return list(dict.fromkeys(values))


def bad_values(path: tuple[str, ...], param: Any) -> list[str]:
    long = max(param.opts, key=len)
    if isinstance(param.type, IntParamType):
        return _number_values(param, "int")
    if isinstance(param.type, FloatParamType):
        return _number_values(param, "float")
    if isinstance(param.type, TyperChoice):
        return ["", "bogus", " " + str(param.type.choices[0])]
    if path[-1:] == ("wait",) and long == "--timeout":
        return WAIT_TIMEOUT
    if path[-1:] in (("result",), ("export",)) and long == "--fields":  # row paths: any name
        return ["", ",", "id,,status", "id."]
    if long in BY_MEANING:
        return BY_MEANING[long]
    if path[-1:] == ("status",) and long == "--format":  # auth status: text|json|jsonl
        return ["", "bogus"]
    return [""]  # any other text option: at least the empty string


def cases() -> Iterator[Case]:
    for path, command in commands():
        for param in command.params:
            if param.param_type_name != "option" or param.hidden:
                continue
            names = tuple(param.opts + param.secondary_opts)
            long = max(param.opts, key=len)
            args = base_args(path, command, long) if path else []
            if param.is_flag:
                if long in ("--version", "--help"):
                    continue
                yield Case(path, long, names, None, (*path, f"{long}=yes", *args))
                continue
            for value in bad_values(path, param):
                argv = [long, value, *path, *args] if not path else [*path, long, value, *args]
                if not path:  # a global option needs a command to reach
                    argv = [long, value, "jobs", "list"]
                yield Case(path, long, names, value, tuple(argv))


ALL_CASES = list(cases())


def global_after_cases() -> Iterator[Case]:
    """Every global option that takes a value, with a bad value, after every command (at
    its end, where people add it)."""
    root = get_root_command()
    leaves = [(p, c) for p, c in commands() if p]
    for param in root.params:
        if param.param_type_name != "option" or param.is_flag or param.hidden:
            continue
        long = max(param.opts, key=len)
        value = bad_values((), param)[0 if long != "--profile" else -1]
        for path, command in leaves:
            names = tuple(param.opts + param.secondary_opts)
            yield Case(path, long, names, value, (*path, *base_args(path, command), long, value))


GLOBAL_AFTER = list(global_after_cases())


def test_global_options_after_every_command(lx: Runner, guarded: Path, tmp_path: Path) -> None:
    """After the command, a global option does exactly what it does before it (same exit
    status, same stderr), unless the command has an option of that name itself; where a
    command uses the value (jobs list: every one), the bad value is refused, named."""
    problems = []
    for case in GLOBAL_AFTER:
        if _own_option(case.path, case.option):
            continue
        results = []
        for argv in ((case.option, case.value or "", *case.argv[:-2]), case.argv):
            guarded.write_bytes(CONFIG)  # each form starts from the same state
            shutil.rmtree(tmp_path / "home", ignore_errors=True)
            results.append(lx(*argv))
        before, after = results
        count("bad input", "global options after a command tried")
        if (after.code, after.stderr) != (before.code, before.stderr):
            problems.append(f"{case.argv}: {after.stderr!r} != before: {before.stderr!r}")
        if case.path == ("jobs", "list"):
            why = check_refused(after, case.names)
            if why:
                problems.append(f"lx {' '.join(map(repr, case.argv))}: {why}")
    assert not problems, "\n".join(problems)
    assert len({c.option for c in GLOBAL_AFTER}) >= 3


def _own_option(path: tuple[str, ...], option: str) -> bool:
    """The command has an option of that name itself (`jobs wait --timeout`): it wins."""
    command = dict(commands())[path]
    return any(option in p.opts for p in command.params)


@pytest.fixture
def guarded(
    monkeypatch: pytest.MonkeyPatch, isolated_settings: Path, tmp_path: Path
) -> Iterator[Path]:
    """A settings file to keep intact; commands that would loop or serve stop at once."""

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt  # an accepted value reached the loop: exit 130, not a hang

    monkeypatch.setattr(waiter, "SLEEP", stop)
    monkeypatch.setattr(watching, "sleep", stop)
    monkeypatch.setattr(SandboxServer, "start", stop)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LX_PROFILE", "sandbox")
    isolated_settings.parent.mkdir(parents=True, exist_ok=True)
    isolated_settings.write_bytes(CONFIG)
    isolated_settings.chmod(0o600)
    yield isolated_settings


def snapshot(directory: Path) -> dict[str, str]:
    """The files of the settings directory and their digests; the empty `.lock` file a
    write attempt leaves (settings_file's flock) is not state."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file() and not p.name.endswith(".lock")
    }


# Phrases of click and of Python that must never reach a user: each names a parser's
# internals (`x>=1`, "int range", "base 10") instead of saying what to type.
JARGON = (
    "is not in the range",
    "x>=",
    "x<=",
    "<=x",
    ">=x",
    "valid int",
    "valid float",
    "valid integer",
    "int range",
    "float range",
    "invalid literal",
    "with base 10",
    "could not convert",
    "Possible options",
    "Invalid value for",
    "No such option",
    "No such command",
    "Got unexpected extra",
    "Missing argument",
    "Missing option",
    "requires an argument",
    "Error:",
    "NoneType",
    "object has no attribute",
    "not supported between",
    "unexpected keyword",
    "ValueError",
    "TypeError",
    "KeyError",
)


def jargon_in(text: str) -> str | None:
    """The first click or Python phrase in `text`, if any."""
    return next((j for j in JARGON if j.lower() in text.lower()), None)


def check_refused(r: Result, names: tuple[str, ...]) -> str | None:
    """Why `r` is not a proper refusal of flag `names`, or None."""
    if "Traceback" in r.stderr or "internal error" in r.stderr:
        return f"crashed: {r.stderr.strip()[:300]}"
    jargon = jargon_in(r.stderr)
    if jargon:
        return f"says {jargon!r}: {r.stderr.strip()[:300]!r}"
    if r.code != 2:
        return f"exit {r.code}: {r.stderr.strip()[:300]!r}"
    lines = r.stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("lx: "):
        return f"stderr is not one `lx: ` line: {r.stderr!r}"
    if not any(n in lines[0] for n in names):
        return f"the flag is not named: {lines[0]!r}"
    return None


@pytest.mark.parametrize(
    "path", sorted({c.path for c in ALL_CASES}), ids=lambda p: " ".join(p) or "(global)"
)
def test_every_flag_refuses_bad_values(lx: Runner, guarded: Path, path: tuple[str, ...]) -> None:
    before = snapshot(guarded.parent)
    problems: list[str] = []
    for case in (c for c in ALL_CASES if c.path == path):
        r = lx(*case.argv)
        count("bad input", "flag values tried")
        if (case.option, case.value) in ACCEPTED:
            if r.code not in (0, 130) or "Traceback" in r.stderr:
                problems.append(f"{case.argv}: accepted value failed: {r.code} {r.stderr!r}")
            continue
        why = check_refused(r, case.names)
        if why:
            problems.append(f"lx {' '.join(map(repr, case.argv))}: {why}")
        after = snapshot(guarded.parent)
        if after != before:
            problems.append(f"{case.argv}: the settings directory changed")
            before = after
    assert not problems, "\n".join(problems)


def test_the_walk_covers_every_command() -> None:
    paths = {c.path for c in ALL_CASES}
    for expected in [
        (),
        ("jobs", "list"),
        ("jobs", "wait"),
        ("auth", "login"),
        ("sandbox", "serve"),
    ]:
        assert expected in paths
    assert len(ALL_CASES) > 300


# --- conflicting flags, unknown options and commands -----------------------------------------

CONFLICTS: list[tuple[list[str], str]] = [
    (["jobs", "list", "--limit", "5", "--all"], "--limit"),
    (["jobs", "list", "--since", "1h", "--until", "2h"], "--since"),
    (["jobs", "stats", "--since", "2026-01-02", "--until", "2026-01-01"], "--since"),
    (["jobs", "list", "-s", "failed", "-s", "running", "--page-token", "x"], "--page-token"),
    (["auth", "login", "--eu", "--base-url", "https://x.example", "--with-token"], "--eu"),
    (["jobs", "watch", "-o", "csv"], "csv"),
    (["jobs", "get", "-", "ext-1"], "'-'"),
    (["jobs", "cancel", "ext-1"], "--yes"),
    (["jobs", "delete", "ext-1"], "--yes"),
    (["jobs", "list", "--debug=yes"], "--debug"),  # a global option after the command
    (["jobs", "list", "--timeout", "abc"], "--timeout"),
    (["jobs", "list", "--profile", "no-such-profile"], "no-such-profile"),
    (["jobs", "list", "--json"], "-o json"),  # the suggestion other CLIs' users need
    (["jobs", "list", "--bogus", "--", "--profile"], "--bogus"),
    (["jobs", "list", "--", "--profile", "sandbox"], "--profile"),  # after --: an argument
    (["jobs", "list", "--status", "failed,bogus"], "bogus"),
    (["jobs", "list", "--status", "failed,"], "--status"),
    (["--base-url", "sandbox://?jbos=5", "jobs", "list"], "jobs, seed, shape, live, now"),
    (["--base-url", "sandbox://?jobs=abc", "jobs", "list"], "jobs='abc'"),
    (["jobs", "list", "--page-size", "101"], "from 1 to 100"),
    (["config", "set", "page_size", "101"], "from 1 to 100"),
    (["jobs", "list", "--bogus"], "--bogus"),
    (["jobs", "bogus"], "bogus"),
    (["bogus"], "bogus"),
    (["jobs", "get"], "JOB_ID"),
    (["config", "set", "page_size"], "VALUE"),
    (["config", "set", "nope", "1"], "nope"),
    (["config", "set", "page_size", "0"], "page_size"),
    (["config", "set", "base_url", "javascript:alert(1)"], "base_url"),
    (["config", "set", "default_profile", "missing"], "missing"),
    (["config", "get", "api-key"], "api-key"),
]


@pytest.mark.parametrize(
    ("argv", "named"), CONFLICTS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_conflicts_and_unknowns(lx: Runner, guarded: Path, argv: list[str], named: str) -> None:
    before = snapshot(guarded.parent)
    r = lx(*argv)
    count("bad input", "conflicts and unknowns tried")
    why = check_refused(r, (named,))
    assert why is None, why
    assert snapshot(guarded.parent) == before


# --- the settings file ----------------------------------------------------------------------

# Files no command can use: nothing may write them (lx never overwrites what it cannot read).
UNREADABLE_FILES: list[tuple[str, bytes]] = [
    ("toml syntax", b"[profiles.work\nbase_url = 1\n"),
    ("not utf-8", b'[profiles.work]\nproject_id = "\xff\xfe"\n'),
    ("nul bytes", b"\x00\x00\x00"),
    ("profiles not a table", b"profiles = 3\n"),
    ("profile not a table", b'default_profile = "work"\nprofiles.work = "x"\n'),
]
# Files with a bad value: every command that uses it refuses; `config set` and `unset`
# (the fix the error names) and `auth login` still work, on the key they are given.
BAD_VALUE_FILES: list[tuple[str, bytes]] = [
    ("bad page_size", b'default_profile = "work"\n[profiles.work]\npage_size = "many"\n'),
    ("bad base_url", b'default_profile = "work"\n[profiles.work]\nbase_url = "ftp://x"\n'),
    ("bad format", b'default_profile = "work"\n[profiles.work]\nformat = "xml"\n'),
    ("key not a string", b'default_profile = "work"\n[profiles.work]\napi_key = 12345\n'),
    ("default_profile not a name", b"default_profile = 5\n"),
    ("unknown default_profile", b'default_profile = "gone"\n'),
]
# Commands that use the settings in effect.
READERS: list[list[str]] = [
    ["jobs", "list"],
    ["jobs", "get", "ext-1"],
    ["jobs", "stats"],
    ["config", "list"],
    ["auth", "status"],
]
WRITERS: list[list[str]] = [
    ["config", "set", "project_id", "prj-2"],
    ["config", "unset", "project_id"],
    ["auth", "logout"],
    ["auth", "login", "--with-token", "--no-verify"],
]


def _write_config(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)


@pytest.mark.parametrize(
    ("what", "data"),
    UNREADABLE_FILES + BAD_VALUE_FILES,
    ids=[w for w, _ in UNREADABLE_FILES + BAD_VALUE_FILES],
)
def test_a_bad_settings_file_is_named_and_never_rewritten(
    lx: Runner, isolated_settings: Path, what: str, data: bytes
) -> None:
    _write_config(isolated_settings, data)
    before = snapshot(isolated_settings.parent)
    unreadable = (what, data) in UNREADABLE_FILES
    env = {"LLAMA_CLOUD_API_KEY": TEST_KEY}
    for argv in READERS + (WRITERS if unreadable else []):
        r = lx(*argv, stdin=TEST_KEY + "\n", env=env)
        count("bad input", "bad settings files x commands")
        line = one_error_line(r.stderr)
        assert r.code == 2, (argv, r.stderr)
        assert str(isolated_settings) in line, line
        assert snapshot(isolated_settings.parent) == before, argv


def test_an_unreadable_settings_file(
    lx: Runner, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_config(isolated_settings, CONFIG)

    def denied(*_: Any, **__: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    # as root, chmod 000 is no obstacle: the read itself is refused
    monkeypatch.setattr(settings_file, "open", denied, raising=False)
    for argv in READERS:
        r = lx(*argv)
        line = one_error_line(r.stderr)
        assert r.code == 2 and "permission denied" in line and str(isolated_settings) in line
    assert isolated_settings.read_bytes() == CONFIG


@pytest.mark.parametrize(
    "fail",
    ["makedirs", "open", "replace"],
)
def test_a_settings_directory_that_cannot_be_written(
    lx: Runner, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    """Every write path refused (the directory cannot be created, a file cannot be made,
    the rename is refused): exit 2, one line, the file as it was."""
    _write_config(isolated_settings, CONFIG)
    if fail == "makedirs":
        monkeypatch.setenv("LX_CONFIG", str(isolated_settings.parent / "sub" / "config.toml"))
    real: Callable[..., Any] = getattr(os, fail)

    def denied(*args: Any, **kwargs: Any) -> Any:
        if fail == "open" and not (args[1] & os.O_CREAT):
            return real(*args, **kwargs)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(settings_file.os, fail, denied)
    for argv in (
        ["config", "set", "project_id", "prj-2"],
        ["config", "set", "default_profile", "sandbox"],
        ["auth", "login", "--with-token", "--no-verify"],
    ):
        r = lx(*argv, stdin=TEST_KEY + "\n")
        line = one_error_line(r.stderr)
        assert r.code == 2 and "cannot write settings file" in line, (argv, line)
        assert TEST_KEY not in line
    assert isolated_settings.read_bytes() == CONFIG
    leftovers = [p.name for p in isolated_settings.parent.iterdir()]
    assert all(not n.endswith(".tmp") for n in leftovers), leftovers


# --- stdin closed -----------------------------------------------------------------------------


class ClosedStdin:
    """What a command meets when stdin is closed: reading raises ValueError."""

    closed = True

    def isatty(self) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        raise ValueError("I/O operation on closed file.")

    def read(self, *_: Any) -> str:
        raise ValueError("I/O operation on closed file.")

    readline = read


@pytest.mark.parametrize(
    "argv",
    [
        ["jobs", "get", "-"],
        ["jobs", "result", "-"],
        ["jobs", "wait", "-"],
        ["jobs", "cancel", "-", "--yes"],
        ["jobs", "delete", "-", "--yes"],
        ["--profile", "work", "auth", "login", "--with-token"],
    ],
)
def test_stdin_closed_in_process(lx: Runner, guarded: Path, argv: list[str]) -> None:
    def closed(state: Any) -> None:
        state.env.stdin = ClosedStdin()

    before = snapshot(guarded.parent)
    r = lx(*argv, state_setup=closed)
    line = one_error_line(r.stderr)
    assert r.code == 2, line
    assert "stdin" in line
    assert snapshot(guarded.parent) == before


@pytest.mark.slow
def test_stdin_closed_in_a_real_process(tmp_path: Path) -> None:
    """fd 0 closed (`lx jobs get - <&-`): Python has no sys.stdin at all."""
    env = lx_env(tmp_path)
    for argv in (["jobs", "get", "-"], ["auth", "login", "--with-token"]):
        profile = "sandbox" if argv[0] == "jobs" else "default"
        p = subprocess.run(
            ["sh", "-c", 'exec 0<&-; exec "$@"', "sh", *lx_argv("--profile", profile, *argv)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        line = one_error_line(p.stderr)
        assert p.returncode == 2 and "stdin" in line, (argv, p.stderr)
        assert p.stdout == ""


# --- a terminal that is not UTF-8 -------------------------------------------------------------

ODD = "Ünïcødé ✓ 日本語 🚀"


@pytest.fixture(scope="module")
def odd_server() -> Iterator[SandboxServer]:
    """A server whose jobs carry non-ASCII text (the sandbox's own data is ASCII)."""

    class OddApp(SandboxApp):
        def handle(
            self, method: str, path: str, query: Any, headers: Any, body: bytes = b""
        ) -> Any:
            resp = super().handle(method, path, query, headers, body)
            odd = ODD.encode()
            resp.body = resp.body.replace(
                b'"status":"FAILED"', b'"status":"FAILED","note":"%s"' % odd
            )
            resp.body = resp.body.replace(b'"error_message":"', b'"error_message":"%s ' % odd)
            return resp

    with serving(OddApp(jobs=40, seed=3, now=NOW, live=0)) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize(
    "locale",
    [
        {"LC_ALL": "C", "LANG": "C"},
        {"LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
        {"LC_ALL": "C", "PYTHONIOENCODING": "latin-1", "PYTHONUTF8": "0"},
        {"LC_ALL": "POSIX", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    ],
    ids=["C", "ascii", "latin-1", "posix-no-coercion"],
)
def test_a_non_utf8_terminal_never_crashes(
    tmp_path: Path, odd_server: SandboxServer, locale: dict[str, str]
) -> None:
    env = lx_env(tmp_path, **locale)
    base = ["--base-url", odd_server.url]
    for argv, parse in (
        ([*base, "jobs", "list", "-s", "failed", "-o", "jsonl"], "jsonl"),
        ([*base, "jobs", "list", "-s", "failed", "-o", "json"], "json"),
        ([*base, "jobs", "list", "-s", "failed", "-o", "csv", "-f", "id,error_message"], None),
        ([*base, "jobs", "errors", "-o", "jsonl", "--since", "3650d"], "jsonl"),
        ([*base, "jobs", "list", "-s", "failed", "-o", "table"], None),
        ([*base, "config", "list"], None),
        ([*base, "jobs", "list", "--since", ODD], "error"),
    ):
        r = run_lx(argv, env, encoding=locale.get("PYTHONIOENCODING", "utf-8"))
        count("bad input", "non-UTF-8 terminal runs")
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (argv, r.stderr)
        if parse == "error":
            assert r.code == 2
            one_error_line(r.stderr)
            continue
        assert (r.code, r.stderr) == (0, ""), (argv, r.stderr)
        assert r.stdout
        if parse == "jsonl":
            for line in r.stdout.splitlines():
                assert ODD in json.loads(line).get("note", ODD)  # the same data, escaped
        elif parse == "json":
            assert json.loads(r.stdout)


# --- arguments that are not UTF-8 -------------------------------------------------------------

NOT_UTF8: list[tuple[list[str], str]] = [
    (["jobs", "get", "ext-\udcff"], "argument 3"),
    (["jobs", "list", "--id", "\udcff"], "--id"),
    (["jobs", "list", "--config=c\udce9"], "--config"),
    (["config", "set", "project_id", "p\udcff"], "argument 4"),
    (["--profile", "\udcff", "jobs", "list"], "--profile"),
]


@pytest.mark.parametrize(("argv", "named"), NOT_UTF8)
def test_arguments_that_are_not_utf8(
    lx: Runner, guarded: Path, argv: list[str], named: str
) -> None:
    """Bytes the locale could not decode reach Python as lone surrogates: one line, exit 2
    (they used to crash encoding the request or the settings file)."""
    before = snapshot(guarded.parent)
    r = lx(*argv)
    count("bad input", "non-UTF-8 arguments tried")
    why = check_refused(r, (named,))
    assert why is None, why
    assert snapshot(guarded.parent) == before


@pytest.mark.slow
def test_argument_bytes_that_are_not_utf8_in_a_real_process(tmp_path: Path) -> None:
    env = lx_env(tmp_path)
    argv = [os.fsencode(a) for a in lx_argv("--profile", "sandbox", "jobs", "get")] + [b"ext-\xff"]
    p = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    stderr = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 2 and one_error_line(stderr).endswith(
        "is not UTF-8 text (check the variable or file it came from)"
    )


# --- the parsers under random input are covered in test_parser_properties.py -----------------


def test_figures_of_the_walk() -> None:
    count("bad input", "commands walked", len({c.path for c in ALL_CASES}))
    count("bad input", "options walked", len({(c.path, c.option) for c in ALL_CASES}))
